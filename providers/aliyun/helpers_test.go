package aliyun_test

import (
	"context"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/network"
	"github.com/multicloud-ecs/multicloud/providers/aliyun"
	"github.com/multicloud-ecs/multicloud/providers/aliyun/aliyuntest"
)

// newServer starts an emulator for t.
func newServer(t testing.TB, opts ...aliyuntest.Option) *aliyuntest.Server {
	t.Helper()
	srv := aliyuntest.NewServer(opts...)
	t.Cleanup(srv.Close)
	return srv
}

// newProvider returns a provider talking to srv over HTTP with the
// emulator's key, fast polls, and the given option edits.
func newProvider(t testing.TB, srv *aliyuntest.Server, edits ...func(*aliyun.Options)) *aliyun.Provider {
	t.Helper()
	p, err := aliyun.New(append([]func(*aliyun.Options){func(o *aliyun.Options) {
		o.Endpoint, o.Scheme = srv.Host(), "HTTP"
		o.AccessKeyID, o.AccessKeySecret = aliyuntest.DefaultAccessKeyID, aliyuntest.DefaultAccessKeySecret
		o.Network = []func(*network.Options){func(n *network.Options) {
			n.PollInterval, n.WaitTimeout = 5*time.Millisecond, 20*time.Second
		}}
		o.SettleTimeout = 20 * time.Second
	}}, edits...)...)
	if err != nil {
		t.Fatalf("aliyun.New: %v", err)
	}
	return p
}

// newClient returns a Client over p with fast polls and patient retries.
func newClient(t testing.TB, p multicloud.Provider, opts ...multicloud.ClientOption) *multicloud.Client {
	t.Helper()
	reg, err := multicloud.NewRegistry(p)
	if err != nil {
		t.Fatalf("NewRegistry: %v", err)
	}
	c, err := multicloud.New(reg, append([]multicloud.ClientOption{
		multicloud.UsePollInterval(5 * time.Millisecond),
		multicloud.UseRetryPolicy(multicloud.RetryPolicy{MaxAttempts: 12, BaseDelay: 2 * time.Millisecond, MaxDelay: 50 * time.Millisecond}),
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

// request is a one-instance request of user in cn-hangzhou-h.
func request(tenant, user string, opts ...multicloud.RequestOption) *multicloud.CreateInstanceRequest {
	return multicloud.NewCreateInstanceRequest(append([]multicloud.RequestOption{
		multicloud.WithProvider(aliyun.ProviderCode),
		multicloud.WithPlacement("cn-hangzhou", "cn-hangzhou-h"),
		multicloud.WithOwner(tenant, user),
		multicloud.WithName("test-vm"),
		multicloud.WithImage("ubuntu-22.04"),
		multicloud.WithInstanceType("ecs.g7.large"),
	}, opts...)...)
}

// callRecord is one API call seen by a recorder.
type callRecord struct {
	action     string
	query      url.Values
	start, end time.Time
	status     int
}

// recorder is an http.RoundTripper that logs every call's action, query,
// start, end and status.
type recorder struct {
	base http.RoundTripper
	mu   sync.Mutex
	log  []callRecord
}

func newRecorder() *recorder { return &recorder{base: http.DefaultTransport} }

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := callRecord{action: req.URL.Query().Get("Action"), query: req.URL.Query(), start: time.Now()}
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
