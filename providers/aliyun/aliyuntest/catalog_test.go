package aliyuntest

import (
	"math"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/google/go-cmp/cmp"
)

func TestRegionsAndZones(t *testing.T) {
	c := newClients(t)
	rr, err := c.ecs.DescribeRegions(ecs.CreateDescribeRegionsRequest())
	must(t, err)
	if len(rr.Regions.Region) != 10 || rr.Regions.Region[0].RegionId != "cn-hangzhou" || rr.Regions.Region[0].RegionEndpoint == "" {
		t.Errorf("got %+v, want the 10 default regions starting with cn-hangzhou", rr.Regions.Region)
	}
	zr, err := c.ecs.DescribeZones(ecs.CreateDescribeZonesRequest())
	must(t, err)
	var zones []string
	for _, z := range zr.Zones.Zone {
		zones = append(zones, z.ZoneId)
	}
	if diff := cmp.Diff([]string{"cn-hangzhou-h", "cn-hangzhou-i", "cn-hangzhou-j", "cn-hangzhou-k"}, zones); diff != "" {
		t.Errorf("zones (-want +got):\n%s", diff)
	}
	if len(zr.Zones.Zone[0].AvailableInstanceTypes.InstanceTypes) != len(instanceTypes) {
		t.Errorf("got %d instance types in zone, want %d", len(zr.Zones.Zone[0].AvailableInstanceTypes.InstanceTypes), len(instanceTypes))
	}

	custom := newClients(t, WithRegions(Region{ID: "xx-test-1"}, Region{ID: "xx-test-2", Zones: []string{"xx-test-2z"}}))
	zreq := ecs.CreateDescribeZonesRequest()
	zreq.RegionId = "xx-test-1"
	zr, err = custom.ecs.DescribeZones(zreq)
	must(t, err)
	if len(zr.Zones.Zone) != 2 || zr.Zones.Zone[0].ZoneId != "xx-test-1-a" {
		t.Errorf("custom region zones: got %+v, want xx-test-1-a and -b", zr.Zones.Zone)
	}
	zreq = ecs.CreateDescribeZonesRequest() // the SDK keeps params of a sent request
	zreq.RegionId = "cn-hangzhou"
	_, err = custom.ecs.DescribeZones(zreq)
	wantCode(t, err, "InvalidRegionId.NotFound", 404)
}

func TestInstanceTypes(t *testing.T) {
	c := newClients(t)
	r := ecs.CreateDescribeInstanceTypesRequest()
	r.MinimumGPUAmount = requests.NewInteger(1)
	resp, err := c.ecs.DescribeInstanceTypes(r)
	must(t, err)
	type spec struct {
		GPU    string
		GPUs   int
		GPUMem float64
	}
	got := map[string]spec{}
	for _, it := range resp.InstanceTypes.InstanceType {
		got[it.InstanceTypeFamily] = spec{it.GPUSpec, it.GPUAmount, it.GPUMemorySize}
	}
	want := map[string]spec{
		"ecs.gn6i": {"NVIDIA T4", 1, 16}, "ecs.gn6v": {"NVIDIA V100", 8, 16}, "ecs.gn6e": {"NVIDIA V100", 1, 32},
		"ecs.gn7": {"NVIDIA A100", 1, 40}, "ecs.gn7e": {"NVIDIA A100", 8, 80}, "ecs.gn7i": {"NVIDIA A10", 4, 24},
		"ecs.gn8is": {"NVIDIA L20", 1, 48},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GPU families, last size listed (-want +got):\n%s", diff)
	}
	r = ecs.CreateDescribeInstanceTypesRequest()
	r.InstanceTypes = &[]string{"ecs.g7.large"}
	resp, err = c.ecs.DescribeInstanceTypes(r)
	must(t, err)
	if len(resp.InstanceTypes.InstanceType) != 1 || resp.InstanceTypes.InstanceType[0].MemorySize != 8 || resp.InstanceTypes.InstanceType[0].CpuCoreCount != 2 {
		t.Errorf("ecs.g7.large: got %+v, want 2 vCPU 8 GiB", resp.InstanceTypes.InstanceType)
	}
}

func TestImages(t *testing.T) {
	c := newClients(t)
	for _, tc := range []struct {
		name  string
		edit  func(r *ecs.DescribeImagesRequest)
		count int
		code  string
	}{
		{"system", func(r *ecs.DescribeImagesRequest) { r.ImageOwnerAlias = "system" }, len(images), ""},
		{"self", func(r *ecs.DescribeImagesRequest) { r.ImageOwnerAlias = "self" }, 0, ""},
		{"by id", func(r *ecs.DescribeImagesRequest) { r.ImageId = "centos_7_9_x64_20G_alibase_20230815.vhd" }, 1, ""},
		{"by name", func(r *ecs.DescribeImagesRequest) { r.ImageName = "ubuntu*" }, 3, ""},
		{"by family", func(r *ecs.DescribeImagesRequest) { r.ImageFamily = "acs:ubuntu_22_04_x64" }, 1, ""},
		{"page size too big", func(r *ecs.DescribeImagesRequest) { r.PageSize = requests.NewInteger(101) }, 0, "InvalidParameter"},
	} {
		r := ecs.CreateDescribeImagesRequest()
		r.PageSize = requests.NewInteger(100)
		tc.edit(r)
		resp, err := c.ecs.DescribeImages(r)
		if got := errCodeOf(t, err); got != tc.code {
			t.Errorf("%s: got error %q, want %q", tc.name, got, tc.code)
			continue
		}
		if err == nil && (resp.TotalCount != tc.count || len(resp.Images.Image) != tc.count) {
			t.Errorf("%s: got %d/%d images, want %d", tc.name, resp.TotalCount, len(resp.Images.Image), tc.count)
		}
	}
}

