package aws

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/network"
)

// Tag keys this provider puts on network resources beside the scope's.
const (
	// TagCreatedAt carries, on a VPC, the time its create was sent
	// (RFC 3339, UTC, nanoseconds). CreateVpc takes no client token, so
	// two processes creating one user's VPC at once each make one; the
	// oldest by this tag (then by ID) is kept and the other deleted.
	TagCreatedAt = "multicloudCreatedAt"
	// TagAllocToken carries, on an Elastic IP, the allocation token the
	// network flow derived for it: AllocateAddress takes no client token,
	// so an allocation whose response was lost, or a retried create, finds
	// its address again by this tag.
	TagAllocToken = "multicloudAllocationToken"
)

// tagSpec returns the TagSpecifications of one resource type with tags in
// key order (a request repeated must repeat its parameters exactly).
func tagSpec(rt types.ResourceType, tags map[string]string) []types.TagSpecification {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	ts := make([]types.Tag, len(keys))
	for i, k := range keys {
		ts[i] = types.Tag{Key: aws.String(k), Value: aws.String(tags[k])}
	}
	return []types.TagSpecification{{ResourceType: rt, Tags: ts}}
}

// tagFilters returns one tag:<key> filter per tag, in key order.
func tagFilters(tags map[string]string) []types.Filter {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	fs := make([]types.Filter, len(keys))
	for i, k := range keys {
		fs[i] = types.Filter{Name: aws.String("tag:" + k), Values: []string{tags[k]}}
	}
	return fs
}

func filter(name string, values ...string) types.Filter {
	return types.Filter{Name: aws.String(name), Values: values}
}

func tagMap(ts []types.Tag) map[string]string {
	if len(ts) == 0 {
		return nil
	}
	m := make(map[string]string, len(ts))
	for _, t := range ts {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

// resourceName is a Name tag value for people reading the console;
// resources are found by their other tags.
func resourceName(kind string, scope network.Scope) string {
	who := scope.Owner
	switch {
	case who != "":
	case scope.Tenant != "":
		who = "tenant-" + scope.Tenant
	default:
		who = "shared"
	}
	s := "multicloud-" + kind + "-" + who
	if len(s) > 255 {
		s = s[:255]
	}
	return s
}

// groupName is the security group name of scope: unique per VPC, so that
// a second create of the same scope's group fails InvalidGroup.Duplicate
// and finds the first. AWS allows a-z, A-Z, 0-9, spaces and
// ._-:/()#,@[]+=&;{}!$* up to 255 characters, and no "sg-" prefix.
func groupName(scope network.Scope) string {
	var b strings.Builder
	b.WriteString("multicloud-")
	for _, part := range []string{scope.Tenant, scope.Owner} {
		for _, c := range part {
			if c < 128 && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("._-:/()#,@[]+=&;{}!$*", c)) {
				b.WriteRune(c)
			} else {
				b.WriteByte('_')
			}
		}
		b.WriteByte('/')
	}
	// Distinct scopes whose names map to the same text keep distinct names.
	b.WriteString(network.Token(scope.Provider, scope.Account, scope.Region, scope.Tenant, scope.Owner, string(scope.Isolation))[:12])
	s := b.String()
	if len(s) > 255 {
		s = s[len(s)-255:]
	}
	return s
}

func vpcStatus(s types.VpcState) network.Status {
	if s == types.VpcStateAvailable {
		return network.StatusAvailable
	}
	return network.StatusPending
}

func toVPC(v types.Vpc) network.VPC {
	return network.VPC{ID: aws.ToString(v.VpcId), CIDR: aws.ToString(v.CidrBlock), Status: vpcStatus(v.State)}
}

// oldestVPC returns the VPC kept among duplicates: the oldest by
// TagCreatedAt (a VPC without it counts as oldest), then the lowest ID.
func oldestVPC(vs []types.Vpc) (types.Vpc, bool) {
	if len(vs) == 0 {
		return types.Vpc{}, false
	}
	key := func(v types.Vpc) string { return tagMap(v.Tags)[TagCreatedAt] + "\x00" + aws.ToString(v.VpcId) }
	return slices.MinFunc(vs, func(a, b types.Vpc) int { return strings.Compare(key(a), key(b)) }), true
}

// scopeVPCs lists the VPCs of scope's region tagged for scope.
func (p *Provider) scopeVPCs(ctx context.Context, scope network.Scope) ([]types.Vpc, error) {
	out, err := call(ctx, p, scope.Region, "DescribeVpcs", func(ctx context.Context, c *ec2.Client) (*ec2.DescribeVpcsOutput, error) {
		return c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: tagFilters(scope.Tags())})
	})
	if err != nil {
		return nil, err
	}
	// Tag filters match exactly on AWS; match again, so that an endpoint
	// that matches loosely cannot hand over another's VPC.
	var vs []types.Vpc
	for _, v := range out.Vpcs {
		if scope.Match(tagMap(v.Tags)) {
			vs = append(vs, v)
		}
	}
	return vs, nil
}

