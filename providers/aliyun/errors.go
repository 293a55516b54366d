package aliyun

import (
	"context"
	"errors"
	"io"
	"net"
	"net/url"
	"strings"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"

	"github.com/multicloud-ecs/multicloud"
)

// codeRule classifies the Aliyun error codes that equal code, or start with
// it when prefix is set.
type codeRule struct {
	code    string
	prefix  bool
	class   multicloud.Code
	message string // what the portable message says; empty keeps the API's
}

// codeRules is the classification table of the reference's error codes
// (aliyun-api.md §5). Exact codes are looked up first, then the longest
// matching prefix.
var codeRules = []codeRule{
	// Throttling: retried with backoff by the Client and the network flow.
	{code: "Throttling", prefix: true, class: multicloud.CodeThrottled, message: "request throttled"},
	{code: "Rejected.Throttling", class: multicloud.CodeThrottled, message: "request throttled"},

	// Transient server failures.
	{code: "ServiceUnavailable", prefix: true, class: multicloud.CodeUnavailable, message: "service unavailable"},
	{code: "InternalError", prefix: true, class: multicloud.CodeUnavailable, message: "internal server error"},
	{code: "UnknownError", class: multicloud.CodeUnavailable, message: "unknown server error"},
	// A signature re-made on the next try fixes these (new timestamp and nonce).
	{code: "InvalidTimeStamp.Expired", class: multicloud.CodeUnavailable, message: "request timestamp expired (check the clock)"},
	{code: "SignatureNonceUsed", class: multicloud.CodeUnavailable, message: "signature nonce reused"},

	// Capacity: the Client fails over to another placement.
	{code: "OperationDenied.NoStock", class: multicloud.CodeNoStock, message: "no stock in the zone"},
	{code: "Zone.NotOnSale", class: multicloud.CodeNoStock, message: "zone not on sale"},
	{code: "Zone.NotOpen", class: multicloud.CodeNoStock, message: "zone not open"},
	{code: "OperationDenied.ZoneNotAllowed", class: multicloud.CodeNoStock, message: "zone not allowed"},
	{code: "InvalidInstanceType.ZoneNotSupported", class: multicloud.CodeNoStock, message: "instance type not sold in the zone"},
	{code: "InvalidVpcZone.NotSupported", class: multicloud.CodeNoStock, message: "zone does not support the vpc"},
	{code: "ResourceNotAvailable", class: multicloud.CodeNoStock, message: "resource not available in the zone"},
	{code: "InstanceType.Offline", class: multicloud.CodeNoStock, message: "instance type offline"},
	// "Not available right now" denials of RunInstances, AllocateEipAddress
	// and the VPC creates: another zone or type may take the request.
	{code: "OperationDenied.ResourceControl", class: multicloud.CodeNoStock, message: "resource under control in the zone, not available now"},
	{code: "OperationDenied.InsufficientResource", class: multicloud.CodeNoStock, message: "not enough resources in the zone"},
	{code: "OperationDenied.NotEnoughResource", class: multicloud.CodeNoStock, message: "not enough resources in the zone"},
	{code: "OperationDenied.ZoneNotSupport", class: multicloud.CodeNoStock, message: "zone not supported"},
	{code: "OperationDenied.RegionNotSupport", class: multicloud.CodeNoStock, message: "region not supported"},
	{code: "OperationDenied.PublicIpAddressNoStock", class: multicloud.CodeNoStock, message: "no public ip address in stock"},
	{code: "InvalidOperation.PublicIpAddressNoStock", class: multicloud.CodeNoStock, message: "no public ip address in stock"},
	{code: "InvalidResourceType.NotSupported", class: multicloud.CodeNoStock, message: "resource type not sold in the zone"},
	{code: "Invalid.PrivatePoolOptions.NoStock", class: multicloud.CodeNoStock, message: "private pool used up"},
	{code: "LackResource", class: multicloud.CodeNoStock, message: "not enough resources"},
	{code: "ResourceNotEnough", class: multicloud.CodeNoStock, message: "not enough resources"},
	{code: "InsufficientResource", prefix: true, class: multicloud.CodeNoStock, message: "not enough resources"},
	{code: "OperationFailed.NoStock", class: multicloud.CodeNoStock, message: "no stock"},

	// Quotas.
	{code: "QuotaExceed", prefix: true, class: multicloud.CodeQuotaExceeded, message: "quota exceeded"},
	{code: "QuotaExceeded", prefix: true, class: multicloud.CodeQuotaExceeded, message: "quota exceeded"},
	{code: "InvalidTagCount", class: multicloud.CodeQuotaExceeded, message: "too many tags"},

	// Credentials and permissions: the message says which.
	{code: "InvalidAccessKeyId.NotFound", class: multicloud.CodePermissionDenied, message: "access key id not found"},
	{code: "InvalidAccessKeyId", prefix: true, class: multicloud.CodePermissionDenied, message: "access key id invalid or inactive"},
	{code: "SignatureDoesNotMatch", class: multicloud.CodePermissionDenied, message: "access key secret does not match (signature mismatch)"},
	{code: "IncompleteSignature", class: multicloud.CodePermissionDenied, message: "incomplete signature (check the access key secret)"},
	{code: "Forbidden.AccessKeyDisabled", class: multicloud.CodePermissionDenied, message: "access key disabled"},
	{code: "Forbidden.RAM", class: multicloud.CodePermissionDenied, message: "not authorized (RAM)"},
	{code: "Forbidden.VpcNotFound", class: multicloud.CodeNotFound, message: "vpc not found"},
	{code: "Forbidden.ChargeTypeIsPrepaid", class: multicloud.CodeConflict, message: "a prepaid address cannot be released"},
	{code: "Forbidden", prefix: true, class: multicloud.CodePermissionDenied, message: "not authorized (RAM)"},
	{code: "Forbbiden", prefix: true, class: multicloud.CodePermissionDenied, message: "not authorized (RAM)"},
	{code: "NoPermission", prefix: true, class: multicloud.CodePermissionDenied, message: "not authorized (RAM)"},
	{code: "InvalidAccountStatus", prefix: true, class: multicloud.CodePermissionDenied, message: "account not in good standing"},
	{code: "InsufficientBalance", class: multicloud.CodePermissionDenied, message: "insufficient balance"},
	{code: "Account.Arrearage", class: multicloud.CodePermissionDenied, message: "account in arrears"},
	{code: "InstanceLockedForSecurity", class: multicloud.CodePermissionDenied, message: "instance locked for security"},

	// State conflicts: retried after a wait inside flows, final otherwise.
	{code: "IncorrectInstanceStatus", prefix: true, class: multicloud.CodeConflict, message: "instance state does not allow the operation"},
	{code: "IncorrectStatus", prefix: true, class: multicloud.CodeConflict, message: "resource state does not allow the operation"},
	{code: "IncorrectVpcStatus", class: multicloud.CodeConflict, message: "vpc not available yet"},
	{code: "IncorrectVSwitchStatus", class: multicloud.CodeConflict, message: "vswitch not available yet"},
	{code: "IncorrectEipStatus", class: multicloud.CodeConflict, message: "elastic ip in transition"},
	{code: "InvalidBindingStatus", class: multicloud.CodeConflict, message: "elastic ip binding in transition"},
	{code: "InvalidStatus.EcsStatusNotSupport", class: multicloud.CodeConflict, message: "instance state does not allow binding"},
	{code: "OperationConflict", class: multicloud.CodeConflict, message: "concurrent operation on the resource"},
	{code: "LastTokenProcessing", class: multicloud.CodeConflict, message: "previous request with the token still processing"},
	{code: "TaskConflict", class: multicloud.CodeConflict, message: "concurrent task on the resource"},
	{code: "SystemBusy", class: multicloud.CodeConflict, message: "system busy"},
	{code: "DependencyViolation", prefix: true, class: multicloud.CodeConflict, message: "dependent resources still exist"},
	{code: "ChargeTypeViolation", class: multicloud.CodeConflict, message: "charge type does not allow the operation"},
	{code: "InvalidOperation.DeletionProtection", class: multicloud.CodeConflict, message: "deletion protection is on"},
	{code: "InvalidAssociation.Duplicated", class: multicloud.CodeConflict, message: "instance already has an elastic ip"},
	{code: "InvalidStatus.InstanceHasBandWidth", class: multicloud.CodeConflict, message: "instance has its own public ip"},

	// Idempotency.
	{code: "IdempotentParameterMismatch", class: multicloud.CodeIdempotency, message: "client token reused with other parameters"},
	{code: "InvalidIdempotenceParameter.Mismatch", class: multicloud.CodeIdempotency, message: "client token reused with other parameters"},
	{code: "IdempotenceParamNotMatch", class: multicloud.CodeIdempotency, message: "client token reused with other parameters"},
	{code: "IdempotenceSignatureMismatch", class: multicloud.CodeIdempotency, message: "client token reused with other parameters"},
	{code: "IdempotenceProcessing", class: multicloud.CodeConflict, message: "previous request with the token still processing"},
	{code: "Duplicated.ClientToken", class: multicloud.CodeIdempotency, message: "client token reused with other parameters"},

	// Busy or locked resources the API asks to retry later.
	{code: "OperationDenied.Processing", class: multicloud.CodeConflict, message: "an operation on the resource is in progress"},
	{code: "OperationFailed.LastTokenProcessing", class: multicloud.CodeConflict, message: "previous request with the token still processing"},
	{code: "InvalidOperation.Conflict", class: multicloud.CodeConflict, message: "concurrent operation on the resource"},
	{code: "IncorrectInstanceStatus.Initializing", class: multicloud.CodeConflict, message: "instance still initializing"},
	{code: "InvalidInstance.UnPaidOrder", class: multicloud.CodeConflict, message: "instance order not paid yet"},
	{code: "OperationConflict.Vpc", class: multicloud.CodeConflict, message: "concurrent operation on the vpc"},
	{code: "ResourceInUse", prefix: true, class: multicloud.CodeConflict, message: "resource in use"},
	{code: "InvalidVpcStatus", class: multicloud.CodeConflict, message: "vpc not available yet"},
	{code: "InvalidVSwitchStatus", class: multicloud.CodeConflict, message: "vswitch not available yet"},
	{code: "InvalidRegion.TaskConflict", class: multicloud.CodeConflict, message: "concurrent task in the region"},
	{code: "OperationDenied.EipInUse", class: multicloud.CodeConflict, message: "elastic ip in use"},
	{code: "InvalidIpStatus.HasBeenUsedBySnatTable", class: multicloud.CodeConflict, message: "elastic ip used by a snat entry"},
	{code: "InvalidIpStatus.HasBeenUsedByForwardEntry", class: multicloud.CodeConflict, message: "elastic ip used by a forward entry"},
	{code: "TaskConflict.AssociateGlobalAccelerationInstance", class: multicloud.CodeConflict, message: "concurrent task on the elastic ip"},

	// Bad input (after the more specific rules above).
	{code: "InvalidParameter", prefix: true, class: multicloud.CodeInvalidArgument},
	{code: "MissingParameter", prefix: true, class: multicloud.CodeInvalidArgument},
	{code: "MissingParamter", prefix: true, class: multicloud.CodeInvalidArgument},
	{code: "UnsupportedParameter", class: multicloud.CodeInvalidArgument},
	{code: "InvalidAction", prefix: true, class: multicloud.CodeInvalidArgument},
	{code: "InvalidPeriod", class: multicloud.CodeInvalidArgument},
	{code: "InvalidPayMethod", class: multicloud.CodeInvalidArgument},
	{code: "CategoryNotSupported", class: multicloud.CodeInvalidArgument},
	{code: "HOSTNAME_ILLEGAL", class: multicloud.CodeInvalidArgument},
	{code: "Duplicate.TagKey", class: multicloud.CodeInvalidArgument},
	{code: "InvalidOperation", prefix: true, class: multicloud.CodeInvalidArgument},
	{code: "OperationDenied", prefix: true, class: multicloud.CodeInvalidArgument},
	{code: "OperationUnsupported", prefix: true, class: multicloud.CodeInvalidArgument},
	{code: "UnsupportedOperation", prefix: true, class: multicloud.CodeInvalidArgument},
	{code: "DryRunOperation", class: multicloud.CodeInvalidArgument, message: "dry run passed"},

	// Billing and account states.
	{code: "PAY.INSUFFICIENT_BALANCE", class: multicloud.CodePermissionDenied, message: "insufficient balance"},
	{code: "ACCOUNT_BALANCE_EXCEEDED", class: multicloud.CodePermissionDenied, message: "insufficient balance"},
	{code: "PAY", prefix: true, class: multicloud.CodePermissionDenied, message: "payment failed"},
	{code: "Forbidden.Unauthorized", class: multicloud.CodePermissionDenied, message: "not authorized (RAM)"},
	{code: "Forbidden.RiskControl", class: multicloud.CodePermissionDenied, message: "denied by risk control"},
	{code: "InvalidUser.Unauthorized", class: multicloud.CodePermissionDenied, message: "not authorized"},
	{code: "UnauthorizedRegion", class: multicloud.CodePermissionDenied, message: "region not authorized"},
	{code: "UnauthorizedZone", class: multicloud.CodePermissionDenied, message: "zone not authorized"},
	{code: "RealNameAuthenticationError", class: multicloud.CodePermissionDenied, message: "account not verified"},
}

