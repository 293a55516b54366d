package aliyuntest

import (
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
)

// TestSystemEvents runs system events and reads them back through
// DescribeInstanceHistoryEvents: their effect on the instances, no trail
// event, the default and explicit status filters, the type and
// publication-time filters, and both ways of paging.
func TestSystemEvents(t *testing.T) {
	clk := newFakeClock()
	c := newClients(t, WithClock(clk.Now))
	n := c.network(t, testRegion)
	resp, err := c.ecs.RunInstances(runRequest(n, 25))
	must(t, err)
	ids := resp.InstanceIdSets.InstanceIdSet
	trail := c.srv.TrailEvents()

	start := clk.Now().UTC().Truncate(time.Second)
	clk.Advance(time.Minute)
	for _, id := range ids[:20] {
		if _, err := c.srv.RunSystemEvent(id, "SystemMaintenance.Reboot"); err != nil {
			t.Fatal(err)
		}
	}
	clk.Advance(time.Hour)
	mid := clk.Now().UTC().Truncate(time.Second)
	clk.Advance(time.Minute)
	stopped, released := ids[20], ids[21]
	if _, err := c.srv.RunSystemEvent(stopped, "InstanceExpiration.Stop"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.srv.RunSystemEvent(released, "AccountUnbalanced.Delete"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.srv.RunSystemEvent(ids[22], "NoSuch.Event"); err == nil {
		t.Error("RunSystemEvent of an unknown type: no error")
	}
	if got := c.srv.TrailEvents(); got != trail {
		t.Errorf("trail events: %d after system events, want %d (the trail does not record them)", got, trail)
	}
	st := ecs.CreateDescribeInstancesRequest()
	st.RegionId, st.InstanceIds = testRegion, jsonIDs(stopped, released)
	sr, err := c.ecs.DescribeInstances(st)
	must(t, err)
	if len(sr.Instances.Instance) != 1 || sr.Instances.Instance[0].InstanceId != stopped || sr.Instances.Instance[0].Status != "Stopped" {
		t.Errorf("after the events: %+v, want only %s, Stopped", sr.Instances.Instance, stopped)
	}

	call := func(set func(r *ecs.DescribeInstanceHistoryEventsRequest)) *ecs.DescribeInstanceHistoryEventsResponse {
		t.Helper()
		r := ecs.CreateDescribeInstanceHistoryEventsRequest()
		r.RegionId = testRegion
		set(r)
		out, err := c.ecs.DescribeInstanceHistoryEvents(r)
		must(t, err)
		return out
	}
	// Default statuses (the inactive ones, Executed among them), PageSize 10.
	all := call(func(r *ecs.DescribeInstanceHistoryEventsRequest) {})
	if all.TotalCount != 22 || len(all.InstanceSystemEventSet.InstanceSystemEventType) != 10 || all.PageSize != 10 {
		t.Errorf("default query: total %d, %d on the page of %d; want 22, 10, 10", all.TotalCount,
			len(all.InstanceSystemEventSet.InstanceSystemEventType), all.PageSize)
	}
	e := all.InstanceSystemEventSet.InstanceSystemEventType[0]
	if e.EventType.Name != "SystemMaintenance.Reboot" || e.EventCycleStatus.Name != "Executed" || e.InstanceId != ids[0] ||
		e.EventPublishTime != start.Add(time.Minute).Format("2006-01-02T15:04:05Z") || e.EventFinishTime == "" {
		t.Errorf("first event: %+v", e)
	}
	// Only scheduled ones: none.
	if r := call(func(r *ecs.DescribeInstanceHistoryEventsRequest) { r.EventCycleStatus = "Scheduled" }); r.TotalCount != 0 {
		t.Errorf("Scheduled: %d events, want 0", r.TotalCount)
	}
	// By type, and by publication time.
	types := []string{"InstanceExpiration.Stop", "AccountUnbalanced.Delete"}
	if r := call(func(r *ecs.DescribeInstanceHistoryEventsRequest) { r.InstanceEventType = &types }); r.TotalCount != 2 {
		t.Errorf("by type: %d events, want 2", r.TotalCount)
	}
	late := call(func(r *ecs.DescribeInstanceHistoryEventsRequest) {
		r.EventPublishTimeStart = mid.Format("2006-01-02T15:04:05Z")
		r.EventPublishTimeEnd = clk.Now().UTC().Add(time.Second).Format("2006-01-02T15:04:05Z")
	})
	got := map[string]string{}
	for _, e := range late.InstanceSystemEventSet.InstanceSystemEventType {
		got[e.InstanceId] = e.EventType.Name
	}
	if len(got) != 2 || got[stopped] != "InstanceExpiration.Stop" || got[released] != "AccountUnbalanced.Delete" {
		t.Errorf("published since %s: %v", mid, got)
	}
	// NextToken paging: MaxResults below 10 counts as 10.
	seen := map[string]bool{}
	token, pages := "", 0
	for {
		r := call(func(r *ecs.DescribeInstanceHistoryEventsRequest) {
			r.MaxResults, r.NextToken = requests.NewInteger(3), token
		})
		pages++
		for _, e := range r.InstanceSystemEventSet.InstanceSystemEventType {
			if seen[e.EventId] {
				t.Errorf("event %s on two pages", e.EventId)
			}
			seen[e.EventId] = true
		}
		if token = r.NextToken; token == "" || pages > 5 {
			break
		}
	}
	if len(seen) != 22 || pages != 3 {
		t.Errorf("token paging: %d events in %d pages, want 22 in 3", len(seen), pages)
	}
	// Completed events are kept 30 days.
	clk.Advance(31 * 24 * time.Hour)
	if r := call(func(r *ecs.DescribeInstanceHistoryEventsRequest) {}); r.TotalCount != 0 {
		t.Errorf("after 31 days: %d events, want 0", r.TotalCount)
	}
}
