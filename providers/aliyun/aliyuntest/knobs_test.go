package aliyuntest

import (
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	vpcapi "github.com/aliyun/alibaba-cloud-sdk-go/services/vpc"
	"github.com/google/go-cmp/cmp"
	"github.com/multicloud-ecs/multicloud/providers/sim"
)

func TestThrottling(t *testing.T) {
	c := newClients(t)
	c.srv.SetQPS("DescribeRegions", 1)
	_, err := c.ecs.DescribeRegions(ecs.CreateDescribeRegionsRequest())
	must(t, err)
	_, err = c.ecs.DescribeRegions(ecs.CreateDescribeRegionsRequest())
	wantCode(t, err, "Throttling.User", 400)
	if msg := serverError(t, err).Message(); msg != "Request was denied due to user flow control." {
		t.Errorf("got message %q", msg)
	}
	// Other actions have their own buckets.
	_, err = c.ecs.DescribeZones(ecs.CreateDescribeZonesRequest())
	must(t, err)
	// The bucket refills.
	time.Sleep(1100 * time.Millisecond)
	_, err = c.ecs.DescribeRegions(ecs.CreateDescribeRegionsRequest())
	must(t, err)
	c.srv.SetQPS("DescribeRegions", 0)
	for i := 0; i < 5; i++ {
		_, err = c.ecs.DescribeRegions(ecs.CreateDescribeRegionsRequest())
		must(t, err)
	}
	if got := c.srv.CallCount("DescribeRegions"); got != 8 {
		t.Errorf("got %d DescribeRegions calls, want 8 (throttled ones count)", got)
	}
}

func TestFaultsByCount(t *testing.T) {
	c := newClients(t)
	c.srv.InjectFault(sim.Fault{Action: "DescribeRegions", Code: "ServiceUnavailable", Count: 2})
	var got []string
	for i := 0; i < 3; i++ {
		_, err := c.ecs.DescribeRegions(ecs.CreateDescribeRegionsRequest())
		got = append(got, errCodeOf(t, err))
	}
	if diff := cmp.Diff([]string{"ServiceUnavailable", "ServiceUnavailable", ""}, got); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	c.srv.InjectFault(sim.Fault{Code: "InternalError"})
	_, err := c.vpc.DescribeVpcs(vpcapi.CreateDescribeVpcsRequest())
	wantCode(t, err, "InternalError", 500)
	c.srv.ClearFaults()
	_, err = c.vpc.DescribeVpcs(vpcapi.CreateDescribeVpcsRequest())
	must(t, err)
}

func TestFaultsByRate(t *testing.T) {
	count := func(seed uint64) int {
		c := newClients(t, WithRandSeed(seed))
		c.srv.InjectFault(sim.Fault{Action: "DescribeRegions", Code: "Throttling", Rate: 0.3})
		failed := 0
		for i := 0; i < 200; i++ {
			if _, err := c.ecs.DescribeRegions(ecs.CreateDescribeRegionsRequest()); err != nil {
				wantCode(t, err, "Throttling", 400)
				failed++
			}
		}
		return failed
	}
	a, b := count(7), count(7)
	if a != b {
		t.Errorf("same seed: got %d and %d failures, want equal", a, b)
	}
	if a < 30 || a > 90 {
		t.Errorf("got %d/200 failures at rate 0.3, want about 60", a)
	}
}

