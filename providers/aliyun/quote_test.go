package aliyun_test

import (
	"math"
	"testing"

	"github.com/multicloud-ecs/multicloud/pricing"
)

// TestQuote prices through DescribePrice on the emulator (which rounds
// each part to cents), whose fixtures
// are: ecs.g7.large 0.64/h, cloud_essd PL1 0.0014 per GiB-hour,
// PayByBandwidth 0.063 per Mbit/s-hour up to 5, a month of 720 hours,
// 15% off by the year.
func TestQuote(t *testing.T) {
	srv := newServer(t)
	p := newProvider(t, srv)
	base := pricing.Request{Provider: "aliyun", Region: "cn-hangzhou", Zone: "cn-hangzhou-h", InstanceType: "ecs.g7.large",
		ImageID: "ubuntu_22_04_x64_20G_alibase_20230815.vhd", ChargeMode: pricing.OnDemand, SystemDiskType: "cloud_essd", SystemDiskSizeGiB: 40, Quantity: 2}
	const inst, disk, bw = 0.64, 0.0014 * 40, 0.063 * 5
	tests := []struct {
		name                  string
		edit                  func(*pricing.Request)
		hourly, monthly, upfr float64
		bwHourly              float64
		traffic               bool
	}{
		{"on demand, no public ip", func(*pricing.Request) {}, 2 * (inst + disk), 2 * (inst + disk) * pricing.HoursPerMonth, 0, 0, false},
		{"on demand, fixed 5 Mbit/s", func(r *pricing.Request) { r.BandwidthMode, r.BandwidthMbps = pricing.Fixed, 5 },
			2 * (inst + disk + bw), 2 * (inst + disk + bw) * pricing.HoursPerMonth, 0, 2 * bw, false},
		{"on demand, traffic", func(r *pricing.Request) { r.BandwidthMode, r.BandwidthMbps = pricing.Traffic, 5 },
			2 * (inst + disk), 2 * (inst + disk) * pricing.HoursPerMonth, 0, 0, true},
		{"prepaid 3 months", func(r *pricing.Request) { r.ChargeMode, r.DurationMonths = pricing.Prepaid, 3 },
			2 * (inst + disk) * 720 / pricing.HoursPerMonth, 2 * (inst + disk) * 720, 3 * 2 * (inst + disk) * 720, 0, false},
		{"prepaid 12 months, yearly discount", func(r *pricing.Request) { r.ChargeMode, r.DurationMonths = pricing.Prepaid, 12 },
			2 * (inst + disk) * 8760 * 0.85 / 12 / pricing.HoursPerMonth, 2 * (inst + disk) * 8760 * 0.85 / 12, 2 * (inst + disk) * 8760 * 0.85, 0, false},
	}
	for _, tc := range tests {
		r := base
		tc.edit(&r)
		q, err := p.Quote(testCtx(t), r)
		if err != nil {
			t.Fatalf("%s: Quote: %v", tc.name, err)
		}
		check := func(what string, got, want float64) {
			if math.Abs(got-want) > 0.02+want*0.005 {
				t.Errorf("%s: %s: got %.4f, want %.4f", tc.name, what, got, want)
			}
		}
		check("hourly total", q.Hourly.Total, tc.hourly)
		check("monthly total", q.Monthly.Total, tc.monthly)
		check("upfront", q.Upfront, tc.upfr)
		check("hourly bandwidth", q.Hourly.Bandwidth, tc.bwHourly)
		check("hourly parts", q.Hourly.Instance+q.Hourly.Disk+q.Hourly.Bandwidth, q.Hourly.Total)
		if q.Currency != "CNY" || q.Quantity != 2 || !q.ValidUntil.After(q.QuotedAt) {
			t.Errorf("%s: got currency %q quantity %d valid %s..%s, want CNY, 2 and a validity", tc.name, q.Currency, q.Quantity, q.QuotedAt, q.ValidUntil)
		}
		if (q.TrafficPerGB > 0) != tc.traffic {
			t.Errorf("%s: traffic price %v, want one only for traffic billing", tc.name, q.TrafficPerGB)
		}
	}
}
