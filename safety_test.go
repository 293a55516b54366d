package multicloud_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/mock/gomock"

	"github.com/multicloud-ecs/multicloud"
)

func TestRetryCanceledDuringBackoffIsCanceled(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	err := multicloud.RetryPolicy{MaxAttempts: 10, BaseDelay: time.Hour}.Do(ctx, func(context.Context) error {
		return &multicloud.Error{Code: multicloud.CodeThrottled, ProviderCode: "Throttling.User"}
	})
	if got := multicloud.CodeOf(err); got != multicloud.CodeCanceled {
		t.Errorf("code: got %s, want %s (%v)", got, multicloud.CodeCanceled, err)
	}
	if !errors.Is(err, multicloud.ErrCanceled) || !errors.Is(err, context.DeadlineExceeded) || multicloud.IsRetryable(err) {
		t.Errorf("got %v, want ErrCanceled matching the deadline and not retryable", err)
	}
}

func TestRetryBudgetStopsRetryStorm(t *testing.T) {
	budget := multicloud.NewRetryBudget(20) // four throttled retries
	pol := multicloud.RetryPolicy{MaxAttempts: 5, BaseDelay: time.Microsecond, MaxDelay: time.Microsecond, Budget: budget}
	var calls int
	for range 10 {
		_ = pol.Do(context.Background(), func(context.Context) error {
			calls++
			return &multicloud.Error{Code: multicloud.CodeThrottled}
		})
	}
	// 4 retries paid for, then every call is tried once: 10 + 4.
	if calls != 14 {
		t.Errorf("calls: got %d, want 14", calls)
	}
	if got := budget.Available(); got != 0 {
		t.Errorf("budget left: got %d, want 0", got)
	}
	_ = pol.Do(context.Background(), func(context.Context) error { return nil })
	if got := budget.Available(); got != multicloud.NoRetryIncrement {
		t.Errorf("budget after a success: got %d, want %d", got, multicloud.NoRetryIncrement)
	}
}

func TestDefaultRetryBoundIsSeconds(t *testing.T) {
	p := multicloud.DefaultRetryPolicy
	var worst time.Duration
	d := p.BaseDelay
	for range p.MaxAttempts - 1 {
		worst += min(d, p.MaxDelay)
		d *= 2
	}
	if worst > 5*time.Second {
		t.Errorf("worst-case backoff of the default policy: got %v, want at most 5s", worst)
	}
}