// exactRules and prefixRules index codeRules.
var exactRules, prefixRules = func() (map[string]codeRule, []codeRule) {
	exact := map[string]codeRule{}
	var prefix []codeRule
	for _, r := range codeRules {
		if r.prefix {
			prefix = append(prefix, r)
		} else {
			exact[r.code] = r
		}
	}
	return exact, prefix
}()

// classifyCode returns the portable class of an Aliyun error code and the
// message to report, given the HTTP status of the response.
func classifyCode(code string, status int) (multicloud.Code, string) {
	if r, ok := exactRules[code]; ok {
		return r.class, r.message
	}
	var best *codeRule
	for i, r := range prefixRules {
		if strings.HasPrefix(code, r.code) && (best == nil || len(r.code) > len(best.code)) {
			best = &prefixRules[i]
		}
	}
	if best != nil {
		return best.class, best.message
	}
	switch {
	case strings.HasPrefix(code, "Invalid") && strings.HasSuffix(code, ".NotFound"):
		return multicloud.CodeNotFound, ""
	case strings.HasPrefix(code, "Invalid"), strings.HasSuffix(code, ".Malformed"),
		strings.HasSuffix(code, ".ValueNotSupported"), strings.HasSuffix(code, ".NotSupported"),
		strings.HasSuffix(code, ".Mismatch"), strings.HasSuffix(code, ".NotMatch"):
		return multicloud.CodeInvalidArgument, ""
	case status >= 500:
		return multicloud.CodeUnavailable, "server error"
	case status == 429:
		return multicloud.CodeThrottled, "request throttled"
	case status == 403:
		return multicloud.CodePermissionDenied, ""
	case status == 404:
		return multicloud.CodeNotFound, ""
	}
	return multicloud.CodeUnknown, ""
}

