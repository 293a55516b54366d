package multicloud

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Code is the portable class of an error. Providers classify their own
// errors into a Code; callers test for one with errors.Is and the matching
// sentinel (ErrNotFound, ErrNoStock, ...) or read it from an *Error.
type Code string

// The portable error codes. The comment after each names its sentinel and
// the seed's error-table entry where there is one.
const (
	CodeUnknown          Code = "UNKNOWN"                        // ErrUnknown
	CodeInvalidArgument  Code = "VALIDATION_FAILED"              // ErrInvalidArgument; VALIDATION_*
	CodeNotFound         Code = "NOT_FOUND"                      // ErrNotFound
	CodeAlreadyExists    Code = "ALREADY_EXISTS"                 // ErrAlreadyExists
	CodeNoStock          Code = "NO_STOCK"                       // ErrNoStock: the placement is sold out or not on sale
	CodeQuotaExceeded    Code = "QUOTA_EXCEEDED"                 // ErrQuotaExceeded; QUOTA_EXCEEDED
	CodeThrottled        Code = "THROTTLED"                      // ErrThrottled
	CodeUnavailable      Code = "UNAVAILABLE"                    // ErrUnavailable: 5xx, timeouts, transient server faults
	CodeConflict         Code = "CONFLICT"                       // ErrConflict: the resource is in a state that does not allow the operation yet
	CodePermissionDenied Code = "PERMISSION_DENIED"              // ErrPermissionDenied: bad key, bad secret, RAM denial
	CodeIdempotency      Code = "IDEMPOTENCY_MISMATCH"           // ErrIdempotencyMismatch: a token reused with other parameters
	CodeNoPlacement      Code = "SCHEDULER_NO_PLACEMENT"         // ErrNoPlacement; SCHEDULER_*
	CodeProviderUnavail  Code = "SCHEDULER_PROVIDER_UNAVAILABLE" // ErrProviderUnavailable
	CodeNetwork          Code = "NETWORK_CREATE_FAILED"          // ErrNetwork
	CodeCreateFailed     Code = "CREATE_FAILED"                  // ErrCreateFailed
	CodePriceFailed      Code = "CALCULATE_PRICE_FAILED"         // ErrPriceFailed
	CodeCanceled         Code = "CANCELED"                       // ErrCanceled: the context was cancelled or its deadline passed
	CodeWaitTimeout      Code = "WAIT_TIMEOUT"                   // ErrWaitTimeout: a wait's own time limit ran out before the state was reached
	CodeProviderUnknown  Code = "PROVIDER_UNKNOWN"               // ErrProviderUnknown: no provider is registered under the code
)

// Sentinels for errors.Is. An *Error matches the sentinel of its Code;
// ErrCanceled also matches context.Canceled and context.DeadlineExceeded
// causes through the wrapped chain.
var (
	ErrUnknown             = &sentinel{CodeUnknown, "unknown error"}
	ErrInvalidArgument     = &sentinel{CodeInvalidArgument, "invalid argument"}
	ErrNotFound            = &sentinel{CodeNotFound, "not found"}
	ErrAlreadyExists       = &sentinel{CodeAlreadyExists, "already exists"}
	ErrNoStock             = &sentinel{CodeNoStock, "no stock"}
	ErrQuotaExceeded       = &sentinel{CodeQuotaExceeded, "quota exceeded"}
	ErrThrottled           = &sentinel{CodeThrottled, "throttled"}
	ErrUnavailable         = &sentinel{CodeUnavailable, "service unavailable"}
	ErrConflict            = &sentinel{CodeConflict, "conflicting state"}
	ErrPermissionDenied    = &sentinel{CodePermissionDenied, "permission denied"}
	ErrIdempotencyMismatch = &sentinel{CodeIdempotency, "idempotency key reused with other parameters"}
	ErrNoPlacement         = &sentinel{CodeNoPlacement, "no placement"}
	ErrProviderUnavailable = &sentinel{CodeProviderUnavail, "provider unavailable"}
	ErrNetwork             = &sentinel{CodeNetwork, "network provisioning failed"}
	ErrCreateFailed        = &sentinel{CodeCreateFailed, "create failed"}
	ErrPriceFailed         = &sentinel{CodePriceFailed, "price calculation failed"}
	ErrCanceled            = &sentinel{CodeCanceled, "canceled"}
	ErrWaitTimeout         = &sentinel{CodeWaitTimeout, "wait timed out"}
	ErrProviderUnknown     = &sentinel{CodeProviderUnknown, "unknown provider"}
)

// sentinel is the type of the exported Err* values: comparable by identity,
// and matched by an *Error of the same code.
type sentinel struct {
	code Code
	msg  string
}

func (s *sentinel) Error() string { return s.msg }

// Code reports the sentinel's portable code.
func (s *sentinel) Code() Code { return s.code }

// Error is the error every operation of this module returns for a failure
// it can classify. It carries where the failure happened (operation,
// provider, region), the portable Code, the provider's own error code and
// request ID, and the cause. errors.Is matches the sentinel of its Code;
// errors.As reaches the cause, for instance the provider SDK's error.
type Error struct {
	Op           string // the operation, e.g. "CreateInstance", "RunInstances"
	Provider     string // provider code, e.g. "aliyun"; empty for provider-independent failures
	Region       string // region, when the failure is bound to one
	Code         Code   // portable class
	ProviderCode string // the provider's own error code, e.g. "OperationDenied.NoStock"
	RequestID    string // the provider's request ID, for support tickets
	Message      string // what went wrong, lower case, without the cause
	Err          error  // the cause; may be nil
}

