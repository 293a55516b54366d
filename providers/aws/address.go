package aws

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/network"
)

// AllocateAddress allocates an Elastic IP in the VPC domain, tagged in
// the AllocateAddress call with scope's tags, spec.Tags (the create's
// idempotency token), a Name and TagAllocToken = token. AllocateAddress
// takes no client token, so idempotency is kept by the provider: a token
// already allocated by this provider and not released returns the same
// address without a call, and an allocation whose outcome is unknown (no
// readable response) is looked up by its TagAllocToken tag. The call runs
// detached from ctx (bounded by Options.SettleTimeout), so that a caller
// that leaves still gets the address back for the create to release.
// spec.BandwidthMbps and spec.ChargeMode have no AWS counterpart (the
// provider's RequestValidator reports them).
func (p *Provider) AllocateAddress(ctx context.Context, scope network.Scope, spec network.AddressSpec, token string) (network.Address, error) {
	if err := ctx.Err(); err != nil {
		return network.Address{}, canceled("AllocateAddress", scope.Region, err)
	}
	tok := token
	if token != "" {
		p.mu.Lock()
		if gen := p.relTok[token]; gen > 0 {
			tok = network.Token(token, "again", strconv.Itoa(gen))
		}
		for id, t := range p.addrTok {
			if t == token {
				p.mu.Unlock()
				return p.GetAddress(ctx, scope, id)
			}
		}
		p.mu.Unlock()
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.opts.SettleTimeout)
	defer cancel()
	tags := map[string]string{}
	for k, v := range spec.Tags {
		tags[k] = v
	}
	for k, v := range scope.Tags() {
		tags[k] = v
	}
	tags["Name"] = resourceName("eip", scope)
	tags[TagCreatedAt] = time.Now().UTC().Format(time.RFC3339Nano)
	if tok != "" {
		tags[TagAllocToken] = tok
	}
	out, err := call(sctx, p, scope.Region, "AllocateAddress", func(ctx context.Context, c *ec2.Client) (*ec2.AllocateAddressOutput, error) {
		return c.AllocateAddress(ctx, &ec2.AllocateAddressInput{Domain: types.DomainTypeVpc, TagSpecifications: tagSpec(types.ResourceTypeElasticIp, tags)})
	})
	var a network.Address
	switch {
	case err == nil:
		a = network.Address{ID: aws.ToString(out.AllocationId), IP: aws.ToString(out.PublicIp), Status: network.StatusAvailable}
	case unknownOutcome(err) && tok != "":
		found, ferr := p.addressesByTag(sctx, scope.Region, TagAllocToken, tok)
		if ferr != nil || len(found) == 0 {
			return network.Address{}, err
		}
		a = found[0]
	default:
		return network.Address{}, err
	}
	if token != "" {
		p.mu.Lock()
		p.addrTok[a.ID] = token
		p.mu.Unlock()
	}
	return a, nil
}

// addressesByTag returns the addresses of region tagged key = value.
func (p *Provider) addressesByTag(ctx context.Context, region, key, value string) ([]network.Address, error) {
	out, err := call(ctx, p, region, "DescribeAddresses", func(ctx context.Context, c *ec2.Client) (*ec2.DescribeAddressesOutput, error) {
		return c.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{Filters: []types.Filter{filter("tag:"+key, value)}})
	})
	if err != nil {
		return nil, err
	}
	var as []network.Address
	for _, a := range out.Addresses {
		as = append(as, toAddress(a))
	}
	return as, nil
}

func toAddress(a types.Address) network.Address {
	out := network.Address{ID: aws.ToString(a.AllocationId), IP: aws.ToString(a.PublicIp), Status: network.StatusAvailable,
		InstanceID: aws.ToString(a.InstanceId)}
	if out.InstanceID != "" || aws.ToString(a.AssociationId) != "" {
		out.Status = network.StatusInUse
	}
	return out
}