// TestFaultAfterCalls fails one region on the third page of a listing.
func TestFaultAfterCalls(t *testing.T) {
	c := newClients(t)
	c.srv.Seed(SeedSpec{Regions: []string{"cn-hangzhou", "cn-beijing"}, InstancesPerRegion: 50})
	c.srv.InjectFault(sim.Fault{Action: "DescribeInstances", Region: "cn-beijing", Code: "ServiceUnavailable", AfterCalls: 2, Count: 1})
	list := func(region string) (pages int, err error) {
		token := ""
		for {
			r := ecs.CreateDescribeInstancesRequest()
			r.RegionId = region
			r.MaxResults = requests.NewInteger(10)
			r.NextToken = token
			resp, err := c.ecs.DescribeInstances(r)
			if err != nil {
				return pages, err
			}
			pages++
			if token = resp.NextToken; token == "" {
				return pages, nil
			}
		}
	}
	if pages, err := list("cn-hangzhou"); err != nil || pages != 5 {
		t.Errorf("cn-hangzhou: got %d pages, %v; want 5 pages", pages, err)
	}
	pages, err := list("cn-beijing")
	wantCode(t, err, "ServiceUnavailable", 503)
	if pages != 2 {
		t.Errorf("cn-beijing: failed after %d pages, want 2", pages)
	}
	if pages, err := list("cn-beijing"); err != nil || pages != 5 {
		t.Errorf("cn-beijing retry: got %d pages, %v; want 5 pages", pages, err)
	}
}

func TestLatency(t *testing.T) {
	c := newClients(t, WithLatency(20*time.Millisecond))
	c.srv.SetLatency("DescribeZones", 0) // falls back to the default
	c.srv.SetLatency("DescribeRegions", 80*time.Millisecond)
	for _, tc := range []struct {
		call func() error
		min  time.Duration
	}{
		{func() error { _, err := c.ecs.DescribeZones(ecs.CreateDescribeZonesRequest()); return err }, 20 * time.Millisecond},
		{func() error { _, err := c.ecs.DescribeRegions(ecs.CreateDescribeRegionsRequest()); return err }, 80 * time.Millisecond},
	} {
		start := time.Now()
		must(t, tc.call())
		if d := time.Since(start); d < tc.min {
			t.Errorf("got %v, want at least %v", d, tc.min)
		}
	}
	calls := c.srv.Cloud().CallCounts()
	if diff := cmp.Diff(map[string]int{"DescribeZones": 1, "DescribeRegions": 1}, calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	c.srv.ResetCalls()
	if got := c.srv.CallCount(""); got != 0 {
		t.Errorf("after ResetCalls: got %d actions, want 0", got)
	}
}

func TestUnconfirmedBehaviourOptions(t *testing.T) {
	c := newClients(t, WithThrottlingStatus(429), WithUnknownAccessKeyStatus(400), WithCurrency("USD"),
		WithVSwitchPageSizeMax(100), WithEIPRefusedInstanceStatuses("Stopped"))
	c.srv.SetQPS("", 1)
	_, err := c.ecs.DescribeRegions(ecs.CreateDescribeRegionsRequest())
	must(t, err)
	_, err = c.ecs.DescribeRegions(ecs.CreateDescribeRegionsRequest())
	wantCode(t, err, "Throttling.User", 429)
	c.srv.SetQPS("", 0)

	_, err = newECS(t, c.srv, "nobody", "x").DescribeRegions(ecs.CreateDescribeRegionsRequest())
	wantCode(t, err, "InvalidAccessKeyId.NotFound", 400)

	pr := ecs.CreateDescribePriceRequest()
	pr.InstanceType = "ecs.g7.large"
	p, err := c.ecs.DescribePrice(pr)
	must(t, err)
	if p.PriceInfo.Price.Currency != "USD" {
		t.Errorf("got currency %s, want USD", p.PriceInfo.Price.Currency)
	}

	vr := vpcapi.CreateDescribeVSwitchesRequest()
	vr.PageSize = requests.NewInteger(100)
	_, err = c.vpc.DescribeVSwitches(vr)
	must(t, err)

	n := c.network(t, testRegion)
	id := c.run(t, n, 1)[0]
	must(t, c.srv.SetInstanceStatus(id, "Stopped"))
	e, err := c.vpc.AllocateEipAddress(vpcapi.CreateAllocateEipAddressRequest())
	must(t, err)
	a := vpcapi.CreateAssociateEipAddressRequest()
	a.AllocationId, a.InstanceId = e.AllocationId, id
	_, err = c.vpc.AssociateEipAddress(a)
	wantCode(t, err, "IncorrectInstanceStatus", 400)
}