// Error formats the error as "op provider/region: message: cause (code,
// request id)". A cause that starts with the same "op provider/region"
// head is not repeated with it.
func (e *Error) Error() string {
	var b strings.Builder
	head := e.head()
	b.WriteString(head)
	msg := e.Message
	if msg == "" && e.Err == nil {
		if s := sentinelOf(e.Code); s != nil {
			msg = s.msg
		} else {
			msg = string(e.Code)
		}
	}
	if msg != "" {
		if b.Len() > 0 {
			b.WriteString(": ")
		}
		b.WriteString(msg)
	}
	if e.Err != nil {
		cause := e.Err.Error()
		if head != "" {
			cause = strings.TrimPrefix(strings.TrimPrefix(cause, head), ": ")
		}
		if cause != "" && cause != msg {
			if b.Len() > 0 {
				b.WriteString(": ")
			}
			b.WriteString(cause)
		}
	}
	if e.ProviderCode != "" || e.RequestID != "" {
		suffix := " (" + e.ProviderCode
		if e.RequestID != "" {
			if e.ProviderCode != "" {
				suffix += ", "
			}
			suffix += "request id " + e.RequestID
		}
		suffix += ")"
		if !strings.Contains(b.String(), suffix) {
			b.WriteString(suffix)
		}
	}
	return Redact(b.String())
}

// head is "op provider/region", the start of Error's text.
func (e *Error) head() string {
	var b strings.Builder
	b.WriteString(e.Op)
	if e.Provider != "" || e.Region != "" {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(e.Provider)
		if e.Region != "" {
			b.WriteByte('/')
			b.WriteString(e.Region)
		}
	}
	return b.String()
}

// GoString renders the error for %#v with its cause as scrubbed text, so
// that no URL or credential inside a provider SDK's error is printed.
func (e *Error) GoString() string {
	cause := "nil"
	if e.Err != nil {
		cause = strconv.Quote(Redact(e.Err.Error()))
	}
	return fmt.Sprintf("&multicloud.Error{Op:%q, Provider:%q, Region:%q, Code:%q, ProviderCode:%q, RequestID:%q, Message:%q, Err:%s}",
		e.Op, e.Provider, e.Region, e.Code, e.ProviderCode, e.RequestID, Redact(e.Message), cause)
}

// MarshalJSON writes the error's fields with the cause as its scrubbed
// text ("error"), never the cause's own fields.
func (e *Error) MarshalJSON() ([]byte, error) {
	type jsonError struct {
		Op           string `json:"op,omitempty"`
		Provider     string `json:"provider,omitempty"`
		Region       string `json:"region,omitempty"`
		Code         Code   `json:"code"`
		ProviderCode string `json:"providerCode,omitempty"`
		RequestID    string `json:"requestId,omitempty"`
		Message      string `json:"message,omitempty"`
		Error        string `json:"error"`
	}
	return json.Marshal(jsonError{e.Op, e.Provider, e.Region, e.Code, e.ProviderCode, e.RequestID, Redact(e.Message), Redact(e.Error())})
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is the sentinel of e's Code.
func (e *Error) Is(target error) bool {
	s, ok := target.(*sentinel)
	return ok && s.code == e.Code
}

func sentinelOf(c Code) *sentinel {
	for _, s := range []*sentinel{ErrUnknown, ErrInvalidArgument, ErrNotFound, ErrAlreadyExists, ErrNoStock,
		ErrQuotaExceeded, ErrThrottled, ErrUnavailable, ErrConflict, ErrPermissionDenied, ErrIdempotencyMismatch,
		ErrNoPlacement, ErrProviderUnavailable, ErrNetwork, ErrCreateFailed, ErrPriceFailed, ErrCanceled,
		ErrWaitTimeout, ErrProviderUnknown} {
		if s.code == c {
			return s
		}
	}
	return nil
}

// CodeOf returns the portable code of err: the Code of the first *Error in
// its chain, CodeCanceled for a context error, CodeUnknown otherwise and ""
// for nil.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	var s *sentinel
	if errors.As(err, &s) {
		return s.code
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return CodeCanceled
	}
	return CodeUnknown
}

// Errorf returns an *Error of code c whose message is formatted from format
// and args. A %w verb in format makes the wrapped error its cause.
func Errorf(c Code, format string, args ...any) *Error {
	err := fmt.Errorf(format, args...)
	e := &Error{Code: c, Message: err.Error()}
	if u := errors.Unwrap(err); u != nil {
		e.Err = u
		e.Message = strings.TrimSuffix(strings.TrimSuffix(e.Message, u.Error()), ": ")
	}
	return e
}

// IsRetryable reports whether err is worth retrying unchanged after a
// backoff: throttling and transient server failures. A cancelled context is
// never retryable.
func IsRetryable(err error) bool {
	switch CodeOf(err) {
	case CodeThrottled, CodeUnavailable:
		return true
	}
	return false
}

// IsCapacity reports whether err says the placement cannot take the
// request (no stock, zone not on sale, quota reached), so that another
// placement may.
func IsCapacity(err error) bool {
	switch CodeOf(err) {
	case CodeNoStock, CodeQuotaExceeded:
		return true
	}
	return false
}
