package awstest

import (
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func form(t *testing.T, s string) params {
	t.Helper()
	v, err := url.ParseQuery(s)
	if err != nil {
		t.Fatal(err)
	}
	return params(v)
}

// TestQueryLists reads the flattened ec2query lists as the SDK writes them.
func TestQueryLists(t *testing.T) {
	p := form(t, "Action=DescribeInstances&InstanceId.2=i-2&InstanceId.1=i-1&InstanceId.10=i-10"+
		"&Filter.1.Name=tag%3AOwner&Filter.1.Value.1=alice&Filter.2.Name=instance-state-name&Filter.2.Value.1=pending&Filter.2.Value.2=running"+
		"&TagSpecification.1.ResourceType=instance&TagSpecification.1.Tag.1.Key=Owner&TagSpecification.1.Tag.1.Value=alice"+
		"&TagSpecification.2.ResourceType=volume&TagSpecification.2.Tag.1.Key=Name&TagSpecification.2.Tag.1.Value="+
		"&Placement.AvailabilityZone=us-east-1a")
	if diff := cmp.Diff([]string{"i-1", "i-2", "i-10"}, p.list("InstanceId")); diff != "" {
		t.Errorf("list (-want +got):\n%s", diff)
	}
	fs, err := p.filters()
	if err != nil {
		t.Fatal(err)
	}
	want := []filter{{"tag:Owner", []string{"alice"}}, {"instance-state-name", []string{"pending", "running"}}}
	if diff := cmp.Diff(want, fs); diff != "" {
		t.Errorf("filters (-want +got):\n%s", diff)
	}
	specs, err := p.tagSpecs("instance", "volume")
	if err != nil {
		t.Fatal(err)
	}
	wantSpecs := map[string][]Tag{"instance": {{"Owner", "alice"}}, "volume": {{"Name", ""}}}
	if diff := cmp.Diff(wantSpecs, specs); diff != "" {
		t.Errorf("tag specifications (-want +got):\n%s", diff)
	}
	if _, err := p.tagSpecs("instance"); err == nil || err.Code != "InvalidParameterValue" {
		t.Errorf("volume spec on an instance-only action: got %v, want InvalidParameterValue", err)
	}
	if got := p.struc("Placement").str("AvailabilityZone"); got != "us-east-1a" {
		t.Errorf("got placement zone %q, want us-east-1a", got)
	}
	if _, err := form(t, "Tag.1.Key=aws%3Ax&Tag.1.Value=v").tags("Tag"); err == nil || err.Code != "InvalidTagKey.Malformed" {
		t.Errorf("aws: key: got %v, want InvalidTagKey.Malformed", err)
	}
}

func TestMatchFilters(t *testing.T) {
	tags := []Tag{{"Owner", "alice"}, {"Name", "web"}}
	a := func(name string) ([]string, bool) {
		switch name {
		case "instance-state-name":
			return []string{"running"}, true
		case "name":
			return []string{"ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20261101"}, true
		}
		return nil, false
	}
	cases := []struct {
		fs   []filter
		want bool
		code string
	}{
		{fs: []filter{{"tag:Owner", []string{"alice"}}}, want: true},
		{fs: []filter{{"tag:Owner", []string{"bob"}}}, want: false},
		{fs: []filter{{"tag-key", []string{"Name"}}, {"instance-state-name", []string{"pending", "running"}}}, want: true},
		{fs: []filter{{"tag-key", []string{"Missing"}}}, want: false},
		{fs: []filter{{"name", []string{"ubuntu/images/*ubuntu-jammy-22.04-amd64-server-*"}}}, want: true},
		{fs: []filter{{"name", []string{"ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-2026110?"}}}, want: true},
		{fs: []filter{{"name", []string{"ubuntu-noble-*"}}}, want: false},
		{fs: []filter{{"no-such-filter", []string{"x"}}}, code: "InvalidParameterValue"},
	}
	for i, c := range cases {
		got, err := matchFilters(c.fs, tags, a)
		code := ""
		if err != nil {
			code = err.Code
		}
		if got != c.want || code != c.code {
			t.Errorf("case %d: got %v %q, want %v %q", i, got, code, c.want, c.code)
		}
	}
}

func TestPaginate(t *testing.T) {
	p := form(t, "MaxResults=5")
	pg, err := paginate(p, "DescribeVpcs", 12, 5, 1000)
	if err != nil || pg.start != 0 || pg.end != 5 || pg.next == "" {
		t.Fatalf("first page: got %+v %v", pg, err)
	}
	p["NextToken"] = []string{pg.next}
	pg, err = paginate(p, "DescribeVpcs", 12, 5, 1000)
	if err != nil || pg.start != 5 || pg.end != 10 {
		t.Fatalf("second page: got %+v %v", pg, err)
	}
	p["NextToken"] = []string{pg.next}
	pg, err = paginate(p, "DescribeVpcs", 12, 5, 1000)
	if err != nil || pg.start != 10 || pg.end != 12 || pg.next != "" {
		t.Fatalf("last page: got %+v %v", pg, err)
	}
	if _, err := paginate(p, "DescribeSubnets", 12, 5, 1000); err == nil || err.Code != "InvalidPaginationToken" {
		t.Errorf("token of another action: got %v, want InvalidPaginationToken", err)
	}
	for _, bad := range []string{"4", "1001", "x"} {
		if _, err := paginate(form(t, "MaxResults="+bad), "DescribeVpcs", 12, 5, 1000); err == nil || err.Code != "InvalidParameterValue" {
			t.Errorf("MaxResults=%s: got %v, want InvalidParameterValue", bad, err)
		}
	}
	if pg, err := paginate(form(t, ""), "DescribeVpcs", 12, 5, 1000); err != nil || pg.end != 12 || pg.next != "" {
		t.Errorf("no MaxResults: got %+v %v, want every item", pg, err)
	}
}
