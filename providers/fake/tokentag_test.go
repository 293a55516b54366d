package fake_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/providers/fake"
)

// TestAddressesCarryCreateToken: every address a create allocates carries
// the create's idempotency token (its instance's) beside the reserved
// tags, and the sweeper names that token for an address left unbound.
func TestAddressesCarryCreateToken(t *testing.T) {
	p := fake.New()
	c := newClient(t, p)
	want := map[string]map[string]string{}
	var one *multicloud.Instance
	for i := range 3 {
		req := gpuRequest(fmt.Sprintf("user-%d", i), multicloud.WithPublicIP(5, multicloud.Traffic), multicloud.WithQuantity(2))
		insts, err := c.CreateInstance(testCtx(t), req)
		if err != nil || len(insts) != 2 {
			t.Fatalf("create %d: got %d instances, %v; want 2, nil", i, len(insts), err)
		}
		for _, in := range insts {
			want[in.Network.AddressID] = map[string]string{
				multicloud.TagToken: in.Tags[multicloud.TagToken], multicloud.TagOwner: in.UserID,
				multicloud.TagTenant: in.TenantID, multicloud.TagCreatedBy: multicloud.CreatedByValue,
			}
		}
		one = insts[0]
	}
	got := map[string]map[string]string{}
	for _, r := range p.Resources() {
		if r.Kind == "address" {
			got[r.ID] = r.Tags
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("tags of the fake's addresses (-want +got):\n%s", diff)
	}

	// Unbind one address: the sweeper reports it with its create's token.
	scope := p.Scope(one.Region, one.TenantID, one.UserID)
	if err := p.UnassociateAddress(testCtx(t), scope, one.Network.AddressID, one.ID); err != nil {
		t.Fatalf("UnassociateAddress: %v", err)
	}
	orphans, err := p.Orphans(testCtx(t), multicloud.SweepQuery{Region: one.Region})
	if err != nil {
		t.Fatalf("Orphans: %v", err)
	}
	var reasons []string
	for _, o := range orphans {
		if o.Kind == multicloud.OrphanAddress {
			reasons = append(reasons, o.Reason)
		}
	}
	if len(reasons) != 1 || !strings.Contains(reasons[0], one.Tags[multicloud.TagToken]) {
		t.Errorf("address orphans: got reasons %q, want one naming token %s", reasons, one.Tags[multicloud.TagToken])
	}
}
