package aliyun_test

import (
	"errors"
	"strings"
	"testing"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/providers/aliyun"
	"github.com/multicloud-ecs/multicloud/providers/aliyun/aliyuntest"
)

// TestCredentialErrors checks that bad credentials are permission errors
// that say what is wrong, through the real signature check.
func TestCredentialErrors(t *testing.T) {
	srv := newServer(t)
	tests := []struct {
		name, id, secret string
		wantCode         string
		wantMsg          string
	}{
		{"wrong secret", aliyuntest.DefaultAccessKeyID, "not-the-secret", "SignatureDoesNotMatch", "access key secret does not match"},
		{"unknown key", "no-such-key", aliyuntest.DefaultAccessKeySecret, "InvalidAccessKeyId.NotFound", "access key id not found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := newProvider(t, srv, func(o *aliyun.Options) {
				o.AccessKeyID, o.AccessKeySecret = tc.id, multicloud.Secret(tc.secret)
			})
			err := p.CheckHealth(testCtx(t))
			if !errors.Is(err, multicloud.ErrPermissionDenied) {
				t.Fatalf("CheckHealth: got %v, want an error matching ErrPermissionDenied", err)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("CheckHealth error: got %q, want it to say %q", err, tc.wantMsg)
			}
			if strings.Contains(err.Error(), tc.secret) && tc.secret != aliyuntest.DefaultAccessKeySecret {
				t.Errorf("CheckHealth error reveals the secret: %q", err)
			}
			var me *multicloud.Error
			if !errors.As(err, &me) || me.ProviderCode != tc.wantCode || me.RequestID == "" {
				t.Errorf("CheckHealth error: got provider code %q, request id %q, want %q and a request id", me.ProviderCode, me.RequestID, tc.wantCode)
			}
			var se *sdkerrors.ServerError
			if !errors.As(err, &se) || se.ErrorCode() != tc.wantCode {
				t.Errorf("errors.As(*errors.ServerError): got %v, want the SDK error with code %s", se, tc.wantCode)
			}
			// Through the Client: not retried, still a permission error.
			_, err = newClient(t, p).CreateInstance(testCtx(t), request("tenant", "user"))
			if !errors.Is(err, multicloud.ErrPermissionDenied) || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("CreateInstance: got %v, want ErrPermissionDenied saying %q", err, tc.wantMsg)
			}
		})
	}
}

// TestServerErrorsReachable checks that the Aliyun code and request ID of
// a failure are kept and the SDK error is reachable, and that capacity
// failures are ErrNoStock so that the Client fails over.
func TestServerErrorsReachable(t *testing.T) {
	srv := newServer(t)
	p := newProvider(t, srv)
	srv.SetStock("cn-hangzhou", "cn-hangzhou-h", "ecs.g7.large", 0)
	_, err := newClient(t, p).CreateInstance(testCtx(t), request("tenant", "user-nostock", multicloud.WithPublicIP(5, multicloud.Traffic)))
	if !errors.Is(err, multicloud.ErrNoStock) {
		t.Fatalf("CreateInstance with no stock: got %v, want ErrNoStock", err)
	}
	var se *sdkerrors.ServerError
	if !errors.As(err, &se) || se.ErrorCode() != "OperationDenied.NoStock" || se.RequestId() == "" {
		t.Errorf("errors.As(*errors.ServerError): got %v, want OperationDenied.NoStock with a request id", se)
	}
	if a := srv.Audit(); a.EIPs != 0 {
		t.Errorf("elastic ips after a create that made no instance: got %d (%v), want 0", a.EIPs, a.EIPsByStatus)
	}
}
