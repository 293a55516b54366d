package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/inventory"
	"github.com/multicloud-ecs/multicloud/inventory/httpapi"
	"github.com/multicloud-ecs/multicloud/pricing"
	"golang.org/x/time/rate"
)

const (
	token      = "test-token-0123456789"
	goodSecret = "s3cr3t-VALUE-never-shown"
)

// cloud is a Discoverer over fixed regions. Region "bad-region" fails
// with a cloud error, "throttled-region" with throttling, "down-region"
// as unreachable. While gate is non-nil, listings wait for it to close.
type cloud struct {
	mu      sync.Mutex
	regions map[string][]inventory.Asset
	gate    chan struct{}
}

func newCloud() *cloud {
	c := &cloud{regions: map[string][]inventory.Asset{}}
	for _, r := range []string{"cn-hangzhou", "cn-shenzhen"} {
		for i := range 5 {
			c.regions[r] = append(c.regions[r], instance(r, i))
		}
	}
	return c
}

func instance(region string, i int) inventory.Asset {
	id := fmt.Sprintf("i-%s-%d", region, i)
	status := []string{"Running", "Stopped"}[i%2]
	m := inventory.ECSMetadata{InstanceID: id, InstanceName: fmt.Sprintf("web-%d", i), Status: status, Region: region,
		Zone: region + "-a", InstanceType: "ecs.g6.large", CPU: 2, Memory: 8192, OSType: "linux",
		PublicIP: []string{"47.1.2." + fmt.Sprint(i), "47.9.9.9"}, PrivateIP: []string{"172.16.0." + fmt.Sprint(i)},
		ChargeType: "PostPaid", IOOptimized: i%2 == 0, Tags: []inventory.Tag{{Key: "env", Value: "prod"}},
		CreationTime: time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC), Provider: "aliyun"}
	a := inventory.Asset{AssetID: id, AssetName: m.InstanceName, Zone: m.Zone, Status: status, Tags: m.Tags}
	if err := a.SetMetadata(m); err != nil {
		panic(err)
	}
	return a
}

func (c *cloud) Regions(context.Context, inventory.CallFunc) ([]string, error) {
	return []string{"cn-hangzhou", "cn-shenzhen"}, nil
}

func (c *cloud) Discover(ctx context.Context, region, _ string, call inventory.CallFunc, emit func(context.Context, []inventory.Asset) error) error {
	c.mu.Lock()
	gate := c.gate
	page := append([]inventory.Asset(nil), c.regions[region]...)
	c.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return call(ctx, "DescribeInstances", func(ctx context.Context) error {
		switch region {
		case "bad-region":
			return &multicloud.Error{Op: "DescribeInstances", Provider: "aliyun", Region: region, Code: multicloud.CodeUnknown,
				ProviderCode: "InternalError", Message: "the cloud failed"}
		case "throttled-region":
			return &multicloud.Error{Op: "DescribeInstances", Provider: "aliyun", Region: region, Code: multicloud.CodeThrottled,
				ProviderCode: "Throttling.User", Message: "request was denied due to user flow control"}
		case "down-region":
			return &multicloud.Error{Op: "DescribeInstances", Provider: "aliyun", Region: region, Code: multicloud.CodeUnavailable,
				Message: "connection refused"}
		}
		if len(page) == 0 {
			return nil
		}
		return emit(ctx, page)
	})
}

func (c *cloud) hold() func() {
	g := make(chan struct{})
	c.mu.Lock()
	c.gate = g
	c.mu.Unlock()
	return func() {
		c.mu.Lock()
		c.gate = nil
		c.mu.Unlock()
		close(g)
	}
}

// quoter prices every type at 0.5 an hour.
type quoter struct{ calls atomic.Int64 }

func (q *quoter) Quote(_ context.Context, r pricing.Request) (*pricing.Quote, error) {
	q.calls.Add(1)
	return &pricing.Quote{Provider: r.Provider, Region: r.Region, InstanceType: r.InstanceType, Quantity: 1, Currency: "CNY",
		Hourly: pricing.Breakdown{Instance: 0.5, Total: 0.5}}, nil
}

// guardedStore counts the calls that reach the store.
type guardedStore struct {
	*inventory.MemStore
	calls atomic.Int64
}

func (g *guardedStore) GetAccount(ctx context.Context, id string) (*inventory.StoredAccount, error) {
	g.calls.Add(1)
	return g.MemStore.GetAccount(ctx, id)
}
func (g *guardedStore) ListAccounts(ctx context.Context) ([]inventory.StoredAccount, error) {
	g.calls.Add(1)
	return g.MemStore.ListAccounts(ctx)
}
func (g *guardedStore) CreateAccount(ctx context.Context, a *inventory.StoredAccount) error {
	g.calls.Add(1)
	return g.MemStore.CreateAccount(ctx, a)
}
func (g *guardedStore) UpdateAccount(ctx context.Context, a *inventory.StoredAccount) error {
	g.calls.Add(1)
	return g.MemStore.UpdateAccount(ctx, a)
}
func (g *guardedStore) QueryAssets(ctx context.Context, f inventory.Filter) ([]inventory.Asset, int, error) {
	g.calls.Add(1)
	return g.MemStore.QueryAssets(ctx, f)
}
func (g *guardedStore) Statistics(ctx context.Context, f inventory.StatsFilter) (*inventory.Statistics, error) {
	g.calls.Add(1)
	return g.MemStore.Statistics(ctx, f)
}

