package sim

import (
	"net/netip"
	"testing"
)

// TestSubnetReusesAddresses: a /29 holds two instances at a time, and
// deleting one frees its address for the next.
func TestSubnetReusesAddresses(t *testing.T) {
	c := New()
	v, err := c.CreateVPC(VPCSpec{Region: "cn-hangzhou", CIDR: netip.MustParsePrefix("10.0.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.CreateSubnet(SubnetSpec{Region: "cn-hangzhou", VPCID: v.ID, Zone: "cn-hangzhou-h", CIDR: netip.MustParsePrefix("10.0.0.0/29")})
	if err != nil {
		t.Fatal(err)
	}
	spec := InstanceSpec{Region: "cn-hangzhou", Zone: "cn-hangzhou-h", Type: "t", SubnetID: s.ID}
	first, err := c.CreateInstances(spec)
	if err != nil {
		t.Fatal(err)
	}
	second, err := c.CreateInstances(spec)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateInstances(spec); ClassOf(err) != ClassConflict {
		t.Fatalf("a third instance in a /29: got %v, want ClassConflict", err)
	}
	for i := range 5 {
		if err := c.RemoveInstance(first[0].ID); err != nil {
			t.Fatal(err)
		}
		next, err := c.CreateInstances(spec)
		if err != nil {
			t.Fatalf("round %d: %v", i, err)
		}
		if next[0].PrivateIP != first[0].PrivateIP || next[0].PrivateIP == second[0].PrivateIP {
			t.Fatalf("round %d: got %v, want the freed %v (not %v)", i, next[0].PrivateIP, first[0].PrivateIP, second[0].PrivateIP)
		}
		first = next
	}
	if got, _ := c.GetSubnet("cn-hangzhou", s.ID); got.FreeIPs != 0 {
		t.Errorf("FreeIPs = %d, want 0", got.FreeIPs)
	}
}
