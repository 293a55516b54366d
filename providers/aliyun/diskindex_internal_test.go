package aliyun

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/multicloud-ecs/multicloud/inventory"
)

// TestDiskIndex: the disks of an instance come back whole, in disk ID
// order, whatever order they were listed in, and toAsset maps them.
func TestDiskIndex(t *testing.T) {
	listed := []listedDisk{
		{DiskId: "d-3", InstanceId: "i-b", Category: "cloud_essd", Device: "/dev/xvdc", Type: "data", Size: 300, Encrypted: true},
		{DiskId: "d-9", InstanceId: "i-a", Category: "cloud_essd", Device: "/dev/xvda", Type: "system", Size: 40, DeleteWithInstance: true},
		{DiskId: "d-1", InstanceId: "i-b", Category: "cloud_efficiency", Device: "/dev/xvda", Type: "system", Size: 20, DeleteWithInstance: true},
		{DiskId: "d-2", InstanceId: "i-b", Category: "cloud_essd", Device: "/dev/xvdb", Type: "data", Size: 100, DeleteWithInstance: true},
		{DiskId: "d-4", InstanceId: "i-c", Category: "cloud_essd", Device: "/dev/xvda", Type: "system", Size: 40},
	}
	var b diskIndexBuilder
	for i := range listed {
		if err := b.add(&listed[i]); err != nil {
			t.Fatalf("add: %v", err)
		}
	}
	x := b.index()
	if len(x.kinds) != 4 {
		t.Errorf("kinds: got %d, want 4 distinct (category, device, type)", len(x.kinds))
	}
	ids := func(s diskSet) []string {
		out := []string{}
		for i := range s.recs {
			out = append(out, s.x.idOf(&s.recs[i]))
		}
		return out
	}
	for inst, want := range map[string][]string{"i-a": {"d-9"}, "i-b": {"d-1", "d-2", "d-3"}, "i-c": {"d-4"}, "i-0": {}, "i-bb": {}, "i-z": {}} {
		if diff := cmp.Diff(want, ids(x.of(inst))); diff != "" {
			t.Errorf("disks of %s (-want +got):\n%s", inst, diff)
		}
	}
	var none *diskIndex
	if got := ids(none.of("i-a")); len(got) != 0 {
		t.Errorf("nil index: got %v", got)
	}

	a, err := toAsset(&listedInstance{InstanceId: "i-b", RegionId: "cn-hangzhou"}, x.of("i-b"), renewal{})
	if err != nil {
		t.Fatalf("toAsset: %v", err)
	}
	var m inventory.ECSMetadata
	if err := a.DecodeMetadata(&m); err != nil {
		t.Fatalf("metadata: %v", err)
	}
	if m.SystemDiskCategory != "cloud_efficiency" || m.SystemDiskSize != 20 {
		t.Errorf("system disk: got %s %d, want cloud_efficiency 20", m.SystemDiskCategory, m.SystemDiskSize)
	}
	want := []inventory.DataDisk{
		{DiskID: "d-2", Category: "cloud_essd", Size: 100, Device: "/dev/xvdb", DeleteWithInstance: true},
		{DiskID: "d-3", Category: "cloud_essd", Size: 300, Device: "/dev/xvdc", Encrypted: true},
	}
	if diff := cmp.Diff(want, m.DataDisks); diff != "" {
		t.Errorf("data disks (-want +got):\n%s", diff)
	}
}
