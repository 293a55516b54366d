package pricing

import (
	"cmp"
	"math"
	"slices"
)

// Cheapest and Sort compare the quotes of a request's candidate placements
// (multicloud.Candidater): they are what a price-aware scheduler, and the
// placement work that builds one into this module, choose with. See the
// root package's price-aware example.

// Cheapest returns the index of the quote of lowest Cost in quotes, or -1
// when there is none. Nil quotes and quotes whose cost is NaN are skipped;
// among equal costs the earliest wins.
func Cheapest(quotes []*Quote) int {
	best := -1
	for i, q := range quotes {
		if q == nil || math.IsNaN(q.Cost()) {
			continue
		}
		if best < 0 || q.Cost() < quotes[best].Cost() {
			best = i
		}
	}
	return best
}

// Sort orders quotes by Cost, cheapest first, in place. The sort is stable:
// quotes of equal cost keep their order. Nil quotes and quotes whose cost
// is NaN go last.
func Sort(quotes []*Quote) {
	slices.SortStableFunc(quotes, compareCost)
}

// compareCost orders two quotes by cost, with nil and NaN after any number.
func compareCost(a, b *Quote) int {
	ra, rb := rank(a), rank(b)
	if ra != rb || ra != 0 {
		return cmp.Compare(ra, rb)
	}
	return cmp.Compare(a.Cost(), b.Cost())
}

// rank is 0 for a comparable quote, 1 for a NaN cost, 2 for nil.
func rank(q *Quote) int {
	switch {
	case q == nil:
		return 2
	case math.IsNaN(q.Cost()):
		return 1
	}
	return 0
}
