package aliyun

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/responses"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/google/go-cmp/cmp"

	"github.com/multicloud-ecs/multicloud/providers/aliyun/aliyuntest"
)

// TestListingDecodesAsTheSDK decodes the emulator's DescribeInstances and
// DescribeDisks answers with the SDK's full types and with the listing's
// own, and checks that every field the listing keeps decodes to what the
// SDK's same-named field holds.
func TestListingDecodesAsTheSDK(t *testing.T) {
	srv := aliyuntest.NewServer()
	t.Cleanup(srv.Close)
	srv.Seed(aliyuntest.SeedSpec{Regions: []string{"cn-shanghai"}, InstancesPerRegion: 60, RandSeed: 5})
	p, err := New(func(o *Options) {
		o.Endpoint, o.Scheme = srv.Host(), "HTTP"
		o.AccessKeyID, o.AccessKeySecret = aliyuntest.DefaultAccessKeyID, aliyuntest.DefaultAccessKeySecret
	})
	if err != nil {
		t.Fatal(err)
	}
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
