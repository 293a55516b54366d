package aliyun

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/inventory"
)

// Discoverer lists an account's ECS instances for the inventory's sync
// engine; every API call goes through the engine's CallFunc. It is safe
// for concurrent use. Get one with Provider.Discoverer or NewConnector.
type Discoverer struct {
	p *Provider
}

// The inventory capabilities of a Discoverer.
var (
	_ inventory.Discoverer       = (*Discoverer)(nil)
	_ inventory.ConnectionTester = (*Discoverer)(nil)
)

// Discoverer returns a Discoverer over the provider's account.
func (p *Provider) Discoverer() *Discoverer { return &Discoverer{p: p} }

// NewConnector returns an inventory.Connector that builds the Discoverer of
// an Aliyun account: a Provider with opts, then the account's access key
// and secret, and its region as the region of region-less calls. The
// Providers it builds share one HTTP transport (unless opts set one), so
// syncs reuse connections instead of leaving each sync's idle ones open.
func NewConnector(opts ...func(*Options)) inventory.Connector {
	var base Options
	for _, f := range opts {
		f(&base)
	}
	var shared http.RoundTripper
	if base.Transport == nil {
		shared = defaultTransport(cmp.Or(base.ConnectTimeout, DefaultConnectTimeout))
	}
	return func(ctx context.Context, acct inventory.CloudAccount, secret multicloud.Secret) (inventory.Discoverer, error) {
		all := append(slices.Clone(opts), func(o *Options) {
			o.AccessKeyID, o.AccessKeySecret, o.Account = acct.AccessKeyID, secret, cmp.Or(acct.ID, acct.AccessKeyID)
			if acct.Region != "" && len(o.Regions) == 0 {
				o.homeRegion = acct.Region
			}
			if o.Transport == nil {
				o.Transport = shared
			}
		})
		p, err := New(all...)
		if err != nil {
			return nil, err
		}
		return p.Discoverer(), nil
	}
}

// TestConnection proves the credentials with one DescribeRegions call.
func (d *Discoverer) TestConnection(ctx context.Context) error { return d.p.CheckHealth(ctx) }

// Regions lists the regions the account sees (DescribeRegions).
func (d *Discoverer) Regions(ctx context.Context, call inventory.CallFunc) ([]string, error) {
	var out []string
	err := call(ctx, "DescribeRegions", func(ctx context.Context) error {
		var err error
		out, err = d.p.describeRegions(ctx)
		return err
	})
	return out, err
}

// Discover lists every ECS instance of region: first the region's disks
// (DescribeDisks, every page of 500) to join their facts to the instances, then
// DescribeInstances by NextToken with MaxResults 100, each page mapped to
// assets with ECSMetadata (with DescribeInstanceAutoRenewAttribute for
// the page's subscription instances) and handed to emit. Asset types other than
// inventory.AssetTypeECS are ErrInvalidArgument.
func (d *Discoverer) Discover(ctx context.Context, region, assetType string, call inventory.CallFunc, emit func(ctx context.Context, page []inventory.Asset) error) error {
	if assetType != inventory.AssetTypeECS {
		return errorf("Discover", region, multicloud.CodeInvalidArgument, "", "asset type %q not supported; supported: %s", assetType, inventory.AssetTypeECS)
	}
	disks, err := d.disks(ctx, region, time.Time{}, call)
	if err != nil {
		return err
	}
	token := ""
	for {
		req := ecs.CreateDescribeInstancesRequest()
		req.MaxResults = requests.NewInteger(MaxPageSize)
		req.NextToken = token
		var resp *instancesPage
		err := call(ctx, "DescribeInstances", func(ctx context.Context) error {
			resp = newInstancesPage()
			return d.p.do(ctx, region, productECS, req, resp)
		})
		if err != nil {
			return err
		}
		// Keep the decoded page, not the response: it holds the body
		// twice (the SDK keeps its bytes and a string copy), and emit
		// may wait for the store's writer.
		instances, next := resp.Instances.Instance, resp.NextToken
		resp = nil
		renewals, err := d.autoRenewals(ctx, region, call, instances)
		if err != nil {
			return err
		}
		page := make([]inventory.Asset, 0, len(instances))
		for i := range instances {
			in := &instances[i]
			a, err := toAsset(in, disks.of(in.InstanceId), renewals[in.InstanceId])
			if err != nil {
				return err
			}
			page = append(page, a)
		}
		if len(page) > 0 {
			if err := emit(ctx, page); err != nil {
				return err
			}
		}
		if next == "" || next == token || len(instances) == 0 {
			return nil
		}
		token = next
	}
}

