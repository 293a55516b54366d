package aliyun

import (
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/google/go-cmp/cmp"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/pricing"
)

func TestToInstance(t *testing.T) {
	base := func() ecs.Instance {
		var in ecs.Instance
		in.InstanceId, in.InstanceName, in.RegionId, in.ZoneId = "i-1", "vm", "cn-hangzhou", "cn-hangzhou-h"
		in.Status, in.InstanceType, in.ImageId = "Running", "ecs.g7.large", "img"
		in.InstanceChargeType, in.InternetChargeType = "PostPaid", "PayByTraffic"
		in.CreationTime = "2026-01-02T03:04Z"
		in.VpcAttributes.VpcId, in.VpcAttributes.VSwitchId = "vpc-1", "vsw-1"
		in.VpcAttributes.PrivateIpAddress.IpAddress = []string{"172.16.0.3"}
		in.SecurityGroupIds.SecurityGroupId = []string{"sg-1"}
		in.Tags.Tag = []ecs.Tag{{TagKey: "Owner", TagValue: "u"}, {TagKey: "tenantId", TagValue: "t"}, {TagKey: "team", TagValue: "x"}}
		return in
	}
	want := func() *multicloud.Instance {
		return &multicloud.Instance{ID: "i-1", Name: "vm", Provider: "aliyun", Region: "cn-hangzhou", Zone: "cn-hangzhou-h",
			Status: multicloud.StatusRunning, InstanceType: "ecs.g7.large", ImageID: "img", PrivateIP: "172.16.0.3",
			TenantID: "t", UserID: "u", Tags: map[string]string{"Owner": "u", "tenantId": "t", "team": "x"},
			Network:    multicloud.NetworkInfo{VPCID: "vpc-1", SwitchID: "vsw-1", SecurityGroupID: "sg-1"},
			ChargeMode: multicloud.OnDemand, CreatedAt: time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC)}
	}
	tests := []struct {
		name string
		edit func(*ecs.Instance)
		want func(*multicloud.Instance)
	}{
		{"plain", func(*ecs.Instance) {}, func(*multicloud.Instance) {}},
		{"eip", func(in *ecs.Instance) {
			in.EipAddress.AllocationId, in.EipAddress.IpAddress = "eip-1", "47.0.0.1"
			in.EipAddress.Bandwidth, in.EipAddress.InternetChargeType = 10, "PayByBandwidth"
		}, func(w *multicloud.Instance) {
			w.PublicIP, w.Network.AddressID, w.BandwidthMbps, w.BandwidthMode = "47.0.0.1", "eip-1", 10, multicloud.Fixed
		}},
		{"own public ip, prepaid, seconds in time", func(in *ecs.Instance) {
			in.PublicIpAddress.IpAddress = []string{"47.0.0.2"}
			in.InternetMaxBandwidthOut = 5
			in.InstanceChargeType = "PrePaid"
			in.CreationTime = "2026-01-02T03:04:05Z"
			in.Status = "Stopping"
		}, func(w *multicloud.Instance) {
			w.PublicIP, w.BandwidthMbps, w.BandwidthMode, w.ChargeMode = "47.0.0.2", 5, multicloud.Traffic, multicloud.Prepaid
			w.CreatedAt, w.Status = w.CreatedAt.Add(5*time.Second), multicloud.StatusStopping
		}},
		{"key/value tags, unknown status", func(in *ecs.Instance) {
			in.Tags.Tag = []ecs.Tag{{Key: "Owner", Value: "u"}}
			in.Status = "Weird"
		}, func(w *multicloud.Instance) {
			w.Tags, w.TenantID, w.Status = map[string]string{"Owner": "u"}, "", multicloud.StatusUnknown
		}},
	}
	for _, tc := range tests {
		in := base()
		tc.edit(&in)
		w := want()
		tc.want(w)
		if diff := cmp.Diff(w, toInstance(&in)); diff != "" {
			t.Errorf("%s: toInstance (-want +got):\n%s", tc.name, diff)
		}
	}
}

func TestPriceBreakdown(t *testing.T) {
	parts := []pricePart{
		{Resource: "instanceType", TradePrice: 1}, {Resource: "systemDisk", TradePrice: 0.2},
		{Resource: "dataDisk", TradePrice: 0.1}, {Resource: "bandwidth", TradePrice: 0.2},
	}
	want := pricing.Breakdown{Instance: 1, Disk: 0.3, Bandwidth: 0.4, Total: 1.7}
	if diff := cmp.Diff(want, priceBreakdown(1.5, parts, 2), approx()); diff != "" {
		t.Errorf("priceBreakdown with the bandwidth doubled (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(pricing.Breakdown{Instance: 1.5, Total: 1.5}, priceBreakdown(1.5, nil, 1), approx()); diff != "" {
		t.Errorf("priceBreakdown without details (-want +got):\n%s", diff)
	}
}

func approx() cmp.Option {
	return cmp.Comparer(func(a, b float64) bool { d := a - b; return d < 1e-9 && d > -1e-9 })
}

func TestPricePartsUnderBothNames(t *testing.T) {
	for name, body := range map[string]string{
		"DetailInfo":         `{"PriceInfo":{"Price":{"TradePrice":1.5,"DetailInfos":{"DetailInfo":[{"Resource":"instanceType","TradePrice":1},{"Resource":"systemDisk","TradePrice":0.2},{"Resource":"bandwidth","TradePrice":0.3}]}}}}`,
		"ResourcePriceModel": `{"PriceInfo":{"Price":{"TradePrice":1.5,"DetailInfos":{"ResourcePriceModel":[{"Resource":"InstanceType","TradePrice":1},{"Resource":"SystemDisk","TradePrice":0.2},{"Resource":"Bandwidth","TradePrice":0.3}]}}}}`,
	} {
		got := priceBreakdown(1.5, priceParts([]byte(body)), 1)
		want := pricing.Breakdown{Instance: 1, Disk: 0.2, Bandwidth: 0.3, Total: 1.5}
		if diff := cmp.Diff(want, got, approx()); diff != "" {
			t.Errorf("%s: breakdown (-want +got):\n%s", name, diff)
		}
	}
}