// classify turns an SDK error of op into a *multicloud.Error: the portable
// code from the Aliyun code (or the transport failure), with the Aliyun
// code and request ID kept and the SDK error as the cause, so that
// errors.As reaches the *errors.ServerError.
func classify(op, region string, err error) error {
	if err == nil {
		return nil
	}
	var me *multicloud.Error
	if errors.As(err, &me) {
		return err
	}
	e := &multicloud.Error{Op: op, Provider: ProviderCode, Region: region, Err: err}
	var se *sdkerrors.ServerError
	var ce *sdkerrors.ClientError
	switch {
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		e.Code = multicloud.CodeCanceled
	case errors.As(err, &se):
		e.ProviderCode, e.RequestID = se.ErrorCode(), se.RequestId()
		var msg string
		e.Code, msg = classifyCode(se.ErrorCode(), se.HttpStatus())
		e.Message = msg
		if msg == "" {
			// A SignatureDoesNotMatch message echoes the string to sign.
			e.Message = multicloud.Redact(lowerFirst(se.Message()))
		}
		// The SDK's ServerError text repeats headers; keep the cause for
		// errors.As but say what matters in the message.
		e.Err = serverError{se}
	case errors.As(err, &ce):
		e.ProviderCode = ce.ErrorCode()
		switch ce.ErrorCode() {
		case sdkerrors.TimeoutErrorCode:
			e.Code, e.Message = multicloud.CodeUnavailable, "request timed out"
		case sdkerrors.UnsupportedCredentialErrorCode:
			e.Code, e.Message = multicloud.CodePermissionDenied, "credentials not usable"
		case sdkerrors.JsonUnmarshalErrorCode:
			e.Code, e.Message = multicloud.CodeUnavailable, "unreadable response"
		default:
			e.Code = multicloud.CodeUnknown
			if isNetError(err) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
				e.Code = multicloud.CodeUnavailable
			}
		}
	case isNetError(err):
		e.Code, e.Message = multicloud.CodeUnavailable, "cannot reach the api"
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		e.Code, e.Message = multicloud.CodeUnavailable, "connection lost before the response was read"
	case strings.Contains(err.Error(), "credential") || strings.Contains(err.Error(), "AccessKey"):
		e.Code, e.Message = multicloud.CodePermissionDenied, "no usable credentials"
	default:
		e.Code = multicloud.CodeUnknown
	}
	if _, ok := e.Err.(serverError); !ok {
		// The SDK's transport errors carry the request URL, with the
		// password and signature in its query.
		e.Err = multicloud.RedactError(e.Err)
	}
	return e
}

