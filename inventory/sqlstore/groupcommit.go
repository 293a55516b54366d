package sqlstore

import (
	"context"
	"errors"
	"slices"
	"sync"
)

// groupCommit writes, on SQLite, the UpsertAssets calls that wait for the
// writer together, in one transaction: a sync lists many regions at once
// and SQLite takes one writer at a time, so while one batch commits
// others queue. One transaction for the queued batches commits once and
// writes each touched B-tree page (the indexes' hot leaves, the count
// tables) to the WAL once instead of once per batch, and applies the
// count changes once.
//
// Each call keeps its own outcome: when anything in the group's
// transaction fails, it is rolled back and each call is written again in
// a transaction of its own, so a call that fails fails alone.
//
// One waiting caller at a time leads: it takes every queued call, writes
// them, and hands the lead to the next queued call, if any, before it
// returns, so no caller writes for the others for longer than one group.
type groupCommit struct {
	mu      sync.Mutex
	queue   []*writeReq
	leading bool
}

// writeReq is one UpsertAssets call waiting in a group.
type writeReq struct {
	ctx   context.Context
	stmts []upsertStmt
	done  chan error // receives the outcome, or errLead
}

// errLead tells a queued call that it now leads.
var errLead = errors.New("sqlstore: lead the group commit")

// maxGroup is the most calls one transaction takes: bounds the time a
// leader writes for others and the transaction's size.
const maxGroup = 16

// write queues stmts and returns once they are committed or failed.
func (g *groupCommit) write(ctx context.Context, s *Store, stmts []upsertStmt) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r := &writeReq{ctx: ctx, stmts: stmts, done: make(chan error, 1)}
	g.mu.Lock()
	g.queue = append(g.queue, r)
	lead := !g.leading
	g.leading = true
	g.mu.Unlock()
	if !lead {
		// The outcome always comes: a queued call is written or failed
		// by the leader of its group, not abandoned on cancellation
		// (the leader checks each call's context before writing it).
		if err := <-r.done; err != errLead {
			return err
		}
	}
	// Lead: write one group (which holds r: the queue is served in
	// order and r is at or near its head), then hand over.
	for {
		g.mu.Lock()
		n := min(len(g.queue), maxGroup)
		group := slices.Clone(g.queue[:n])
		// Shift the rest down and clear what is left behind: a taken
		// call must not stay reachable from the queue's array, which
		// would keep its batch alive.
		rest := copy(g.queue, g.queue[n:])
		clear(g.queue[rest:])
		g.queue = g.queue[:rest]
		g.mu.Unlock()
		s.writeGroup(group)
		mine := false
		for _, q := range group {
			mine = mine || q == r
		}
		g.mu.Lock()
		if len(g.queue) == 0 {
			g.leading = false
			g.mu.Unlock()
		} else if mine {
			next := g.queue[0]
			g.mu.Unlock()
			next.done <- errLead
		} else {
			g.mu.Unlock()
			continue
		}
		break
	}
	return <-r.done
}

// writeGroup writes the calls in one transaction, each in a savepoint,
// and sends each its outcome.
func (s *Store) writeGroup(group []*writeReq) {
	live := group[:0:0]
	for _, r := range group {
		if err := r.ctx.Err(); err != nil {
			r.done <- err
			continue
		}
		live = append(live, r)
	}
	if len(live) == 0 {
		return
	}
	// The transaction outlives any one caller's cancellation: it writes
	// the others too. A call checks its context before it is written.
	ctx := context.WithoutCancel(live[0].ctx)
	answer := func(rs []*writeReq, err error) {
		for _, r := range rs {
			r.done <- err
		}
	}
	if len(live) == 1 {
		answer(live, s.writeOne(ctx, live[0].stmts))
		return
	}
	if err := s.writeTogether(ctx, live); err != nil {
		// Something failed: write each call alone, so each gets its
		// own outcome. Failures are rare (a full disk, a broken
		// database), so this costs little; savepoints would isolate
		// calls without it but copy every page each call touches into
		// the sub-journal, held in memory (temp_store=MEMORY).
		for _, r := range live {
			r.done <- s.writeOne(ctx, r.stmts)
		}
		return
	}
	answer(live, nil)
}

// writeTogether writes the calls' statements in one transaction.
func (s *Store) writeTogether(ctx context.Context, group []*writeReq) error {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	d := s.newCountDeltas()
	for _, r := range group {
		if err := s.writeStmts(ctx, tx, r.stmts, d); err != nil {
			return err
		}
	}
	if err := s.applyCounts(ctx, tx, d); err != nil {
		return err
	}
	return tx.Commit()
}

// writeOne writes one call's statements in a transaction of its own.
func (s *Store) writeOne(ctx context.Context, stmts []upsertStmt) error {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	d := s.newCountDeltas()
	if err := s.writeStmts(ctx, tx, stmts, d); err != nil {
		return err
	}
	if err := s.applyCounts(ctx, tx, d); err != nil {
		return err
	}
	return tx.Commit()
}
