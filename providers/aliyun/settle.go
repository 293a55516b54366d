package aliyun

import (
	"context"
	"errors"
	"time"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/responses"

	"github.com/multicloud-ecs/multicloud"
)

// settleAttempts bounds how often a call whose outcome is unknown is sent
// in all; Options.SettleTimeout bounds the time (with pauses growing to 1s,
// 20 tries take about 15s).
const settleAttempts = 20

// unknownOutcome reports whether err leaves open whether the API carried
// the call out: no response at all (connection reset, lost, timed out) or
// a response that could not be read. An error response from the API (a
// 4xx or 5xx with an error code) is taken as "not carried out"; the
// documentation does not confirm it for 5xx, and the sweeper finds what
// this assumption misses, since everything is tagged or named at birth.
func unknownOutcome(err error) bool {
	if err == nil || multicloud.CodeOf(err) != multicloud.CodeUnavailable {
		return false
	}
	var se *sdkerrors.ServerError
	return !errors.As(err, &se)
}

// settled sends a call that creates or releases something billable and
// learns its outcome. The call is sent only if ctx has not ended; from
// then on it runs detached from ctx's cancellation (bounded by
// Options.SettleTimeout), so that a caller leaving cannot lose the
// response. While the outcome is unknown (see unknownOutcome) the same
// request, with the same ClientToken, is sent again after a short pause,
// through throttling and server errors too, up to settleAttempts times in
// all; done, when not nil, says whether an
// error of such a repeat means the first call was carried out (for
// instance ErrNotFound when deleting). check, when not nil, may declare a
// successful response unknown too (a RunInstances answer with no IDs).
//
// It returns the last response; the error of an outcome still unknown is
// ErrUnavailable saying so.
func (p *Provider) settled(ctx context.Context, region string, prod product, req requests.AcsRequest,
	newResp func() responses.AcsResponse, done func(error) bool, check func(responses.AcsResponse) error) (responses.AcsResponse, error) {
	action := req.GetActionName()
	if err := ctx.Err(); err != nil {
		return nil, canceled(action, region, err)
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.opts.SettleTimeout)
	defer cancel()
	pause := 50 * time.Millisecond
	var (
		resp    responses.AcsResponse
		err     error
		unknown bool // an earlier try may have been carried out
	)
	for attempt := 1; ; attempt++ {
		resp = newResp()
		err = p.do(sctx, region, prod, req, resp)
		if err == nil && check != nil {
			err = check(resp)
		}
		if err == nil {
			return resp, nil
		}
		if unknown && done != nil && done(err) {
			return resp, nil
		}
		switch {
		case unknownOutcome(err):
			unknown = true
		case unknown && multicloud.IsRetryable(err):
			// Throttled or failed, this try was not carried out; an
			// earlier one may have been: keep asking.
		default:
			return resp, err
		}
		if attempt >= settleAttempts || sctx.Err() != nil {
			break
		}
		p.log.Debug("aliyun call outcome unknown; asking again", "action", action, "region", region, "attempt", attempt, "err", err)
		t := time.NewTimer(pause)
		select {
		case <-sctx.Done():
			t.Stop()
		case <-t.C:
		}
		pause = min(2*pause, time.Second)
	}
	return resp, &multicloud.Error{Op: action, Provider: ProviderCode, Region: region, Code: multicloud.CodeUnavailable,
		Message: "outcome unknown after repeated tries: what the call created may exist, tagged; retry with the same idempotency key, or sweep",
		Err:     err}
}
