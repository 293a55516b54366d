package aws

import (
	"context"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/multicloud-ecs/multicloud"
)

// zoneCache is what a region's zones and offerings say: its available
// zones in name order with their zone IDs, and the instance types
// offered in each zone (DescribeInstanceTypeOfferings by
// availability-zone). AWS offers a type in a zone without saying whether
// it has capacity now: RunInstances decides (InsufficientInstanceCapacity).
type zoneCache struct {
	zones   []string            // zone names, sorted
	ids     map[string]string   // zone name -> zone ID (use1-az2)
	types   map[string][]string // zone name -> instance types offered, sorted
	asOf    time.Time
	expires time.Time
}

func (z zoneCache) offered(zone, typ string) bool {
	_, ok := slices.BinarySearch(z.types[zone], typ)
	return ok
}

// availability returns region's zone cache, read again when expired:
// DescribeAvailabilityZones beside DescribeInstanceTypeOfferings (every
// page of 1000).
func (p *Provider) availability(ctx context.Context, region string) (zoneCache, error) {
	p.mu.Lock()
	c, ok := p.zones[region]
	p.mu.Unlock()
	if ok && time.Now().Before(c.expires) {
		return c, nil
	}
	var (
		zs     *ec2.DescribeAvailabilityZonesOutput
		zErr   error
		offers = map[string][]string{}
		oErr   error
		done   = make(chan struct{})
	)
	go func() {
		defer close(done)
		var next *string
		for {
			out, err := call(ctx, p, region, "DescribeInstanceTypeOfferings", func(ctx context.Context, c *ec2.Client) (*ec2.DescribeInstanceTypeOfferingsOutput, error) {
				return c.DescribeInstanceTypeOfferings(ctx, &ec2.DescribeInstanceTypeOfferingsInput{
					LocationType: types.LocationTypeAvailabilityZone, MaxResults: aws.Int32(1000), NextToken: next})
			})
			if err != nil {
				oErr = err
				return
			}
			for _, o := range out.InstanceTypeOfferings {
				z := aws.ToString(o.Location)
				offers[z] = append(offers[z], string(o.InstanceType))
			}
			if next = out.NextToken; aws.ToString(next) == "" {
				return
			}
		}
	}()
	zs, zErr = call(ctx, p, region, "DescribeAvailabilityZones", func(ctx context.Context, c *ec2.Client) (*ec2.DescribeAvailabilityZonesOutput, error) {
		return c.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{Filters: []types.Filter{filter("state", "available")}})
	})
	<-done
	if zErr != nil {
		return zoneCache{}, zErr
	}
	if oErr != nil {
		return zoneCache{}, oErr
	}
	now := time.Now()
	c = zoneCache{ids: map[string]string{}, types: map[string][]string{}, asOf: now.UTC(), expires: now.Add(p.opts.AvailabilityTTL)}
	for _, z := range zs.AvailabilityZones {
		if z.ZoneType != nil && aws.ToString(z.ZoneType) != "availability-zone" {
			continue // local zones and wavelength zones need an opt-in and their own subnets
		}
		name := aws.ToString(z.ZoneName)
		c.zones = append(c.zones, name)
		c.ids[name] = aws.ToString(z.ZoneId)
	}
	slices.Sort(c.zones)
	for z, ts := range offers {
		slices.Sort(ts)
		c.types[z] = slices.Compact(ts)
	}
	p.mu.Lock()
	p.zones[region] = c
	p.mu.Unlock()
	return c, nil
}

// ZoneID returns the zone ID (for instance "use1-az2") of a zone name in
// region: the stable name of the physical zone, which differs between
// accounts for the same zone name. It reads the region's zones (cached).
func (p *Provider) ZoneID(ctx context.Context, region, zone string) (string, error) {
	c, err := p.availability(ctx, region)
	if err != nil {
		return "", err
	}
	if id, ok := c.ids[zone]; ok {
		return id, nil
	}
	return "", errorf("DescribeAvailabilityZones", region, multicloud.CodeNotFound, "InvalidZone.NotFound", "zone %s not found in %s", zone, region)
}