// FindVPC returns scope's VPC: among the VPCs of the region tagged with
// every tag of scope.Tags() (DescribeVpcs with tag filters), the oldest by
// TagCreatedAt, then ID; none is ErrNotFound.
func (p *Provider) FindVPC(ctx context.Context, scope network.Scope) (network.VPC, error) {
	vs, err := p.scopeVPCs(ctx, scope)
	if err != nil {
		return network.VPC{}, err
	}
	v, ok := oldestVPC(vs)
	if !ok {
		return network.VPC{}, errorf("DescribeVpcs", scope.Region, multicloud.CodeNotFound, "", "no vpc of owner %q in tenant %q", scope.Owner, scope.Tenant)
	}
	return toVPC(v), nil
}

// CreateVPC creates scope's VPC with cidr, its tags (scope's, a Name and
// TagCreatedAt) in the create call, beside an internet gateway for it.
// CreateVpc takes no client token, so a concurrent create by another
// process is resolved after the fact: the scope's VPCs are listed and the
// oldest kept (see oldestVPC). The listing runs in the background beside
// the gateway's attachment and route and the flow's subnet and security
// group; the launch waits for its verdict (see confirmLaunch), and when
// another process's VPC is the one kept, this one is deleted with what
// was made in it and the create fails retryably, so that the Client's
// retry finds the kept VPC. A clock skew between processes larger than
// the gap between their creates can make both keep their own (not
// confirmed to matter in practice); Sweep finds the VPC left without
// instances.
//
// The create is sent once, detached from ctx: a lost response is
// resolved by listing, which finds the VPC by its tags.
func (p *Provider) CreateVPC(ctx context.Context, scope network.Scope, cidr, token string) (network.VPC, error) {
	if err := ctx.Err(); err != nil {
		return network.VPC{}, canceled("CreateVpc", scope.Region, err)
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.opts.SettleTimeout)
	defer cancel()
	tags := scope.Tags()
	tags["Name"] = resourceName("vpc", scope)
	tags[TagCreatedAt] = time.Now().UTC().Format(time.RFC3339Nano)

	var (
		wg            sync.WaitGroup
		vpcOut        *ec2.CreateVpcOutput
		vpcErr, igErr error
		igw           string
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		igw, igErr = p.createGateway(sctx, scope)
	}()
	vpcOut, vpcErr = call(sctx, p, scope.Region, "CreateVpc", func(ctx context.Context, c *ec2.Client) (*ec2.CreateVpcOutput, error) {
		return c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String(cidr), TagSpecifications: tagSpec(types.ResourceTypeVpc, tags)})
	})
	wg.Wait()
	if igErr != nil {
		p.log.Debug("internet gateway not created with the vpc; PrepareVPC makes one", "err", igErr)
	}
	if vpcErr == nil {
		mine := toVPC(*vpcOut.Vpc)
		p.startPrepare(ctx, scope, *vpcOut.Vpc, igw)
		return mine, nil
	}
	if !unknownOutcome(vpcErr) {
		if igw != "" {
			p.deleteGateway(sctx, scope.Region, igw, "")
		}
		return network.VPC{}, vpcErr
	}
	// The VPC may exist: find it by its tags, and keep the oldest.
	if igw != "" {
		p.deleteGateway(sctx, scope.Region, igw, "")
	}
	vs, err := p.scopeVPCs(sctx, scope)
	if err != nil {
		return network.VPC{}, vpcErr
	}
	win, ok := oldestVPC(vs)
	if !ok {
		return network.VPC{}, errorf("CreateVpc", scope.Region, multicloud.CodeUnavailable, "", "outcome of the vpc create unknown and no vpc found: %v", vpcErr)
	}
	for _, v := range vs {
		if id := aws.ToString(v.VpcId); id != aws.ToString(win.VpcId) && tagMap(v.Tags)[TagCreatedAt] == tags[TagCreatedAt] {
			if err := p.deleteVPC(sctx, scope.Region, id); err != nil {
				p.log.Warn("duplicate vpc not deleted; sweep releases it", "vpc", id, "err", err)
			}
		}
	}
	return toVPC(win), nil
}