// serverError wraps the SDK's *errors.ServerError with a one-line text;
// Unwrap and As still reach the SDK error.
type serverError struct{ se *sdkerrors.ServerError }

func (s serverError) Error() string {
	msg := s.se.Message()
	if i := strings.Index(msg, sdkerrors.MessageContain); i >= 0 {
		msg = strings.TrimSpace(msg[:i])
	}
	return multicloud.Redact("aliyun " + s.se.ErrorCode() + ": " + msg)
}

func (s serverError) Unwrap() error { return s.se }

func isNetError(err error) bool {
	var ne net.Error
	var ue *url.Error
	return errors.As(err, &ne) || errors.As(err, &ue)
}

func lowerFirst(s string) string {
	s = strings.TrimSuffix(strings.TrimSpace(s), ".")
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// canceled is the error of a call whose context had ended.
func canceled(op, region string, err error) error {
	return &multicloud.Error{Op: op, Provider: ProviderCode, Region: region, Code: multicloud.CodeCanceled, Err: err}
}

// errorf returns a classified error the provider makes itself.
func errorf(op, region string, code multicloud.Code, providerCode, format string, args ...any) *multicloud.Error {
	e := multicloud.Errorf(code, format, args...)
	e.Op, e.Provider, e.Region, e.ProviderCode = op, ProviderCode, region, providerCode
	return e
}
