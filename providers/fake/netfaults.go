package fake

import (
	"context"
	"time"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/providers/sim"
)

// The provider codes of the network faults' errors (multicloud.Error
// ProviderCode).
const (
	ProviderCodeReset   = "Fake.ConnectionReset"
	ProviderCodeLost    = "Fake.ResponseLost"
	ProviderCodeGarbled = "Fake.ResponseGarbled"
)

// DefaultSettleTimeout is the default of Options.SettleTimeout.
const DefaultSettleTimeout = 30 * time.Second

// settleAttempts bounds how often a create whose outcome is unknown is
// sent in all, as in the Aliyun provider.
const settleAttempts = 20

// outcomeUnknown reports whether err leaves open whether the call took
// effect: a reset connection, a lost or an unreadable response. An error
// response (FaultError) is taken as "not carried out".
func outcomeUnknown(err error) bool {
	// Only the call's own error counts: an error of an inner step wrapped
	// in it was settled there, or was a plain failure of that step.
	e, ok := err.(*multicloud.Error)
	if !ok {
		return false
	}
	switch e.ProviderCode {
	case ProviderCodeReset, ProviderCodeLost, ProviderCodeGarbled:
		return true
	}
	return false
}

// netError is the error a caller sees when the network failed a call.
func (p *Provider) netError(op, region, providerCode, msg string) error {
	return &multicloud.Error{Op: op, Provider: p.code, Region: region, Code: multicloud.CodeUnavailable, ProviderCode: providerCode, Message: msg}
}

// leave applies the response faults of op (FaultLost, FaultSlow,
// FaultGarbled) to a call that was processed, whatever its outcome;
// methods defer it with their named error result, after their track, so
// that the call log shows what the caller got. A slow response is held
// under ctx.
func (p *Provider) leave(ctx context.Context, op, region string, errp *error) {
	f := p.cloud.DrawFault(op, region, FaultLost, FaultSlow, FaultGarbled)
	if f == nil {
		return
	}
	switch f.Kind {
	case FaultLost:
		*errp = p.netError(op, region, ProviderCodeLost, "no response: the connection closed after the request was sent")
	case FaultGarbled:
		*errp = p.netError(op, region, ProviderCodeGarbled, "the response could not be read")
	case FaultSlow:
		if err := sim.Sleep(ctx, f.Latency); err != nil {
			*errp = p.canceled(op, region, err)
		}
	}
}

// settled runs a call that creates something billable and learns its
// outcome, as the Aliyun provider settles its creates. The call is made
// only if ctx has not ended; attempt gets ctx (the caller's) for its
// first try and the settle context for repeats, and always the settle
// context, detached from ctx's cancellation and bounded by
// Options.SettleTimeout, for what must not be lost when the caller leaves
// (the response). While the outcome is unknown (see outcomeUnknown) the
// call is made again with the same token, which returns what the first
// call created instead of creating twice, through throttling and server
// errors too, up to settleAttempts times in all. Without a token a call
// is made once: a repeat could create twice.
//
// The error of an outcome still unknown is ErrUnavailable saying so.
func (p *Provider) settled(ctx context.Context, op, region, token string, attempt func(actx, sctx context.Context) error) error {
	if err := ctx.Err(); err != nil {
		return p.canceled(op, region, err)
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.opts.SettleTimeout)
	defer cancel()
	actx := ctx
	pause := time.Millisecond
	var (
		err     error
		unknown bool
	)
	for n := 1; ; n++ {
		err = attempt(actx, sctx)
		switch {
		case err == nil:
			return nil
		case outcomeUnknown(err):
			unknown = true
		case unknown && multicloud.IsRetryable(err):
			// This try was not carried out; an earlier one may have been.
		default:
			return err
		}
		if token == "" || n >= settleAttempts || sctx.Err() != nil {
			break
		}
		t := time.NewTimer(pause)
		select {
		case <-sctx.Done():
			t.Stop()
		case <-t.C:
		}
		pause = min(2*pause, 50*time.Millisecond)
		actx = sctx
	}
	return &multicloud.Error{Op: op, Provider: p.code, Region: region, Code: multicloud.CodeUnavailable,
		Message: "outcome unknown after repeated tries: what the call created may exist, tagged; retry with the same idempotency key, or sweep",
		Err:     err}
}
