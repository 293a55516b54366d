package aws

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/multicloud-ecs/multicloud"
)

const testSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

func newTestProvider(t *testing.T, opts ...func(*Options)) *Provider {
	t.Helper()
	base := []func(*Options){func(o *Options) {
		o.AccessKeyID, o.SecretAccessKey, o.HomeRegion = "AKIDEXAMPLE", multicloud.Secret(testSecret), "us-east-1"
	}}
	p, err := New(context.Background(), append(base, opts...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return p
}

func TestConfigStaticKeysNoRetryer(t *testing.T) {
	p := newTestProvider(t, func(o *Options) { o.BaseEndpoint = "http://127.0.0.1:1" })
	creds, err := p.cfg.Credentials.Retrieve(context.Background())
	if err != nil {
		t.Fatalf("Retrieve: %v", err)
	}
	if creds.AccessKeyID != "AKIDEXAMPLE" || creds.SecretAccessKey != testSecret {
		t.Errorf("credentials: got key %q, want the static key", creds.AccessKeyID)
	}
	if got := p.cfg.Retryer().MaxAttempts(); got != 1 {
		t.Errorf("SDK retryer max attempts: got %d, want 1 (the client retries)", got)
	}
	if got := aws.ToString(p.cfg.BaseEndpoint); got != "http://127.0.0.1:1" {
		t.Errorf("BaseEndpoint: got %q", got)
	}
	if p.Account() != "AKIDEXAMPLE" {
		t.Errorf("Account: got %q, want the access key ID", p.Account())
	}
}

func TestConfigAssumeRole(t *testing.T) {
	p := newTestProvider(t, func(o *Options) { o.RoleARN = "arn:aws:iam::123456789012:role/ops" })
	if _, ok := p.cfg.Credentials.(*aws.CredentialsCache); !ok {
		t.Errorf("credentials with a role: got %T, want a cache over the assume-role provider", p.cfg.Credentials)
	}
	if p.Account() != "AKIDEXAMPLE" {
		t.Errorf("Account: got %q", p.Account())
	}
}

func TestSecretNeverPrinted(t *testing.T) {
	o := Options{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: multicloud.Secret(testSecret), SessionToken: "tok-secret-123"}
	js, _ := json.Marshal(o.SecretAccessKey)
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("opts", "secret", o.SecretAccessKey, "token", o.SessionToken)
	p, err := New(context.Background(), func(po *Options) { *po = o; po.HomeRegion = "us-east-1" })
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	slog.New(slog.NewTextHandler(&logged, nil)).Info("provider", "p", p, "d", p.Discoverer())
	text := fmt.Sprintf("%v %+v %#v %s %s %v %+v %#v %v", o, o, o, js, logged.String(), p, p, p, p.Discoverer())
	for _, s := range []string{testSecret, "tok-secret-123"} {
		if strings.Contains(text, s) {
			t.Errorf("options print a secret: %s", text)
		}
	}
}

// TestOneAttemptPerCall checks that the SDK does not retry: a 503 with an
// EC2 error answer reaches the server once and comes back classified,
// with its request ID, and without the signature in its text.
func TestOneAttemptPerCall(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>req-42</RequestID></Response>`)
	}))
	defer srv.Close()
	p := newTestProvider(t, func(o *Options) { o.BaseEndpoint = srv.URL })
	_, err := call(context.Background(), p, "us-east-1", "DescribeVpcs", func(ctx context.Context, c *ec2.Client) (*ec2.DescribeVpcsOutput, error) {
		return c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	})
	if !errors.Is(err, multicloud.ErrThrottled) {
		t.Fatalf("got %v, want ErrThrottled", err)
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("server saw %d attempts, want 1", n)
	}
	var me *multicloud.Error
	if errors.As(err, &me) && me.RequestID != "req-42" {
		t.Errorf("request ID: got %q, want req-42", me.RequestID)
	}
	if s := fmt.Sprintf("%v %+v", err, err); strings.Contains(s, testSecret) || strings.Contains(s, "Signature=") {
		t.Errorf("error shows signing material: %s", s)
	}
}
