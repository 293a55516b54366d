package mapping

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/multicloud-ecs/multicloud"
)

func load(t *testing.T) *Catalog {
	t.Helper()
	c, err := Load("aliyun")
	if err != nil {
		t.Fatalf("Load(aliyun): %v", err)
	}
	return c
}

// wantInvalid fails unless err matches ErrInvalidArgument and mentions
// every string in names.
func wantInvalid(t *testing.T, err error, names ...string) {
	t.Helper()
	if !errors.Is(err, multicloud.ErrInvalidArgument) {
		t.Fatalf("got error %v, want one matching ErrInvalidArgument", err)
	}
	for _, n := range names {
		if !strings.Contains(err.Error(), n) {
			t.Errorf("got error %q, want it to mention %q", err, n)
		}
	}
}

func TestEmbeddedCatalogIsConsistent(t *testing.T) {
	for _, p := range Providers() {
		name, ok := dataFile(p)
		if !ok {
			t.Fatalf("provider %q has no data file", p)
		}
		data, err := dataFS.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := decodeCatalogFile(data) // rejects unknown fields
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		c, err := New(f.InstanceTypes, f.Images)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		models := map[string]bool{}
		for _, m := range c.GPUModels() {
			models[m] = true
		}
		for _, it := range f.InstanceTypes {
			if it.GPUCount > 0 && !models[it.GPUModel] {
				t.Errorf("%s: type %s has gpu_model %q, not one of %v", name, it.ID, it.GPUModel, c.GPUModels())
			}
			if it.GPUModel != NormalizeGPUModel(it.GPUModel) {
				t.Errorf("%s: type %s has gpu_model %q, want the canonical %q", name, it.ID, it.GPUModel, NormalizeGPUModel(it.GPUModel))
			}
			if it.GPUCount > 0 && it.GPUMemoryGiB <= 0 {
				t.Errorf("%s: GPU type %s has no gpu_memory_gib", name, it.ID)
			}
			if fam := familyOf(it.ID); it.Family == "" || (fam != "" && it.Family != fam) {
				t.Errorf("%s: type %s has family %q, want %q", name, it.ID, it.Family, familyOf(it.ID))
			}
			if it.VCPU <= 0 || it.MemoryGiB <= 0 || it.HourlyPrice <= 0 {
				t.Errorf("%s: type %s has incomplete specs: %+v", name, it.ID, it)
			}
		}
		want := []string{"A10", "A100", "L20", "T4", "V100"}
		if p == "aws" {
			want = []string{"A100", "A10G", "H100", "L4", "L40S", "T4", "V100"}
		}
		if diff := cmp.Diff(want, c.GPUModels()); diff != "" {
			t.Errorf("%s: GPU models (-want +got):\n%s", name, diff)
		}
	}
}