// unknownOutcome reports whether err leaves open whether the API carried
// the call out: no response, or one that could not be read. An error
// response from the API is taken as "not carried out".
func unknownOutcome(err error) bool {
	if err == nil || multicloud.CodeOf(err) != multicloud.CodeUnavailable {
		return false
	}
	return providerCode(err) == ""
}

// deleteVPC deletes a VPC this provider created and does not use.
func (p *Provider) deleteVPC(ctx context.Context, region, id string) error {
	_, err := call(ctx, p, region, "DeleteVpc", func(ctx context.Context, c *ec2.Client) (*ec2.DeleteVpcOutput, error) {
		return c.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: aws.String(id)})
	})
	if errors.Is(err, multicloud.ErrNotFound) {
		return nil
	}
	return err
}

// GetVPC returns a VPC's current state (DescribeVpcs VpcId); a missing one
// is ErrNotFound.
func (p *Provider) GetVPC(ctx context.Context, scope network.Scope, vpcID string) (network.VPC, error) {
	out, err := call(ctx, p, scope.Region, "DescribeVpcs", func(ctx context.Context, c *ec2.Client) (*ec2.DescribeVpcsOutput, error) {
		return c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{vpcID}})
	})
	if err != nil {
		return network.VPC{}, err
	}
	for _, v := range out.Vpcs {
		if aws.ToString(v.VpcId) == vpcID {
			return toVPC(v), nil
		}
	}
	return network.VPC{}, errorf("DescribeVpcs", scope.Region, multicloud.CodeNotFound, "InvalidVpcID.NotFound", "vpc %s not found", vpcID)
}

func toSwitch(s types.Subnet) network.Switch {
	return network.Switch{ID: aws.ToString(s.SubnetId), VPCID: aws.ToString(s.VpcId), Zone: aws.ToString(s.AvailabilityZone),
		CIDR: aws.ToString(s.CidrBlock), Tags: tagMap(s.Tags)}
}

// ListSwitches returns the subnets of a VPC (DescribeSubnets vpc-id, every
// page).
func (p *Provider) ListSwitches(ctx context.Context, scope network.Scope, vpcID string) ([]network.Switch, error) {
	var out []network.Switch
	var next *string
	for {
		page, err := call(ctx, p, scope.Region, "DescribeSubnets", func(ctx context.Context, c *ec2.Client) (*ec2.DescribeSubnetsOutput, error) {
			return c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []types.Filter{filter("vpc-id", vpcID)},
				MaxResults: aws.Int32(1000), NextToken: next})
		})
		if err != nil {
			return nil, err
		}
		for _, s := range page.Subnets {
			out = append(out, toSwitch(s))
		}
		if next = page.NextToken; aws.ToString(next) == "" {
			return out, nil
		}
	}
}

