package aliyun

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/responses"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/google/go-cmp/cmp"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/providers/aliyun/aliyuntest"
	"github.com/multicloud-ecs/multicloud/providers/sim"
)

// TestListingDecodesAsTheSDK decodes the emulator's DescribeInstances and
// DescribeDisks answers with the SDK's full types and with the listing's
// own, and checks that every field the listing keeps decodes to what the
// SDK's same-named field holds.
func TestListingDecodesAsTheSDK(t *testing.T) {
	_, p := newListingProvider(t, 60)
	ctx := context.Background()
	redecode := func(body []byte, resp responses.AcsResponse) {
		t.Helper()
		hr := &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(bytes.NewReader(body))}
		if err := responses.Unmarshal(resp, hr, "JSON"); err != nil {
			t.Fatalf("decode: %v", err)
		}
	}
	// same copies the SDK's value into the listing's type field by Go
	// field name (the listing's types keep the SDK's names), so that a
	// listing field whose JSON name is wrong decodes differently.
	same := func(what string, sdk, listed any) {
		t.Helper()
		want := reflect.New(reflect.TypeOf(listed).Elem())
		if err := copyByName(want.Elem(), reflect.ValueOf(sdk).Elem()); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if diff := cmp.Diff(want.Interface(), listed); diff != "" {
			t.Errorf("%s: the listing's decode differs from the SDK's (-sdk +listing):\n%s", what, diff)
		}
	}

	ireq := ecs.CreateDescribeInstancesRequest()
	ireq.MaxResults = requests.NewInteger(MaxPageSize)
	full := ecs.CreateDescribeInstancesResponse()
	if err := p.do(ctx, "cn-shanghai", productECS, ireq, full); err != nil {
		t.Fatalf("DescribeInstances: %v", err)
	}
	page := newInstancesPage()
	redecode(full.GetHttpContentBytes(), page)
	if len(page.Instances.Instance) != 60 || len(full.Instances.Instance) != 60 || page.NextToken != full.NextToken {
		t.Fatalf("instances: got %d (next %q), SDK %d (next %q); want 60 each, the same token",
			len(page.Instances.Instance), page.NextToken, len(full.Instances.Instance), full.NextToken)
	}
	// The same answer decoded as the listing reads it, from the body by
	// the call's transport.
	streamed := newInstancesPage()
	if err := p.do(ctx, "cn-shanghai", productECS, ireq, streamed); err != nil {
		t.Fatalf("DescribeInstances, streamed: %v", err)
	}
	if diff := cmp.Diff(page.Instances, streamed.Instances); diff != "" || page.NextToken != streamed.NextToken {
		t.Errorf("instances: the streamed decode differs from the SDK's (-sdk +streamed):\n%s", diff)
	}
	if got := streamed.GetHttpContentString(); got != "{}" {
		t.Errorf("the SDK got a body of %d bytes, want the transport's empty object", len(got))
	}
	tagged := 0
	for i := range page.Instances.Instance {
		same("instance "+full.Instances.Instance[i].InstanceId, &full.Instances.Instance[i], &page.Instances.Instance[i])
		tagged += min(len(page.Instances.Instance[i].Tags.Tag), 1)
	}
	if tagged == 0 {
		t.Error("no listed instance has tags; the seed tags them")
	}

	dreq := ecs.CreateDescribeDisksRequest()
	dreq.MaxResults = requests.NewInteger(disksPageSize)
	dfull := ecs.CreateDescribeDisksResponse()
	if err := p.do(ctx, "cn-shanghai", productECS, dreq, dfull); err != nil {
		t.Fatalf("DescribeDisks: %v", err)
	}
	disks := newDisksPage()
	redecode(dfull.GetHttpContentBytes(), disks)
	if len(disks.Disks.Disk) < 60 || len(disks.Disks.Disk) != len(dfull.Disks.Disk) {
		t.Fatalf("disks: got %d, SDK %d; want the same, at least one per instance", len(disks.Disks.Disk), len(dfull.Disks.Disk))
	}
	for i := range disks.Disks.Disk {
		same("disk "+dfull.Disks.Disk[i].DiskId, &dfull.Disks.Disk[i], &disks.Disks.Disk[i])
	}
	dstreamed := newDisksPage()
	if err := p.do(ctx, "cn-shanghai", productECS, dreq, dstreamed); err != nil {
		t.Fatalf("DescribeDisks, streamed: %v", err)
	}
	if diff := cmp.Diff(disks.Disks, dstreamed.Disks); diff != "" || disks.NextToken != dstreamed.NextToken {
		t.Errorf("disks: the streamed decode differs from the SDK's (-sdk +streamed):\n%s", diff)
	}

	// Every strict prefix of an answer is an error, as the SDK's
	// decode of it is.
	body := bytes.TrimSpace(dfull.GetHttpContentBytes())
	for n := 1; n < len(body); n += max(1, len(body)/97) {
		for _, cut := range []int{n, len(body) - n} {
			if cut <= 0 {
				continue
			}
			err := decodeAnswer(bytes.NewReader(body[:cut]), newDisksPage())
			var ce *sdkerrors.ClientError
			if !errors.As(err, &ce) || ce.ErrorCode() != sdkerrors.JsonUnmarshalErrorCode {
				t.Fatalf("the answer's first %d of %d bytes: got %v, want the SDK's JsonUnmarshalError", cut, len(body), err)
			}
		}
	}
}

