// Package pricing holds price quotes for instances, a cache that serves
// repeated quotes without asking the provider again, and the comparisons
// the price-aware schedulers use.
package pricing

import (
	"fmt"
	"time"
)

// ChargeMode is how an instance is billed.
type ChargeMode string

// The charge modes.
const (
	OnDemand ChargeMode = "ON_DEMAND" // pay as you go, by the hour
	Prepaid  ChargeMode = "PREPAID"   // subscription, paid for a number of months up front
	// Spot is a spot (preemptible) instance: billed by the hour at the
	// market price, which moves, and reclaimable by the cloud.
	Spot ChargeMode = "SPOT"
)

// BandwidthMode is how public bandwidth is billed.
type BandwidthMode string

// The bandwidth modes.
const (
	Traffic BandwidthMode = "TRAFFIC" // by the gigabyte sent, with the bandwidth as a cap
	Fixed   BandwidthMode = "FIXED"   // by the reserved bandwidth, whatever is sent
)

// Request is what a quote is asked for. It is comparable, so a Cache keys
// on it directly; two equal Requests get the same price.
type Request struct {
	Provider          string        // provider code
	Region            string        // region ID
	Zone              string        // zone ID; may be empty where the price does not depend on it
	InstanceType      string        // provider instance type, resolved
	ImageID           string        // image ID; some providers price licensed images differently
	ChargeMode        ChargeMode    // ON_DEMAND, PREPAID or SPOT
	DurationMonths    int           // PREPAID only: the number of months paid up front
	SystemDiskType    string        // disk category, e.g. "cloud_essd"
	SystemDiskSizeGiB int           // system disk size in GiB
	BandwidthMode     BandwidthMode // TRAFFIC or FIXED
	BandwidthMbps     int           // public bandwidth; 0 for no public address
	Quantity          int           // number of instances; 0 means 1
}

// Breakdown splits an amount into what it is paid for.
type Breakdown struct {
	Instance  float64 `json:"instance"`
	Disk      float64 `json:"disk"`
	Bandwidth float64 `json:"bandwidth"`
	Total     float64 `json:"total"`
}

// Add returns the sum of b and o, part by part.
func (b Breakdown) Add(o Breakdown) Breakdown {
	return Breakdown{Instance: b.Instance + o.Instance, Disk: b.Disk + o.Disk, Bandwidth: b.Bandwidth + o.Bandwidth, Total: b.Total + o.Total}
}

// Scale returns b with every part multiplied by f.
func (b Breakdown) Scale(f float64) Breakdown {
	return Breakdown{Instance: b.Instance * f, Disk: b.Disk * f, Bandwidth: b.Bandwidth * f, Total: b.Total * f}
}

// HoursPerMonth converts hourly and monthly prices (730 = 8760 / 12).
const HoursPerMonth = 730

// Quote is the price of a Request, for all of its instances. Hourly and
// Monthly are both filled whatever the charge mode: an ON_DEMAND quote's
// Monthly is its hourly price for HoursPerMonth hours, a PREPAID quote's
// Hourly is its monthly price spread over them. Upfront is what a PREPAID
// order pays at creation (Monthly.Total times the duration) and zero for
// ON_DEMAND. Traffic-billed bandwidth is charged per gigabyte sent and is
// not in the totals; TrafficPerGB says what it costs.
type Quote struct {
	Provider       string     `json:"provider"`
	Region         string     `json:"region"`
	Zone           string     `json:"zone,omitempty"`
	InstanceType   string     `json:"instanceType"`
	ChargeMode     ChargeMode `json:"chargeMode"`
	DurationMonths int        `json:"durationMonths,omitempty"`
	Quantity       int        `json:"quantity"`
	Currency       string     `json:"currency"`
	Hourly         Breakdown  `json:"hourly"`
	Monthly        Breakdown  `json:"monthly"`
	Upfront        float64    `json:"upfront,omitempty"`
	TrafficPerGB   float64    `json:"trafficPerGb,omitempty"`
	QuotedAt       time.Time  `json:"quotedAt"`
	ValidUntil     time.Time  `json:"validUntil"`
}

// String summarises the quote for logs and examples.
func (q *Quote) String() string {
	if q == nil {
		return "<nil quote>"
	}
	if q.ChargeMode == Prepaid {
		return fmt.Sprintf("%s %s x%d: %.2f %s/month, %.2f %s for %d months",
			q.Provider, q.InstanceType, q.Quantity, q.Monthly.Total, q.Currency, q.Upfront, q.Currency, q.DurationMonths)
	}
	return fmt.Sprintf("%s %s x%d: %.2f %s/hour (instance %.2f, disk %.2f, bandwidth %.2f)",
		q.Provider, q.InstanceType, q.Quantity, q.Hourly.Total, q.Currency, q.Hourly.Instance, q.Hourly.Disk, q.Hourly.Bandwidth)
}

// Cost is the number a price comparison orders by: the hourly total,
// which is comparable across charge modes.
func (q *Quote) Cost() float64 { return q.Hourly.Total }
