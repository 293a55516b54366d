package aliyuntest

import (
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/google/go-cmp/cmp"
)

// TestInstanceTypesPaging follows DescribeInstanceTypes' documentation
// since 2023-11-15: MaxResults is at most 100 (1600 is refused), and a
// listing longer than a page continues with NextToken.
func TestInstanceTypesPaging(t *testing.T) {
	c := newClients(t)
	all, err := c.ecs.DescribeInstanceTypes(ecs.CreateDescribeInstanceTypesRequest())
	must(t, err)
	if all.NextToken != "" {
		t.Errorf("a catalog under 100 types in one page: got NextToken %q, want none", all.NextToken)
	}
	var want []string
	for _, it := range all.InstanceTypes.InstanceType {
		want = append(want, it.InstanceTypeId)
	}

	var got []string
	token, pages := "", 0
	for {
		r := ecs.CreateDescribeInstanceTypesRequest()
		r.MaxResults = requests.NewInteger(7)
		r.NextToken = token
		resp, err := c.ecs.DescribeInstanceTypes(r)
		must(t, err)
		pages++
		if n := len(resp.InstanceTypes.InstanceType); n > 7 {
			t.Fatalf("page %d: got %d types, want at most 7", pages, n)
		}
		for _, it := range resp.InstanceTypes.InstanceType {
			got = append(got, it.InstanceTypeId)
		}
		if token = resp.NextToken; token == "" {
			break
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("paged listing (-want +got):\n%s", diff)
	}
	if wantPages := (len(want) + 6) / 7; pages != wantPages {
		t.Errorf("pages: got %d, want %d", pages, wantPages)
	}

	for _, bad := range []int{0, 101, 1600} {
		r := ecs.CreateDescribeInstanceTypesRequest()
		r.MaxResults = requests.NewInteger(bad)
		_, err := c.ecs.DescribeInstanceTypes(r)
		wantCode(t, err, "InvalidParameter", 400)
	}
	r := ecs.CreateDescribeInstanceTypesRequest()
	r.NextToken = "no-such-token"
	_, err = c.ecs.DescribeInstanceTypes(r)
	wantCode(t, err, "InvalidParameter.NextToken", 400)
}
