package aliyuntest

import (
	"errors"
	"testing"
	"time"

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
// its stock, quotas, faults and call log.
func TestTwoServersOverOneCloud(t *testing.T) {
	a := newClients(t)
	b := newClients(t, WithCloud(a.srv.Cloud()))
	if a.srv.Cloud() != b.srv.Cloud() {
		t.Fatal("WithCloud did not share the cloud")
	}
	n := a.network(t, testRegion)
	a.srv.SetStock(testRegion, n.zone, "ecs.g7.large", 1)
	nb := b.network(t, testRegion)
	if ids := b.run(t, nb, 1); len(ids) != 1 {
		t.Fatalf("got %d instances", len(ids))
	}
	_, err := a.ecs.RunInstances(runRequest(n, 1))
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
	if got, want := b.srv.CallCount("RunInstances"), 2; got != want {
		t.Errorf("RunInstances calls seen through b: %d, want %d", got, want)
	}
}
