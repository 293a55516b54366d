package aliyuntest

import (
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/google/go-cmp/cmp"
	"github.com/multicloud-ecs/multicloud/providers/sim"
)

// TestDescribeSpotPriceHistory reads spot prices through the SDK: the
// documented defaults (the last 3 hours, every zone), a zone filter, oldest
// first, a fixed price, paging past 1,000 points, and the documented
// required parameters.
func TestDescribeSpotPriceHistory(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 30, 0, 0, time.UTC)
	clock := sim.NewManualClock(now)
	c := newClients(t, WithClock(clock.Now), WithRandSeed(7))
	const typ = "ecs.gn7-c12g1.3xlarge"
	req := func(edit func(*ecs.DescribeSpotPriceHistoryRequest)) *ecs.DescribeSpotPriceHistoryRequest {
		r := ecs.CreateDescribeSpotPriceHistoryRequest()
		r.RegionId, r.NetworkType, r.InstanceType = testRegion, "vpc", typ
		if edit != nil {
			edit(r)
		}
		return r
	}

	resp, err := c.ecs.DescribeSpotPriceHistory(req(nil))
	must(t, err)
	if resp.Currency != "CNY" {
		t.Errorf("currency: got %q, want CNY", resp.Currency)
	}
	zones := map[string]int{}
	var last time.Time
	for _, p := range resp.SpotPrices.SpotPriceType {
		at, err := time.Parse(time.RFC3339, p.Timestamp)
		must(t, err)
		if at.Before(last) {
			t.Errorf("points not oldest first: %s after %s", p.Timestamp, last)
		}
		last = at
		zones[p.ZoneId]++
		if p.InstanceType != typ || p.NetworkType != "vpc" || p.IoOptimized != "optimized" {
			t.Errorf("point %+v: want %s, vpc, optimized", p, typ)
		}
		if p.SpotPrice <= 0 || p.SpotPrice >= p.OriginPrice || p.OriginPrice != 31.58 {
			t.Errorf("point %+v: want 0 < spot < origin 31.58", p)
		}
		want, _ := c.srv.SpotPrice(testRegion, p.ZoneId, typ, at)
		if p.SpotPrice != want {
			t.Errorf("point %s %s: got %v, SpotPrice says %v", p.ZoneId, p.Timestamp, p.SpotPrice, want)
		}
	}
	// 07:00 (in force at 07:30) to 10:00: 4 hourly points per zone.
	if diff := cmp.Diff(map[string]int{"cn-hangzhou-h": 4, "cn-hangzhou-i": 4, "cn-hangzhou-j": 4, "cn-hangzhou-k": 4}, zones); diff != "" {
		t.Errorf("points per zone (-want +got):\n%s", diff)
	}

	c.srv.SetSpotPrice(testRegion, "cn-hangzhou-i", typ, 3.21)
	resp, err = c.ecs.DescribeSpotPriceHistory(req(func(r *ecs.DescribeSpotPriceHistoryRequest) { r.ZoneId = "cn-hangzhou-i" }))
	must(t, err)
	if n := len(resp.SpotPrices.SpotPriceType); n != 4 {
		t.Fatalf("points of one zone: got %d, want 4", n)
	}
	for _, p := range resp.SpotPrices.SpotPriceType {
		if p.ZoneId != "cn-hangzhou-i" || p.SpotPrice != 3.21 {
			t.Errorf("point %+v: want cn-hangzhou-i at the fixed 3.21", p)
		}
	}

	// 30 days × 24 hours × 4 zones (+ the hour in force at the start): pages of 1,000.
	start := now.Add(-30 * 24 * time.Hour).Format("2006-01-02T15:04:05Z")
	total, pages, offset := 0, 0, 0
	for {
		r := req(func(r *ecs.DescribeSpotPriceHistoryRequest) {
			r.StartTime, r.Offset = start, requests.NewInteger(offset)
		})
		resp, err := c.ecs.DescribeSpotPriceHistory(r)
		must(t, err)
		total += len(resp.SpotPrices.SpotPriceType)
		pages++
		if resp.NextOffset == 0 {
			break
		}
		offset = resp.NextOffset
	}
	if want := (30*24 + 1) * 4; total != want || pages != 3 {
		t.Errorf("30 days: got %d points in %d pages, want %d in 3", total, pages, want)
	}

	for _, tt := range []struct {
		name string
		edit func(*ecs.DescribeSpotPriceHistoryRequest)
		code string
	}{
		{"no network type", func(r *ecs.DescribeSpotPriceHistoryRequest) { r.NetworkType = "" }, "MissingParameter"},
		{"no instance type", func(r *ecs.DescribeSpotPriceHistoryRequest) { r.InstanceType = "" }, "MissingParameter"},
		{"unknown instance type", func(r *ecs.DescribeSpotPriceHistoryRequest) { r.InstanceType = "ecs.nope" }, "InvalidInstanceType.ValueNotSupported"},
		{"unknown zone", func(r *ecs.DescribeSpotPriceHistoryRequest) { r.ZoneId = "cn-hangzhou-z" }, "InvalidZoneId.NotFound"},
		{"over 30 days", func(r *ecs.DescribeSpotPriceHistoryRequest) { r.StartTime = "2026-10-01T00:00:00Z" }, "InvalidParameter"},
		{"bad time", func(r *ecs.DescribeSpotPriceHistoryRequest) { r.EndTime = "yesterday" }, "InvalidParameter"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.ecs.DescribeSpotPriceHistory(req(tt.edit))
			if got := serverError(t, err).ErrorCode(); got != tt.code {
				t.Errorf("code: got %q, want %q", got, tt.code)
			}
		})
	}
}
