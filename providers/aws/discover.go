package aws

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/inventory"
)

// Discoverer lists an account's EC2 instances for the inventory's sync
// engine; every API call goes through the engine's CallFunc. It is safe
// for concurrent use. Get one with Provider.Discoverer or NewConnector.
type Discoverer struct {
	p *Provider
}

// The inventory capabilities of a Discoverer.
var (
	_ inventory.Discoverer       = (*Discoverer)(nil)
	_ inventory.ConnectionTester = (*Discoverer)(nil)
	_ inventory.AssetTyper       = (*Discoverer)(nil)
)

// Discoverer returns a Discoverer over the provider's account.
func (p *Provider) Discoverer() *Discoverer { return &Discoverer{p: p} }

// NewConnector returns an inventory.Connector that builds the Discoverer of
// an AWS account (provider "aws"): a Provider with opts, then the
// account's credentials and its region as the home region. An account's
// access_key_id is either an access key ID (with its secret access key as
// access_key_secret) or an IAM role ARN ("arn:aws:iam::<account>:role/<name>"):
// the role is assumed from the credentials of opts (the default chain when
// opts set none), with access_key_secret as the external ID.
func NewConnector(opts ...func(*Options)) inventory.Connector {
	return func(ctx context.Context, acct inventory.CloudAccount, secret multicloud.Secret) (inventory.Discoverer, error) {
		all := append(slices.Clone(opts), func(o *Options) {
			if strings.HasPrefix(acct.AccessKeyID, "arn:") {
				o.RoleARN, o.ExternalID = acct.AccessKeyID, secret.Reveal()
			} else {
				o.AccessKeyID, o.SecretAccessKey = acct.AccessKeyID, secret
			}
			o.Account = cmp.Or(acct.ID, acct.AccessKeyID)
			if acct.Region != "" && o.HomeRegion == "" {
				o.HomeRegion = acct.Region
			}
		})
		p, err := New(ctx, all...)
		if err != nil {
			return nil, err
		}
		return p.Discoverer(), nil
	}
}

// AssetTypes returns the asset types a Discoverer lists by default:
// inventory.AssetTypeEC2.
func (d *Discoverer) AssetTypes() []string { return []string{inventory.AssetTypeEC2} }

// TestConnection proves the credentials with STS GetCallerIdentity.
func (d *Discoverer) TestConnection(ctx context.Context) error { return d.p.CheckHealth(ctx) }

// Regions lists the regions enabled for the account (DescribeRegions).
func (d *Discoverer) Regions(ctx context.Context, engine inventory.CallFunc) ([]string, error) {
	var out []string
	err := engine(ctx, "DescribeRegions", func(ctx context.Context) error {
		var err error
		out, err = d.p.Regions(ctx)
		return err
	})
	return out, err
}

// volumesPageSize is DescribeVolumes' MaxResults: the largest the API
// reference gives (5-500 for paginated calls; not confirmed for every
// region).
const volumesPageSize = 500

// Discover lists every live EC2 instance of region: first the region's
// attached volumes (DescribeVolumes, every page of volumesPageSize) to join
// their facts to the instances, then DescribeInstances by NextToken with
// MaxResults Options.DiscoverPageSize (terminated instances left out), each page mapped to
// assets with EC2Metadata and handed to emit. Asset types other than
// inventory.AssetTypeEC2 are ErrInvalidArgument.
func (d *Discoverer) Discover(ctx context.Context, region, assetType string, engine inventory.CallFunc, emit func(ctx context.Context, page []inventory.Asset) error) error {
	if assetType != inventory.AssetTypeEC2 {
		return errorf("Discover", region, multicloud.CodeInvalidArgument, "", "asset type %q not supported; supported: %s", assetType, inventory.AssetTypeEC2)
	}
	vols, err := d.volumes(ctx, region, engine)
	if err != nil {
		return err
	}
	var next *string
	for {
		var out *ec2.DescribeInstancesOutput
		err := engine(ctx, "DescribeInstances", func(ctx context.Context) error {
			var err error
			out, err = call(ctx, d.p, region, "DescribeInstances", func(ctx context.Context, c *ec2.Client) (*ec2.DescribeInstancesOutput, error) {
				return c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{MaxResults: aws.Int32(d.p.opts.DiscoverPageSize), NextToken: next,
					Filters: []types.Filter{filter("instance-state-name", liveStates...)}})
			})
			return err
		})
		if err != nil {
			return err
		}
		var page []inventory.Asset
		for _, r := range out.Reservations {
			for i := range r.Instances {
				a, err := toAsset(region, &r.Instances[i], vols)
				if err != nil {
					return err
				}
				page = append(page, a)
			}
		}
		if len(page) > 0 {
			if err := emit(ctx, page); err != nil {
				return err
			}
		}
		if aws.ToString(out.NextToken) == "" || aws.ToString(out.NextToken) == aws.ToString(next) {
			return nil
		}
		next = out.NextToken
	}
}

// volume is what an asset's metadata takes of a volume.
type volume struct {
	id, typ             string
	size, iops, thr     int
	encrypted           bool
	device              string
	deleteOnTermination bool
}

