package multicloud

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
)

// WaitAll polls instances until each reaches want, ctx ends or maxWait
// passes, and returns their last states in refs' order (nil for one never
// seen). Instances of one provider and region are polled together: when
// the provider is a BatchGetter, one GetBatch call per round for every
// BatchSize of them; otherwise one Get each, at most 8 at a time. Rounds
// are paced as Wait's polls. Waiting for StatusDeleted succeeds for an
// instance that is gone.
//
// The error joins one error per instance that did not reach want, each as
// Wait would report it: ErrNotFound for one that disappeared,
// ErrWaitTimeout naming the state it was stuck in, ErrCanceled when ctx
// ended first, ErrInvalidArgument for an incomplete reference, or the
// provider's error when it is not retryable. maxWait <= 0 waits until ctx
// ends. WaitAll is safe for concurrent use.
func (c *Client) WaitAll(ctx context.Context, refs []InstanceRef, want Status, maxWait time.Duration) ([]*Instance, error) {
	const op = "Wait"
	w := &waiter{c: c, want: want, last: make([]*Instance, len(refs)), errs: make([]error, len(refs)), done: make([]bool, len(refs))}
	byPlace := make(map[string]*waitBatch)
	var batches []*waitBatch
	for i, ref := range refs {
		prov, err := c.provider(op, ref)
		if err != nil {
			w.finish(i, nil, err)
			continue
		}
		key := strings.ToLower(prov.Code()) + "\x00" + ref.Region
		b, ok := byPlace[key]
		if !ok {
			b = &waitBatch{prov: prov, region: ref.Region}
			byPlace[key] = b
			batches = append(batches, b)
		}
		b.idx = append(b.idx, i)
	}
	w.refs = refs
	parent := ctx
	if maxWait > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, maxWait)
		defer cancel()
	}
	interval := c.opts.PollInterval
	for {
		pending := false
		for _, b := range batches {
			w.poll(ctx, b)
			pending = pending || w.pending(b)
		}
		if !pending {
			break
		}
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			for _, b := range batches {
				for _, i := range b.idx {
					if !w.done[i] {
						w.finish(i, w.last[i], w.timeout(parent, ctx, b, i))
					}
				}
			}
			return w.last, errors.Join(w.errs...)
		case <-t.C:
		}
		interval = min(interval*2, c.opts.PollInterval*8)
	}
	return w.last, errors.Join(w.errs...)
}

// waiter is the state of one WaitAll.
type waiter struct {
	c    *Client
	want Status
	refs []InstanceRef
	last []*Instance
	errs []error
	done []bool
}

// waitBatch is the instances of one provider and region.
type waitBatch struct {
	prov   Provider
	region string
	idx    []int // indexes into refs
}

func (w *waiter) finish(i int, in *Instance, err error) {
	w.last[i], w.errs[i], w.done[i] = in, err, true
}

func (w *waiter) pending(b *waitBatch) bool {
	for _, i := range b.idx {
		if !w.done[i] {
			return true
		}
	}
	return false
}

// poll runs one round for b's instances that are not done.
func (w *waiter) poll(ctx context.Context, b *waitBatch) {
	var ids []int
	for _, i := range b.idx {
		if !w.done[i] {
			ids = append(ids, i)
		}
	}
	if bg, ok := b.prov.(BatchGetter); ok {
		size := max(bg.BatchSize(), 1)
		for len(ids) > 0 {
			chunk := ids[:min(size, len(ids))]
			ids = ids[len(chunk):]
			refIDs := make([]string, len(chunk))
			for k, i := range chunk {
				refIDs[k] = w.refs[i].ID
			}
			got, err := bg.GetBatch(ctx, b.region, refIDs)
			for _, i := range chunk {
				in, ok := got[w.refs[i].ID]
				switch {
				case err != nil:
					w.observe(ctx, b, i, nil, err)
				case ok:
					w.observe(ctx, b, i, in, nil)
				default:
					w.observe(ctx, b, i, nil, &Error{Op: "Wait", Provider: b.prov.Code(), Region: b.region, Code: CodeNotFound,
						Message: fmt.Sprintf("instance %s not found", w.refs[i].ID)})
				}
			}
		}
		return
	}
	type result struct {
		in  *Instance
		err error
	}
	res := make([]result, len(ids))
	var g errgroup.Group
	g.SetLimit(8)
	for k, i := range ids {
		g.Go(func() error {
			res[k].in, res[k].err = b.prov.Get(ctx, b.region, w.refs[i].ID)
			return nil
		})
	}
	_ = g.Wait() // every Get reports through res
	for k, i := range ids {
		w.observe(ctx, b, i, res[k].in, res[k].err)
	}
}

// observe records what one poll of instance i returned, as Wait does.
func (w *waiter) observe(ctx context.Context, b *waitBatch, i int, in *Instance, err error) {
	switch {
	case err == nil:
		w.last[i] = in
		if in.Status == w.want {
			w.finish(i, in, nil)
		}
	case errors.Is(err, ErrNotFound) && w.want == StatusDeleted:
		w.finish(i, &Instance{ID: w.refs[i].ID, Provider: b.prov.Code(), Region: b.region, Status: StatusDeleted}, nil)
	case !IsRetryable(err) && ctx.Err() == nil:
		w.finish(i, w.last[i], wrap("Wait", b.prov.Code(), b.region, err))
	}
}

// timeout is the error of instance i when the wait ended before it got
// there: ErrCanceled when parent (the caller's context) ended, else
// ErrWaitTimeout.
func (w *waiter) timeout(parent, ctx context.Context, b *waitBatch, i int) error {
	state := StatusUnknown
	if w.last[i] != nil {
		state = w.last[i].Status
	}
	code := CodeWaitTimeout
	if parent.Err() != nil {
		code = CodeCanceled
	}
	return &Error{Op: "Wait", Provider: b.prov.Code(), Region: b.region, Code: code,
		Message: fmt.Sprintf("instance %s still %s, not %s", w.refs[i].ID, state, w.want), Err: ctx.Err()}
}

// waitAll waits for every instance to be Running and refreshes each in
// place; instances that did not get there keep their last state.
func (c *Client) waitAll(ctx context.Context, insts []*Instance) error {
	var pending []*Instance
	var refs []InstanceRef
	for _, in := range insts {
		if in.Status != StatusRunning {
			pending = append(pending, in)
			refs = append(refs, in.Ref())
		}
	}
	if len(pending) == 0 {
		return nil
	}
	got, err := c.WaitAll(ctx, refs, StatusRunning, c.opts.WaitTimeout)
	for i, in := range pending {
		if got[i] != nil && got[i].Status == StatusRunning {
			merge(in, got[i])
		}
	}
	return err
}
