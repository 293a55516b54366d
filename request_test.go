package multicloud_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/multicloud-ecs/multicloud"
)

// validRequest returns a request that passes Validate once normalized.
func validRequest() *multicloud.CreateInstanceRequest {
	r := multicloud.NewCreateInstanceRequest(
		multicloud.WithProvider("fake"),
		multicloud.WithPlacement("cn-hangzhou", ""),
		multicloud.WithOwner("t1", "u1"),
		multicloud.WithName("train-01"),
		multicloud.WithImage("pytorch-1.12"),
		multicloud.WithGPU("A100", 1),
		multicloud.AddPorts(22, 80, 443, 8888),
		multicloud.WithPublicIP(10, multicloud.Traffic),
	)
	r.Normalize()
	return r
}

// fieldErrors returns the fields named by a Validate error, in order.
func fieldErrors(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	if !errors.Is(err, multicloud.ErrInvalidArgument) {
		t.Fatalf("got %v, want an error matching ErrInvalidArgument", err)
	}
	joined, ok := errors.Unwrap(err).(interface{ Unwrap() []error })
	if !ok {
		t.Fatalf("got cause %T, want joined field errors", errors.Unwrap(err))
	}
	var fields []string
	for _, e := range joined.Unwrap() {
		var fe *multicloud.FieldError
		if !errors.As(e, &fe) {
			t.Fatalf("got %T in joined errors, want *FieldError", e)
		}
		fields = append(fields, fe.Field)
	}
	return fields
}

