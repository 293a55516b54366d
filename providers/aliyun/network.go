package aliyun

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/responses"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/vpc"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/network"
)

// The Provider implements the network flow's primitives with the VPC and
// ECS APIs.
var _ network.Primitives = (*Provider)(nil)

// kv is one tag, in key order where it is sent: a request repeated with
// the same ClientToken must repeat its parameters exactly.
type kv struct{ k, v string }

func sortedTags(m map[string]string) []kv {
	out := make([]kv, 0, len(m))
	for k, v := range m {
		out = append(out, kv{k, v})
	}
	slices.SortFunc(out, func(a, b kv) int { return strings.Compare(a.k, b.k) })
	return out
}

// ownerFilter is the tag filter that finds what the flow created for
// scope: every tag of scope.Tags() (the tenant included, so the same user
// ID in another tenant finds nothing of this one's).
func ownerFilter(scope network.Scope) []kv {
	return sortedTags(scope.Tags())
}

// resourceName is a name for a resource of scope (a user's, a tenant's or
// the account's shared one): letters, digits, '.', '_' and '-' only,
// starting with a letter, at most 100 characters. Names are for people
// reading the console; resources are found by their tags.
func resourceName(kind string, scope network.Scope) string {
	var b strings.Builder
	b.WriteString("multicloud-" + kind + "-")
	who := scope.Owner
	switch {
	case who != "":
	case scope.Tenant != "":
		who = "tenant-" + scope.Tenant // a tenant's shared VPC
	default:
		who = "shared" // the account's shared VPC
	}
	for _, c := range who {
		if c < 128 && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			b.WriteRune(c)
		} else {
			b.WriteByte('_')
		}
	}
	s := b.String()
	if len(s) > 100 {
		s = s[:100]
	}
	return s
}

// olderFirst orders by creation time, then ID.
func olderFirst(t1, id1, t2, id2 string) bool {
	if t1 != t2 {
		return t1 < t2
	}
	return id1 < id2
}

func vpcStatus(s string) network.Status {
	if s == "Available" {
		return network.StatusAvailable
	}
	return network.StatusPending
}

// FindVPC returns the oldest VPC of scope's region tagged with every tag
// of scope.Tags() (DescribeVpcs with a tag filter); none is ErrNotFound.
func (p *Provider) FindVPC(ctx context.Context, scope network.Scope) (network.VPC, error) {
	req := vpc.CreateDescribeVpcsRequest()
	tags := ownerFilter(scope)
	ts := make([]vpc.DescribeVpcsTag, len(tags))
	for i, t := range tags {
		ts[i] = vpc.DescribeVpcsTag{Key: t.k, Value: t.v}
	}
	req.Tag = &ts
	req.PageSize = "50"
	resp := vpc.CreateDescribeVpcsResponse()
	if err := p.do(ctx, scope.Region, productVPC, req, resp); err != nil {
		return network.VPC{}, err
	}
	var best *vpc.Vpc
	for i, v := range resp.Vpcs.Vpc {
		if best == nil || olderFirst(v.CreationTime, v.VpcId, best.CreationTime, best.VpcId) {
			best = &resp.Vpcs.Vpc[i]
		}
	}
	if best == nil {
		return network.VPC{}, errorf("DescribeVpcs", scope.Region, multicloud.CodeNotFound, "", "no vpc of owner %q in tenant %q", scope.Owner, scope.Tenant)
	}
	return network.VPC{ID: best.VpcId, CIDR: best.CidrBlock, Status: vpcStatus(best.Status)}, nil
}

// CreateVPC creates a VPC with cidr, tagged for scope, with ClientToken
// token: two processes creating the same user's VPC at once get one.
func (p *Provider) CreateVPC(ctx context.Context, scope network.Scope, cidr, token string) (network.VPC, error) {
	req := vpc.CreateCreateVpcRequest()
	req.CidrBlock, req.ClientToken, req.VpcName = cidr, token, resourceName("vpc", scope)
	tags := sortedTags(scope.Tags())
	ts := make([]vpc.CreateVpcTag, len(tags))
	for i, t := range tags {
		ts[i] = vpc.CreateVpcTag{Key: t.k, Value: t.v}
	}
	req.Tag = &ts
	r, err := p.settled(ctx, scope.Region, productVPC, req, func() responses.AcsResponse { return vpc.CreateCreateVpcResponse() }, nil, nil)
	if err != nil {
		return network.VPC{}, err
	}
	resp := r.(*vpc.CreateVpcResponse)
	// CreateVpc does not report a status: a new VPC is Pending.
	return network.VPC{ID: resp.VpcId, CIDR: cidr, Status: network.StatusPending}, nil
}

