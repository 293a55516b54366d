package aws_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/network"
	"github.com/multicloud-ecs/multicloud/providers/aws"
	"github.com/multicloud-ecs/multicloud/providers/aws/awstest"
)

const region = "us-east-1"

func newServer(t testing.TB, opts ...func(*awstest.Options)) *awstest.Server {
	t.Helper()
	srv := awstest.New(opts...)
	t.Cleanup(srv.Close)
	return srv
}

// newProvider returns a provider talking to srv with the emulator's
// default key, fast polls, and the given option edits.
func newProvider(t testing.TB, srv *awstest.Server, edits ...func(*aws.Options)) *aws.Provider {
	t.Helper()
	p, err := aws.New(context.Background(), append([]func(*aws.Options){func(o *aws.Options) {
		o.BaseEndpoint, o.HomeRegion, o.HTTPClient = srv.URL(), region, srv.HTTPClient()
		o.AccessKeyID, o.SecretAccessKey = awstest.DefaultAccessKeyID, multicloud.Secret(awstest.DefaultSecretAccessKey)
		o.Network = []func(*network.Options){func(n *network.Options) {
			n.PollInterval, n.WaitTimeout = 5*time.Millisecond, 20*time.Second
		}}
		o.SettleTimeout = 20 * time.Second
	}}, edits...)...)
	if err != nil {
		t.Fatalf("aws.New: %v", err)
	}
	return p
}

func newClient(t testing.TB, opts []multicloud.ClientOption, provs ...multicloud.Provider) *multicloud.Client {
	t.Helper()
	reg, err := multicloud.NewRegistry(provs...)
	if err != nil {
		t.Fatalf("NewRegistry: %v", err)
	}
	c, err := multicloud.New(reg, append([]multicloud.ClientOption{
		multicloud.UsePollInterval(5 * time.Millisecond),
		multicloud.UseRetryPolicy(multicloud.RetryPolicy{MaxAttempts: 4, BaseDelay: time.Millisecond, MaxDelay: 20 * time.Millisecond}),
		multicloud.UseWaitForRunning(true, 30*time.Second),
	}, opts...)...)
	if err != nil {
		t.Fatalf("multicloud.New: %v", err)
	}
	return c
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// request is a one-instance request of user in us-east-1a.
func request(tenant, user string, opts ...multicloud.RequestOption) *multicloud.CreateInstanceRequest {
	return multicloud.NewCreateInstanceRequest(append([]multicloud.RequestOption{
		multicloud.WithProvider(aws.ProviderCode),
		multicloud.WithPlacement(region, "us-east-1a"),
		multicloud.WithOwner(tenant, user),
		multicloud.WithName("test-vm"),
		multicloud.WithImage("ubuntu-22.04"),
		multicloud.WithInstanceType("m5.large"),
	}, opts...)...)
}

// callRecord is one API call seen by a recorder.
type callRecord struct {
	action     string
	form       url.Values
	start, end time.Time
	status     int
}

// recorder is an http.RoundTripper that logs every call's action, form,
// start, end and status.
type recorder struct {
	base http.RoundTripper
	mu   sync.Mutex
	log  []callRecord
}

func newRecorder() *recorder { return &recorder{base: http.DefaultTransport} }

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := callRecord{start: time.Now()}
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(bytes.NewReader(b))
		rec.form, _ = url.ParseQuery(string(b))
		rec.action = rec.form.Get("Action")
	}
	if rec.action == "" {
		rec.action = req.Header.Get("X-Amz-Target")
	}
	resp, err := r.base.RoundTrip(req)
	rec.end = time.Now()
	if resp != nil {
		rec.status = resp.StatusCode
	}
	r.mu.Lock()
	r.log = append(r.log, rec)
	r.mu.Unlock()
	return resp, err
}

func (r *recorder) calls() []callRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]callRecord(nil), r.log...)
}

func (r *recorder) reset() {
	r.mu.Lock()
	r.log = nil
	r.mu.Unlock()
}

func (r *recorder) count(action string) int {
	n := 0
	for _, c := range r.calls() {
		if c.action == action {
			n++
		}
	}
	return n
}

// httpClient sends through a recorder.
type httpClient struct{ rec *recorder }

func (c *httpClient) Do(r *http.Request) (*http.Response, error) { return c.rec.RoundTrip(r) }