// CreateSwitch creates a subnet in zone with cidr, tagged for scope. Two
// processes planning the same block for one zone collide on it: the
// loser's create fails InvalidSubnet.Conflict, and it returns the scope's
// subnet of that zone when one exists (else the conflict, for the flow to
// list and plan again). CreateSubnet takes no client token: a lost
// response is resolved the same way, by listing.
func (p *Provider) CreateSwitch(ctx context.Context, scope network.Scope, vpcID, zone, cidr, token string) (network.Switch, error) {
	if err := ctx.Err(); err != nil {
		return network.Switch{}, canceled("CreateSubnet", scope.Region, err)
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.opts.SettleTimeout)
	defer cancel()
	tags := scope.Tags()
	tags["Name"] = resourceName("subnet-"+zone, scope)
	out, err := call(sctx, p, scope.Region, "CreateSubnet", func(ctx context.Context, c *ec2.Client) (*ec2.CreateSubnetOutput, error) {
		return c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: aws.String(vpcID), AvailabilityZone: aws.String(zone),
			CidrBlock: aws.String(cidr), TagSpecifications: tagSpec(types.ResourceTypeSubnet, tags)})
	})
	if err == nil {
		sw := toSwitch(*out.Subnet)
		if sw.Tags == nil {
			sw.Tags = scope.Tags()
		}
		return sw, nil
	}
	if providerCode(err) != "InvalidSubnet.Conflict" && !unknownOutcome(err) {
		return network.Switch{}, err
	}
	list, lerr := p.ListSwitches(sctx, scope, vpcID)
	if lerr != nil {
		return network.Switch{}, err
	}
	for _, s := range list {
		if s.Zone == zone && (s.CIDR == cidr || scope.Match(s.Tags)) {
			return s, nil
		}
	}
	if unknownOutcome(err) {
		return network.Switch{}, err
	}
	return network.Switch{}, errorf("CreateSubnet", scope.Region, multicloud.CodeConflict, "InvalidSubnet.Conflict", "subnet %s in %s overlaps another; plan again", cidr, zone)
}

// FindSecurityGroup returns the security group of the VPC tagged for scope
// (DescribeSecurityGroups vpc-id and tag filters); with several, the
// lowest ID; none is ErrNotFound.
func (p *Provider) FindSecurityGroup(ctx context.Context, scope network.Scope, vpcID string) (network.SecurityGroup, error) {
	out, err := call(ctx, p, scope.Region, "DescribeSecurityGroups", func(ctx context.Context, c *ec2.Client) (*ec2.DescribeSecurityGroupsOutput, error) {
		return c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{
			Filters: append([]types.Filter{filter("vpc-id", vpcID)}, tagFilters(scope.Tags())...)})
	})
	if err != nil {
		return network.SecurityGroup{}, err
	}
	best := ""
	for _, g := range out.SecurityGroups {
		id := aws.ToString(g.GroupId)
		if scope.Match(tagMap(g.Tags)) && (best == "" || id < best) {
			best = id
		}
	}
	if best == "" {
		return network.SecurityGroup{}, errorf("DescribeSecurityGroups", scope.Region, multicloud.CodeNotFound, "", "no security group of owner %q in %s", scope.Owner, vpcID)
	}
	return network.SecurityGroup{ID: best, VPCID: vpcID}, nil
}

