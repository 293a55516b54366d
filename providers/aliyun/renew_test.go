package aliyun_test

import (
	"context"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/vpc"
	"github.com/multicloud-ecs/multicloud/inventory"
	"github.com/multicloud-ecs/multicloud/providers/aliyun"
	"github.com/multicloud-ecs/multicloud/providers/aliyun/aliyuntest"
)

// TestDiscoverAutoRenew checks that subscription instances carry the
// auto-renewal attribute DescribeInstanceAutoRenewAttribute reports, and
// that pay-as-you-go ones cost no such call.
func TestDiscoverAutoRenew(t *testing.T) {
	srv := newServer(t)
	srv.Seed(aliyuntest.SeedSpec{Regions: []string{"cn-hangzhou"}, InstancesPerRegion: 3, RandSeed: 5})
	ec, vc := sdkClients(t, srv)
	vsReq := vpc.CreateDescribeVSwitchesRequest()
	vsReq.RegionId = "cn-hangzhou"
	vs, err := vc.DescribeVSwitches(vsReq)
	if err != nil || len(vs.VSwitches.VSwitch) == 0 {
		t.Fatalf("DescribeVSwitches: %v", err)
	}
	sgReq := ecs.CreateDescribeSecurityGroupsRequest()
	sgReq.RegionId = "cn-hangzhou"
	sgs, err := ec.DescribeSecurityGroups(sgReq)
	if err != nil || len(sgs.SecurityGroups.SecurityGroup) == 0 {
		t.Fatalf("DescribeSecurityGroups: %v", err)
	}
	run := func(autoRenew bool, period int) string {
		t.Helper()
		req := ecs.CreateRunInstancesRequest()
		req.RegionId, req.InstanceType, req.ImageId = "cn-hangzhou", "ecs.g7.large", "ubuntu_22_04_x64_20G_alibase_20230815.vhd"
		req.VSwitchId, req.SecurityGroupId = vs.VSwitches.VSwitch[0].VSwitchId, sgs.SecurityGroups.SecurityGroup[0].SecurityGroupId
		req.InstanceChargeType, req.Period, req.PeriodUnit = "PrePaid", requests.NewInteger(1), "Month"
		req.SystemDiskCategory = "cloud_essd"
		if autoRenew {
			req.AutoRenew, req.AutoRenewPeriod = requests.NewBoolean(true), requests.NewInteger(period)
		}
		resp, err := ec.RunInstances(req)
		if err != nil || len(resp.InstanceIdSets.InstanceIdSet) != 1 {
			t.Fatalf("RunInstances: %v", err)
		}
		return resp.InstanceIdSets.InstanceIdSet[0]
	}
	renewing, manual := run(true, 3), run(false, 0)

	conn := aliyun.NewConnector(func(o *aliyun.Options) { o.Endpoint, o.Scheme = srv.Host(), "HTTP" })
	d, err := conn(testCtx(t), inventory.CloudAccount{ID: "acct-1", AccessKeyID: aliyuntest.DefaultAccessKeyID, Region: "cn-hangzhou"},
		aliyuntest.DefaultAccessKeySecret)
	if err != nil {
		t.Fatal(err)
	}
	var calls countingCall
	got := map[string]inventory.ECSMetadata{}
	err = d.Discover(testCtx(t), "cn-hangzhou", inventory.AssetTypeECS, calls.call, func(_ context.Context, page []inventory.Asset) error {
		for _, a := range page {
			var m inventory.ECSMetadata
			if err := a.DecodeMetadata(&m); err != nil {
				return err
			}
			got[a.AssetID] = m
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Discover: %v", err)
	}
	for _, c := range []struct {
		id     string
		renew  bool
		months int
		charge string
	}{{renewing, true, 3, "PrePaid"}, {manual, false, 0, "PrePaid"}} {
		m := got[c.id]
		if m.AutoRenew != c.renew || m.AutoRenewPeriod != c.months || m.ChargeType != c.charge || m.ExpiredTime.IsZero() {
			t.Errorf("%s: got auto_renew %v period %d charge %s expiry %v, want %v %d %s and an expiry",
				c.id, m.AutoRenew, m.AutoRenewPeriod, m.ChargeType, m.ExpiredTime, c.renew, c.months, c.charge)
		}
	}
	if n := calls.n["DescribeInstanceAutoRenewAttribute"]; n != 1 {
		t.Errorf("DescribeInstanceAutoRenewAttribute calls: got %d, want 1 (one page with subscription instances)", n)
	}
}
