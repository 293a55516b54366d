package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	vpcapi "github.com/aliyun/alibaba-cloud-sdk-go/services/vpc"

	"github.com/multicloud-ecs/multicloud/providers/aliyun/aliyuntest"
)

// start runs cloudemu with args on a free loopback port and returns its
// address and the CA file; it is stopped when the test ends.
func start(t *testing.T, args ...string) (addr, caFile string) {
	t.Helper()
	caFile = filepath.Join(t.TempDir(), "ca.pem")
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"-addr", "127.0.0.1:0", "-ca-file", caFile}, args...), pw, io.Discard)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	lines := bufio.NewScanner(pr)
	if !lines.Scan() {
		t.Fatalf("cloudemu printed nothing: %v", <-done)
	}
	addr, ok := strings.CutPrefix(lines.Text(), "cloudemu listening on ")
	if !ok {
		t.Fatalf("got first line %q, want the listening address", lines.Text())
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	return addr, caFile
}

func noProxy(t *testing.T) {
	for _, k := range []string{"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"} {
		t.Setenv(k, "")
	}
}

func ecsClient(t *testing.T, cfg *sdk.Config, domain string) *ecs.Client {
	t.Helper()
	c, err := ecs.NewClientWithOptions("cn-hangzhou", cfg.WithTimeout(20*time.Second),
		credentials.NewStaticAKCredentialsProvider(aliyuntest.DefaultAccessKeyID, aliyuntest.DefaultAccessKeySecret))
	if err != nil {
		t.Fatal(err)
	}
	c.Domain = domain
	return c
}

func describeCount(t *testing.T, c *ecs.Client) int {
	t.Helper()
	req := ecs.CreateDescribeInstancesRequest()
	req.PageSize = requests.NewInteger(100)
	resp, err := c.DescribeInstances(req)
	if err != nil {
		t.Fatalf("DescribeInstances: %v", err)
	}
	return len(resp.Instances.Instance)
}

// TestEndpointHTTPAndHTTPS drives cloudemu with the real SDK pointed at its
// port, over HTTP and over HTTPS with the generated CA.
func TestEndpointHTTPAndHTTPS(t *testing.T) {
	noProxy(t)
	addr, caFile := start(t, "-regions", "cn-hangzhou,cn-shanghai", "-instances", "3")

	if got := describeCount(t, ecsClient(t, sdk.NewConfig().WithScheme("HTTP"), addr)); got != 3 {
		t.Errorf("over HTTP: got %d instances, want 3", got)
	}

	pem, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("CA file %s holds no certificate", caFile)
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	secure := ecsClient(t, sdk.NewConfig().WithScheme("HTTPS").WithHttpTransport(tr), addr)
	if got := describeCount(t, secure); got != 3 {
		t.Errorf("over HTTPS: got %d instances, want 3", got)
	}
	regions, err := secure.DescribeRegions(ecs.CreateDescribeRegionsRequest())
	if err != nil {
		t.Fatalf("DescribeRegions over HTTPS: %v", err)
	}
	if got := len(regions.Regions.Region); got != 2 {
		t.Errorf("got %d regions, want 2", got)
	}

	// A client that does not trust the CA is refused.
	untrusting := ecsClient(t, sdk.NewConfig().WithScheme("HTTPS").WithHttpTransport(&http.Transport{}), addr)
	if _, err := untrusting.DescribeRegions(ecs.CreateDescribeRegionsRequest()); err == nil {
		t.Error("a client without the CA completed an HTTPS call")
	}
}

// TestProxy runs an SDK program in a child process configured only through
// the environment, as a user would: HTTP_PROXY/HTTPS_PROXY at cloudemu and
// SSL_CERT_FILE at its CA, with the SDK's own endpoints.
func TestProxy(t *testing.T) {
	if os.Getenv("CLOUDEMU_PROXY_CHILD") != "" {
		t.Skip("child mode runs only TestProxyChild")
	}
	noProxy(t)
	addr, caFile := start(t, "-regions", "cn-hangzhou", "-instances", "2")
	cmd := exec.Command(os.Args[0], "-test.run=^TestProxyChild$", "-test.v")
	cmd.Env = append(os.Environ(), "CLOUDEMU_PROXY_CHILD=1", "SSL_CERT_FILE="+caFile,
		"HTTP_PROXY=http://"+addr, "HTTPS_PROXY=http://"+addr, "http_proxy=", "https_proxy=", "NO_PROXY=", "no_proxy=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "--- PASS: TestProxyChild") {
		t.Fatalf("child did not pass:\n%s", out)
	}
}