func TestValidate(t *testing.T) {
	long := strings.Repeat("a", 129)
	tests := []struct {
		name string
		edit func(r *multicloud.CreateInstanceRequest)
		want []string // fields reported
	}{
		{"valid", func(r *multicloud.CreateInstanceRequest) {}, nil},
		{"missing tenant", func(r *multicloud.CreateInstanceRequest) { r.TenantID = "" }, []string{"tenantId"}},
		{"missing user", func(r *multicloud.CreateInstanceRequest) { r.UserID = " " }, []string{"userId"}},
		{"user too long", func(r *multicloud.CreateInstanceRequest) { r.UserID = long }, []string{"userId"}},
		{"missing region", func(r *multicloud.CreateInstanceRequest) { r.Region = "" }, []string{"region"}},
		{"bad region", func(r *multicloud.CreateInstanceRequest) { r.Region = "cn hangzhou" }, []string{"region"}},
		{"bad zone", func(r *multicloud.CreateInstanceRequest) { r.Zone = "a/b" }, []string{"zone"}},
		{"missing name", func(r *multicloud.CreateInstanceRequest) { r.InstanceName = "" }, []string{"instanceName"}},
		{"name unicode ok", func(r *multicloud.CreateInstanceRequest) { r.InstanceName = "训练机-01" }, nil},
		{"name too long", func(r *multicloud.CreateInstanceRequest) { r.InstanceName = long }, []string{"instanceName"}},
		{"name any cloud's form ok", func(r *multicloud.CreateInstanceRequest) { r.InstanceName = "9 lives/train" }, nil},
		{"missing image", func(r *multicloud.CreateInstanceRequest) { r.ImageKey = "" }, []string{"imageKey"}},
		{"no type, gpu or cpu/mem", func(r *multicloud.CreateInstanceRequest) { r.GPUModel, r.GPUCount = "", 0 }, []string{"instanceType"}},
		{"cpu without memory", func(r *multicloud.CreateInstanceRequest) { r.GPUModel, r.GPUCount, r.CPU = "", 0, 4 }, []string{"instanceType"}},
		{"cpu and memory ok", func(r *multicloud.CreateInstanceRequest) { r.GPUModel, r.GPUCount, r.CPU, r.Memory = "", 0, 4, 16 }, nil},
		{"gpu count too big", func(r *multicloud.CreateInstanceRequest) { r.GPUCount = 17 }, []string{"gpuCount"}},
		{"gpu count without model", func(r *multicloud.CreateInstanceRequest) { r.GPUModel, r.InstanceType = "", "ecs.g7.large" }, []string{"gpuCount"}},
		{"negative cpu", func(r *multicloud.CreateInstanceRequest) { r.CPU = -1 }, []string{"cpu"}},
		{"negative memory", func(r *multicloud.CreateInstanceRequest) { r.Memory = -1 }, []string{"memory"}},
		{"any disk category ok", func(r *multicloud.CreateInstanceRequest) { r.SystemDiskType = "gp3" }, nil},
		{"disk size zero", func(r *multicloud.CreateInstanceRequest) { r.SystemDiskSize = -1 }, []string{"systemDiskSize"}},
		{"bad bandwidth mode", func(r *multicloud.CreateInstanceRequest) { r.BandwidthMode = "FREE" }, []string{"bandwidthMode"}},
		{"bad public ip mode", func(r *multicloud.CreateInstanceRequest) { r.PublicIPMode = "NAT" }, []string{"publicIpMode"}},
		{"bandwidth fixed eip 500 ok", func(r *multicloud.CreateInstanceRequest) {
			r.BandwidthMode, r.PublicIPBandwidth = multicloud.Fixed, 500
		}, nil},
		{"bandwidth zero with public ip", func(r *multicloud.CreateInstanceRequest) { r.PublicIPBandwidth = 0 }, []string{"publicIpBandwidth"}},
		{"bandwidth without public ip", func(r *multicloud.CreateInstanceRequest) { r.AllocatePublicIP = false }, []string{"publicIpBandwidth"}},
		{"port zero", func(r *multicloud.CreateInstanceRequest) { r.OpenPorts = []int{0} }, []string{"openPorts"}},
		{"port too high", func(r *multicloud.CreateInstanceRequest) { r.OpenPorts = []int{65536} }, []string{"openPorts"}},
		{"password too long", func(r *multicloud.CreateInstanceRequest) { r.Password = multicloud.Secret(strings.Repeat("p", 129)) }, []string{"password"}},
		{"key pair too long", func(r *multicloud.CreateInstanceRequest) { r.KeyPairName = strings.Repeat("k", 256) }, []string{"keyPairName"}},
		{"password ok", func(r *multicloud.CreateInstanceRequest) { r.Password = "Str0ng!pass" }, nil},
		{"bad charge mode", func(r *multicloud.CreateInstanceRequest) { r.InstanceChargeMode = "FREE" }, []string{"instanceChargeMode"}},
		{"on demand with duration", func(r *multicloud.CreateInstanceRequest) { r.Duration = 3 }, []string{"duration"}},
		{"prepaid without duration", func(r *multicloud.CreateInstanceRequest) { r.InstanceChargeMode = multicloud.Prepaid }, []string{"duration"}},
		{"spot ok", func(r *multicloud.CreateInstanceRequest) { multicloud.WithSpot()(r) }, nil},
		{"spot with duration", func(r *multicloud.CreateInstanceRequest) { r.InstanceChargeMode, r.Duration = multicloud.Spot, 1 }, []string{"duration"}},
		{"prepaid 10 months ok", func(r *multicloud.CreateInstanceRequest) { r.InstanceChargeMode, r.Duration = multicloud.Prepaid, 10 }, nil},
		{"prepaid 12 months ok", func(r *multicloud.CreateInstanceRequest) { r.InstanceChargeMode, r.Duration = multicloud.Prepaid, 12 }, nil},
		{"quantity zero", func(r *multicloud.CreateInstanceRequest) { r.Quantity = 0 }, []string{"quantity"}},
		{"quantity too big", func(r *multicloud.CreateInstanceRequest) { r.Quantity = 101 }, []string{"quantity"}},
		{"description too long", func(r *multicloud.CreateInstanceRequest) { r.Description = strings.Repeat("d", 257) }, []string{"description"}},
		{"bad network isolation", func(r *multicloud.CreateInstanceRequest) { r.NetworkIsolation = "vpc" }, []string{"networkIsolation"}},
		{"tenant network isolation ok", func(r *multicloud.CreateInstanceRequest) { r.NetworkIsolation = multicloud.IsolateTenant }, nil},
		{"reserved tag tenantId", func(r *multicloud.CreateInstanceRequest) { r.Tags = map[string]string{"tenantId": "t2"} }, []string{"tags"}},
		{"reserved tag Owner", func(r *multicloud.CreateInstanceRequest) { r.Tags = map[string]string{"Owner": "u2"} }, []string{"tags"}},
		{"reserved tag lookalike", func(r *multicloud.CreateInstanceRequest) { r.Tags = map[string]string{"owner": "u2"} }, []string{"tags"}},
		{"reserved tag createdBy", func(r *multicloud.CreateInstanceRequest) { r.Tags = map[string]string{"createdBy": "me"} }, []string{"tags"}},
		{"tag key aliyun prefix is the provider's rule", func(r *multicloud.CreateInstanceRequest) { r.Tags = map[string]string{"aliyun:x": "v"} }, nil},
		{"tag value acs prefix is the provider's rule", func(r *multicloud.CreateInstanceRequest) { r.Tags = map[string]string{"k": "acs:v"} }, nil},
		{"tag empty key", func(r *multicloud.CreateInstanceRequest) { r.Tags = map[string]string{"": "v"} }, []string{"tags"}},
		{"tag value too long", func(r *multicloud.CreateInstanceRequest) { r.Tags = map[string]string{"k": long} }, []string{"tags"}},
		{"too many tags", func(r *multicloud.CreateInstanceRequest) {
			r.Tags = map[string]string{}
			for i := range 18 {
				r.Tags[fmt.Sprintf("k%d", i)] = "v"
			}
		}, []string{"tags"}},
		{"empty extension key", func(r *multicloud.CreateInstanceRequest) { r.Extensions = map[string]string{"": "x"} }, []string{"extensions"}},
		{"idempotency key too long", func(r *multicloud.CreateInstanceRequest) { r.IdempotencyKey = strings.Repeat("k", 129) }, []string{"idempotencyKey"}},
		{"everything at once", func(r *multicloud.CreateInstanceRequest) {
			*r = multicloud.CreateInstanceRequest{Quantity: 1, InstanceChargeMode: multicloud.OnDemand, BandwidthMode: multicloud.Traffic,
				PublicIPMode: multicloud.PublicIPElastic, SystemDiskType: "cloud_essd", SystemDiskSize: 40}
		}, []string{"tenantId", "userId", "region", "instanceName", "imageKey", "instanceType"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := validRequest()
			tt.edit(r)
			got := fieldErrors(t, r.Validate())
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Validate fields mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNormalizeDefaults(t *testing.T) {
	r := &multicloud.CreateInstanceRequest{GPUModel: "T4", AllocatePublicIP: true, OpenPorts: []int{443, 22, 443}}
	r.Normalize()
	got := struct {
		Quantity       int
		Charge         multicloud.ChargeMode
		Bandwidth      multicloud.BandwidthMode
		IPMode         multicloud.PublicIPMode
		DiskType       string
		DiskSize, Mbps int
		GPUCount       int
		Ports          []int
		HasKey         bool
	}{r.Quantity, r.InstanceChargeMode, r.BandwidthMode, r.PublicIPMode, r.SystemDiskType, r.SystemDiskSize, r.PublicIPBandwidth, r.GPUCount, r.OpenPorts, r.IdempotencyKey != ""}
	want := got
	want.Quantity, want.Charge, want.Bandwidth, want.IPMode = 1, multicloud.OnDemand, multicloud.Traffic, multicloud.PublicIPElastic
	want.DiskType, want.DiskSize, want.Mbps, want.GPUCount = "", 40, 5, 1 // the disk category is the provider's
	want.Ports, want.HasKey = []int{22, 443}, true
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Normalize mismatch (-want +got):\n%s", diff)
	}
	key := r.IdempotencyKey
	r.Normalize()
	if r.IdempotencyKey != key {
		t.Errorf("second Normalize changed the idempotency key: got %q, want %q", r.IdempotencyKey, key)
	}
}

func TestOptionsLastWins(t *testing.T) {
	r := multicloud.NewCreateInstanceRequest(
		multicloud.WithName("first"), multicloud.WithName("second"),
		multicloud.AddTag("team", "a"), multicloud.AddTag("team", "b"),
		multicloud.AddPorts(22), multicloud.AddPorts(80),
		multicloud.WithPrepaid(3), multicloud.WithQuantity(2),
	)
	if r.InstanceName != "second" || r.Tags["team"] != "b" || r.Duration != 3 || r.InstanceChargeMode != multicloud.Prepaid || r.Quantity != 2 {
		t.Errorf("got %+v, want the last option of each field to win", r)
	}
	if diff := cmp.Diff([]int{22, 80}, r.OpenPorts); diff != "" {
		t.Errorf("ports accumulate (-want +got):\n%s", diff)
	}
}

func TestRequestJSONRoundTrip(t *testing.T) {
	r := validRequest()
	r.Password = "Str0ng!pass"
	r.Tags = map[string]string{"team": "ml"}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{`"tenantId"`, `"userId"`, `"instanceName"`, `"imageKey"`, `"gpuModel"`, `"openPorts"`, `"allocatePublicIp"`, `"publicIpBandwidth"`, `"bandwidthMode"`, `"instanceChargeMode"`, `"quantity"`, `"idempotencyKey"`} {
		if !bytes.Contains(b, []byte(name)) {
			t.Errorf("JSON %s lacks field %s", b, name)
		}
	}
	if bytes.Contains(b, []byte("Str0ng")) {
		t.Errorf("JSON %s reveals the password", b)
	}
	var back multicloud.CreateInstanceRequest
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	want := r.Clone()
	want.Password = "" // secrets do not survive serialization
	if diff := cmp.Diff(want, &back); diff != "" {
		t.Errorf("round trip mismatch (-want +got):\n%s", diff)
	}
}

func TestPasswordNeverPrinted(t *testing.T) {
	const pw = "Sup3r-Secret-Pw!"
	r := validRequest()
	r.Password = pw
	r.Password = multicloud.Secret(pw)
	var logs bytes.Buffer
	for _, h := range []slog.Handler{slog.NewTextHandler(&logs, nil), slog.NewJSONHandler(&logs, nil)} {
		l := slog.New(h)
		l.Info("req", "request", r, "password", r.Password, "value", *r)
	}
	r.Password = "short" // a bad password must not leak through the validation message either
	verr := r.Validate()
	r.Password = pw
	outputs := map[string]string{
		"slog": logs.String(),
		"%v":   fmt.Sprintf("%v", r), "%+v": fmt.Sprintf("%+v", r), "%#v": fmt.Sprintf("%#v", r),
		"value %+v": fmt.Sprintf("%+v", *r), "value %#v": fmt.Sprintf("%#v", *r),
		"String":    r.String(),
		"secret %s": fmt.Sprintf("%s", r.Password), "secret %q": fmt.Sprintf("%q", r.Password),
		"validation": fmt.Sprint(verr),
	}
	for name, out := range outputs {
		if strings.Contains(out, pw) || strings.Contains(out, "short") {
			t.Errorf("%s output reveals the password: %s", name, out)
		}
	}
	if !strings.Contains(logs.String(), "pytorch-1.12") {
		t.Errorf("slog output %q lacks the request fields; the check above proves nothing", logs.String())
	}
	if got := r.Password.Reveal(); got != pw {
		t.Errorf("Reveal() = %q, want %q", got, pw)
	}
}