// GetVPC returns a VPC's current state (DescribeVpcs VpcId); a missing one
// is ErrNotFound.
func (p *Provider) GetVPC(ctx context.Context, scope network.Scope, vpcID string) (network.VPC, error) {
	req := vpc.CreateDescribeVpcsRequest()
	req.VpcId = vpcID
	resp := vpc.CreateDescribeVpcsResponse()
	if err := p.do(ctx, scope.Region, productVPC, req, resp); err != nil {
		return network.VPC{}, err
	}
	for _, v := range resp.Vpcs.Vpc {
		if v.VpcId == vpcID {
			return network.VPC{ID: v.VpcId, CIDR: v.CidrBlock, Status: vpcStatus(v.Status)}, nil
		}
	}
	return network.VPC{}, errorf("DescribeVpcs", scope.Region, multicloud.CodeNotFound, "InvalidVpcID.NotFound", "vpc %s not found", vpcID)
}

// ListSwitches returns the vSwitches of a VPC (DescribeVSwitches, every
// page).
func (p *Provider) ListSwitches(ctx context.Context, scope network.Scope, vpcID string) ([]network.Switch, error) {
	var out []network.Switch
	for page := 1; ; page++ {
		req := vpc.CreateDescribeVSwitchesRequest()
		req.VpcId = vpcID
		req.PageSize = "50"
		req.PageNumber = requests.NewInteger(page)
		resp := vpc.CreateDescribeVSwitchesResponse()
		if err := p.do(ctx, scope.Region, productVPC, req, resp); err != nil {
			return nil, err
		}
		for _, s := range resp.VSwitches.VSwitch {
			sw := network.Switch{ID: s.VSwitchId, VPCID: s.VpcId, Zone: s.ZoneId, CIDR: s.CidrBlock}
			if len(s.Tags.Tag) > 0 {
				sw.Tags = make(map[string]string, len(s.Tags.Tag))
				for _, t := range s.Tags.Tag {
					sw.Tags[t.Key] = t.Value
				}
			}
			out = append(out, sw)
		}
		if len(resp.VSwitches.VSwitch) == 0 || page*50 >= resp.TotalCount {
			return out, nil
		}
	}
}

// CreateSwitch creates a vSwitch in zone with cidr. While the VPC is
// pending it fails with ErrConflict (IncorrectVpcStatus).
func (p *Provider) CreateSwitch(ctx context.Context, scope network.Scope, vpcID, zone, cidr, token string) (network.Switch, error) {
	req := vpc.CreateCreateVSwitchRequest()
	req.VpcId, req.ZoneId, req.CidrBlock, req.ClientToken = vpcID, zone, cidr, token
	req.VSwitchName = resourceName("vsw-"+zone, scope)
	tags := sortedTags(scope.Tags())
	ts := make([]vpc.CreateVSwitchTag, len(tags))
	for i, t := range tags {
		ts[i] = vpc.CreateVSwitchTag{Key: t.k, Value: t.v}
	}
	req.Tag = &ts
	r, err := p.settled(ctx, scope.Region, productVPC, req, func() responses.AcsResponse { return vpc.CreateCreateVSwitchResponse() }, nil, nil)
	if err != nil {
		return network.Switch{}, err
	}
	resp := r.(*vpc.CreateVSwitchResponse)
	return network.Switch{ID: resp.VSwitchId, VPCID: vpcID, Zone: zone, CIDR: cidr}, nil
}

