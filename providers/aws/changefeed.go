package aws

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/inventory"
)

// CloudTrail's figures for the change feed.
const (
	// DefaultTrailDelay is the default of Options.TrailDelay: how late an
	// event may appear in LookupEvents. CloudTrail says it delivers events
	// within about 5 minutes on average, without a guarantee (not
	// confirmed for LookupEvents); 15 minutes is the margin.
	DefaultTrailDelay = 15 * time.Minute
	// TrailRetention is how far back LookupEvents reaches: the last 90
	// days of management events.
	TrailRetention = 90 * 24 * time.Hour
	// trailPageSize is LookupEvents' largest MaxResults (1 to 50).
	trailPageSize = 50
	// filterValues is the most values one EC2 filter takes.
	filterValues = 200
)

var _ inventory.ChangeLister = (*Discoverer)(nil)

// ChangeFeed describes CloudTrail as a change feed: Options.TrailDelay
// late, TrailRetention deep.
func (d *Discoverer) ChangeFeed() inventory.ChangeFeed {
	delay := d.p.opts.TrailDelay
	if delay == 0 {
		delay = DefaultTrailDelay
	}
	return inventory.ChangeFeed{DeliveryDelay: delay, Retention: TrailRetention}
}

// DiscoverChanges finds the EC2 instances of region that write calls
// touched in [since, until): CloudTrail LookupEvents (LookupAttribute
// ResourceType AWS::EC2::Instance, the one attribute a call takes; read
// events skipped; 50 a page) names them; then DescribeInstances with an
// instance-id filter of up to 200 IDs describes those that still live,
// with their volumes (DescribeVolumes by attachment.instance-id), and
// those it does not return, or returns terminated, are deleted. Changes
// no event records wait for the periodic full sync.
//
// Errors: asset types other than inventory.AssetTypeEC2 are
// ErrInvalidArgument; an account without permission for LookupEvents
// gets ErrPermissionDenied; other errors are those of the calls.
func (d *Discoverer) DiscoverChanges(ctx context.Context, region, assetType string, since, until time.Time, engine inventory.CallFunc,
	prior inventory.PriorFunc, emit func(ctx context.Context, page []inventory.Asset) error) ([]string, error) {
	if assetType != inventory.AssetTypeEC2 {
		return nil, errorf("DiscoverChanges", region, multicloud.CodeInvalidArgument, "", "asset type %q has no change feed; supported: %s", assetType, inventory.AssetTypeEC2)
	}
	ids, err := d.changedInstances(ctx, region, since, until, engine)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	var deleted []string
	for chunk := range slices.Chunk(ids, filterValues) {
		found, err := d.describeByID(ctx, region, chunk, engine)
		if err != nil {
			return nil, err
		}
		var live []string
		for _, id := range chunk {
			if _, ok := found[id]; ok {
				live = append(live, id)
			} else {
				deleted = append(deleted, id)
			}
		}
		if len(live) == 0 {
			continue
		}
		vols, err := d.volumesOf(ctx, region, live, engine)
		if err != nil {
			return nil, err
		}
		page := make([]inventory.Asset, 0, len(live))
		for _, id := range live {
			a, err := toAsset(region, found[id], vols)
			if err != nil {
				return nil, err
			}
			page = append(page, a)
		}
		if err := emit(ctx, page); err != nil {
			return nil, err
		}
	}
	return deleted, nil
}

// trailClient returns the CloudTrail client of region.
func (p *Provider) trailClient(region string) *cloudtrail.Client {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.trail == nil {
		p.trail = map[string]*cloudtrail.Client{}
	}
	c, ok := p.trail[region]
	if !ok {
		c = cloudtrail.NewFromConfig(p.cfg, func(o *cloudtrail.Options) { o.Region = region })
		p.trail[region] = c
	}
	return c
}

// changedInstances returns the sorted IDs of the instances that region's
// write events in [since, until) name.
func (d *Discoverer) changedInstances(ctx context.Context, region string, since, until time.Time, engine inventory.CallFunc) ([]string, error) {
	seen := map[string]bool{}
	var next *string
	for {
		var out *cloudtrail.LookupEventsOutput
		err := engine(ctx, "LookupEvents", func(ctx context.Context) error {
			cctx, cancel := context.WithTimeout(ctx, d.p.opts.ReadTimeout)
			defer cancel()
			var err error
			out, err = d.p.trailClient(region).LookupEvents(cctx, &cloudtrail.LookupEventsInput{
				LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyResourceType, AttributeValue: aws.String("AWS::EC2::Instance")}},
				// Whole seconds: the start rounds down, the end up.
				StartTime: aws.Time(since.UTC().Truncate(time.Second)), EndTime: aws.Time(until.UTC().Add(time.Second - 1).Truncate(time.Second)),
				MaxResults: aws.Int32(trailPageSize), NextToken: next,
			})
			if err != nil {
				if ctx.Err() != nil {
					return canceled("LookupEvents", region, ctx.Err())
				}
				return classify("LookupEvents", region, err)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		for _, e := range out.Events {
			if aws.ToString(e.ReadOnly) == "true" {
				continue
			}
			for _, r := range e.Resources {
				if name := aws.ToString(r.ResourceName); aws.ToString(r.ResourceType) == "AWS::EC2::Instance" && strings.HasPrefix(name, "i-") {
					seen[name] = true
				}
			}
		}
		if aws.ToString(out.NextToken) == "" || aws.ToString(out.NextToken) == aws.ToString(next) {
			break
		}
		next = out.NextToken
	}
	ids := make([]string, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids, nil
}

// describeByID returns the live instances among ids (at most 200), by ID.
func (d *Discoverer) describeByID(ctx context.Context, region string, ids []string, engine inventory.CallFunc) (map[string]*types.Instance, error) {
	found := map[string]*types.Instance{}
	var next *string
	for {
		var out *ec2.DescribeInstancesOutput
		err := engine(ctx, "DescribeInstances", func(ctx context.Context) error {
			var err error
			out, err = call(ctx, d.p, region, "DescribeInstances", func(ctx context.Context, c *ec2.Client) (*ec2.DescribeInstancesOutput, error) {
				return c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{MaxResults: aws.Int32(MaxPageSize), NextToken: next,
					Filters: []types.Filter{filter("instance-id", ids...), filter("instance-state-name", liveStates...)}})
			})
			return err
		})
		if err != nil {
			return nil, err
		}
		for _, r := range out.Reservations {
			for i := range r.Instances {
				found[aws.ToString(r.Instances[i].InstanceId)] = &r.Instances[i]
			}
		}
		if aws.ToString(out.NextToken) == "" || aws.ToString(out.NextToken) == aws.ToString(next) {
			return found, nil
		}
		next = out.NextToken
	}
}

// volumesOf returns the volumes attached to the instances ids (at most
// 200), by instance ID.
func (d *Discoverer) volumesOf(ctx context.Context, region string, ids []string, engine inventory.CallFunc) (map[string][]volume, error) {
	return d.listVolumes(ctx, region, []types.Filter{filter("attachment.instance-id", ids...)}, engine)
}