// diskIndex is what assets' metadata take of a region's listed disks,
// by instance ID. A region's disks are held for the whole listing (16
// regions' at once at the default concurrency), so it is compact: the
// instance and disk IDs back to back in one string, a fixed-size record
// per disk that points into it, sorted by instance then disk ID (found by
// binary search: no map, no string per ID), and the few distinct
// (category, device, type) triples shared among the region's disks.
type diskIndex struct {
	text  string
	recs  []diskRec
	kinds []diskKind
}

// diskRec is one disk: its instance's and its own ID as offsets and
// lengths in diskIndex.text, its kind as an index in diskIndex.kinds.
type diskRec struct {
	inst, id       uint32
	instLen, idLen uint16
	kind           uint16
	flags          uint8 // diskDeleteWithInstance, diskEncrypted
	size           int
}

const (
	diskDeleteWithInstance = 1 << iota
	diskEncrypted
)

// diskKind is a disk's category, device and type.
type diskKind struct{ category, device, typ string }

// diskSet is the disks of one instance, sorted by disk ID; the zero value
// is none.
type diskSet struct {
	x    *diskIndex
	recs []diskRec
}

// of returns the disks of the instance; x may be nil.
func (x *diskIndex) of(instanceID string) diskSet {
	if x == nil {
		return diskSet{}
	}
	i, _ := slices.BinarySearchFunc(x.recs, instanceID, func(r diskRec, id string) int {
		return strings.Compare(x.instOf(&r), id)
	})
	j := i
	for j < len(x.recs) && x.instOf(&x.recs[j]) == instanceID {
		j++
	}
	return diskSet{x: x, recs: x.recs[i:j]}
}

func (x *diskIndex) instOf(r *diskRec) string { return x.text[r.inst : r.inst+uint32(r.instLen)] }
func (x *diskIndex) idOf(r *diskRec) string   { return x.text[r.id : r.id+uint32(r.idLen)] }

// diskIndexBuilder collects listed disks into a diskIndex.
type diskIndexBuilder struct {
	text  []byte
	recs  []diskRec
	kinds map[diskKind]uint16
	list  []diskKind
}

// add keeps what toAsset takes of d, which must be attached to an
// instance.
func (b *diskIndexBuilder) add(d *listedDisk) error {
	if len(d.InstanceId) > math.MaxUint16 || len(d.DiskId) > math.MaxUint16 || len(b.text)+len(d.InstanceId)+len(d.DiskId) > math.MaxUint32 {
		return fmt.Errorf("disk %.40q of instance %.40q: IDs too long to index", d.DiskId, d.InstanceId)
	}
	k := diskKind{d.Category, d.Device, d.Type}
	kind, ok := b.kinds[k]
	if !ok {
		if len(b.list) > math.MaxUint16 {
			return fmt.Errorf("more than %d distinct disk kinds in one region", math.MaxUint16+1)
		}
		if b.kinds == nil {
			b.kinds = map[diskKind]uint16{}
		}
		kind = uint16(len(b.list))
		b.kinds[k] = kind
		b.list = append(b.list, k)
	}
	r := diskRec{inst: uint32(len(b.text)), instLen: uint16(len(d.InstanceId)), kind: kind, size: d.Size}
	b.text = append(b.text, d.InstanceId...)
	r.id, r.idLen = uint32(len(b.text)), uint16(len(d.DiskId))
	b.text = append(b.text, d.DiskId...)
	if d.DeleteWithInstance {
		r.flags |= diskDeleteWithInstance
	}
	if d.Encrypted {
		r.flags |= diskEncrypted
	}
	b.recs = append(b.recs, r)
	return nil
}

// index returns the disks added, in as little memory as they fit.
func (b *diskIndexBuilder) index() *diskIndex {
	x := &diskIndex{text: string(b.text), recs: slices.Clone(b.recs), kinds: b.list}
	slices.SortFunc(x.recs, func(a, b diskRec) int {
		if c := strings.Compare(x.instOf(&a), x.instOf(&b)); c != 0 {
			return c
		}
		return strings.Compare(x.idOf(&a), x.idOf(&b))
	})
	*b = diskIndexBuilder{}
	return x
}

// disksPageSize is DescribeDisks' largest MaxResults (500 in the API's
// parameter table; our reference does not confirm it): a region's disk
// facts in a fifth of the calls 100-disk pages take.
const disksPageSize = 500

