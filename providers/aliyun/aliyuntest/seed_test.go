package aliyuntest

import (
	"fmt"
	"sort"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	vpcapi "github.com/aliyun/alibaba-cloud-sdk-go/services/vpc"
	"github.com/google/go-cmp/cmp"

	"github.com/multicloud-ecs/multicloud/providers/sim"
)

// listAll pages through DescribeInstances in region with NextToken.
func listAll(t testing.TB, c *ecs.Client, region string, max int) []string {
	t.Helper()
	var ids []string
	token := ""
	for {
		r := ecs.CreateDescribeInstancesRequest()
		r.RegionId = region
		r.MaxResults = requests.NewInteger(max)
		r.NextToken = token
		resp, err := c.DescribeInstances(r)
		must(t, err)
		for _, in := range resp.Instances.Instance {
			ids = append(ids, in.InstanceId)
		}
		if token = resp.NextToken; token == "" {
			return ids
		}
	}
}

func TestSeedAndPageThrough20000(t *testing.T) {
	c := newClients(t)
	ids := c.srv.Seed(SeedSpec{Regions: []string{"cn-hangzhou", "cn-shanghai"}, InstancesPerRegion: 10000, Owner: "bench"})
	if len(ids) != 20000 {
		t.Fatalf("got %d IDs, want 20000", len(ids))
	}
	got := listAll(t, c.ecs, "cn-shanghai", 100)
	want := c.srv.InstanceIDs("cn-shanghai")
	if len(got) != 10000 {
		t.Fatalf("got %d instances, want 10000", len(got))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("NextToken listing differs from the region's instances:\n%s", diff)
	}

	// PageNumber style over the other region.
	seen := map[string]bool{}
	total := -1
	for page := 1; ; page++ {
		r := ecs.CreateDescribeInstancesRequest()
		r.PageNumber = requests.NewInteger(page)
		r.PageSize = requests.NewInteger(100)
		resp, err := c.ecs.DescribeInstances(r)
		must(t, err)
		total = resp.TotalCount
		if len(resp.Instances.Instance) == 0 {
			break
		}
		for _, in := range resp.Instances.Instance {
			if seen[in.InstanceId] {
				t.Fatalf("instance %s seen twice", in.InstanceId)
			}
			seen[in.InstanceId] = true
		}
	}
	if total != 10000 || len(seen) != 10000 {
		t.Errorf("PageNumber listing: got TotalCount %d and %d distinct, want 10000", total, len(seen))
	}

	a := c.srv.Audit()
	if a.Instances != 20000 || a.InstancesByStatus["Running"] != 20000 || a.VPCsByOwner["bench"] != 2 ||
		a.SecurityGroupsByOwner["bench"] != 2 || a.VSwitches != 8 {
		t.Errorf("audit: got %+v", a)
	}

	// Variety: several types, zones and tag sets, some GPUs and public IPs.
	types, zones, gpus, public := map[string]bool{}, map[string]bool{}, 0, 0
	r := ecs.CreateDescribeInstancesRequest()
	r.RegionId = "cn-shanghai"
	r.PageSize = requests.NewInteger(100)
	resp, err := c.ecs.DescribeInstances(r)
	must(t, err)
	for _, in := range resp.Instances.Instance {
		types[in.InstanceType], zones[in.ZoneId] = true, true
		if in.GPUAmount > 0 {
			gpus++
		}
		if len(in.PublicIpAddress.IpAddress) > 0 {
			public++
		}
	}
	if len(types) < 5 || len(zones) != 4 || gpus == 0 || public == 0 {
		t.Errorf("got %d types, %d zones, %d GPU and %d public-IP instances in a page; want variety", len(types), len(zones), gpus, public)
	}
}

// TestNextTokenStable checks that a listing neither repeats nor skips
// pre-existing instances while others are added and removed between pages.
func TestNextTokenStable(t *testing.T) {
	c := newClients(t)
	c.srv.Seed(SeedSpec{Regions: []string{testRegion}, InstancesPerRegion: 300})
	before := c.srv.InstanceIDs(testRegion)
	n := c.network(t, testRegion)

	var got []string
	token := ""
	removed := map[string]bool{}
	for page := 0; ; page++ {
		r := ecs.CreateDescribeInstancesRequest()
		r.MaxResults = requests.NewInteger(50)
		r.NextToken = token
		resp, err := c.ecs.DescribeInstances(r)
		must(t, err)
		for _, in := range resp.Instances.Instance {
			got = append(got, in.InstanceId)
		}
		if token = resp.NextToken; token == "" {
			break
		}
		// Churn: remove one listed and one unlisted instance, add two.
		must(t, c.srv.RemoveInstance(got[len(got)-1]))
		last := before[len(before)-1-page]
		if !removed[last] && !contains(got, last) {
			must(t, c.srv.RemoveInstance(last))
			removed[last] = true
		}
		c.run(t, n, 2)
	}
	seen := map[string]bool{}
	for _, id := range got {
		if seen[id] {
			t.Fatalf("instance %s listed twice", id)
		}
		seen[id] = true
	}
	for _, id := range before {
		if !seen[id] && !removed[id] {
			t.Errorf("pre-existing instance %s was skipped", id)
		}
	}
	if !sort.StringsAreSorted(got) {
		// Added instances may land anywhere; the pre-existing ones must be in order.
		var pre []string
		for _, id := range got {
			if contains(before, id) {
				pre = append(pre, id)
			}
		}
		if !sort.StringsAreSorted(pre) {
			t.Error("pre-existing instances listed out of order")
		}
	}
}

