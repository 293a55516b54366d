package aliyuntest

import (
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"

	"github.com/multicloud-ecs/multicloud/providers/sim"
)

// TestSoldOutEpisodesAndWrongStock: the emulator answers the simulated
// cloud's seeded sold-out episodes and wrong stock answers, and RunInstances
// fails on both.
func TestSoldOutEpisodesAndWrongStock(t *testing.T) {
	clk := newFakeClock()
	c := newClients(t, WithRandSeed(5), WithClock(clk.Now))
	n := c.network(t, testRegion)
	c.srv.SetSoldOutEpisodes(0.5, time.Minute)
	soldOut := func() (out []string) {
		for typ, st := range availability(t, c, n.zone, "PostPaid", "") {
			if typ != "zone" && st == "SoldOut/WithoutStock" {
				out = append(out, typ)
			}
		}
		return out
	}
	first := soldOut()
	if len(first) == 0 || len(first) == len(instanceTypes) {
		t.Fatalf("%d of %d types in an episode at 0.5, want some", len(first), len(instanceTypes))
	}
	r := runRequest(n, 1)
	r.InstanceType = first[0]
	_, err := c.ecs.RunInstances(r)
	wantCode(t, err, "OperationDenied.NoStock", 403)

	c.srv.SetSoldOutEpisodes(0, 0)
	c.srv.SetStock(testRegion, n.zone, "ecs.g7.large", 0)
	c.srv.SetWrongStockRate(1)
	if got := availability(t, c, n.zone, "PostPaid", "")["ecs.g7.large"]; got != "Available/WithStock" {
		t.Errorf("wrong answer: got %s, want Available/WithStock", got)
	}
	_, err = c.ecs.RunInstances(runRequest(n, 1))
	wantCode(t, err, "OperationDenied.NoStock", 403)
}

// TestTwoServersOverOneCloud: two emulators built over one sim.Cloud share
// its resources, stock, quotas, faults and call log.
func TestTwoServersOverOneCloud(t *testing.T) {
	a := newClients(t)
	b := newClients(t, WithCloud(a.srv.Cloud()))
	if a.srv.Cloud() != b.srv.Cloud() {
		t.Fatal("WithCloud did not share the cloud")
	}
	n := a.network(t, testRegion)
	a.srv.SetStock(testRegion, n.zone, "ecs.g7.large", 1)
	nb := b.network(t, testRegion)
	ids := b.run(t, nb, 1)
	if len(ids) != 1 {
		t.Fatalf("got %d instances", len(ids))
	}
	// Each server serves the other's resources.
	if got := a.describe(t, ids...); len(got) != 1 || got[0].VpcAttributes.VSwitchId != nb.vswID {
		t.Errorf("instance created through b, described through a: %+v", got)
	}
	del := ecs.CreateDeleteInstanceRequest()
	del.InstanceId, del.Force = ids[0], requests.NewBoolean(true)
	_, err := a.ecs.DeleteInstance(del)
	must(t, err)
	if got := b.describe(t, ids...); len(got) != 0 {
		t.Errorf("instance deleted through a, still described through b: %+v", got)
	}
	if ids = b.run(t, nb, 1); len(ids) != 1 {
		t.Fatalf("the deleted instance's stock did not come back: got %d instances", len(ids))
	}
	_, err = a.ecs.RunInstances(runRequest(n, 1))
	wantCode(t, err, "OperationDenied.NoStock", 403)

	b.srv.InjectFault(sim.Fault{Action: "DescribeRegions", Class: sim.ClassThrottled, Count: 1})
	_, err = a.ecs.DescribeRegions(ecs.CreateDescribeRegionsRequest())
	wantCode(t, err, "Throttling.User", 400)
	calls := a.srv.Calls()
	last := calls[len(calls)-1]
	var e *apiError
	if last.Action != "DescribeRegions" || !errors.As(last.Err, &e) || e.code != "Throttling.User" {
		t.Errorf("last call %+v, want the throttled DescribeRegions", last)
	}
	if got, want := b.srv.CallCount("RunInstances"), 3; got != want {
		t.Errorf("RunInstances calls seen through b: %d, want %d", got, want)
	}
}

