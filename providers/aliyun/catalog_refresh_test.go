package aliyun_test

import (
	"testing"
)

// TestRefreshCatalogFromDescribeInstanceTypes replaces the embedded specs
// with the emulator's: ecs.gn7-c12g1.3xlarge has 94 GiB in the embedded
// catalog and 95 in DescribeInstanceTypes, and its "NVIDIA A100" GPUSpec
// is normalized to A100.
func TestRefreshCatalogFromDescribeInstanceTypes(t *testing.T) {
	ctx := testCtx(t)
	srv := newServer(t)
	p := newProvider(t, srv)
	types, err := p.InstanceTypes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(types) < 10 || srv.CallCount("DescribeInstanceTypes") != 1 {
		t.Fatalf("got %d types in %d calls, want the emulator's catalog in one page", len(types), srv.CallCount("DescribeInstanceTypes"))
	}
	before, _ := p.Catalog().Type("ecs.gn7-c12g1.3xlarge")
	if err := p.Catalog().Refresh(ctx, p); err != nil {
		t.Fatal(err)
	}
	after, _ := p.Catalog().Type("ecs.gn7-c12g1.3xlarge")
	if before.MemoryGiB != 94 || after.MemoryGiB != 95 || after.GPUModel != "A100" || after.GPUCount != 1 || after.HourlyPrice != before.HourlyPrice {
		t.Errorf("ecs.gn7-c12g1.3xlarge: got %+v after refresh (before %+v), want 95 GiB, 1 A100, the catalog's price kept", after, before)
	}
}