func TestDescribePrice(t *testing.T) {
	c := newClients(t)
	price := func(edit func(r *ecs.DescribePriceRequest)) ecs.Price {
		t.Helper()
		r := ecs.CreateDescribePriceRequest()
		edit(r)
		resp, err := c.ecs.DescribePrice(r)
		must(t, err)
		return resp.PriceInfo.Price
	}
	hour := price(func(r *ecs.DescribePriceRequest) { r.InstanceType = "ecs.gn7i-c8g1.2xlarge" })
	// 9.53 for the type, 40 GiB cloud_efficiency at 0.0005, no bandwidth.
	if want := 9.53 + 0.02; math.Abs(hour.TradePrice-want) > 0.001 || hour.Currency != "CNY" {
		t.Errorf("hourly: got %v %s, want %v CNY", hour.TradePrice, hour.Currency, want)
	}
	var parts []string
	for _, d := range hour.DetailInfos.DetailInfo {
		parts = append(parts, d.Resource)
	}
	if diff := cmp.Diff([]string{"instanceType", "systemDisk", "bandwidth"}, parts); diff != "" {
		t.Errorf("detail parts (-want +got):\n%s", diff)
	}
	year := price(func(r *ecs.DescribePriceRequest) {
		r.InstanceType = "ecs.g7.large"
		r.PriceUnit = "Year"
		r.Period = requests.NewInteger(1)
	})
	if year.DiscountPrice <= 0 || math.Abs(year.TradePrice-(year.OriginalPrice-year.DiscountPrice)) > 0.011 {
		t.Errorf("yearly: got original %v discount %v trade %v, want trade = original - discount > 0 discount", year.OriginalPrice, year.DiscountPrice, year.TradePrice)
	}
	bw := price(func(r *ecs.DescribePriceRequest) {
		r.ResourceType = "bandwidth"
		r.InternetChargeType = "PayByBandwidth"
		r.InternetMaxBandwidthOut = requests.NewInteger(10)
	})
	if want := 5*0.063 + 5*0.25; math.Abs(bw.TradePrice-want) > 0.011 {
		t.Errorf("bandwidth: got %v, want %v", bw.TradePrice, want)
	}
	disk := price(func(r *ecs.DescribePriceRequest) {
		r.ResourceType = "disk"
		r.SystemDiskCategory = "cloud_essd"
		r.SystemDiskSize = requests.NewInteger(100)
		r.PriceUnit = "Month"
	})
	if want := 100 * 0.0014 * 720; math.Abs(disk.TradePrice-want) > 0.011 {
		t.Errorf("disk: got %v, want %v", disk.TradePrice, want)
	}
	r := ecs.CreateDescribePriceRequest()
	r.InstanceType = "ecs.nope"
	_, err := c.ecs.DescribePrice(r)
	wantCode(t, err, "InvalidInstanceType.ValueNotSupported", 400)
}

func TestStock(t *testing.T) {
	c := newClients(t)
	n := c.network(t, testRegion)
	c.srv.SetStock(testRegion, n.zone, "ecs.g7.large", 0)
	_, err := c.ecs.RunInstances(runRequest(n, 1))
	wantCode(t, err, "OperationDenied.NoStock", 403)

	ar := ecs.CreateDescribeAvailableResourceRequest()
	ar.DestinationResource = "InstanceType"
	ar.ZoneId = n.zone
	ar.InstanceType = "ecs.g7.large"
	avail, err := c.ecs.DescribeAvailableResource(ar)
	must(t, err)
	res := avail.AvailableZones.AvailableZone[0].AvailableResources.AvailableResource[0].SupportedResources.SupportedResource[0]
	if res.Status != "SoldOut" || res.StatusCategory != "WithoutStock" {
		t.Errorf("got %s/%s, want SoldOut/WithoutStock", res.Status, res.StatusCategory)
	}
	_, err = c.ecs.DescribeAvailableResource(ecs.CreateDescribeAvailableResourceRequest())
	wantCode(t, err, "MissingParameter", 400)

	// Partial creation with MinAmount.
	c.srv.SetStock(testRegion, n.zone, "ecs.g7.large", 2)
	_, err = c.ecs.RunInstances(runRequest(n, 3))
	wantCode(t, err, "OperationDenied.NoStock", 403)
	r := runRequest(n, 3)
	r.MinAmount = requests.NewInteger(2)
	resp, err := c.ecs.RunInstances(r)
	must(t, err)
	if got := len(resp.InstanceIdSets.InstanceIdSet); got != 2 {
		t.Errorf("got %d instances, want 2", got)
	}
	ar = ecs.CreateDescribeAvailableResourceRequest()
	ar.DestinationResource = "Zone"
	ar.ZoneId = n.zone
	avail, err = c.ecs.DescribeAvailableResource(ar)
	must(t, err)
	if z := avail.AvailableZones.AvailableZone[0]; z.Status != "Available" || z.StatusCategory != "WithStock" {
		t.Errorf("zone: got %s/%s, want Available/WithStock (other types have stock)", z.Status, z.StatusCategory)
	}
}