func TestLoad(t *testing.T) {
	for _, p := range []string{"aliyun", "fake", " Aliyun ", "aws"} {
		if _, err := Load(p); err != nil {
			t.Errorf("Load(%q): got %v, want nil", p, err)
		}
	}
	_, err := Load("gcp")
	wantInvalid(t, err, `"gcp"`, "aliyun", "aws", "fake")

	// Two loads are independent.
	a, b := load(t), load(t)
	if err := a.SetImage(Image{Key: "ubuntu-22.04", ID: "m-custom"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := b.ImageID("cn-hangzhou", "ubuntu-22.04"); got == "m-custom" {
		t.Error("an override on one loaded catalog shows in another")
	}
}

func TestImageID(t *testing.T) {
	c := load(t)
	tests := []struct {
		region, key, want string
	}{
		{"cn-hangzhou", "centos-7.9", "centos_7_9_x64_20G_alibase_20230815.vhd"},
		{"cn-hangzhou", "ubuntu-20.04", "ubuntu_20_04_x64_20G_alibase_20230815.vhd"},
		{"cn-shanghai", "ubuntu-22.04", "ubuntu_22_04_x64_20G_alibase_20230815.vhd"},
		{"cn-hangzhou", "aliyun-linux-3", "aliyun_3_x64_20G_alibase_20240819.vhd"},
		{"cn-hangzhou", "pytorch-1.12", "ubuntu_20_04_x64_20G_alibase_20230815.vhd"},
		{"cn-beijing", "tensorflow-2.8", "ubuntu_20_04_x64_20G_alibase_20230815.vhd"},
		{"cn-hangzhou", " Ubuntu-22.04 ", "ubuntu_22_04_x64_20G_alibase_20230815.vhd"},
	}
	for _, tt := range tests {
		got, err := c.ImageID(tt.region, tt.key)
		if err != nil || got != tt.want {
			t.Errorf("ImageID(%q, %q): got (%q, %v), want (%q, nil)", tt.region, tt.key, got, err, tt.want)
		}
	}

	wantKeys := []string{"aliyun-linux-3", "centos-7.9", "pytorch-1.12", "tensorflow-2.8", "ubuntu-20.04", "ubuntu-22.04"}
	if diff := cmp.Diff(wantKeys, c.ImageKeys()); diff != "" {
		t.Errorf("ImageKeys (-want +got):\n%s", diff)
	}
	for _, key := range c.ImageKeys() {
		if _, err := c.ImageID("cn-hangzhou", key); err != nil {
			t.Errorf("seed key %q: %v", key, err)
		}
	}

	for _, key := range []string{"windows-2022", ""} {
		_, err := c.ImageID("cn-hangzhou", key)
		wantInvalid(t, err, strings.Join(wantKeys, ", "))
	}
}

func TestImageRegionOverride(t *testing.T) {
	c := load(t)
	img := Image{Key: "pytorch-1.12", ID: "m-default", Regions: map[string]string{"cn-shanghai": "m-shanghai"}}
	if err := c.SetImage(img); err != nil {
		t.Fatal(err)
	}
	img.Regions["cn-shanghai"] = "mutated" // the catalog keeps its own copy
	for region, want := range map[string]string{"cn-shanghai": "m-shanghai", "cn-hangzhou": "m-default"} {
		if got, err := c.ImageID(region, "pytorch-1.12"); err != nil || got != want {
			t.Errorf("ImageID(%q): got (%q, %v), want %q", region, got, err, want)
		}
	}
	if !c.RemoveImage("PyTorch-1.12") {
		t.Error("RemoveImage: got false, want true")
	}
	_, err := c.ImageID("cn-hangzhou", "pytorch-1.12")
	wantInvalid(t, err, "ubuntu-22.04")

	for _, bad := range []Image{{Key: "", ID: "x"}, {Key: "k", ID: " "}, {Key: "k", ID: "x", Regions: map[string]string{"r": ""}}} {
		if err := c.SetImage(bad); !errors.Is(err, multicloud.ErrInvalidArgument) {
			t.Errorf("SetImage(%+v): got %v, want ErrInvalidArgument", bad, err)
		}
	}
}

func TestNew(t *testing.T) {
	good := InstanceType{ID: "x.a.large", VCPU: 2, MemoryGiB: 4}
	tests := []struct {
		name    string
		types   []InstanceType
		images  []Image
		wantErr []string // substrings; nil for success
	}{
		{"empty", nil, nil, nil},
		{"valid", []InstanceType{good}, []Image{{Key: "k", ID: "i"}}, nil},
		{"duplicate type", []InstanceType{good, good}, nil, []string{`duplicate instance type "x.a.large"`}},
		{"duplicate key, any case", nil, []Image{{Key: "k", ID: "i"}, {Key: "K", ID: "j"}}, []string{`duplicate image key "k"`}},
		{"negative specs", []InstanceType{{ID: "t", VCPU: -1, MemoryGiB: -2, HourlyPrice: -3}}, nil, []string{"vcpu -1", "memory_gib -2", "hourly_price -3"}},
		{"gpu count without model", []InstanceType{{ID: "t", GPUCount: 1}}, nil, []string{"without gpu_model"}},
		{"empty id", []InstanceType{{VCPU: 1}}, nil, []string{"empty id"}},
		{"every problem at once", []InstanceType{{ID: "t", VCPU: -1}}, []Image{{Key: "k"}}, []string{"vcpu -1", `image "k" with an empty id`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.types, tt.images)
			if tt.wantErr == nil {
				if err != nil || c == nil {
					t.Fatalf("got (%v, %v), want a catalog", c, err)
				}
				return
			}
			wantInvalid(t, err, tt.wantErr...)
		})
	}
}

func TestNewNormalizes(t *testing.T) {
	c, err := New([]InstanceType{{ID: "ecs.gn7i-c8g1.2xlarge", VCPU: 8, MemoryGiB: 30, GPUModel: "NVIDIA A10", GPUCount: 1, GPUMemoryGiB: 24}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := c.Type("ecs.gn7i-c8g1.2xlarge")
	want := InstanceType{ID: "ecs.gn7i-c8g1.2xlarge", Family: "ecs.gn7i", VCPU: 8, MemoryGiB: 30, GPUModel: "A10", GPUCount: 1, GPUMemoryGiB: 24}
	if !ok {
		t.Fatal("Type: not found")
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Type (-want +got):\n%s", diff)
	}
}

func TestSetAndRemoveType(t *testing.T) {
	c := load(t)
	n := len(c.Types())
	nt := InstanceType{ID: "ecs.gn8v-c16g1.4xlarge", VCPU: 16, MemoryGiB: 96, GPUModel: "NVIDIA H20", GPUCount: 1, GPUMemoryGiB: 96, HourlyPrice: 40}
	if err := c.SetType(nt); err != nil {
		t.Fatal(err)
	}
	if got := len(c.Types()); got != n+1 {
		t.Errorf("got %d types, want %d", got, n+1)
	}
	got, err := c.Select(Requirements{GPUModel: "h20"})
	if err != nil || len(got) != 1 || got[0].ID != nt.ID {
		t.Errorf("Select(h20): got (%v, %v), want [%s]", got, err, nt.ID)
	}
	if err := c.SetType(InstanceType{ID: "bad", VCPU: -1}); !errors.Is(err, multicloud.ErrInvalidArgument) {
		t.Errorf("SetType(invalid): got %v, want ErrInvalidArgument", err)
	}
	if !c.RemoveType(nt.ID) || c.RemoveType(nt.ID) {
		t.Error("RemoveType: want true then false")
	}
	if _, ok := c.Type(nt.ID); ok {
		t.Error("type still present after RemoveType")
	}
}

func TestNormalizeGPUModel(t *testing.T) {
	tests := map[string]string{
		"A100":                  "A100",
		"a100":                  "A100",
		"NVIDIA A100":           "A100",
		"nvidia a10":            "A10",
		"Tesla T4":              "T4",
		"NVIDIA-A100-SXM4-80GB": "A100",
		"A100-80G":              "A100",
		"Tesla V100-SXM2-16GB":  "V100",
		"NVIDIA L20":            "L20",
		"GeForce RTX 4090":      "RTX 4090",
		" a10 ":                 "A10",
		"NVIDIA":                "",
		"":                      "",
	}
	for in, want := range tests {
		if got := NormalizeGPUModel(in); got != want {
			t.Errorf("NormalizeGPUModel(%q): got %q, want %q", in, got, want)
		}
	}
}

// fakeSource is a Source returning fixed types or an error.
type fakeSource struct {
	types []InstanceType
	err   error
}

func (s fakeSource) InstanceTypes(context.Context) ([]InstanceType, error) { return s.types, s.err }

func TestRefresh(t *testing.T) {
	c := load(t)
	before := c.Types()
	known, _ := c.Type("ecs.gn7i-c8g1.2xlarge")

	src := fakeSource{types: []InstanceType{
		// A known type with changed specs, as DescribeInstanceTypes spells them.
		{ID: "ecs.gn7i-c8g1.2xlarge", Family: "ecs.gn7i", VCPU: 8, MemoryGiB: 32, GPUModel: "NVIDIA A10", GPUCount: 1, GPUMemoryGiB: 24},
		// A new type without a price.
		{ID: "ecs.gn7i-c48g1.12xlarge", VCPU: 48, MemoryGiB: 310, GPUModel: "NVIDIA A10", GPUCount: 1, GPUMemoryGiB: 24},
		// A known type with a price from the source.
		{ID: "ecs.g7.large", Family: "ecs.g7", VCPU: 2, MemoryGiB: 8, HourlyPrice: 0.6},
	}}
	if err := c.Refresh(context.Background(), src); err != nil {
		t.Fatal(err)
	}

	got, _ := c.Type("ecs.gn7i-c8g1.2xlarge")
	want := known
	want.MemoryGiB = 32
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("merged known type (-want +got):\n%s", diff)
	}
	added, ok := c.Type("ecs.gn7i-c48g1.12xlarge")
	if !ok || added.GPUModel != "A10" || added.Family != "ecs.gn7i" || added.HourlyPrice != 0 {
		t.Errorf("added type: got (%+v, %v), want A10 in ecs.gn7i with an unknown price", added, ok)
	}
	if g7, _ := c.Type("ecs.g7.large"); g7.HourlyPrice != 0.6 {
		t.Errorf("source price: got %v, want 0.6", g7.HourlyPrice)
	}
	if got, want := len(c.Types()), len(before)+1; got != want {
		t.Errorf("got %d types, want %d: types the source omits are kept", got, want)
	}

	// A type of unknown price is still selectable, after priced ones.
	sel, err := c.Select(Requirements{GPUModel: "A10", VCPU: 8})
	if err != nil {
		t.Fatal(err)
	}
	if last := sel[len(sel)-1].ID; last != "ecs.gn7i-c48g1.12xlarge" {
		t.Errorf("got last candidate %s, want the unpriced ecs.gn7i-c48g1.12xlarge", last)
	}
}

func TestRefreshFailureLeavesCatalogUnchanged(t *testing.T) {
	tests := []struct {
		name    string
		src     fakeSource
		wantErr error
	}{
		{"source error", fakeSource{err: errors.New("throttled")}, nil},
		{"invalid type", fakeSource{types: []InstanceType{{ID: "ecs.g7.large", VCPU: 4}, {ID: "x", VCPU: -1}}}, multicloud.ErrInvalidArgument},
		{"duplicate type", fakeSource{types: []InstanceType{{ID: "ecs.g7.large", VCPU: 4}, {ID: "ecs.g7.large", VCPU: 4}}}, multicloud.ErrInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := load(t)
			before := c.Types()
			err := c.Refresh(context.Background(), tt.src)
			if err == nil {
				t.Fatal("got nil error, want one")
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("got %v, want %v", err, tt.wantErr)
			}
			if tt.src.err != nil && !errors.Is(err, tt.src.err) {
				t.Errorf("got %v, want it to wrap %v", err, tt.src.err)
			}
			if diff := cmp.Diff(before, c.Types()); diff != "" {
				t.Errorf("catalog changed by a failed refresh (-before +after):\n%s", diff)
			}
		})
	}
}

func TestConcurrentUse(t *testing.T) {
	c := load(t)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 200 {
				switch (i + j) % 6 {
				case 0:
					if _, err := c.Select(Requirements{GPUModel: "A100", GPUCount: 8}); err != nil {
						t.Error(err)
					}
				case 1:
					if _, err := c.ImageID("cn-hangzhou", "ubuntu-22.04"); err != nil {
						t.Error(err)
					}
				case 2:
					id := fmt.Sprintf("ecs.x%d.large", j%5)
					if err := c.SetType(InstanceType{ID: id, VCPU: 2, MemoryGiB: 4, HourlyPrice: 9}); err != nil {
						t.Error(err)
					}
					c.RemoveType(id)
				case 3:
					if err := c.SetImage(Image{Key: fmt.Sprintf("k%d", j%5), ID: "m-1"}); err != nil {
						t.Error(err)
					}
				case 4:
					if err := c.Refresh(context.Background(), fakeSource{types: []InstanceType{{ID: "ecs.g7.large", VCPU: 2, MemoryGiB: 8}}}); err != nil {
						t.Error(err)
					}
				case 5:
					_ = c.GPUModels()
					_ = c.ImageKeys()
					_ = c.Types()
				}
			}
		})
	}
	wg.Wait()
}