// exchange is one request and its answer, for the OpenAPI check.
type exchange struct {
	method, path, query string
	reqHeader           http.Header
	reqBody             []byte
	status              int
	header              http.Header
	body                []byte
}

// env is a decoded envelope.
type env struct {
	Code int             `json:"code"`
	Msg  string          `json:"msg"`
	Data json.RawMessage `json:"data"`
}

// server is the API on httptest with everything it talked.
type server struct {
	t     *testing.T
	url   string
	cloud *cloud
	store *guardedStore
	h     *httpapi.Handler

	mu        sync.Mutex
	exchanges []exchange
}

// newServer serves a Handler with the token's auth and the options
// extra returns for its service.
func newServer(t *testing.T, extra ...func(*inventory.Service) httpapi.Option) *server {
	t.Helper()
	key := bytes.Repeat([]byte{7}, 32)
	kp, err := inventory.NewAESGCMKeyProvider(key)
	if err != nil {
		t.Fatal(err)
	}
	c := newCloud()
	store := &guardedStore{MemStore: inventory.NewMemStore()}
	connect := func(_ context.Context, acct inventory.CloudAccount, secret multicloud.Secret) (inventory.Discoverer, error) {
		if secret.Reveal() != goodSecret {
			return nil, &multicloud.Error{Op: "Connect", Provider: "aliyun", Code: multicloud.CodePermissionDenied,
				ProviderCode: "SignatureDoesNotMatch", Message: "signature mismatch"}
		}
		return c, nil
	}
	svc, err := inventory.New(store, inventory.WithKeyProvider(kp), inventory.WithConnector("aliyun", connect),
		inventory.WithRateLimit(rate.Inf, 1), inventory.WithRetry(multicloud.RetryPolicy{MaxAttempts: 1}),
		inventory.WithQuoter("aliyun", &quoter{}))
	if err != nil {
		t.Fatal(err)
	}
	opts := []httpapi.Option{httpapi.WithAuth(httpapi.BearerToken(token))}
	for _, f := range extra {
		opts = append(opts, f(svc))
	}
	h, err := httpapi.New(svc, opts...)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(func() {
		ts.Close()
		h.Close()
	})
	return &server{t: t, url: ts.URL, cloud: c, store: store, h: h}
}

// do sends a request with the token (unless header sets Authorization)
// and returns the status and envelope.
func (s *server) do(method, path, body string, header ...string) (int, env) {
	s.t.Helper()
	status, raw, _ := s.raw(method, path, body, header...)
	var e env
	if err := json.Unmarshal(raw, &e); err != nil {
		s.t.Fatalf("%s %s: body %q is not an envelope: %v", method, path, raw, err)
	}
	return status, e
}

func (s *server) raw(method, path, body string, header ...string) (int, []byte, http.Header) {
	s.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.url+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	s.mu.Lock()
	s.exchanges = append(s.exchanges, exchange{method: method, path: req.URL.Path, query: req.URL.RawQuery,
		reqHeader: req.Header.Clone(), reqBody: []byte(body), status: resp.StatusCode, header: resp.Header, body: b})
	s.mu.Unlock()
	return resp.StatusCode, b, resp.Header
}

// data decodes an envelope's data into v.
func data[T any](t *testing.T, e env) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(e.Data, &v); err != nil {
		t.Fatalf("data %s: %v", e.Data, err)
	}
	return v
}

// want checks a status and envelope code.
func want(t *testing.T, what string, status int, e env, wantStatus, wantCode int) {
	t.Helper()
	if status != wantStatus || e.Code != wantCode {
		t.Fatalf("%s: got %d code %d (%s), want %d code %d", what, status, e.Code, e.Msg, wantStatus, wantCode)
	}
	if wantCode == 0 && e.Msg != "success" || wantCode != 0 && (e.Msg == "" || string(e.Data) != "null") {
		t.Fatalf("%s: envelope msg %q data %s", what, e.Msg, e.Data)
	}
}

const accountBody = `{"name":"prod","provider":"aliyun","environment":"production","access_key_id":"LTAI5tExampleKeyID",
	"access_key_secret":"` + goodSecret + `","region":"cn-hangzhou","description":"main account",
	"config":{"enable_auto_sync":false,"sync_interval":3600,"supported_regions":["cn-hangzhou","cn-shenzhen"],"supported_asset_types":["ecs"]}}`

// createAccount creates the account of accountBody and returns its ID.
func (s *server) createAccount() string {
	s.t.Helper()
	status, e := s.do("POST", "/api/v1/cam/cloud-accounts", accountBody)
	want(s.t, "create account", status, e, 201, 0)
	return data[inventory.CloudAccount](s.t, e).ID
}

// waitJob polls a job until it ends.
func (s *server) waitJob(id string) httpapi.Job {
	s.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		status, e := s.do("GET", "/api/v1/cam/sync-jobs/"+id, "")
		want(s.t, "get job", status, e, 200, 0)
		j := data[httpapi.Job](s.t, e)
		if j.Status != httpapi.JobRunning {
			return j
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("job %s still running", id)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