// volumes returns region's attached volumes by instance ID.
func (d *Discoverer) volumes(ctx context.Context, region string, engine inventory.CallFunc) (map[string][]volume, error) {
	return d.listVolumes(ctx, region, nil, engine)
}

// listVolumes pages DescribeVolumes with filters through the engine and
// returns the attached volumes by instance ID.
func (d *Discoverer) listVolumes(ctx context.Context, region string, filters []types.Filter, engine inventory.CallFunc) (map[string][]volume, error) {
	out := map[string][]volume{}
	var next *string
	for {
		var page *ec2.DescribeVolumesOutput
		err := engine(ctx, "DescribeVolumes", func(ctx context.Context) error {
			var err error
			page, err = call(ctx, d.p, region, "DescribeVolumes", func(ctx context.Context, c *ec2.Client) (*ec2.DescribeVolumesOutput, error) {
				return c.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{MaxResults: aws.Int32(volumesPageSize), NextToken: next, Filters: filters})
			})
			return err
		})
		if err != nil {
			return nil, err
		}
		addVolumes(out, page.Volumes)
		if aws.ToString(page.NextToken) == "" || aws.ToString(page.NextToken) == aws.ToString(next) {
			return out, nil
		}
		next = page.NextToken
	}
}

// toAsset maps an instance and its volumes to an asset with EC2Metadata,
// deterministically (tags, groups and volumes sorted) so that an
// unchanged instance hashes the same.
func toAsset(region string, in *types.Instance, vols map[string][]volume) (inventory.Asset, error) {
	id := aws.ToString(in.InstanceId)
	tags := tagMap(in.Tags)
	m := inventory.EC2Metadata{
		InstanceID: id, InstanceName: tags["Name"], Region: region, InstanceType: string(in.InstanceType),
		Architecture: string(in.Architecture), PlatformDetails: aws.ToString(in.PlatformDetails), ImageID: aws.ToString(in.ImageId),
		VPCID: aws.ToString(in.VpcId), SubnetID: aws.ToString(in.SubnetId), KeyName: aws.ToString(in.KeyName),
		Lifecycle: cmp.Or(string(in.InstanceLifecycle), "on-demand"), RootDeviceName: aws.ToString(in.RootDeviceName),
		RootDeviceType: string(in.RootDeviceType), LaunchTime: aws.ToTime(in.LaunchTime).UTC(), Provider: ProviderCode,
	}
	if in.State != nil {
		m.State = string(in.State.Name)
	}
	if pl := in.Placement; pl != nil {
		m.AvailabilityZone, m.AvailabilityZoneID, m.Tenancy = aws.ToString(pl.AvailabilityZone), aws.ToString(pl.AvailabilityZoneId), string(pl.Tenancy)
	}
	if c := in.CpuOptions; c != nil {
		m.VCPU = int(aws.ToInt32(c.CoreCount) * max(aws.ToInt32(c.ThreadsPerCore), 1))
	}
	if in.IamInstanceProfile != nil {
		m.IAMProfileARN = aws.ToString(in.IamInstanceProfile.Arn)
	}
	if ip := aws.ToString(in.PublicIpAddress); ip != "" {
		m.PublicIP = []string{ip}
	}
	if ip := aws.ToString(in.PrivateIpAddress); ip != "" {
		m.PrivateIP = []string{ip}
	}
	for _, g := range in.SecurityGroups {
		m.SecurityGroups = append(m.SecurityGroups, aws.ToString(g.GroupId))
	}
	slices.Sort(m.SecurityGroups)
	vs := slices.Clone(vols[id])
	slices.SortFunc(vs, func(a, b volume) int { return cmp.Or(strings.Compare(a.device, b.device), strings.Compare(a.id, b.id)) })
	for _, v := range vs {
		m.Volumes = append(m.Volumes, inventory.EBSVolume{VolumeID: v.id, Device: v.device, VolumeType: v.typ, Size: v.size,
			IOPS: v.iops, Throughput: v.thr, Encrypted: v.encrypted, DeleteOnTermination: v.deleteOnTermination,
			Root: v.device != "" && v.device == m.RootDeviceName})
	}
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		m.Tags = append(m.Tags, inventory.Tag{Key: k, Value: tags[k]})
	}
	a := inventory.Asset{AssetID: id, AssetName: m.InstanceName, AssetType: inventory.AssetTypeEC2, Provider: ProviderCode,
		Region: region, Zone: m.AvailabilityZone, Status: m.State, Tags: slices.Clone(m.Tags)}
	if err := a.SetMetadata(m); err != nil {
		return inventory.Asset{}, err
	}
	return a, nil
}

// addVolumes adds the attachments of vs to out, by instance ID.
func addVolumes(out map[string][]volume, vs []types.Volume) {
	for _, v := range vs {
		for _, a := range v.Attachments {
			id := aws.ToString(a.InstanceId)
			if id == "" {
				continue
			}
			out[id] = append(out[id], volume{id: aws.ToString(v.VolumeId), typ: string(v.VolumeType), size: int(aws.ToInt32(v.Size)),
				iops: int(aws.ToInt32(v.Iops)), thr: int(aws.ToInt32(v.Throughput)), encrypted: aws.ToBool(v.Encrypted),
				device: aws.ToString(a.Device), deleteOnTermination: aws.ToBool(a.DeleteOnTermination)})
		}
	}
}
