package aliyuntest

import (
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
)

// TestWithdrawImage: an image withdrawn from one region is not listed
// there and cannot be run there; other regions keep it, and restoring it
// brings it back.
func TestWithdrawImage(t *testing.T) {
	c := newClients(t)
	const img = "ubuntu_22_04_x64_20G_alibase_20230815.vhd"
	listed := func(region string) bool {
		t.Helper()
		req := ecs.CreateDescribeImagesRequest()
		req.RegionId, req.ImageId = region, img
		resp, err := c.ecs.DescribeImages(req)
		must(t, err)
		return len(resp.Images.Image) == 1
	}
	c.srv.WithdrawImage(testRegion, img)
	if listed(testRegion) || !listed("cn-shanghai") {
		t.Errorf("listed in %s: %v, in cn-shanghai: %v; want false, true", testRegion, listed(testRegion), listed("cn-shanghai"))
	}
	n := c.network(t, testRegion)
	rr := runRequest(n, 1)
	rr.ImageId = img
	_, err := c.ecs.RunInstances(rr)
	wantCode(t, err, "InvalidImageId.NotFound", 404)
	c.srv.RestoreImage(testRegion, img)
	if !listed(testRegion) {
		t.Error("restored image not listed")
	}
	_, err = c.ecs.RunInstances(rr)
	must(t, err)
}