func TestCanceledCreateReleasesInstances(t *testing.T) {
	for _, tc := range []struct {
		name      string
		deleteErr error
		wantLeak  bool
	}{
		{name: "released"},
		{name: "already gone", deleteErr: &multicloud.Error{Code: multicloud.CodeNotFound}},
		{name: "cannot release", deleteErr: &multicloud.Error{Code: multicloud.CodePermissionDenied}, wantLeak: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, p := newMockClient(t, multicloud.UseSettleTimeout(time.Second))
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			p.EXPECT().Create(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, s *multicloud.CreateSpec) ([]*multicloud.Instance, error) {
				cancel() // the caller leaves while the create is in flight
				return instancesFor(s, 2), nil
			})
			var deleted atomic.Int32
			p.EXPECT().Delete(gomock.Any(), "cn-hangzhou", gomock.Any(), true).DoAndReturn(func(ctx context.Context, _, _ string, _ bool) error {
				if ctx.Err() != nil {
					t.Error("release ran under the caller's ended context")
				}
				deleted.Add(1)
				return tc.deleteErr
			}).MinTimes(2)
			req := mockRequest()
			req.Quantity = 2
			insts, err := c.CreateInstance(ctx, req)
			if insts != nil || !errors.Is(err, multicloud.ErrCanceled) {
				t.Fatalf("got %v, %v; want no instances and ErrCanceled", insts, err)
			}
			if got := strings.Contains(err.Error(), "z1-i0") && strings.Contains(err.Error(), "z1-i1"); got != tc.wantLeak {
				t.Errorf("error %q names the instances: got %v, want %v", err, got, tc.wantLeak)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"https://ecs.aliyuncs.com/?AccessKeyId=LTAI5t&Action=RunInstances&Password=P%40ss%26w0rd&Signature=abc%3D&SignatureNonce=1",
			"https://ecs.aliyuncs.com/?AccessKeyId=[REDACTED]&Action=RunInstances&Password=[REDACTED]&Signature=[REDACTED]&SignatureNonce=1"},
		{"server string to sign is:POST&%2F&AccessKeyId%3Dtestid%26Password%3DHunter2Secret%26SecurityToken%3Dtok",
			"server string to sign is:POST&%2F&AccessKeyId%3D[REDACTED]%26Password%3D[REDACTED]%26SecurityToken%3D[REDACTED]"},
		{`{"AccessKeySecret":"s3cr3t","Name":"x"}`, `{"AccessKeySecret":"[REDACTED]","Name":"x"}`},
		{"InvalidPassword.Malformed: the password is not valid", "InvalidPassword.Malformed: the password is not valid"},
		{"password: must be 8-30 characters, got 5", "password: must be 8-30 characters, got 5"},
		{"to sign is:POST&%2F&Password%3Dab%2526cd%26Signature%3Dx", "to sign is:POST&%2F&Password%3D[REDACTED]%26Signature%3D[REDACTED]"},
		{`&{Password:"s3cr3t" Name:"x"}`, `&{Password:"[REDACTED]" Name:"x"}`},
	} {
		if got := multicloud.Redact(tc.in); got != tc.want {
			t.Errorf("Redact(%q):\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}

func TestErrorNeverPrintsSecrets(t *testing.T) {
	const secret = "Hunter2Secret"
	cause := &url.Error{Op: "Post", URL: "https://ecs.aliyuncs.com/?Action=RunInstances&Password=" + secret + "&Signature=sig", Err: context.DeadlineExceeded}
	e := &multicloud.Error{Op: "RunInstances", Provider: "aliyun", Code: multicloud.CodeUnavailable, Err: cause}
	js, _ := json.Marshal(e)
	for _, s := range []string{e.Error(), fmt.Sprintf("%v", e), fmt.Sprintf("%+v", e), fmt.Sprintf("%#v", e), fmt.Sprintf("%s", e), string(js),
		fmt.Sprintf("%v", multicloud.RedactError(cause)), fmt.Sprintf("%d %x %#v", multicloud.Secret(secret), multicloud.Secret(secret), multicloud.Secret(secret))} {
		if strings.Contains(s, secret) || strings.Contains(s, "sig&") {
			t.Errorf("rendering %q shows the secret", s)
		}
	}
	var ue *url.Error
	if !errors.As(multicloud.RedactError(cause), &ue) || !errors.Is(multicloud.RedactError(cause), context.DeadlineExceeded) {
		t.Error("RedactError hides the cause from errors.As and errors.Is")
	}
}

func TestErrorDoesNotRepeatItsPrefix(t *testing.T) {
	inner := &multicloud.Error{Op: "Delete", Provider: "aliyun", Region: "r", Code: multicloud.CodeConflict, Message: "instance i-1 is running", ProviderCode: "IncorrectInstanceStatus"}
	outer := &multicloud.Error{Op: "Delete", Provider: "aliyun", Region: "r", Code: multicloud.CodeConflict, Err: inner, ProviderCode: "IncorrectInstanceStatus"}
	want := "Delete aliyun/r: instance i-1 is running (IncorrectInstanceStatus)"
	if got := outer.Error(); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestReservedTagLookAlikes(t *testing.T) {
	for _, key := range []string{"Owner", "owner", "OWNER", "Ｏwner", "\u041ewner", "Own\u0435r", "tenantid", "createdby", "Owner ",
		"Owner\u200b", "Owner\u00a0", "\u200bOwner", "Ow\u200dner", "Owner\t", "Owner\u2028"} {
		r := validRequest()
		r.Tags = map[string]string{key: "u2"}
		if err := r.Validate(); !errors.Is(err, multicloud.ErrInvalidArgument) {
			t.Errorf("tag key %q: got %v, want ErrInvalidArgument", key, err)
		}
	}
	for _, key := range []string{"Owners", "team", "Ownership", "租户"} {
		r := validRequest()
		r.Tags = map[string]string{key: "x"}
		if err := r.Validate(); err != nil {
			t.Errorf("tag key %q: got %v, want it accepted", key, err)
		}
	}
	if diff := cmp.Diff([]string{"tenantId", "Owner", "createdBy", "idempotencyToken"}, multicloud.ReservedTags()); diff != "" {
		t.Errorf("reserved tags (-want +got):\n%s", diff)
	}
}
