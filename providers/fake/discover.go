package fake

import (
	"context"
	"sort"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/inventory"
)

// Discoverer returns the cloud's inventory discoverer: it lists the fake's
// instances as ECS assets, a page of 100 per call, through the sync
// engine's CallFunc, so faults and latency injected for "List" and
// "Regions" reach inventory syncs too. It is safe for concurrent use.
func (p *Provider) Discoverer() inventory.Discoverer { return discoverer{p} }

type discoverer struct{ p *Provider }

// Regions lists the cloud's regions.
func (d discoverer) Regions(ctx context.Context, call inventory.CallFunc) (regions []string, err error) {
	err = call(ctx, "Regions", func(ctx context.Context) error {
		regions, err = d.p.Regions(ctx)
		return err
	})
	return regions, err
}

// TestConnection is the cloud's health check.
func (d discoverer) TestConnection(ctx context.Context) error { return d.p.CheckHealth(ctx) }

// Discover lists every instance of region as an ECS asset. Other asset
// types are ErrInvalidArgument.
func (d discoverer) Discover(ctx context.Context, region, assetType string, call inventory.CallFunc, emit func(context.Context, []inventory.Asset) error) error {
	if assetType != inventory.AssetTypeECS {
		return &multicloud.Error{Op: "Discover", Provider: d.p.code, Region: region, Code: multicloud.CodeInvalidArgument,
			Message: "unsupported asset type " + assetType + "; supported: " + inventory.AssetTypeECS}
	}
	q := multicloud.ListQuery{Region: region, PageSize: MaxPageSize}
	for {
		var page *multicloud.InstancePage
		err := call(ctx, "List", func(ctx context.Context) (err error) {
			page, err = d.p.List(ctx, q)
			return err
		})
		if err != nil {
			return err
		}
		assets := make([]inventory.Asset, 0, len(page.Instances))
		for _, in := range page.Instances {
			a, err := d.asset(in)
			if err != nil {
				return err
			}
			assets = append(assets, a)
		}
		if len(assets) > 0 {
			if err := emit(ctx, assets); err != nil {
				return err
			}
		}
		if page.NextToken == "" {
			return nil
		}
		q.PageToken = page.NextToken
	}
}

// asset maps an instance to an ECS asset, its specs from the catalog.
func (d discoverer) asset(in *multicloud.Instance) (inventory.Asset, error) {
	keys := make([]string, 0, len(in.Tags))
	for k := range in.Tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	tags := make([]inventory.Tag, 0, len(keys))
	for _, k := range keys {
		tags = append(tags, inventory.Tag{Key: k, Value: in.Tags[k]})
	}
	md := inventory.ECSMetadata{
		InstanceID: in.ID, InstanceName: in.Name, Status: string(in.Status), Region: in.Region, Zone: in.Zone,
		InstanceType: in.InstanceType, OSType: "linux", ImageID: in.ImageID,
		VPCID: in.Network.VPCID, VSwitchID: in.Network.SwitchID,
		InternetMaxBandwidthOut: in.BandwidthMbps, SystemDiskCategory: DefaultSystemDiskType,
		SystemDiskSize: multicloud.DefaultSystemDiskSize, ChargeType: chargeType(in.ChargeMode),
		CreationTime: in.CreatedAt, IOOptimized: true, NetworkType: "vpc", InstanceNetworkType: "vpc",
		Tags: tags, Provider: d.p.code, HostName: in.Name,
	}
	if in.PublicIP != "" {
		md.PublicIP = []string{in.PublicIP}
	}
	if in.PrivateIP != "" {
		md.PrivateIP = []string{in.PrivateIP}
	}
	if in.Network.SecurityGroupID != "" {
		md.SecurityGroups = []string{in.Network.SecurityGroupID}
	}
	if t, ok := d.p.catalog.Type(in.InstanceType); ok {
		md.InstanceTypeFamily, md.CPU, md.Memory = t.Family, t.VCPU, int(t.MemoryGiB*1024)
	}
	a := inventory.Asset{AssetID: in.ID, AssetName: in.Name, AssetType: inventory.AssetTypeECS, Provider: d.p.code,
		Region: in.Region, Zone: in.Zone, Status: string(in.Status), Tags: tags}
	return a, a.SetMetadata(md)
}

// chargeType spells a charge mode the way ECS metadata does.
func chargeType(m multicloud.ChargeMode) string {
	if m == multicloud.Prepaid {
		return "PrePaid"
	}
	return "PostPaid"
}
