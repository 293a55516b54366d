package inventory_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/inventory"
)

func TestParseFilter(t *testing.T) {
	for _, tc := range []struct {
		query string
		want  inventory.Filter
	}{
		{"", inventory.Filter{Limit: 20, Sort: "-create_time"}},
		{"provider=aliyun&account=a1&asset_type=ecs&region=cn-hangzhou&zone=cn-hangzhou-h&status=Running&name=web",
			inventory.Filter{Provider: "aliyun", Account: "a1", AssetType: "ecs", Region: "cn-hangzhou", Zone: "cn-hangzhou-h",
				Status: "Running", Name: "web", Limit: 20, Sort: "-create_time"}},
		{"tag=env=prod&tag=owner&tag=k=v=w&tag_key=team&tag_value=",
			inventory.Filter{Tags: []inventory.Tag{{Key: "env", Value: "prod"}, {Key: "k", Value: "v=w"}, {Key: "team"}},
				TagKeys: []string{"owner"}, Limit: 20, Sort: "-create_time"}},
		{"tag_key=team", inventory.Filter{TagKeys: []string{"team"}, Limit: 20, Sort: "-create_time"}},
		{"include_deleted=true&limit=1000&offset=40&sort=asset_name",
			inventory.Filter{IncludeDeleted: true, Limit: 1000, Offset: 40, Sort: "asset_name"}},
		{"name=%27+OR+1%3D1+--", inventory.Filter{Name: "' OR 1=1 --", Limit: 20, Sort: "-create_time"}},
	} {
		v, err := url.ParseQuery(tc.query)
		if err != nil {
			t.Fatal(err)
		}
		got, err := inventory.ParseFilter(v)
		if err != nil {
			t.Errorf("ParseFilter(%q): %v", tc.query, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("ParseFilter(%q) mismatch (-want +got):\n%s", tc.query, diff)
		}
	}
}

func TestParseFilterErrors(t *testing.T) {
	for _, tc := range []struct{ query, want string }{
		{"limit=1000000000", "above the maximum"},
		{"limit=-1", "negative"},
		{"limit=ten", "not an integer"},
		{"limit=99999999999999999999999", "not an integer"},
		{"offset=-3", "negative"},
		{"sort=asset_name%3B+DROP+TABLE+assets", "sort"},
		{"sort=-", "sort"},
		{"include_deleted=maybe", "not a boolean"},
		{"tag_value=x", "tag_value without tag_key"},
		{"tag==v", "tag key is empty"},
		{"region=%00", "NUL"},
		{"zone=%FF", "UTF-8"},
		{"name=" + strings.Repeat("a", 300), "longer than"},
		{"limit=0&offset=-1&sort=x", "offset"},
	} {
		v, err := url.ParseQuery(tc.query)
		if err != nil {
			t.Fatal(err)
		}
		_, err = inventory.ParseFilter(v)
		if !errors.Is(err, multicloud.ErrInvalidArgument) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseFilter(%.40q): got %v, want ErrInvalidArgument mentioning %q", tc.query, err, tc.want)
		}
	}
}

// FuzzParseFilter checks that no query string makes ParseFilter panic,
// and that every filter it accepts is normalized and survives a round
// trip through Values.
func FuzzParseFilter(f *testing.F) {
	for _, seed := range []string{
		"", "provider=aliyun&limit=10", "name=%27+OR+1%3D1+--", "status=%27%3B+DROP+TABLE+assets%3B+--",
		"tag=%25%3D_&name=%5C", "sort=-create_time&offset=5", "limit=1000000000", "tag_key=a&tag_value=%22",
		"region=%E6%97%A5%E6%9C%AC", "include_deleted=1&tag=k", "sort=id%20desc", "zone=%00",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, query string) {
		v, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		got, err := inventory.ParseFilter(v)
		if err != nil {
			if !errors.Is(err, multicloud.ErrInvalidArgument) {
				t.Fatalf("ParseFilter(%q): error %v does not match ErrInvalidArgument", query, err)
			}
			return
		}
		norm, err := got.Normalize()
		if err != nil {
			t.Fatalf("ParseFilter(%q) returned a filter that does not validate: %v", query, err)
		}
		if diff := cmp.Diff(got, norm, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("ParseFilter(%q) is not normalized (-got +norm):\n%s", query, diff)
		}
		back, err := inventory.ParseFilter(got.Values())
		if err != nil {
			t.Fatalf("round trip of %q: %v", query, err)
		}
		if diff := cmp.Diff(got, back, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("round trip of %q mismatch (-first +second):\n%s", query, diff)
		}
	})
}
