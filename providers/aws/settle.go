package aws

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/multicloud-ecs/multicloud"
)

// settleAttempts bounds how often a call whose outcome is unknown is sent
// in all; Options.SettleTimeout bounds the time.
const settleAttempts = 20

// settle sends a call that creates or releases something billable and
// takes a client token (RunInstances, TerminateInstances is idempotent by
// itself), and learns its outcome. The call is sent only if ctx has not
// ended; from then on it runs detached from ctx's cancellation (bounded by
// Options.SettleTimeout), so that a caller leaving cannot lose the
// response. While the outcome is unknown (no response, one that could not
// be read, or one without the created resources) the same input, with
// the same ClientToken, is sent again after a short pause, through
// throttling and server errors too, up to settleAttempts times. An error
// response from the API on the first try is returned as is: the Client
// decides whether to retry. The error of an outcome still unknown is
// ErrUnavailable saying so.
func settle[T any](ctx context.Context, p *Provider, region, action string, fn func(ctx context.Context, c *ec2.Client) (T, error)) (T, error) {
	var zero T
	if err := ctx.Err(); err != nil {
		return zero, canceled(action, region, err)
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.opts.SettleTimeout)
	defer cancel()
	pause := 50 * time.Millisecond
	var (
		err     error
		unknown bool
	)
	for attempt := 1; ; attempt++ {
		var out T
		out, err = call(sctx, p, region, action, fn)
		if err == nil {
			return out, nil
		}
		switch {
		case unknownOutcome(err) || errors.Is(err, errNoIDs):
			unknown = true
		case unknown && multicloud.IsRetryable(err):
			// This try was not carried out; an earlier one may have been.
		default:
			return zero, err
		}
		if attempt >= settleAttempts || sctx.Err() != nil {
			break
		}
		p.log.Debug("aws call outcome unknown; asking again", "action", action, "region", region, "attempt", attempt, "err", err)
		t := time.NewTimer(pause)
		select {
		case <-sctx.Done():
			t.Stop()
		case <-t.C:
		}
		pause = min(2*pause, time.Second)
	}
	return zero, &multicloud.Error{Op: action, Provider: ProviderCode, Region: region, Code: multicloud.CodeUnavailable,
		Message: "outcome unknown after repeated tries: what the call created may exist, tagged; retry with the same idempotency key, or sweep",
		Err:     err}
}
