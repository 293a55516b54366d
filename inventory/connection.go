package inventory

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/multicloud-ecs/multicloud"
)

// providerErrorKinds maps providers' own error codes to a kind. Codes are
// Alibaba Cloud's first; other providers add theirs here.
var providerErrorKinds = map[string]ConnectionErrorKind{
	"InvalidAccessKeyId.NotFound": ErrorUnknownAccessKey,
	"InvalidAccessKeyId":          ErrorUnknownAccessKey,
	"InvalidAccessKeyId.Inactive": ErrorUnknownAccessKey,
	"SignatureDoesNotMatch":       ErrorSignatureMismatch,
	"IncompleteSignature":         ErrorSignatureMismatch,
	"Forbidden.RAM":               ErrorPermissionDenied,
	"Forbidden":                   ErrorPermissionDenied,
	"Forbidden.NoPermission":      ErrorPermissionDenied,
	"NoPermission":                ErrorPermissionDenied,
	"Throttling":                  ErrorThrottled,
	"Throttling.User":             ErrorThrottled,
	"ServiceUnavailable":          ErrorUnreachable,
}

// ClassifyConnectionError says why a connection test failed: first by the
// provider's own code of a *multicloud.Error, then by its portable Code,
// then network errors and timeouts count as unreachable. It returns ""
// for nil.
func ClassifyConnectionError(err error) ConnectionErrorKind {
	if err == nil {
		return ""
	}
	var me *multicloud.Error
	if errors.As(err, &me) {
		if k, ok := providerErrorKinds[me.ProviderCode]; ok {
			return k
		}
	}
	switch multicloud.CodeOf(err) {
	case multicloud.CodePermissionDenied:
		return ErrorPermissionDenied
	case multicloud.CodeThrottled:
		return ErrorThrottled
	case multicloud.CodeUnavailable:
		return ErrorUnreachable
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) {
		return ErrorUnreachable
	}
	return ErrorUnknown
}

// TestConnection proves the account's credentials with one cheap real API
// call (the Discoverer's TestConnection, else Regions), without retries,
// and records the outcome on the account. Failures of the call are in the
// result; the error is for an account that cannot be tested at all
// (multicloud.ErrNotFound, no connector, a secret that cannot be opened).
func (s *Service) TestConnection(ctx context.Context, accountID string) (ConnectionResult, error) {
	d, provider, _, acct, err := s.discoverer(ctx, SyncTarget{AccountID: accountID})
	if err != nil {
		return ConnectionResult{}, err
	}
	start := time.Now()
	if ct, ok := d.(ConnectionTester); ok {
		err = ct.TestConnection(ctx)
	} else {
		_, err = d.Regions(ctx, func(ctx context.Context, _ string, call func(context.Context) error) error {
			return call(ctx)
		})
	}
	res := ConnectionResult{OK: err == nil, Latency: time.Since(start)}
	if err != nil {
		res.ErrorKind, res.Error = ClassifyConnectionError(err), err.Error()
	}
	s.log.InfoContext(ctx, "connection tested", "account", accountID, "provider", provider, "ok", res.OK,
		"kind", res.ErrorKind, "latency", res.Latency)
	now := s.now()
	acct.LastTestTime, acct.LastTestOK, acct.LastTestError = &now, res.OK, res.Error
	if err := s.store.UpdateAccount(context.WithoutCancel(ctx), acct); err != nil {
		return res, err
	}
	return res, nil
}