// FindSecurityGroup returns the oldest security group of the VPC tagged
// for scope (DescribeSecurityGroups VpcId with a tag filter); none is
// ErrNotFound.
func (p *Provider) FindSecurityGroup(ctx context.Context, scope network.Scope, vpcID string) (network.SecurityGroup, error) {
	req := ecs.CreateDescribeSecurityGroupsRequest()
	req.VpcId = vpcID
	tags := ownerFilter(scope)
	ts := make([]ecs.DescribeSecurityGroupsTag, len(tags))
	for i, t := range tags {
		ts[i] = ecs.DescribeSecurityGroupsTag{Key: t.k, Value: t.v}
	}
	req.Tag = &ts
	req.MaxResults = "100"
	resp := ecs.CreateDescribeSecurityGroupsResponse()
	if err := p.do(ctx, scope.Region, productECS, req, resp); err != nil {
		return network.SecurityGroup{}, err
	}
	var best *ecs.SecurityGroup
	for i, g := range resp.SecurityGroups.SecurityGroup {
		if best == nil || olderFirst(g.CreationTime, g.SecurityGroupId, best.CreationTime, best.SecurityGroupId) {
			best = &resp.SecurityGroups.SecurityGroup[i]
		}
	}
	if best == nil {
		return network.SecurityGroup{}, errorf("DescribeSecurityGroups", scope.Region, multicloud.CodeNotFound, "", "no security group of owner %q in %s", scope.Owner, vpcID)
	}
	return network.SecurityGroup{ID: best.SecurityGroupId, VPCID: vpcID}, nil
}

// CreateSecurityGroup creates a security group in the VPC, tagged for
// scope, with ClientToken token.
func (p *Provider) CreateSecurityGroup(ctx context.Context, scope network.Scope, vpcID, token string) (network.SecurityGroup, error) {
	req := ecs.CreateCreateSecurityGroupRequest()
	req.VpcId, req.ClientToken, req.SecurityGroupName = vpcID, token, resourceName("sg", scope)
	req.SecurityGroupType = "normal"
	tags := sortedTags(scope.Tags())
	ts := make([]ecs.CreateSecurityGroupTag, len(tags))
	for i, t := range tags {
		ts[i] = ecs.CreateSecurityGroupTag{Key: t.k, Value: t.v}
	}
	req.Tag = &ts
	r, err := p.settled(ctx, scope.Region, productECS, req, func() responses.AcsResponse { return ecs.CreateCreateSecurityGroupResponse() }, nil, nil)
	if err != nil {
		return network.SecurityGroup{}, err
	}
	resp := r.(*ecs.CreateSecurityGroupResponse)
	return network.SecurityGroup{ID: resp.SecurityGroupId, VPCID: vpcID}, nil
}

// AuthorizePorts opens every rule in ONE AuthorizeSecurityGroup call
// (Permissions.N). Aliyun accepts a rule that exists already without
// adding it again.
func (p *Provider) AuthorizePorts(ctx context.Context, scope network.Scope, groupID string, rules []network.PortRule) error {
	if len(rules) == 0 {
		return nil
	}
	req := ecs.CreateAuthorizeSecurityGroupRequest()
	req.SecurityGroupId = groupID
	perms := make([]ecs.AuthorizeSecurityGroupPermissions, len(rules))
	for i, r := range rules {
		src := r.SourceCIDR
		if src == "" {
			src = "0.0.0.0/0"
		}
		perms[i] = ecs.AuthorizeSecurityGroupPermissions{
			IpProtocol: strings.ToLower(cmp.Or(r.Protocol, "tcp")), PortRange: fmt.Sprintf("%d/%d", r.FromPort, max(r.ToPort, r.FromPort)),
			SourceCidrIp: src, Policy: "accept", Priority: "1",
		}
	}
	req.Permissions = &perms
	return p.do(ctx, scope.Region, productECS, req, ecs.CreateAuthorizeSecurityGroupResponse())
}

// internetChargeType maps a portable bandwidth mode: TRAFFIC is
// PayByTraffic, FIXED is PayByBandwidth.
func internetChargeType(mode string) string {
	if strings.EqualFold(mode, string(multicloud.Fixed)) {
		return "PayByBandwidth"
	}
	return "PayByTraffic"
}

// tagTracker collects the background tagging of the addresses one create
// allocates, so that the create can wait for it before it returns.
type tagTracker struct {
	wg   sync.WaitGroup
	mu   sync.Mutex
	errs []error
}

type tagTrackerKey struct{}

func (t *tagTracker) wait() error {
	t.wg.Wait()
	t.mu.Lock()
	defer t.mu.Unlock()
	return errors.Join(t.errs...)
}