// TestProxyChild is the SDK program of TestProxy.
func TestProxyChild(t *testing.T) {
	if os.Getenv("CLOUDEMU_PROXY_CHILD") == "" {
		t.Skip("run by TestProxy")
	}
	for _, scheme := range []string{"HTTPS", "HTTP"} {
		c := ecsClient(t, sdk.NewConfig().WithScheme(scheme), "")
		if got := describeCount(t, c); got != 2 {
			t.Errorf("ECS over %s proxy: got %d instances, want 2", scheme, got)
		}
		v, err := vpcapi.NewClientWithOptions("cn-hangzhou", sdk.NewConfig().WithScheme(scheme).WithTimeout(20*time.Second),
			credentials.NewStaticAKCredentialsProvider(aliyuntest.DefaultAccessKeyID, aliyuntest.DefaultAccessKeySecret))
		if err != nil {
			t.Fatal(err)
		}
		vpcs, err := v.DescribeVpcs(vpcapi.CreateDescribeVpcsRequest())
		if err != nil {
			t.Fatalf("DescribeVpcs over %s proxy: %v", scheme, err)
		}
		if got := len(vpcs.Vpcs.Vpc); got != 1 {
			t.Errorf("VPC over %s proxy: got %d VPCs, want 1 (the seed's)", scheme, got)
		}
	}
}

// TestSeedFile loads a YAML seed with stock and prices.
func TestSeedFile(t *testing.T) {
	noProxy(t)
	path := filepath.Join(t.TempDir(), "seed.yaml")
	seed := `regions:
  - id: cn-hangzhou
    zones: [cn-hangzhou-h, cn-hangzhou-i]
    priceFactor: 2
instancesPerRegion: 1
stock:
  - {region: cn-hangzhou, zone: cn-hangzhou-h, instanceType: ecs.g7.large, count: 0}
`
	if err := os.WriteFile(path, []byte(seed), 0o644); err != nil {
		t.Fatal(err)
	}
	addr, _ := start(t, "-seed", path)
	c := ecsClient(t, sdk.NewConfig().WithScheme("HTTP"), addr)
	if got := describeCount(t, c); got != 1 {
		t.Errorf("got %d instances, want 1", got)
	}
	req := ecs.CreateDescribeAvailableResourceRequest()
	req.DestinationResource = "InstanceType"
	req.ZoneId = "cn-hangzhou-h"
	req.InstanceType = "ecs.g7.large"
	resp, err := c.DescribeAvailableResource(req)
	if err != nil {
		t.Fatal(err)
	}
	got := ""
	for _, z := range resp.AvailableZones.AvailableZone {
		got = z.StatusCategory
	}
	if got != "WithoutStock" {
		t.Errorf("got zone stock category %q, want WithoutStock", got)
	}
	if _, err := loadSeed(writeTemp(t, "bad.json", `{"regions":[{"id":"x"}],"nope":1}`)); err == nil {
		t.Error("loadSeed accepted an unknown field")
	}
}

func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSeedFileStockAnswers: the seed file turns on the simulated cloud's
// wrong stock answers and sold-out episodes.
func TestSeedFileStockAnswers(t *testing.T) {
	noProxy(t)
	path := writeTemp(t, "seed.yaml", `regions:
  - {id: cn-hangzhou, zones: [cn-hangzhou-h]}
stock:
  - {region: cn-hangzhou, zone: cn-hangzhou-h, instanceType: ecs.g7.large, count: 0}
wrongStockRate: 1
soldOutEpisodes: {fraction: 0, period: 10m}
`)
	addr, _ := start(t, "-seed", path)
	c := ecsClient(t, sdk.NewConfig().WithScheme("HTTP"), addr)
	req := ecs.CreateDescribeAvailableResourceRequest()
	req.DestinationResource = "InstanceType"
	req.ZoneId = "cn-hangzhou-h"
	req.InstanceType = "ecs.g7.large"
	resp, err := c.DescribeAvailableResource(req)
	if err != nil {
		t.Fatal(err)
	}
	got := ""
	for _, z := range resp.AvailableZones.AvailableZone {
		got = z.StatusCategory
	}
	if got != "WithStock" {
		t.Errorf("sold-out type with a wrong-stock rate of 1: got %q, want WithStock", got)
	}
	bad := &seedFile{SoldOutEpisodes: &seedEpisodes{Fraction: 0.5, Period: "soon"}}
	if err := bad.apply(aliyuntest.New()); err == nil {
		t.Error("apply accepted a period that is no duration")
	}
}
