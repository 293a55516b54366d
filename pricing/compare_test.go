package pricing

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// q returns a quote of hourly cost cost, named by its instance type.
func q(name string, cost float64) *Quote {
	return &Quote{InstanceType: name, Hourly: Breakdown{Total: cost}}
}

func TestCheapest(t *testing.T) {
	tests := []struct {
		name   string
		quotes []*Quote
		want   int
	}{
		{"empty", nil, -1},
		{"only nils", []*Quote{nil, nil}, -1},
		{"single", []*Quote{q("a", 3)}, 0},
		{"lowest wins", []*Quote{q("a", 3), q("b", 1), q("c", 2)}, 1},
		{"tie keeps the earlier", []*Quote{q("a", 2), q("b", 1), q("c", 1)}, 1},
		{"nils skipped", []*Quote{nil, q("a", 5), nil, q("b", 4)}, 3},
		{"zero cost counts", []*Quote{q("a", 1), q("b", 0)}, 1},
		{"nan skipped", []*Quote{q("a", math.NaN()), q("b", 9)}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Cheapest(tt.quotes); got != tt.want {
				t.Errorf("got %d, want %d", got, tt.want)
			}
		})
	}
}

func TestSort(t *testing.T) {
	tests := []struct {
		name   string
		quotes []*Quote
		want   []string // instance types in order; "" for nil
	}{
		{"empty", nil, nil},
		{"ascending", []*Quote{q("a", 3), q("b", 1), q("c", 2)}, []string{"b", "c", "a"}},
		{"stable on ties", []*Quote{q("a", 2), q("b", 1), q("c", 2), q("d", 1)}, []string{"b", "d", "a", "c"}},
		{"nil and nan last", []*Quote{nil, q("a", math.NaN()), q("b", 2), q("c", 1)}, []string{"c", "b", "a", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			Sort(tt.quotes)
			var got []string
			for _, qq := range tt.quotes {
				if qq == nil {
					got = append(got, "")
					continue
				}
				got = append(got, qq.InstanceType)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("order (-want +got):\n%s", diff)
			}
		})
	}
}