// AddressNamePrefix starts the Name of every elastic IP the provider
// allocates, so that one whose tagging failed is still known as the
// library's (AllocateEipAddress takes no tags).
const AddressNamePrefix = "multicloud-eip-"

// AllocateAddress allocates a pay-as-you-go elastic IP (AllocateEipAddress
// with ClientToken token, named AddressNamePrefix plus the owner from
// birth) and tags it with scope's tags and spec.Tags, the create's
// idempotency token among them (TagResources, ResourceType EIP: this SDK
// version's AllocateEipAddress takes no tags). The allocation is settled
// (see Options.SettleTimeout): a caller that leaves while it is in flight
// still gets the address back, for the create to release. The tagging
// runs detached from the caller too, waiting out throttling and server
// errors within Options.SettleTimeout; inside a create it runs beside the
// rest of the create, so that binding waits for the allocation alone. A
// token whose address this provider released since allocates under a
// derived token, so that a retried create does not get a released address
// back.
func (p *Provider) AllocateAddress(ctx context.Context, scope network.Scope, spec network.AddressSpec, token string) (network.Address, error) {
	var resp *vpc.AllocateEipAddressResponse
	p.mu.Lock()
	gen := p.tokenGen[token]
	p.mu.Unlock()
	for tries := 0; ; tries++ {
		req := vpc.CreateAllocateEipAddressRequest()
		req.Bandwidth = strconv.Itoa(max(spec.BandwidthMbps, 1))
		req.InternetChargeType = internetChargeType(spec.ChargeMode)
		req.InstanceChargeType = "PostPaid"
		req.Name = addressName(scope)
		req.ClientToken = token
		if gen > 0 && token != "" {
			req.ClientToken = network.Token(token, "again", strconv.Itoa(gen))
		}
		r, err := p.settled(ctx, scope.Region, productVPC, req, func() responses.AcsResponse { return vpc.CreateAllocateEipAddressResponse() }, nil, nil)
		if err != nil {
			return network.Address{}, err
		}
		resp = r.(*vpc.AllocateEipAddressResponse)
		p.mu.Lock()
		stale := p.released[resp.AllocationId]
		if stale && token != "" {
			// Remember the generation, so that the next try of the
			// create starts from it instead of walking the chain again.
			gen = max(gen, p.tokenGen[token]) + 1
			p.tokenGen[token] = gen
		}
		if !stale && token != "" {
			p.addrTok[resp.AllocationId] = token
		}
		p.mu.Unlock()
		if !stale || token == "" || tries >= 8 {
			break
		}
	}
	a := network.Address{ID: resp.AllocationId, IP: resp.EipAddress, Status: network.StatusAvailable}
	tag := func() error {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.opts.SettleTimeout)
		defer cancel()
		return settlePolicy.Do(sctx, func(ctx context.Context) error { return p.tagAddress(ctx, scope, a.ID, spec.Tags) })
	}
	if t, ok := ctx.Value(tagTrackerKey{}).(*tagTracker); ok {
		t.wg.Add(1)
		go func() {
			defer t.wg.Done()
			if err := tag(); err != nil {
				t.mu.Lock()
				t.errs = append(t.errs, fmt.Errorf("address %s not tagged: %w", a.ID, err))
				t.mu.Unlock()
			}
		}()
		return a, nil
	}
	if err := tag(); err != nil {
		// The address exists and is named as the library's: report it.
		p.log.Warn("address not tagged", "address", a.ID, "err", err)
	}
	return a, nil
}

// settlePolicy paces the work that settles what exists already (tagging a
// new address): throttling, server errors and state conflicts are waited
// out within the settle context, which bounds it.
var settlePolicy = multicloud.RetryPolicy{MaxAttempts: 1000, BaseDelay: 50 * time.Millisecond, MaxDelay: 500 * time.Millisecond,
	Retryable: func(err error) bool { return multicloud.IsRetryable(err) || errors.Is(err, multicloud.ErrConflict) }}

// addressName is the Name of scope's elastic IPs: AddressNamePrefix and
// the owner, kept to the letters, digits, '.', '_' and '-' the API allows.
func addressName(scope network.Scope) string {
	return strings.Replace(resourceName("eip", scope), "multicloud-eip-", AddressNamePrefix, 1)
}

