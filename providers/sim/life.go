package sim

import "time"

// life is a state and when it was entered. Transient states pass to the
// next after the transition delay; see at.
type life[S ~string] struct {
	state S
	since time.Time
}

// at returns the state at now and when it was entered, without storing
// it.
func (l life[S]) at(now time.Time, d time.Duration, next func(S) (S, bool)) (S, time.Time) {
	st, since := l.state, l.since
	for {
		n, ok := next(st)
		if !ok || now.Sub(since) < d {
			return st, since
		}
		since = since.Add(d)
		st = n
	}
}

// settle stores the state at now, so that a following change starts
// from it, and returns it.
func (l *life[S]) settle(now time.Time, d time.Duration, next func(S) (S, bool)) S {
	l.state, l.since = l.at(now, d, next)
	return l.state
}

func (l *life[S]) set(s S, now time.Time) { l.state, l.since = s, now }
