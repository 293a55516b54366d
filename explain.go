package multicloud

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Reason is why a scheduler did not choose a candidate: one code of a
// closed list.
type Reason string

// The rejection reasons.
const (
	RejectNoGPUMatch            Reason = "no_gpu_match"            // GPU model or count differs from the request's
	RejectNoTypeMatch           Reason = "not_the_type_asked"      // the request names another instance type
	RejectBelowVCPU             Reason = "below_min_vcpu"          // fewer vCPUs than asked
	RejectBelowMemory           Reason = "below_min_memory"        // less memory than asked
	RejectProviderNotAllowed    Reason = "provider_not_allowed"    // outside the request's providers
	RejectRegionNotAllowed      Reason = "region_not_allowed"      // outside the request's regions
	RejectNotOffered            Reason = "not_offered_in_zone"     // ClosedWithoutStock: not on sale there
	RejectNoStock               Reason = "no_stock"                // the stock probe says WithoutStock
	RejectNoStockCached         Reason = "no_stock_cached"         // a recent create found no stock (negative cache, Until)
	RejectQuota                 Reason = "quota"                   // the account's quota of the family in the region is used up
	RejectPriceUnknown          Reason = "price_unknown"           // no price, where a maximum price needs one
	RejectPriceStale            Reason = "price_stale"             // price older than the scheduler's MaxPriceAge
	RejectPriceUncomparable     Reason = "price_uncomparable"      // a currency without a rate to the scheduler's currency
	RejectAbovePrice            Reason = "above_max_price"         // dearer than the request's maximum
	RejectImageUnavailable      Reason = "image_unavailable"       // the image key has no image there
	RejectChargeModeUnsupported Reason = "charge_mode_unsupported" // the provider does not sell the charge mode
	RejectUnhealthy             Reason = "provider_unhealthy"      // health check or catalog read failed, or credentials refused
	RejectOverLimit             Reason = "beyond_attempt_limit"    // fits, but ranked after the placements returned
)

// Candidate is one offering a scheduler considered, with its verdict.
type Candidate struct {
	Offering
	// Rank is the position among the chosen placements, from 1; 0 for a
	// rejected candidate.
	Rank int `json:"rank,omitempty"`
	// Reason is why it was rejected; "" for a chosen one.
	Reason Reason `json:"reason,omitempty"`
	// Detail adds what the reason needs: the cloud's error, the stock
	// block's end, the shortfall.
	Detail string `json:"detail,omitempty"`
	// Until is when a negative-cache block ends.
	Until time.Time `json:"until,omitzero"`
	// Cost is the hourly price in the scheduler's currency; NaN when the
	// price is unknown or not comparable.
	Cost float64 `json:"-"`
	// PriceAge is how old the price was at the decision.
	PriceAge time.Duration `json:"priceAge,omitempty"`
}

// Explanation is a decision of CheapestScheduler in full: the placements
// returned, in order, and every other candidate with its reason. Chosen
// and Rejected together are every candidate the scheduler enumerated:
// providers × regions × zones × types of the charge mode, plus one entry
// per provider or region it could not read (Placement with the type and
// zone empty).
type Explanation struct {
	At       time.Time    `json:"at"`
	Currency string       `json:"currency"`
	Chosen   []Candidate  `json:"chosen"`
	Rejected []Candidate  `json:"rejected"`
	Require  Requirements `json:"-"`

	// extra counts rejections a Schedule decision did not itemize, by
	// index in allReasons.
	extra [len(allReasons)]int
}

func (e *Explanation) uncounted(r Reason) { e.uncountedN(r, 1) }

func (e *Explanation) uncountedN(r Reason, n int) {
	switch r { // the frequent ones first, without a scan
	case RejectNoGPUMatch:
		e.extra[0] += n
		return
	case RejectRegionNotAllowed:
		e.extra[5] += n
		return
	}
	for i, a := range allReasons {
		if a == r {
			e.extra[i] += n
			return
		}
	}
}

// Counts returns how many rejected candidates carry each reason.
func (e *Explanation) Counts() map[Reason]int {
	m := map[Reason]int{}
	for i, n := range e.extra {
		if n > 0 {
			m[allReasons[i]] += n
		}
	}
	for _, c := range e.Rejected {
		m[c.Reason]++
	}
	return m
}

// String renders the decision: the chosen placements, then the rejection
// counts by reason, one line each.
func (e *Explanation) String() string {
	var b strings.Builder
	for _, c := range e.Chosen {
		fmt.Fprintf(&b, "%d. %s %s %s\n", c.Rank, c.Placement, c.Stock, priceString(c))
	}
	for _, r := range allReasons {
		if n := e.Counts()[r]; n > 0 {
			fmt.Fprintf(&b, "rejected %s: %d\n", r, n)
		}
	}
	return b.String()
}

var allReasons = [...]Reason{RejectNoGPUMatch, RejectNoTypeMatch, RejectBelowVCPU, RejectBelowMemory, RejectProviderNotAllowed,
	RejectRegionNotAllowed, RejectNotOffered, RejectNoStock, RejectNoStockCached, RejectQuota, RejectPriceUnknown,
	RejectPriceStale, RejectPriceUncomparable, RejectAbovePrice, RejectImageUnavailable, RejectChargeModeUnsupported,
	RejectUnhealthy, RejectOverLimit}

func priceString(c Candidate) string {
	p := c.Price
	if !p.Known() {
		return "price unknown"
	}
	s := fmt.Sprintf("%.4f %s/%s (%s, %s old)", p.Amount, p.Currency, p.Unit, p.Source, c.PriceAge.Round(time.Second))
	if math.IsNaN(c.Cost) {
		s += " uncomparable"
	}
	return s
}
