package aws

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/multicloud-ecs/multicloud"
)

func TestValidateRequest(t *testing.T) {
	p := newTestProvider(t)
	base := func() *multicloud.CreateInstanceRequest {
		r := multicloud.NewCreateInstanceRequest(multicloud.WithOwner("t", "u"), multicloud.WithImage("ubuntu-22.04"),
			multicloud.WithPublicIP(5, multicloud.Traffic))
		r.Normalize()
		p.DefaultRequest(r)
		return r
	}
	if errs := p.ValidateRequest(base()); len(errs) != 0 {
		t.Fatalf("a plain request: got %v, want no field errors", errs)
	}
	if r := base(); r.SystemDiskType != "gp3" {
		t.Errorf("default disk type: got %q, want gp3", r.SystemDiskType)
	}
	for _, tc := range []struct {
		name string
		edit func(r *multicloud.CreateInstanceRequest)
		want []string // fields
	}{
		{"aliyun disk category", func(r *multicloud.CreateInstanceRequest) { r.SystemDiskType = "cloud_essd" }, []string{"systemDiskType"}},
		{"io2 too small", func(r *multicloud.CreateInstanceRequest) { r.SystemDiskType, r.SystemDiskSize = "io2", 2 }, []string{"systemDiskSize"}},
		{"prepaid", func(r *multicloud.CreateInstanceRequest) { r.InstanceChargeMode, r.Duration = multicloud.Prepaid, 1 }, []string{"instanceChargeMode"}},
		{"spot", func(r *multicloud.CreateInstanceRequest) { multicloud.WithSpot()(r) }, []string{"instanceChargeMode"}},
		{"fixed bandwidth", func(r *multicloud.CreateInstanceRequest) { r.BandwidthMode = multicloud.Fixed }, []string{"bandwidthMode"}},
		{"password", func(r *multicloud.CreateInstanceRequest) { r.Password = "Secret123!" }, []string{"password"}},
		{"aws: tag", func(r *multicloud.CreateInstanceRequest) { r.Tags = map[string]string{"aws:cloudformation": "x"} }, []string{"tags"}},
		{"unknown extension", func(r *multicloud.CreateInstanceRequest) { r.Extensions = map[string]string{"aws.spot": "1"} }, []string{"extensions"}},
	} {
		r := base()
		tc.edit(r)
		var got []string
		for _, e := range p.ValidateRequest(r) {
			got = append(got, e.Field)
			if r.Password != "" && strings.Contains(e.Reason, r.Password.Reveal()) {
				t.Errorf("%s: reason quotes the password", tc.name)
			}
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s: fields (-want +got):\n%s", tc.name, diff)
		}
	}
}