// AssociateAddress binds an Elastic IP to an instance (AssociateAddress,
// AllowReassociation false). It first waits for the internet access of
// the instance's VPC when this provider is setting it up (an address
// binding needs the gateway attached). An instance not yet running
// (IncorrectInstanceState, InvalidInstanceID) or a gateway not attached
// yet is ErrConflict, which the network flow waits out; an instance just
// launched and not yet visible (InvalidInstanceID.NotFound) is
// ErrConflict too. An address bound to this instance already succeeds.
// An instance that has another Elastic IP already (a create repeated with
// the same token) is refused, so that its address is not replaced.
func (p *Provider) AssociateAddress(ctx context.Context, scope network.Scope, addressID, instanceID string) error {
	p.mu.Lock()
	vpcID, other := p.vpcOf[instanceID], p.boundOf[instanceID]
	p.mu.Unlock()
	if other != "" {
		// A repeated create: the instance has an Elastic IP already. It is
		// this address (found again by its token) or another, left bound.
		if a, err := p.GetAddress(ctx, scope, addressID); err == nil && a.InstanceID == instanceID {
			return nil
		}
		return errorf("AssociateAddress", scope.Region, multicloud.CodeAlreadyExists, "",
			"instance %s has elastic ip %s already (a repeated create); %s not bound", instanceID, other, addressID)
	}
	if vpcID != "" {
		if err := p.waitPrepared(ctx, scope.Region, vpcID); err != nil {
			return fmt.Errorf("internet access of %s not set up: %w", vpcID, err)
		}
	}
	_, err := call(ctx, p, scope.Region, "AssociateAddress", func(ctx context.Context, c *ec2.Client) (*ec2.AssociateAddressOutput, error) {
		return c.AssociateAddress(ctx, &ec2.AssociateAddressInput{AllocationId: aws.String(addressID), InstanceId: aws.String(instanceID),
			AllowReassociation: aws.Bool(false)})
	})
	if err == nil {
		return nil
	}
	switch providerCode(err) {
	case "InvalidInstanceID.NotFound", "Gateway.NotAttached":
		e := *err.(*multicloud.Error)
		e.Code = multicloud.CodeConflict
		return &e
	case "Resource.AlreadyAssociated":
		if a, gerr := p.GetAddress(ctx, scope, addressID); gerr == nil && a.InstanceID == instanceID {
			return nil
		}
	}
	return err
}

// GetAddress returns an Elastic IP's state (DescribeAddresses
// AllocationId); a missing one is ErrNotFound.
func (p *Provider) GetAddress(ctx context.Context, scope network.Scope, addressID string) (network.Address, error) {
	out, err := call(ctx, p, scope.Region, "DescribeAddresses", func(ctx context.Context, c *ec2.Client) (*ec2.DescribeAddressesOutput, error) {
		return c.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{AllocationIds: []string{addressID}})
	})
	if err != nil {
		return network.Address{}, err
	}
	for _, a := range out.Addresses {
		if aws.ToString(a.AllocationId) == addressID {
			return toAddress(a), nil
		}
	}
	return network.Address{}, errorf("DescribeAddresses", scope.Region, multicloud.CodeNotFound, "InvalidAllocationID.NotFound", "address %s not found", addressID)
}

// UnassociateAddress unbinds an Elastic IP from instanceID
// (DisassociateAddress by the association ID DescribeAddresses reports).
// An address bound to nothing is not an error.
func (p *Provider) UnassociateAddress(ctx context.Context, scope network.Scope, addressID, instanceID string) error {
	out, err := call(ctx, p, scope.Region, "DescribeAddresses", func(ctx context.Context, c *ec2.Client) (*ec2.DescribeAddressesOutput, error) {
		return c.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{AllocationIds: []string{addressID}})
	})
	if err != nil {
		return err
	}
	for _, a := range out.Addresses {
		if aws.ToString(a.AllocationId) != addressID || aws.ToString(a.AssociationId) == "" {
			continue
		}
		if instanceID != "" && aws.ToString(a.InstanceId) != "" && aws.ToString(a.InstanceId) != instanceID {
			return errorf("DisassociateAddress", scope.Region, multicloud.CodeConflict, "", "address %s is bound to %s, not %s", addressID, aws.ToString(a.InstanceId), instanceID)
		}
		_, err := call(ctx, p, scope.Region, "DisassociateAddress", func(ctx context.Context, c *ec2.Client) (*ec2.DisassociateAddressOutput, error) {
			return c.DisassociateAddress(ctx, &ec2.DisassociateAddressInput{AssociationId: a.AssociationId})
		})
		if errors.Is(err, multicloud.ErrNotFound) {
			return nil
		}
		return err
	}
	return nil
}

// ReleaseAddress releases an unbound Elastic IP; a bound one is
// ErrConflict (InvalidIPAddress.InUse, AuthFailure on some accounts is
// not assumed). A missing one is ErrNotFound. Once released, the next
// allocation under its token allocates afresh.
func (p *Provider) ReleaseAddress(ctx context.Context, scope network.Scope, addressID string) error {
	_, err := call(ctx, p, scope.Region, "ReleaseAddress", func(ctx context.Context, c *ec2.Client) (*ec2.ReleaseAddressOutput, error) {
		return c.ReleaseAddress(ctx, &ec2.ReleaseAddressInput{AllocationId: aws.String(addressID)})
	})
	if err == nil || errors.Is(err, multicloud.ErrNotFound) {
		p.mu.Lock()
		if tok, ok := p.addrTok[addressID]; ok {
			delete(p.addrTok, addressID)
			p.relTok[tok]++
		}
		p.mu.Unlock()
	}
	return err
}