// disks returns region's disks by instance ID (DescribeDisks by NextToken,
// disksPageSize a page). With a non-zero createdSince only the disks
// created since then are listed (Filter.1.Key CreationStartTime, minute
// precision, rounded down).
func (d *Discoverer) disks(ctx context.Context, region string, createdSince time.Time, call inventory.CallFunc) (*diskIndex, error) {
	var b diskIndexBuilder
	token := ""
	for {
		req := ecs.CreateDescribeDisksRequest()
		req.MaxResults = requests.NewInteger(disksPageSize)
		req.NextToken = token
		if !createdSince.IsZero() {
			req.Filter1Key, req.Filter1Value = "CreationStartTime", createdSince.UTC().Truncate(time.Minute).Format("2006-01-02T15:04Z")
		}
		var resp *disksPage
		err := call(ctx, "DescribeDisks", func(ctx context.Context) error {
			resp = newDisksPage()
			return d.p.do(ctx, region, productECS, req, resp)
		})
		if err != nil {
			return nil, err
		}
		for i := range resp.Disks.Disk {
			if disk := &resp.Disks.Disk[i]; disk.InstanceId != "" {
				if err := b.add(disk); err != nil {
					return nil, errorf("Discover", region, multicloud.CodeUnknown, "", "%v", err)
				}
			}
		}
		if resp.NextToken == "" || resp.NextToken == token || len(resp.Disks.Disk) == 0 {
			return b.index(), nil
		}
		token = resp.NextToken
	}
}

// toAsset maps an instance and its disks to an asset with ECSMetadata,
// deterministically (tags and data disks sorted) so that an unchanged
// instance hashes the same.
func toAsset(in *listedInstance, disks diskSet, renew renewal) (inventory.Asset, error) {
	m := inventory.ECSMetadata{
		InstanceID: in.InstanceId, InstanceName: in.InstanceName, Status: in.Status, Region: in.RegionId, Zone: in.ZoneId,
		InstanceType: in.InstanceType, InstanceTypeFamily: in.InstanceTypeFamily, CPU: cmp.Or(in.Cpu, in.CPU), Memory: in.Memory,
		OSType: cmp.Or(in.OSType, in.OsType), OSName: cmp.Or(in.OSNameEn, in.OSName), ImageID: in.ImageId,
		PublicIP:  slices.Clone(in.PublicIpAddress.IpAddress),
		PrivateIP: slices.Clone(in.VpcAttributes.PrivateIpAddress.IpAddress),
		VPCID:     in.VpcAttributes.VpcId, VSwitchID: in.VpcAttributes.VSwitchId,
		SecurityGroups:         slices.Clone(in.SecurityGroupIds.SecurityGroupId),
		InternetMaxBandwidthIn: in.InternetMaxBandwidthIn, InternetMaxBandwidthOut: in.InternetMaxBandwidthOut,
		ChargeType: in.InstanceChargeType, CreationTime: parseTime(in.CreationTime),
		IOOptimized: in.IoOptimized, NetworkType: in.InstanceNetworkType, InstanceNetworkType: in.InstanceNetworkType,
		Description: in.Description, Provider: ProviderCode, HostName: in.HostName, KeyPairName: in.KeyPairName,
		AutoRenew: renew.enabled, AutoRenewPeriod: renew.months,
	}
	if in.EipAddress.IpAddress != "" {
		m.PublicIP = append(m.PublicIP, in.EipAddress.IpAddress)
	}
	if m.PrivateIP == nil {
		m.PrivateIP = slices.Clone(in.InnerIpAddress.IpAddress)
	}
	// Pay-as-you-go instances report an expiry far in the future.
	if exp := parseTime(in.ExpiredTime); !exp.IsZero() && exp.Year() < 2099 {
		m.ExpiredTime = exp
	}
	for i := range disks.recs { // sorted by disk ID
		d := &disks.recs[i]
		kind := &disks.x.kinds[d.kind]
		if kind.typ == "system" {
			m.SystemDiskCategory, m.SystemDiskSize = kind.category, d.size
			continue
		}
		m.DataDisks = append(m.DataDisks, inventory.DataDisk{DiskID: disks.x.idOf(d), Category: kind.category, Size: d.size,
			Device: kind.device, DeleteWithInstance: d.flags&diskDeleteWithInstance != 0, Encrypted: d.flags&diskEncrypted != 0})
	}
	for _, t := range in.Tags.Tag {
		m.Tags = append(m.Tags, inventory.Tag{Key: cmp.Or(t.TagKey, t.Key), Value: cmp.Or(t.TagValue, t.Value)})
	}
	slices.SortFunc(m.Tags, func(a, b inventory.Tag) int {
		if c := strings.Compare(a.Key, b.Key); c != 0 {
			return c
		}
		return strings.Compare(a.Value, b.Value)
	})
	a := inventory.Asset{AssetID: in.InstanceId, AssetName: in.InstanceName, AssetType: inventory.AssetTypeECS, Provider: ProviderCode,
		Region: in.RegionId, Zone: in.ZoneId, Status: in.Status, Tags: slices.Clone(m.Tags)}
	if err := a.SetMetadata(m); err != nil {
		return inventory.Asset{}, err
	}
	return a, nil
}