// TestListingStreamDecodesAsTheSDK checks the listing's streamed decode
// (listingJSON) against the SDK's (responses.Unmarshal) on answers whose
// values come in other JSON types than the fields', which the SDK's
// fuzzy decoders accept or refuse, and that the listing's types hold only
// the kinds listingJSON decodes as the SDK does.
func TestListingStreamDecodesAsTheSDK(t *testing.T) {
	var kinds func(reflect.Type, string)
	kinds = func(ty reflect.Type, path string) {
		switch ty.Kind() {
		case reflect.Struct:
			for i := range ty.NumField() {
				f := ty.Field(i)
				if f.Anonymous && f.Type == reflect.TypeOf(&responses.BaseResponse{}) {
					continue
				}
				kinds(f.Type, path+"."+f.Name)
			}
		case reflect.Slice:
			kinds(ty.Elem(), path+"[]")
		case reflect.String, reflect.Bool, reflect.Int:
		default:
			t.Errorf("%s is a %s: listingJSON decodes only string, bool and int as the SDK does", path, ty.Kind())
		}
	}
	kinds(reflect.TypeOf(instancesPage{}), "instancesPage")
	kinds(reflect.TypeOf(disksPage{}), "disksPage")

	disks := []string{
		`{"RequestId":"r","NextToken":123,"Disks":{"Disk":[{"DiskId":42,"InstanceId":"i-1","Category":null,"Device":true,` +
			`"Type":"system","Size":"40","DeleteWithInstance":"TRUE","Encrypted":1},` +
			`{"DiskId":"d-2","Size":40.0,"DeleteWithInstance":0,"Encrypted":"","InstanceId":"i-2"},` +
			`{"DiskId":"d-3","Size":null,"DeleteWithInstance":null,"Encrypted":"false","size":7},` +
			`{"DiskId":"d-4","Size":true,"Encrypted":false},{"DiskId":"d-5","Size":false,"Size":"","Type":1.5e3}]}}`,
		`{"Disks":{"Disk":[{"Size":-7.9}]}}`,
		`{"Disks":{"Disk":[{"Size":"4x"}]}}`,
		`{"Disks":{"Disk":[{"Size":"1e3"}]}}`,
		`{"Disks":{"Disk":[{"Size":1e300}]}}`,
		`{"Disks":{"Disk":[{"Size":"9.5e300"}]}}`,
		`{"Disks":{"Disk":[{"Size":{}}]}}`,
		`{"Disks":{"Disk":[{"Encrypted":"yes"}]}}`,
		`{"Disks":{"Disk":[{"Encrypted":1.5}]}}`,
		`{"Disks":{"Disk":[{"DiskId":[]}]}}`,
		`{"Disks":{"Disk":{}}}`,
		`{"Disks":null,"NextToken":null}`,
		`{"Disks":{"Disk":[{"DiskId":"d-\u00e9\"x"}]}} `,
		`[]`,
	}
	instances := []string{
		`{"NextToken":"t","Instances":{"Instance":[{"InstanceId":"i-1","Cpu":"4","CPU":2.0,"cpu":9,"Memory":"","IoOptimized":"true",` +
			`"InternetMaxBandwidthOut":false,"InternetMaxBandwidthIn":"-1","Tags":{"Tag":[{"TagKey":"k","TagValue":7},{"Key":true,"Value":null}]},` +
			`"PublicIpAddress":{"IpAddress":["1.2.3.4",5,null]},"EipAddress":{"IpAddress":6},"VpcAttributes":{"PrivateIpAddress":{"IpAddress":null}},` +
			`"SecurityGroupIds":{"SecurityGroupId":["sg-1"]},"Unknown":{"Deep":[1,{"x":null}]}}]}}`,
		`{"Instances":{"Instance":[{"IoOptimized":"0"}]}}`,
		`{"Instances":{"Instance":[{"Tags":{"Tag":"k"}}]}}`,
	}
	check := func(body string, sdk, streamed responses.AcsResponse) {
		t.Helper()
		hr := &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(body))}
		serr := responses.Unmarshal(sdk, hr, "JSON")
		err := decodeAnswer(strings.NewReader(body), streamed)
		if (serr == nil) != (err == nil) {
			t.Errorf("%s: the SDK's decode: %v; the streamed decode: %v", body, serr, err)
			return
		}
		if serr != nil {
			var ce *sdkerrors.ClientError
			if !errors.As(err, &ce) || ce.ErrorCode() != sdkerrors.JsonUnmarshalErrorCode {
				t.Errorf("%s: got %v, want the SDK's JsonUnmarshalError", body, err)
			}
			return
		}
		var diff string
		switch sdk := sdk.(type) {
		case *disksPage:
			diff = cmp.Diff(sdk.Disks, streamed.(*disksPage).Disks) + cmp.Diff(sdk.NextToken, streamed.(*disksPage).NextToken)
		case *instancesPage:
			diff = cmp.Diff(sdk.Instances, streamed.(*instancesPage).Instances) + cmp.Diff(sdk.NextToken, streamed.(*instancesPage).NextToken)
		}
		if diff != "" {
			t.Errorf("%s: the streamed decode differs from the SDK's (-sdk +streamed):\n%s", body, diff)
		}
	}
	for _, b := range disks {
		check(b, newDisksPage(), newDisksPage())
	}
	for _, b := range instances {
		check(b, newInstancesPage(), newInstancesPage())
	}
}

