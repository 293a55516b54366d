package sqlstore

import (
	"context"
	"errors"
	"fmt"
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
// Each call keeps its own outcome: its statements run inside a savepoint,
// so a call that fails is rolled back alone and the others commit. A
// commit that fails fails every call of the group, as each call's own
// commit would have.
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
		group := g.queue[:n:n]
		g.queue = g.queue[n:]
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
	fail := func(rs []*writeReq, err error) {
		for _, r := range rs {
			r.done <- err
		}
	}
	if len(live) == 1 {
		fail(live, s.writeOne(ctx, live[0].stmts))
		return
	}
	tx, err := s.beginWrite(ctx)
	if err != nil {
		fail(live, err)
		return
	}
	defer tx.Rollback()
	d := s.newCountDeltas()
	var ok []*writeReq
	// On an error that ends the transaction, the calls not answered yet
	// are those written so far (ok) and those after the current one.
	for i, r := range live {
		if _, err := tx.ExecContext(ctx, "SAVEPOINT upsert_call"); err != nil {
			fail(append(ok, live[i:]...), fmt.Errorf("sqlstore: savepoint: %w", err))
			return
		}
		rd := s.newCountDeltas()
		if err := s.writeStmts(ctx, tx, r.stmts, rd); err != nil {
			if _, rerr := tx.ExecContext(ctx, "ROLLBACK TO upsert_call"); rerr != nil {
				fail(append(ok, live[i:]...), fmt.Errorf("sqlstore: roll back a failed upsert: %w", rerr))
				return
			}
			r.done <- err
		} else {
			d.merge(rd)
			ok = append(ok, r)
		}
		if _, err := tx.ExecContext(ctx, "RELEASE upsert_call"); err != nil {
			fail(append(ok, live[i+1:]...), fmt.Errorf("sqlstore: release savepoint: %w", err))
			return
		}
	}
	if len(ok) == 0 {
		return
	}
	if err := s.applyCounts(ctx, tx, d); err != nil {
		fail(ok, err)
		return
	}
	fail(ok, tx.Commit())
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

// merge adds the changes of o to d.
func (d *countDeltas) merge(o *countDeltas) {
	for g, od := range o.groups {
		gd := d.groups[g]
		if gd == nil {
			gd = &groupDelta{lastDiscover: noDiscover}
			d.groups[g] = gd
		}
		gd.n += od.n
		gd.cost += od.cost
		gd.lastDiscover = max(gd.lastDiscover, od.lastDiscover)
		gd.removed = gd.removed || od.removed
	}
	for k, n := range o.tags {
		d.tags[k] += n
	}
	for k, n := range o.trigrams {
		d.trigrams[k] += n
	}
}
