package inventory_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/multicloud-ecs/multicloud/inventory"
)

func TestECSMetadataListsNeverNull(t *testing.T) {
	var a inventory.Asset
	if err := a.SetMetadata(inventory.ECSMetadata{InstanceID: "i-1"}); err != nil {
		t.Fatal(err)
	}
	b := a.Metadata
	for _, field := range []string{"public_ip", "private_ip", "security_groups", "data_disks", "tags"} {
		if !strings.Contains(string(b), `"`+field+`":[]`) {
			t.Errorf("metadata JSON %s: got no empty list for %s, want []", b, field)
		}
	}
	var back inventory.ECSMetadata
	if err := json.Unmarshal(b, &back); err != nil || back.InstanceID != "i-1" {
		t.Errorf("round trip = %+v, %v; want instance i-1", back, err)
	}
}

func TestCloudAccountJSONShowsOnlyTheMask(t *testing.T) {
	a := inventory.CloudAccount{Name: "prod", Provider: "aliyun", AccessKeyID: "LTAI5tExampleKey", AccessKeySecret: "the-real-secret"}
	b, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "the-real-secret") || !strings.Contains(string(b), `"access_key_secret":"****eKey"`) {
		t.Errorf("account JSON %s: want the mask ****eKey and never the secret", b)
	}
	if strings.Count(string(b), "access_key_secret") != 1 {
		t.Errorf("account JSON %s has the secret field more than once", b)
	}
}
