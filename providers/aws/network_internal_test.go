package aws

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/multicloud-ecs/multicloud/network"
)

// TestOldestVPC checks the rule two racing creators agree on: the oldest
// by TagCreatedAt, then the lowest ID, whatever order the listing has.
func TestOldestVPC(t *testing.T) {
	vpc := func(id, at string) types.Vpc {
		v := types.Vpc{VpcId: aws.String(id)}
		if at != "" {
			v.Tags = []types.Tag{{Key: aws.String(TagCreatedAt), Value: aws.String(at)}}
		}
		return v
	}
	for _, tc := range []struct {
		name string
		vs   []types.Vpc
		want string
	}{
		{"earlier create wins over lower id", []types.Vpc{vpc("vpc-0a", "2026-12-06T07:00:00.2Z"), vpc("vpc-0b", "2026-12-06T07:00:00.1Z")}, "vpc-0b"},
		{"same time: lower id", []types.Vpc{vpc("vpc-2", "2026-12-06T07:00:00Z"), vpc("vpc-1", "2026-12-06T07:00:00Z")}, "vpc-1"},
		{"untagged counts as oldest", []types.Vpc{vpc("vpc-9", "2026-12-06T07:00:00Z"), vpc("vpc-8", "")}, "vpc-8"},
	} {
		for _, order := range [][]types.Vpc{tc.vs, {tc.vs[1], tc.vs[0]}} {
			got, ok := oldestVPC(order)
			if !ok || aws.ToString(got.VpcId) != tc.want {
				t.Errorf("%s: got %s, want %s", tc.name, aws.ToString(got.VpcId), tc.want)
			}
		}
	}
	if _, ok := oldestVPC(nil); ok {
		t.Errorf("no vpc: got one")
	}
}

func TestGroupNameDistinct(t *testing.T) {
	a := network.Scope{Provider: "aws", Account: "x", Region: "us-east-1", Tenant: "t", Owner: "a b"}
	b := a
	b.Owner = "a_b" // the same text once sanitized
	if groupName(a) == groupName(b) {
		t.Errorf("scopes %q and %q share the group name %q", a.Owner, b.Owner, groupName(a))
	}
	if c := a; groupName(c) != groupName(a) {
		t.Errorf("group name not stable: %q, %q", groupName(c), groupName(a))
	}
}
