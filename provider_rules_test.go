package multicloud_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/providers/fake"
)

// otherCloud is a provider with rules of its own, unlike Aliyun's: disk
// categories gp3 (its default) and io2, tag keys that must not start with
// "oc:", and no rule on instance names. It runs on the fake cloud and
// records the disk category each create was handed.
type otherCloud struct {
	*fake.Provider
	mu    sync.Mutex
	disks []string
}

func newOtherCloud() *otherCloud {
	return &otherCloud{Provider: fake.New(func(o *fake.Options) { o.Code = "othercloud" })}
}

func (o *otherCloud) DefaultRequest(r *multicloud.CreateInstanceRequest) {
	if r.SystemDiskType == "" {
		r.SystemDiskType = "gp3"
	}
}

func (o *otherCloud) ValidateRequest(r *multicloud.CreateInstanceRequest) []*multicloud.FieldError {
	var fes []*multicloud.FieldError
	if r.SystemDiskType != "gp3" && r.SystemDiskType != "io2" {
		fes = append(fes, &multicloud.FieldError{Field: "systemDiskType", Reason: fmt.Sprintf("%q is not gp3 or io2", r.SystemDiskType)})
	}
	for k := range r.Tags {
		if strings.HasPrefix(k, "oc:") {
			fes = append(fes, &multicloud.FieldError{Field: "tags", Reason: fmt.Sprintf("key %q uses the reserved prefix oc:", k)})
		}
	}
	return fes
}

func (o *otherCloud) Create(ctx context.Context, spec *multicloud.CreateSpec) ([]*multicloud.Instance, error) {
	o.mu.Lock()
	o.disks = append(o.disks, spec.Request.SystemDiskType)
	o.mu.Unlock()
	return o.Provider.Create(ctx, spec)
}

var _ multicloud.RequestValidator = (*otherCloud)(nil)

func otherRequest(provider string, opts ...multicloud.RequestOption) *multicloud.CreateInstanceRequest {
	return multicloud.NewCreateInstanceRequest(append([]multicloud.RequestOption{
		multicloud.WithProvider(provider),
		multicloud.WithPlacement("cn-hangzhou", "cn-hangzhou-h"),
		multicloud.WithOwner("t1", "u1"),
		multicloud.WithName("9 lives"), // no form Aliyun would take
		multicloud.WithImage("ubuntu-22.04"),
		multicloud.WithInstanceType("ecs.g7.large"),
	}, opts...)...)
}

func reportedFields(t *testing.T, err error) []string {
	t.Helper()
	if !errors.Is(err, multicloud.ErrInvalidArgument) {
		t.Fatalf("got %v, want an error matching ErrInvalidArgument", err)
	}
	var fields []string
	var walk func(error)
	walk = func(err error) {
		var fe *multicloud.FieldError
		switch {
		case errors.As(err, &fe) && fe == err:
			fields = append(fields, fe.Field)
		case err == nil:
		default:
			if j, ok := err.(interface{ Unwrap() []error }); ok {
				for _, e := range j.Unwrap() {
					walk(e)
				}
				return
			}
			walk(errors.Unwrap(err))
		}
	}
	walk(err)
	return fields
}

func TestProviderRulesThroughClient(t *testing.T) {
	oc := newOtherCloud()
	reg, err := multicloud.NewRegistry(oc)
	if err != nil {
		t.Fatal(err)
	}
	c, err := multicloud.New(reg, multicloud.UsePollInterval(time.Millisecond), multicloud.UseRetryPolicy(fastRetry))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	// The provider's default disk and name rules apply: none of Aliyun's.
	if _, err := c.CreateInstance(ctx, otherRequest("othercloud")); err != nil {
		t.Fatalf("CreateInstance with the provider's defaults: %v", err)
	}
	if _, err := c.CreateInstance(ctx, otherRequest("othercloud", multicloud.WithSystemDisk("io2", 500))); err != nil {
		t.Fatalf("CreateInstance with io2: %v", err)
	}
	if diff := cmp.Diff([]string{"gp3", "io2"}, oc.disks); diff != "" {
		t.Errorf("disk categories handed to Create (-want +got):\n%s", diff)
	}

	// Its rules are reported with the portable ones, in one report, before
	// any create.
	_, err = c.CreateInstance(ctx, otherRequest("othercloud", multicloud.WithOwner("t1", ""),
		multicloud.WithSystemDisk("cloud_essd", 40), multicloud.AddTag("oc:cost", "x")))
	if diff := cmp.Diff([]string{"userId", "systemDiskType", "tags"}, reportedFields(t, err)); diff != "" {
		t.Errorf("reported fields (-want +got):\n%s", diff)
	}
	if len(oc.disks) != 2 {
		t.Errorf("creates: got %d, want 2 (the refused request created nothing)", len(oc.disks))
	}
}

// TestPlacementOfRefusingProviderSkipped checks that a failover placement
// on a provider that refuses the request is skipped for the next one.
func TestPlacementOfRefusingProviderSkipped(t *testing.T) {
	oc := newOtherCloud()
	fk := fake.New()
	reg, err := multicloud.NewRegistry(oc, fk)
	if err != nil {
		t.Fatal(err)
	}
	c, err := multicloud.New(reg, multicloud.UsePollInterval(time.Millisecond), multicloud.UseRetryPolicy(fastRetry),
		multicloud.UseScheduler(multicloud.FailoverScheduler{Placements: []multicloud.Placement{{Provider: "othercloud"}, {Provider: "fake"}}}))
	if err != nil {
		t.Fatal(err)
	}
	req := otherRequest("", multicloud.WithName("train-01"), multicloud.WithSystemDisk("cloud_ssd", 40))
	insts, err := c.CreateInstance(context.Background(), req)
	if err != nil {
		t.Fatalf("CreateInstance: %v", err)
	}
	if got := insts[0].Provider; got != "fake" {
		t.Errorf("provider: got %s, want fake (othercloud refuses cloud_ssd)", got)
	}
	if len(oc.disks) != 0 {
		t.Errorf("othercloud creates: got %v, want none", oc.disks)
	}

	// When every provider refuses, the report names each.
	_, err = c.CreateInstance(context.Background(), otherRequest("", multicloud.WithName("train-01"), multicloud.WithSystemDisk("floppy", 40)))
	if got := reportedFields(t, err); !slices.Equal(got, []string{"systemDiskType", "systemDiskType"}) {
		t.Errorf("reported fields: got %v, want systemDiskType from each provider", got)
	}
}
