package fake

import (
	"testing"

	"github.com/multicloud-ecs/multicloud/providers/sim"
)

func TestFakeIDs(t *testing.T) {
	for _, tt := range []struct {
		kind sim.Kind
		seq  uint64
		want string
	}{
		{sim.KindInstance, 1, "i-000001"},
		{sim.KindVPC, 42, "vpc-000042"},
		{sim.KindAddress, 999999, "eip-999999"},
		{sim.KindSubnet, 1234567, "vsw-1234567"},
		{"router", 7, "router-000007"},
	} {
		if got := fakeIDs(tt.kind, "r1", tt.seq); got != tt.want {
			t.Errorf("fakeIDs(%s, %d) = %q, want %q", tt.kind, tt.seq, got, tt.want)
		}
	}
	if a, b := fakeIDs(sim.KindInstance, "", 999999), fakeIDs(sim.KindInstance, "", 1000000); compareIDs(a, b) >= 0 {
		t.Errorf("compareIDs(%s, %s) >= 0, want the older first", a, b)
	}
}