// TestListingStreamErrors checks that a streamed listing call fails as
// the SDK's decode made it fail: an error answer keeps its Aliyun code,
// a garbled or lost answer is unavailable, and the next call succeeds.
func TestListingStreamErrors(t *testing.T) {
	srv, p := newListingProvider(t, 30)
	ctx := context.Background()
	list := func() (*disksPage, error) {
		req := ecs.CreateDescribeDisksRequest()
		req.MaxResults = requests.NewInteger(disksPageSize)
		resp := newDisksPage()
		return resp, p.do(ctx, "cn-shanghai", productECS, req, resp)
	}
	for _, c := range []struct {
		fault sim.Fault
		want  error
		code  string
	}{
		{sim.Fault{Action: "DescribeDisks", Code: "Throttling.User", Count: 1}, multicloud.ErrThrottled, "Throttling.User"},
		{sim.Fault{Action: "DescribeDisks", Code: "InvalidParameter", Status: 400, Count: 1}, multicloud.ErrInvalidArgument, "InvalidParameter"},
		{sim.Fault{Action: "DescribeDisks", Kind: sim.FaultGarbled, Count: 1}, multicloud.ErrUnavailable, sdkerrors.JsonUnmarshalErrorCode},
		{sim.Fault{Action: "DescribeDisks", Kind: sim.FaultLost, Count: 1}, multicloud.ErrUnavailable, ""},
	} {
		srv.InjectFault(c.fault)
		_, err := list()
		var me *multicloud.Error
		if !errors.Is(err, c.want) || !errors.As(err, &me) || me.ProviderCode != c.code {
			t.Errorf("fault %+v: got %v (provider code %q), want %v with provider code %q", c.fault, err, me.ProviderCode, c.want, c.code)
		}
		srv.ClearFaults()
		page, err := list()
		if err != nil || len(page.Disks.Disk) < 30 {
			t.Fatalf("after fault %+v: got %v with %d disks, want at least 30", c.fault, err, len(page.Disks.Disk))
		}
	}
}

// copyByName sets dst (a listing type) from src (the SDK's type) field
// by field, by Go field name, through structs and slices.
func copyByName(dst, src reflect.Value) error {
	switch dst.Kind() {
	case reflect.Struct:
		for i := range dst.NumField() {
			name := dst.Type().Field(i).Name
			f := src.FieldByName(name)
			if !f.IsValid() {
				return fmt.Errorf("the SDK's %s has no field %s", src.Type(), name)
			}
			if err := copyByName(dst.Field(i), f); err != nil {
				return err
			}
		}
	case reflect.Slice:
		if src.IsNil() {
			return nil
		}
		dst.Set(reflect.MakeSlice(dst.Type(), src.Len(), src.Len()))
		for i := range src.Len() {
			if err := copyByName(dst.Index(i), src.Index(i)); err != nil {
				return err
			}
		}
	default:
		if src.Type() != dst.Type() {
			return fmt.Errorf("field of type %s in the SDK, %s in the listing", src.Type(), dst.Type())
		}
		dst.Set(src)
	}
	return nil
}

// newListingProvider returns an emulator serving instances instances in
// cn-shanghai and a Provider calling it.
func newListingProvider(t *testing.T, instances int) (*aliyuntest.Server, *Provider) {
	t.Helper()
	srv := aliyuntest.NewServer()
	t.Cleanup(srv.Close)
	srv.Seed(aliyuntest.SeedSpec{Regions: []string{"cn-shanghai"}, InstancesPerRegion: instances, RandSeed: 5})
	p, err := New(func(o *Options) {
		o.Endpoint, o.Scheme = srv.Host(), "HTTP"
		o.AccessKeyID, o.AccessKeySecret = aliyuntest.DefaultAccessKeyID, aliyuntest.DefaultAccessKeySecret
	})
	if err != nil {
		t.Fatal(err)
	}
	return srv, p
}