// CreateSecurityGroup creates scope's security group in the VPC, named
// by groupName and tagged in the create call. CreateSecurityGroup takes
// no client token; the name is unique per VPC, so a second create of the
// same scope's group (another process, or a retry after a lost response)
// fails InvalidGroup.Duplicate and returns the existing group.
func (p *Provider) CreateSecurityGroup(ctx context.Context, scope network.Scope, vpcID, token string) (network.SecurityGroup, error) {
	if err := ctx.Err(); err != nil {
		return network.SecurityGroup{}, canceled("CreateSecurityGroup", scope.Region, err)
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.opts.SettleTimeout)
	defer cancel()
	name := groupName(scope)
	tags := scope.Tags()
	tags["Name"] = resourceName("sg", scope)
	out, err := call(sctx, p, scope.Region, "CreateSecurityGroup", func(ctx context.Context, c *ec2.Client) (*ec2.CreateSecurityGroupOutput, error) {
		return c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String(name), VpcId: aws.String(vpcID),
			Description:       aws.String("multicloud security group of " + resourceName("user", scope)),
			TagSpecifications: tagSpec(types.ResourceTypeSecurityGroup, tags)})
	})
	if err == nil {
		return network.SecurityGroup{ID: aws.ToString(out.GroupId), VPCID: vpcID}, nil
	}
	if providerCode(err) != "InvalidGroup.Duplicate" && !unknownOutcome(err) {
		return network.SecurityGroup{}, err
	}
	got, ferr := call(sctx, p, scope.Region, "DescribeSecurityGroups", func(ctx context.Context, c *ec2.Client) (*ec2.DescribeSecurityGroupsOutput, error) {
		return c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []types.Filter{filter("vpc-id", vpcID), filter("group-name", name)}})
	})
	if ferr == nil {
		for _, g := range got.SecurityGroups {
			if aws.ToString(g.GroupName) == name {
				return network.SecurityGroup{ID: aws.ToString(g.GroupId), VPCID: vpcID}, nil
			}
		}
	}
	return network.SecurityGroup{}, err
}

// AuthorizePorts opens every rule in ONE AuthorizeSecurityGroupIngress
// call (IpPermissions.N). Rules this provider authorized on the group
// within the network cache's lifetime are not sent again, so a warm create
// of the same user makes no call. A rule that exists already
// (InvalidPermission.Duplicate) is not an error; AWS refuses the whole
// call then, so the rules are sent again one per call, all at once,
// duplicates skipped.
func (p *Provider) AuthorizePorts(ctx context.Context, scope network.Scope, groupID string, rules []network.PortRule) error {
	now := time.Now()
	var todo []types.IpPermission
	var keys []string
	p.mu.Lock()
	for _, r := range rules {
		k := groupID + "|" + ruleKey(r)
		if t, ok := p.authorized[k]; ok && now.Sub(t) < network.DefaultCacheTTL {
			continue
		}
		todo, keys = append(todo, permission(r)), append(keys, k)
	}
	p.mu.Unlock()
	if len(todo) == 0 {
		return nil
	}
	send := func(perms []types.IpPermission) error {
		_, err := call(ctx, p, scope.Region, "AuthorizeSecurityGroupIngress", func(ctx context.Context, c *ec2.Client) (*ec2.AuthorizeSecurityGroupIngressOutput, error) {
			return c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(groupID), IpPermissions: perms})
		})
		if providerCode(err) == "InvalidPermission.Duplicate" && len(perms) == 1 {
			return nil
		}
		return err
	}
	err := send(todo)
	if providerCode(err) == "InvalidPermission.Duplicate" {
		errs := make([]error, len(todo))
		var wg sync.WaitGroup
		for i, perm := range todo {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = send([]types.IpPermission{perm})
			}()
		}
		wg.Wait()
		err = errors.Join(errs...)
	}
	if err != nil {
		return err
	}
	p.mu.Lock()
	for _, k := range keys {
		p.authorized[k] = now
	}
	p.mu.Unlock()
	return nil
}

func ruleKey(r network.PortRule) string {
	return fmt.Sprintf("%s/%d-%d/%s", strings.ToLower(cmp.Or(r.Protocol, "tcp")), r.FromPort, max(r.ToPort, r.FromPort), cmp.Or(r.SourceCIDR, "0.0.0.0/0"))
}

func permission(r network.PortRule) types.IpPermission {
	src := r.SourceCIDR
	if src == "" {
		src = "0.0.0.0/0"
	}
	proto := strings.ToLower(r.Protocol)
	if proto == "" {
		proto = "tcp"
	}
	return types.IpPermission{IpProtocol: aws.String(proto), FromPort: aws.Int32(int32(r.FromPort)),
		ToPort: aws.Int32(int32(max(r.ToPort, r.FromPort))), IpRanges: []types.IpRange{{CidrIp: aws.String(src)}}}
}
