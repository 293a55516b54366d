package aliyun_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/providers/aliyun/aliyuntest"
)

// TestAddressesCarryCreateToken creates instances with elastic IPs on the
// emulator: every address carries the idempotency token of the create it
// came from (the same token as its instance), beside the reserved tags.
func TestAddressesCarryCreateToken(t *testing.T) {
	srv := newServer(t)
	p := newProvider(t, srv)
	c := newClient(t, p)
	want := map[string]map[string]string{}
	var one *multicloud.Instance
	for i := range 3 {
		req := request("tenant-t", fmt.Sprintf("user-%d", i), multicloud.WithPublicIP(5, multicloud.Traffic), multicloud.WithQuantity(2))
		insts, err := c.CreateInstance(testCtx(t), req)
		if err != nil || len(insts) != 2 {
			t.Fatalf("create %d: got %d instances, %v; want 2, nil", i, len(insts), err)
		}
		for _, in := range insts {
			if in.Tags[multicloud.TagToken] == "" || in.Network.AddressID == "" {
				t.Fatalf("instance %s: token tag %q, address %q; want both set", in.ID, in.Tags[multicloud.TagToken], in.Network.AddressID)
			}
			want[in.Network.AddressID] = map[string]string{
				multicloud.TagToken: in.Tags[multicloud.TagToken], multicloud.TagOwner: in.UserID,
				multicloud.TagTenant: in.TenantID, multicloud.TagCreatedBy: multicloud.CreatedByValue,
			}
			one = in
		}
	}
	got := srv.EIPTags()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("tags of the emulator's elastic ips (-want +got):\n%s", diff)
	}

	// Unbind one address: the sweeper reports it with its create's token.
	scope := p.Scope(one.Region, one.TenantID, one.UserID)
	if err := p.UnassociateAddress(testCtx(t), scope, one.Network.AddressID, one.ID); err != nil {
		t.Fatalf("UnassociateAddress: %v", err)
	}
	var reasons []string
	for end := time.Now().Add(5 * time.Second); len(reasons) == 0 && time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		orphans, err := p.Orphans(testCtx(t), multicloud.SweepQuery{Region: one.Region})
		if err != nil {
			t.Fatalf("Orphans: %v", err)
		}
		for _, o := range orphans {
			if o.Kind == multicloud.OrphanAddress {
				reasons = append(reasons, o.Reason)
			}
		}
	}
	if len(reasons) != 1 || !strings.Contains(reasons[0], one.Tags[multicloud.TagToken]) {
		t.Errorf("address orphans: got reasons %q, want one naming token %s", reasons, one.Tags[multicloud.TagToken])
	}
}

// untokenedEIPs counts the emulator's elastic IPs that miss the token or
// the owner tag.
func untokenedEIPs(srv *aliyuntest.Server) int {
	n := 0
	for _, tags := range srv.EIPTags() {
		if tags[multicloud.TagToken] == "" || tags[multicloud.TagOwner] == "" {
			n++
		}
	}
	return n
}
