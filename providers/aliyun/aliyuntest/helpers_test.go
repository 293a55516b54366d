package aliyuntest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	vpcapi "github.com/aliyun/alibaba-cloud-sdk-go/services/vpc"
)

const testRegion = "cn-hangzhou"

// noProxy keeps the SDK from sending loopback requests to an environment proxy.
func noProxy(t testing.TB) {
	t.Helper()
	for _, k := range []string{"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"} {
		t.Setenv(k, "")
	}
	t.Setenv("NO_PROXY", "127.0.0.1")
}

// newServer starts a server closed at the end of the test.
func newServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	noProxy(t)
	srv := NewServer(opts...)
	t.Cleanup(srv.Close)
	return srv
}

func sdkConfig() *sdk.Config {
	return sdk.NewConfig().WithScheme("HTTP").WithTimeout(20 * time.Second)
}

func newECS(t testing.TB, srv *Server, id, secret string) *ecs.Client {
	t.Helper()
	c, err := ecs.NewClientWithOptions(testRegion, sdkConfig(), credentials.NewStaticAKCredentialsProvider(id, secret))
	if err != nil {
		t.Fatalf("ecs.NewClientWithOptions: %v", err)
	}
	c.Domain = srv.Host()
	return c
}

func newVPC(t testing.TB, srv *Server) *vpcapi.Client {
	t.Helper()
	c, err := vpcapi.NewClientWithOptions(testRegion, sdkConfig(), credentials.NewStaticAKCredentialsProvider(DefaultAccessKeyID, DefaultAccessKeySecret))
	if err != nil {
		t.Fatalf("vpcapi.NewClientWithOptions: %v", err)
	}
	c.Domain = srv.Host()
	return c
}

// clients bundles SDK clients talking to one server.
type clients struct {
	srv *Server
	ecs *ecs.Client
	vpc *vpcapi.Client
}

func newClients(t testing.TB, opts ...Option) *clients {
	t.Helper()
	srv := newServer(t, opts...)
	return &clients{srv: srv, ecs: newECS(t, srv, DefaultAccessKeyID, DefaultAccessKeySecret), vpc: newVPC(t, srv)}
}

// serverError returns the SDK server error in err, failing the test if err is
// nil or of another kind.
func serverError(t testing.TB, err error) *sdkerrors.ServerError {
	t.Helper()
	var se *sdkerrors.ServerError
	if !errors.As(err, &se) {
		t.Fatalf("got error %v, want *errors.ServerError", err)
	}
	return se
}

// wantCode checks that err is a server error with code and status.
func wantCode(t testing.TB, err error, code string, status int) {
	t.Helper()
	if err == nil {
		t.Fatalf("got nil error, want %s (%d)", code, status)
	}
	se := serverError(t, err)
	if se.ErrorCode() != code || se.HttpStatus() != status {
		t.Fatalf("got %s (%d) %q, want %s (%d)", se.ErrorCode(), se.HttpStatus(), se.Message(), code, status)
	}
}

// errCodeOf returns the error code of err, "" for nil.
func errCodeOf(t testing.TB, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	return serverError(t, err).ErrorCode()
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// network is a VPC with one Available vSwitch and a security group.
type network struct {
	vpcID, vswID, sgID, zone string
}

func (c *clients) network(t testing.TB, region string) network {
	t.Helper()
	return c.networkAdvancing(t, region, func() {})
}

// networkAdvancing is network for servers with a transition delay: advance
// moves the clock past each Pending state.
func (c *clients) networkAdvancing(t testing.TB, region string, advance func()) network {
	t.Helper()
	cv := vpcapi.CreateCreateVpcRequest()
	cv.RegionId = region
	cv.CidrBlock = "192.168.0.0/16"
	cv.VpcName = "test-vpc"
	rv, err := c.vpc.CreateVpc(cv)
	must(t, err)
	advance()
	zone := c.srv.st.regions[region].zones[0]
	cw := vpcapi.CreateCreateVSwitchRequest()
	cw.RegionId = region
	cw.VpcId = rv.VpcId
	cw.ZoneId = zone
	cw.CidrBlock = "192.168.1.0/24"
	rw, err := c.vpc.CreateVSwitch(cw)
	must(t, err)
	advance()
	cs := ecs.CreateCreateSecurityGroupRequest()
	cs.RegionId = region
	cs.VpcId = rv.VpcId
	cs.SecurityGroupName = "test-sg"
	rs, err := c.ecs.CreateSecurityGroup(cs)
	must(t, err)
	return network{vpcID: rv.VpcId, vswID: rw.VSwitchId, sgID: rs.SecurityGroupId, zone: zone}
}

// runRequest returns a valid RunInstances request on n.
func runRequest(n network, amount int) *ecs.RunInstancesRequest {
	r := ecs.CreateRunInstancesRequest()
	r.ImageId = "ubuntu_22_04_x64_20G_alibase_20230815.vhd"
	r.InstanceType = "ecs.g7.large"
	r.VSwitchId = n.vswID
	r.SecurityGroupId = n.sgID
	r.Amount = requests.NewInteger(amount)
	return r
}

func (c *clients) run(t testing.TB, n network, amount int) []string {
	t.Helper()
	resp, err := c.ecs.RunInstances(runRequest(n, amount))
	must(t, err)
	return resp.InstanceIdSets.InstanceIdSet
}

func (c *clients) describe(t testing.TB, ids ...string) []ecs.Instance {
	t.Helper()
	r := ecs.CreateDescribeInstancesRequest()
	b, _ := json.Marshal(ids)
	r.InstanceIds = string(b)
	r.PageSize = requests.NewInteger(100)
	resp, err := c.ecs.DescribeInstances(r)
	must(t, err)
	return resp.Instances.Instance
}

func (c *clients) status(t testing.TB, id string) string {
	t.Helper()
	got := c.describe(t, id)
	if len(got) != 1 {
		t.Fatalf("DescribeInstances(%s) returned %d instances, want 1", id, len(got))
	}
	return got[0].Status
}

// rawCall sends a request built and signed by hand and decodes the body.
func rawCall(t testing.TB, client *http.Client, target string, v url.Values) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, target+"/?"+v.Encode(), nil)
	must(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := client.Do(req)
	must(t, err)
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("decoding body: %v", err)
	}
	return resp.StatusCode, body
}

// signedParams returns signed parameters for action at ts with nonce.
func signedParams(action, version string, ts time.Time, nonce, secret string) url.Values {
	v := url.Values{
		"Action": {action}, "Version": {version}, "RegionId": {testRegion}, "SignatureType": {""},
		"Timestamp": {ts.UTC().Format(timestampLayout)}, "SignatureNonce": {nonce},
	}
	SignParams(http.MethodPost, v, DefaultAccessKeyID, secret)
	return v
}

func newNonce() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// fakeClock is a settable clock starting at the real time.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Now()} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func jsonIDs(ids ...string) string {
	b, _ := json.Marshal(ids)
	return string(b)
}

func hasPrefix(s, p string) bool { return strings.HasPrefix(s, p) }