// tagAddress tags an elastic IP with scope's reserved tags and extra (the
// create's idempotency token), in one TagResources call; scope's tags win
// on a shared key.
func (p *Provider) tagAddress(ctx context.Context, scope network.Scope, id string, extra map[string]string) error {
	req := vpc.CreateTagResourcesRequest()
	req.ResourceType = "EIP"
	req.ResourceId = &[]string{id}
	all := scope.Tags()
	for k, v := range extra {
		if _, reserved := all[k]; !reserved {
			all[k] = v
		}
	}
	tags := sortedTags(all)
	ts := make([]vpc.TagResourcesTag, len(tags))
	for i, t := range tags {
		ts[i] = vpc.TagResourcesTag{Key: t.k, Value: t.v}
	}
	req.Tag = &ts
	return p.do(ctx, scope.Region, productVPC, req, vpc.CreateTagResourcesResponse())
}

// AssociateAddress binds an elastic IP to an instance. A state that does
// not allow it yet (the instance still starting, the address in
// transition) is ErrConflict; an address already bound to this instance
// (a repeated call) succeeds.
func (p *Provider) AssociateAddress(ctx context.Context, scope network.Scope, addressID, instanceID string) error {
	req := vpc.CreateAssociateEipAddressRequest()
	req.AllocationId, req.InstanceId, req.InstanceType = addressID, instanceID, "EcsInstance"
	err := p.do(ctx, scope.Region, productVPC, req, vpc.CreateAssociateEipAddressResponse())
	if err == nil || !errors.Is(err, multicloud.ErrConflict) || providerCode(err) == "IncorrectInstanceStatus" {
		return err
	}
	if a, gerr := p.GetAddress(ctx, scope, addressID); gerr == nil && a.InstanceID == instanceID {
		return nil
	}
	return err
}

func providerCode(err error) string {
	var e *multicloud.Error
	if errors.As(err, &e) {
		return e.ProviderCode
	}
	return ""
}

func addressStatus(s string) network.Status {
	switch s {
	case "Available":
		return network.StatusAvailable
	case "InUse":
		return network.StatusInUse
	}
	return network.StatusBusy // Associating, Unassociating
}

// GetAddress returns an elastic IP's state (DescribeEipAddresses
// AllocationId); a missing one is ErrNotFound.
func (p *Provider) GetAddress(ctx context.Context, scope network.Scope, addressID string) (network.Address, error) {
	req := vpc.CreateDescribeEipAddressesRequest()
	req.AllocationId = addressID
	resp := vpc.CreateDescribeEipAddressesResponse()
	if err := p.do(ctx, scope.Region, productVPC, req, resp); err != nil {
		return network.Address{}, err
	}
	for _, e := range resp.EipAddresses.EipAddress {
		if e.AllocationId == addressID {
			return network.Address{ID: e.AllocationId, IP: e.IpAddress, Status: addressStatus(e.Status), InstanceID: e.InstanceId}, nil
		}
	}
	return network.Address{}, errorf("DescribeEipAddresses", scope.Region, multicloud.CodeNotFound, "InvalidAllocationId.NotFound", "address %s not found", addressID)
}

// UnassociateAddress unbinds an elastic IP from instanceID.
func (p *Provider) UnassociateAddress(ctx context.Context, scope network.Scope, addressID, instanceID string) error {
	req := vpc.CreateUnassociateEipAddressRequest()
	req.AllocationId, req.InstanceId, req.InstanceType = addressID, instanceID, "EcsInstance"
	return p.do(ctx, scope.Region, productVPC, req, vpc.CreateUnassociateEipAddressResponse())
}

// ReleaseAddress releases an unbound elastic IP; a bound or busy one is
// ErrConflict (IncorrectEipStatus).
func (p *Provider) ReleaseAddress(ctx context.Context, scope network.Scope, addressID string) error {
	req := vpc.CreateReleaseEipAddressRequest()
	req.AllocationId = addressID
	err := p.do(ctx, scope.Region, productVPC, req, vpc.CreateReleaseEipAddressResponse())
	if err == nil || errors.Is(err, multicloud.ErrNotFound) {
		p.mu.Lock()
		p.released[addressID] = true
		if tok, ok := p.addrTok[addressID]; ok {
			// The next allocation under the token gets a fresh address
			// at once.
			p.tokenGen[tok]++
			delete(p.addrTok, addressID)
		}
		p.mu.Unlock()
	}
	return err
}
