package sim

import (
	"slices"
	"sync"
	"time"
)

// Event is one change event: a write call that succeeded, as a cloud's
// audit trail (Aliyun ActionTrail, AWS CloudTrail) records it. Faces
// record the events of their own actions and render them in their own
// shapes.
type Event struct {
	ID           string
	Name         string // the face's action name, e.g. "RunInstances"
	Region       string
	AccessKeyID  string
	RequestID    string
	ResourceType string // the face's resource type, e.g. "ACS::ECS::Instance"
	Resources    []string
	At           time.Time
	// Seq numbers the events in recording order from 1; RecordEvent sets
	// it. A face's page token can hold it, as positions shift when
	// Options.MaxEvents drops the oldest events.
	Seq uint64
}

// eventLog is the account's event history; its own lock.
type eventLog struct {
	mu     sync.Mutex
	events []Event // in recording order
	delay  time.Duration
	seq    uint64
	max    int // Options.MaxEvents
}

// RecordEvent appends e to the event history, numbering it (Event.Seq),
// and drops the oldest events beyond Options.MaxEvents; a zero At is the
// Cloud's now. Events should be recorded in time order.
func (c *Cloud) RecordEvent(e Event) {
	if e.At.IsZero() {
		e.At = c.Now()
	}
	e.Resources = slices.Clone(e.Resources)
	c.events.mu.Lock()
	defer c.events.mu.Unlock()
	c.events.seq++
	e.Seq = c.events.seq
	c.events.events = append(c.events.events, e)
	if m := c.events.max; m > 0 && len(c.events.events) > m {
		c.events.events = slices.Delete(c.events.events, 0, len(c.events.events)-m)
	}
}

// SetEventDelay makes each event visible through Events only d after it
// happened, as audit trails deliver late.
func (c *Cloud) SetEventDelay(d time.Duration) {
	c.events.mu.Lock()
	c.events.delay = d
	c.events.mu.Unlock()
}

// EventDelay returns the delay set with SetEventDelay.
func (c *Cloud) EventDelay() time.Duration {
	c.events.mu.Lock()
	defer c.events.mu.Unlock()
	return c.events.delay
}

// Events returns a copy of the event history in recording order, every
// event delivered or not; faces filter by region, time and delivery
// (At plus EventDelay not after now).
func (c *Cloud) Events() []Event {
	c.events.mu.Lock()
	defer c.events.mu.Unlock()
	out := make([]Event, len(c.events.events))
	for i, e := range c.events.events {
		e.Resources = slices.Clone(e.Resources)
		out[i] = e
	}
	return out
}

// EventCount returns how many events the history holds, delivered or not
// (at most Options.MaxEvents when it is set).
func (c *Cloud) EventCount() int {
	c.events.mu.Lock()
	defer c.events.mu.Unlock()
	return len(c.events.events)
}

// Delivered reports whether e is visible at now given the event delay d.
func (e Event) Delivered(now time.Time, d time.Duration) bool { return !e.At.Add(d).After(now) }