// TestCloudPrice: a price set on the simulated cloud is the list price
// DescribePrice answers, in the cloud's currency.
func TestCloudPrice(t *testing.T) {
	c := newClients(t, WithCurrency("USD"))
	c.srv.Cloud().SetPrice("ecs.g7.large", 2.5)
	pr := ecs.CreateDescribePriceRequest()
	pr.InstanceType = "ecs.g7.large"
	p, err := c.ecs.DescribePrice(pr)
	must(t, err)
	var got float64
	for _, d := range p.PriceInfo.Price.DetailInfos.DetailInfo {
		if d.Resource == "instanceType" {
			got = d.OriginalPrice
		}
	}
	if got != 2.5 || p.PriceInfo.Price.Currency != "USD" {
		t.Errorf("instance type price %v %s, want 2.5 USD", got, p.PriceInfo.Price.Currency)
	}
}

// TestTrailLimitKeepsPaging: a LookupEvents NextToken whose events the
// bounded trail dropped continues with the events left.
func TestTrailLimitKeepsPaging(t *testing.T) {
	c := newClients(t, WithTrailLimit(3))
	n := c.network(t, testRegion)
	for range 4 {
		c.run(t, n, 1)
	}
	lookup := func(token string) (names []string, next string) {
		t.Helper()
		v := url.Values{"Action": {"LookupEvents"}, "Version": {ActionTrailVersion}, "RegionId": {testRegion},
			"SignatureType": {""}, "Timestamp": {time.Now().UTC().Format(timestampLayout)}, "SignatureNonce": {newNonce()},
			"MaxResults": {"2"}, "Direction": {"FORWARD"}}
		if token != "" {
			v.Set("NextToken", token)
		}
		SignParams(http.MethodPost, v, DefaultAccessKeyID, DefaultAccessKeySecret)
		status, body := rawCall(t, c.srv.Client(), c.srv.URL(), v)
		if status != 200 {
			t.Fatalf("LookupEvents: %d %v", status, body)
		}
		for _, e := range body["Events"].([]any) {
			names = append(names, e.(map[string]any)["resourceName"].(string))
		}
		next, _ = body["NextToken"].(string)
		return names, next
	}
	events := c.srv.Cloud().Events()
	if len(events) != 3 {
		t.Fatalf("trail holds %d events, want 3", len(events))
	}
	first, next := lookup("")
	if len(first) != 2 || next == "" || first[0] != events[0].Resources[0] {
		t.Fatalf("first page %v (next %q), want the two oldest of %d", first, next, len(events))
	}
	// Three more events drop every event the first page returned.
	for range 3 {
		c.run(t, n, 1)
	}
	rest, next := lookup(next)
	events = c.srv.Cloud().Events()
	if len(rest) != 2 || rest[0] != events[0].Resources[0] || next == "" {
		t.Errorf("after the drop: %v (next %q), want the two oldest left", rest, next)
	}
}

// TestSweepAttrs: the emulator drops its attributes of an instance another
// face deleted, and keeps those of live ones.
func TestSweepAttrs(t *testing.T) {
	c := newClients(t)
	n := c.network(t, testRegion)
	ids := c.run(t, n, 2)
	if err := c.srv.Cloud().RemoveInstance(ids[0]); err != nil {
		t.Fatal(err)
	}
	c.srv.mu.Lock()
	defer c.srv.mu.Unlock()
	c.srv.st.creates = sweepEvery - 1
	c.srv.st.sweepAttrs()
	if _, ok := c.srv.st.ecs[ids[0]]; ok {
		t.Error("attributes of the deleted instance kept")
	}
	if _, ok := c.srv.st.ecs[ids[1]]; !ok {
		t.Error("attributes of the live instance dropped")
	}
	if _, ok := c.srv.st.vpcx[n.vpcID]; !ok {
		t.Error("attributes of the live VPC dropped")
	}
}
