package aws

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/multicloud-ecs/multicloud"
)

// sdkError wraps an API error the way the SDK's deserializers return it:
// an OperationError around a ResponseError (status, request ID) around
// the smithy.GenericAPIError.
func sdkError(op, code, msg string, status int) error {
	return &smithy.OperationError{ServiceID: "EC2", OperationName: op, Err: &awshttp.ResponseError{
		ResponseError: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}},
			Err: &smithy.GenericAPIError{Code: code, Message: msg, Fault: smithy.FaultClient}},
		RequestID: "req-" + code,
	}}
}

func TestClassifyCodes(t *testing.T) {
	for _, tc := range []struct {
		code   string
		status int
		want   error
	}{
		{"InsufficientInstanceCapacity", 500, multicloud.ErrNoStock},
		{"Unsupported", 400, multicloud.ErrNoStock},
		{"InstanceLimitExceeded", 400, multicloud.ErrQuotaExceeded},
		{"VcpuLimitExceeded", 400, multicloud.ErrQuotaExceeded},
		{"AddressLimitExceeded", 400, multicloud.ErrQuotaExceeded},
		{"VpcLimitExceeded", 400, multicloud.ErrQuotaExceeded},
		{"InternetGatewayLimitExceeded", 400, multicloud.ErrQuotaExceeded},
		{"SomeNewLimitExceeded", 400, multicloud.ErrQuotaExceeded},
		{"RequestLimitExceeded", 503, multicloud.ErrThrottled},
		{"UnauthorizedOperation", 403, multicloud.ErrPermissionDenied},
		{"AuthFailure", 401, multicloud.ErrPermissionDenied},
		{"SignatureDoesNotMatch", 403, multicloud.ErrPermissionDenied},
		{"InvalidClientTokenId", 403, multicloud.ErrPermissionDenied},
		{"IdempotentParameterMismatch", 400, multicloud.ErrIdempotencyMismatch},
		{"InvalidInstanceID.NotFound", 400, multicloud.ErrNotFound},
		{"InvalidVpcID.NotFound", 400, multicloud.ErrNotFound},
		{"InvalidAllocationID.NotFound", 400, multicloud.ErrNotFound},
		{"IncorrectInstanceState", 400, multicloud.ErrConflict},
		{"DependencyViolation", 400, multicloud.ErrConflict},
		{"Gateway.NotAttached", 400, multicloud.ErrConflict},
		{"InvalidParameterValue", 400, multicloud.ErrInvalidArgument},
		{"InvalidAMIID.Malformed", 400, multicloud.ErrInvalidArgument},
		{"InternalError", 500, multicloud.ErrUnavailable},
		{"Unavailable", 503, multicloud.ErrUnavailable},
		{"SomethingNew", 503, multicloud.ErrUnavailable},
		{"SomethingNew", 429, multicloud.ErrThrottled},
		{"Client.UnauthorizedOperation", 403, multicloud.ErrPermissionDenied},
		{"Server.InsufficientInstanceCapacity", 500, multicloud.ErrNoStock},
	} {
		err := classify("RunInstances", "us-east-1", sdkError("RunInstances", tc.code, "the message.", tc.status))
		if !errors.Is(err, tc.want) {
			t.Errorf("%s (%d): got %v, want an error matching %v", tc.code, tc.status, err, tc.want)
		}
		var me *multicloud.Error
		if !errors.As(err, &me) || me.ProviderCode != tc.code || me.RequestID != "req-"+tc.code || me.Provider != ProviderCode {
			t.Errorf("%s: got %#v, want provider code, request id and provider kept", tc.code, me)
		}
		var api smithy.APIError
		if !errors.As(err, &api) || api.ErrorCode() != tc.code {
			t.Errorf("%s: errors.As does not reach the smithy.APIError", tc.code)
		}
	}
}

func TestClassifyTransport(t *testing.T) {
	netErr := &smithy.OperationError{ServiceID: "EC2", OperationName: "DescribeInstances", Err: &smithyhttp.RequestSendError{
		Err: &url.Error{Op: "Post", URL: "https://ec2.us-east-1.amazonaws.com/?X-Amz-Signature=abcdef0123456789&X-Amz-Credential=AKIDEXAMPLE", Err: &net.OpError{Op: "dial", Err: errors.New("connection refused")}}}}
	for _, tc := range []struct {
		name string
		err  error
		want error
	}{
		{"dial", netErr, multicloud.ErrUnavailable},
		{"eof", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), multicloud.ErrUnavailable},
		{"caller cancelled", errors.Join(errors.New("op"), context.Canceled), multicloud.ErrCanceled},
		{"call timeout", fmt.Errorf("op: %w", context.DeadlineExceeded), multicloud.ErrUnavailable},
		{"deserialize", &smithy.DeserializationError{Err: errors.New("bad xml")}, multicloud.ErrUnavailable},
		{"no credentials", errors.New("failed to refresh cached credentials, no EC2 IMDS role found"), multicloud.ErrPermissionDenied},
	} {
		err := classify("DescribeInstances", "us-east-1", tc.err)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want an error matching %v", tc.name, err, tc.want)
		}
		if !unknownOutcome(err) && errors.Is(tc.want, multicloud.ErrUnavailable) {
			t.Errorf("%s: unknownOutcome = false, want true for a call without an API answer", tc.name)
		}
	}
	text := fmt.Sprintf("%v %+v %#v", classify("x", "r", netErr), classify("x", "r", netErr), classify("x", "r", netErr))
	for _, secret := range []string{"abcdef0123456789"} {
		if strings.Contains(text, secret) {
			t.Errorf("classified error shows the signature %q: %s", secret, text)
		}
	}
}

func TestUnknownOutcomeOfAPIErrors(t *testing.T) {
	// An API error answer means the call was not carried out, even a 5xx.
	err := classify("RunInstances", "us-east-1", sdkError("RunInstances", "InternalError", "x", 500))
	if unknownOutcome(err) {
		t.Errorf("unknownOutcome(%v) = true, want false for an API error answer", err)
	}
}