func TestPageSizeMaxima(t *testing.T) {
	c := newClients(t)
	for _, tc := range []struct {
		action string
		max    int
		call   func(size int) error
	}{
		{"DescribeInstances PageSize", 100, func(n int) error {
			r := ecs.CreateDescribeInstancesRequest()
			r.PageSize = requests.NewInteger(n)
			_, err := c.ecs.DescribeInstances(r)
			return err
		}},
		{"DescribeInstances MaxResults", 100, func(n int) error {
			r := ecs.CreateDescribeInstancesRequest()
			r.MaxResults = requests.NewInteger(n)
			_, err := c.ecs.DescribeInstances(r)
			return err
		}},
		{"DescribeInstanceStatus", 50, func(n int) error {
			r := ecs.CreateDescribeInstanceStatusRequest()
			r.PageSize = requests.NewInteger(n)
			_, err := c.ecs.DescribeInstanceStatus(r)
			return err
		}},
		{"DescribeSecurityGroups", 50, func(n int) error {
			r := ecs.CreateDescribeSecurityGroupsRequest()
			r.PageSize = requests.NewInteger(n)
			_, err := c.ecs.DescribeSecurityGroups(r)
			return err
		}},
		{"DescribeDisks", 100, func(n int) error {
			r := ecs.CreateDescribeDisksRequest()
			r.PageSize = requests.NewInteger(n)
			_, err := c.ecs.DescribeDisks(r)
			return err
		}},
		{"DescribeImages", 100, func(n int) error {
			r := ecs.CreateDescribeImagesRequest()
			r.PageSize = requests.NewInteger(n)
			_, err := c.ecs.DescribeImages(r)
			return err
		}},
		{"DescribeVpcs", 50, func(n int) error {
			r := vpcapi.CreateDescribeVpcsRequest()
			r.PageSize = requests.NewInteger(n)
			_, err := c.vpc.DescribeVpcs(r)
			return err
		}},
		{"DescribeEipAddresses", 100, func(n int) error {
			r := vpcapi.CreateDescribeEipAddressesRequest()
			r.PageSize = requests.NewInteger(n)
			_, err := c.vpc.DescribeEipAddresses(r)
			return err
		}},
	} {
		t.Run(tc.action, func(t *testing.T) {
			if err := tc.call(tc.max); err != nil {
				t.Errorf("size %d: got %v, want success", tc.max, err)
			}
			wantCode(t, tc.call(tc.max+1), "InvalidParameter", 400)
		})
	}
}

func TestPageNumberPaginationSmall(t *testing.T) {
	c := newClients(t)
	for i := 0; i < 7; i++ {
		_, err := c.vpc.AllocateEipAddress(vpcapi.CreateAllocateEipAddressRequest())
		must(t, err)
	}
	var sizes []int
	for page := 1; page <= 3; page++ {
		r := vpcapi.CreateDescribeEipAddressesRequest()
		r.PageNumber = requests.NewInteger(page)
		r.PageSize = requests.NewInteger(3)
		resp, err := c.vpc.DescribeEipAddresses(r)
		must(t, err)
		if resp.TotalCount != 7 || resp.PageNumber != page {
			t.Errorf("page %d: got TotalCount %d PageNumber %d", page, resp.TotalCount, resp.PageNumber)
		}
		sizes = append(sizes, len(resp.EipAddresses.EipAddress))
	}
	if diff := cmp.Diff([]int{3, 3, 1}, sizes); diff != "" {
		t.Errorf("page sizes (-want +got):\n%s", diff)
	}
}

func TestIDsUnique(t *testing.T) {
	st := newState(DefaultRegions(), sim.New())
	rg := st.regionList[0]
	seen := map[string]bool{}
	for i := 0; i < 100000; i++ {
		id := st.newID("i", rg)
		if seen[id] {
			t.Fatalf("ID %s generated twice", id)
		}
		seen[id] = true
	}
}

func BenchmarkSeed(b *testing.B) {
	regions := make([]Region, 16)
	names := make([]string, 16)
	for i := range regions {
		names[i] = fmt.Sprintf("bench-%02d", i)
		regions[i] = Region{ID: names[i], Zones: []string{names[i] + "a", names[i] + "b", names[i] + "c"}}
	}
	for b.Loop() {
		srv := NewServer(WithRegions(regions...))
		srv.Seed(SeedSpec{InstancesPerRegion: 10000})
		srv.Close()
	}
}

func BenchmarkDescribeInstancesPage(b *testing.B) {
	c := newClients(b)
	c.srv.Seed(SeedSpec{Regions: []string{testRegion}, InstancesPerRegion: 10000})
	ids := c.srv.InstanceIDs(testRegion)
	i := 0
	for b.Loop() {
		r := ecs.CreateDescribeInstancesRequest()
		r.MaxResults = requests.NewInteger(100)
		r.NextToken = ids[(i*100)%len(ids)]
		i++
		if _, err := c.ecs.DescribeInstances(r); err != nil {
			b.Fatal(err)
		}
	}
}
