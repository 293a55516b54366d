package aliyun_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/providers/aliyun"
)

func TestValidateRequest(t *testing.T) {
	p := newProvider(t, newServer(t))
	tests := []struct {
		name string
		edit func(r *multicloud.CreateInstanceRequest)
		want []string // fields reported
	}{
		{"valid", func(r *multicloud.CreateInstanceRequest) {}, nil},
		{"user with acs prefix", func(r *multicloud.CreateInstanceRequest) { r.UserID = "acs:evil" }, []string{"userId"}},
		{"tenant with aliyun prefix", func(r *multicloud.CreateInstanceRequest) { r.TenantID = "AliyunCorp" }, []string{"tenantId"}},
		{"name too short", func(r *multicloud.CreateInstanceRequest) { r.InstanceName = "a" }, []string{"instanceName"}},
		{"name starts with digit", func(r *multicloud.CreateInstanceRequest) { r.InstanceName = "1abc" }, []string{"instanceName"}},
		{"name url", func(r *multicloud.CreateInstanceRequest) { r.InstanceName = "http://x" }, []string{"instanceName", "instanceName"}},
		{"name bad char", func(r *multicloud.CreateInstanceRequest) { r.InstanceName = "ab cd" }, []string{"instanceName"}},
		{"name unicode ok", func(r *multicloud.CreateInstanceRequest) { r.InstanceName = "训练机-01" }, nil},
		{"unknown disk type", func(r *multicloud.CreateInstanceRequest) { r.SystemDiskType = "floppy" }, []string{"systemDiskType"}},
		{"disk too small", func(r *multicloud.CreateInstanceRequest) { r.SystemDiskSize = 10 }, []string{"systemDiskSize"}},
		{"disk too big for cloud", func(r *multicloud.CreateInstanceRequest) { r.SystemDiskType, r.SystemDiskSize = "cloud", 600 }, []string{"systemDiskSize"}},
		{"bandwidth too high for traffic eip", func(r *multicloud.CreateInstanceRequest) { r.PublicIPBandwidth = 201 }, []string{"publicIpBandwidth"}},
		{"bandwidth fixed eip 500 ok", func(r *multicloud.CreateInstanceRequest) {
			r.BandwidthMode, r.PublicIPBandwidth = multicloud.Fixed, 500
		}, nil},
		{"bandwidth instance ip over 100", func(r *multicloud.CreateInstanceRequest) {
			r.PublicIPMode, r.PublicIPBandwidth = multicloud.PublicIPInstance, 101
		}, []string{"publicIpBandwidth"}},
		{"password too short", func(r *multicloud.CreateInstanceRequest) { r.Password = "Ab1!" }, []string{"password"}},
		{"password two classes", func(r *multicloud.CreateInstanceRequest) { r.Password = "abcdefgh12" }, []string{"password"}},
		{"password bad char", func(r *multicloud.CreateInstanceRequest) { r.Password = "Abcdefg1 x" }, []string{"password"}},
		{"password ok", func(r *multicloud.CreateInstanceRequest) { r.Password = "Str0ng!pass" }, nil},
		{"key pair too long", func(r *multicloud.CreateInstanceRequest) { r.KeyPairName = strings.Repeat("k", 129) }, []string{"keyPairName"}},
		{"prepaid 10 months", func(r *multicloud.CreateInstanceRequest) { r.InstanceChargeMode, r.Duration = multicloud.Prepaid, 10 }, []string{"duration"}},
		{"prepaid 12 months ok", func(r *multicloud.CreateInstanceRequest) { r.InstanceChargeMode, r.Duration = multicloud.Prepaid, 12 }, nil},
		{"description too short", func(r *multicloud.CreateInstanceRequest) { r.Description = "x" }, []string{"description"}},
		{"description url", func(r *multicloud.CreateInstanceRequest) { r.Description = "https://example.com" }, []string{"description"}},
		{"tag key aliyun prefix", func(r *multicloud.CreateInstanceRequest) { r.Tags = map[string]string{"aliyun:x": "v"} }, []string{"tags"}},
		{"tag value acs prefix", func(r *multicloud.CreateInstanceRequest) { r.Tags = map[string]string{"k": "acs:v"} }, []string{"tags"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := request("t1", "u1", multicloud.WithPublicIP(10, multicloud.Traffic))
			r.Normalize()
			p.DefaultRequest(r)
			tt.edit(r)
			var got []string
			for _, fe := range p.ValidateRequest(r) {
				got = append(got, fe.Field)
				if r.Password != "" && strings.Contains(fe.Reason, r.Password.Reveal()) {
					t.Errorf("reason %q holds the password", fe.Reason)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ValidateRequest fields mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDefaultRequestDisk(t *testing.T) {
	p := newProvider(t, newServer(t))
	r := request("t1", "u1")
	p.DefaultRequest(r)
	if r.SystemDiskType != aliyun.DefaultSystemDiskType {
		t.Errorf("system disk: got %q, want %q", r.SystemDiskType, aliyun.DefaultSystemDiskType)
	}
	r.SystemDiskType = "cloud_auto"
	p.DefaultRequest(r)
	if r.SystemDiskType != "cloud_auto" {
		t.Errorf("system disk set by the request: got %q, want cloud_auto kept", r.SystemDiskType)
	}
}

// TestClientReportsAliyunRules checks that the Client puts Aliyun's field
// errors in one report with the portable ones, before any API call.
func TestClientReportsAliyunRules(t *testing.T) {
	srv := newServer(t)
	rec := newRecorder()
	p := newProvider(t, srv, func(o *aliyun.Options) { o.Transport = rec })
	c := newClient(t, p)
	req := request("t1", "", multicloud.WithName("1st"), multicloud.WithSystemDisk("floppy", 40), multicloud.WithPassword("short"))
	_, err := c.CreateInstance(testCtx(t), req)
	if !errors.Is(err, multicloud.ErrInvalidArgument) {
		t.Fatalf("CreateInstance: got %v, want ErrInvalidArgument", err)
	}
	var fields []string
	for _, e := range errors.Unwrap(err).(interface{ Unwrap() []error }).Unwrap() {
		var fe *multicloud.FieldError
		if errors.As(e, &fe) {
			fields = append(fields, fe.Field)
		}
	}
	want := []string{"userId", "instanceName", "systemDiskType", "password", "password"}
	if diff := cmp.Diff(want, fields); diff != "" {
		t.Errorf("reported fields (-want +got):\n%s", diff)
	}
	if strings.Contains(err.Error(), "short") {
		t.Errorf("error %q holds the password", err)
	}
	if n := len(rec.calls()); n != 0 {
		t.Errorf("API calls before the report: got %d, want 0", n)
	}
}
