package aws

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/network"
)

// prepState is what a VPC this provider created is waiting for: whether
// it is the scope's kept VPC (confirmed closed, winner set), and its
// internet access (done closed, err set).
type prepState struct {
	confirmed chan struct{}
	winner    string // the kept VPC of the scope; another's means this one lost
	done      chan struct{}
	err       error
	drop      sync.Once // deletes a losing VPC once
	dropErr   error
}

// closedPrep is the state of a VPC found prepared: kept, with internet
// access.
func closedPrep(vpcID string) *prepState {
	st := &prepState{confirmed: make(chan struct{}), done: make(chan struct{}), winner: vpcID}
	close(st.confirmed)
	close(st.done)
	return st
}

// createGateway creates an internet gateway tagged for scope.
func (p *Provider) createGateway(ctx context.Context, scope network.Scope) (string, error) {
	tags := scope.Tags()
	tags["Name"] = resourceName("igw", scope)
	out, err := call(ctx, p, scope.Region, "CreateInternetGateway", func(ctx context.Context, c *ec2.Client) (*ec2.CreateInternetGatewayOutput, error) {
		return c.CreateInternetGateway(ctx, &ec2.CreateInternetGatewayInput{TagSpecifications: tagSpec(types.ResourceTypeInternetGateway, tags)})
	})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.InternetGateway.InternetGatewayId), nil
}

// deleteGateway detaches (when vpcID is set) and deletes a gateway this
// provider created and does not use; failures are logged: Sweep finds a
// gateway left behind with its VPC.
func (p *Provider) deleteGateway(ctx context.Context, region, igw, vpcID string) {
	if vpcID != "" {
		_, err := call(ctx, p, region, "DetachInternetGateway", func(ctx context.Context, c *ec2.Client) (*ec2.DetachInternetGatewayOutput, error) {
			return c.DetachInternetGateway(ctx, &ec2.DetachInternetGatewayInput{InternetGatewayId: aws.String(igw), VpcId: aws.String(vpcID)})
		})
		if err != nil && !errors.Is(err, multicloud.ErrNotFound) {
			p.log.Warn("internet gateway not detached", "igw", igw, "vpc", vpcID, "err", err)
		}
	}
	_, err := call(ctx, p, region, "DeleteInternetGateway", func(ctx context.Context, c *ec2.Client) (*ec2.DeleteInternetGatewayOutput, error) {
		return c.DeleteInternetGateway(ctx, &ec2.DeleteInternetGatewayInput{InternetGatewayId: aws.String(igw)})
	})
	if err != nil && !errors.Is(err, multicloud.ErrNotFound) {
		p.log.Warn("internet gateway not deleted", "igw", igw, "err", err)
	}
}

// startPrepare settles a VPC this provider just created, in the
// background and detached from ctx (bounded by Options.SettleTimeout):
// beside each other, it lists the scope's VPCs to learn which one is kept
// (see oldestVPC; confirmLaunch waits for the verdict) and gives the VPC
// internet access (igw attached, or a gateway made when igw is empty, and
// the default route), which AssociateAddress waits for. The subnet and
// security group need neither, so the flow makes them meanwhile.
func (p *Provider) startPrepare(ctx context.Context, scope network.Scope, vpc types.Vpc, igw string) {
	id := aws.ToString(vpc.VpcId)
	st := &prepState{confirmed: make(chan struct{}), done: make(chan struct{}), winner: id}
	p.prepMu.Lock()
	if p.prep == nil {
		p.prep = map[string]*prepState{}
	}
	p.prep[id] = st
	p.prepMu.Unlock()
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.opts.SettleTimeout)
	go func() {
		defer cancel()
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(st.confirmed)
			vs, err := p.scopeVPCs(bctx, scope)
			if err != nil {
				// Unknown: keep this one; a duplicate is left for Sweep.
				p.log.Warn("vpc listing after create failed; keeping the new vpc", "vpc", id, "err", err)
				return
			}
			if !slices.ContainsFunc(vs, func(v types.Vpc) bool { return aws.ToString(v.VpcId) == id }) {
				vs = append(vs, vpc) // not listed yet (eventual consistency)
			}
			if win, ok := oldestVPC(vs); ok {
				st.winner = aws.ToString(win.VpcId)
			}
		}()
		var err error
		if igw == "" {
			igw, err = p.createGateway(bctx, scope)
		}
		if err == nil {
			err = p.attachAndRoute(bctx, scope, id, igw)
		}
		wg.Wait()
		if st.winner != id {
			err = nil // the VPC is dropped; its gateway with it
		}
		st.err = err
		if err != nil {
			p.prepMu.Lock()
			delete(p.prep, id) // the next PrepareVPC does it again
			p.prepMu.Unlock()
		}
		close(st.done)
	}()
}

// confirmLaunch waits until a VPC this provider created is known to be the
// scope's kept one. When another process's VPC is kept, it deletes this
// one with the subnets, security groups and gateway made in it (once, for
// every create that shared it), drops the scope's cached network, and
// returns an ErrUnavailable error, so that the Client retries the create
// into the kept VPC. A VPC not created here returns nil at once.
func (p *Provider) confirmLaunch(ctx context.Context, scope network.Scope, vpcID string) error {
	p.prepMu.Lock()
	st := p.prep[vpcID]
	p.prepMu.Unlock()
	if st == nil {
		return nil
	}
	select {
	case <-st.confirmed:
	case <-ctx.Done():
		return canceled("RunInstances", scope.Region, ctx.Err())
	}
	if st.winner == vpcID {
		return nil
	}
	p.prov.Forget(scope)
	st.drop.Do(func() {
		<-st.done // the gateway's attachment has settled
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.opts.SettleTimeout)
		defer cancel()
		st.dropErr = p.dropVPC(sctx, scope, vpcID)
	})
	msg := fmt.Sprintf("vpc %s was created at the same time as %s by another process, which is kept; %s is deleted and the create is to be retried", vpcID, st.winner, vpcID)
	if st.dropErr != nil {
		msg = fmt.Sprintf("vpc %s was created at the same time as %s by another process, which is kept; %s could not be deleted (%v): sweep releases it", vpcID, st.winner, vpcID, st.dropErr)
	}
	return errorf("RunInstances", scope.Region, multicloud.CodeUnavailable, "", "%s", msg)
}

// dropVPC deletes a VPC this provider created and lost to another
// process's, with its subnets, security groups (but the default one) and
// internet gateway.
func (p *Provider) dropVPC(ctx context.Context, scope network.Scope, vpcID string) error {
	var errs []error
	if subs, err := p.ListSwitches(ctx, scope, vpcID); err == nil {
		for _, sw := range subs {
			_, err := call(ctx, p, scope.Region, "DeleteSubnet", func(ctx context.Context, c *ec2.Client) (*ec2.DeleteSubnetOutput, error) {
				return c.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: aws.String(sw.ID)})
			})
			if err != nil && !errors.Is(err, multicloud.ErrNotFound) {
				errs = append(errs, err)
			}
		}
	}
	if gs, err := call(ctx, p, scope.Region, "DescribeSecurityGroups", func(ctx context.Context, c *ec2.Client) (*ec2.DescribeSecurityGroupsOutput, error) {
		return c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []types.Filter{filter("vpc-id", vpcID)}})
	}); err == nil {
		for _, g := range gs.SecurityGroups {
			if aws.ToString(g.GroupName) == "default" {
				continue
			}
			_, err := call(ctx, p, scope.Region, "DeleteSecurityGroup", func(ctx context.Context, c *ec2.Client) (*ec2.DeleteSecurityGroupOutput, error) {
				return c.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: g.GroupId})
			})
			if err != nil && !errors.Is(err, multicloud.ErrNotFound) {
				errs = append(errs, err)
			}
		}
	}
	if igw, err := p.attachedGateway(ctx, scope.Region, vpcID); err == nil && igw != "" {
		p.deleteGateway(ctx, scope.Region, igw, vpcID)
	}
	if err := p.deleteVPC(ctx, scope.Region, vpcID); err != nil {
		errs = append(errs, err)
	}
	// The state stays: a create that found the dropped VPC in a cache
	// still learns it lost.
	return errors.Join(errs...)
}

// attachAndRoute attaches igw to the VPC (beside finding its main route
// table) and routes 0.0.0.0/0 to it. Another gateway attached first wins:
// igw is deleted and the route points at the other.
func (p *Provider) attachAndRoute(ctx context.Context, scope network.Scope, vpcID, igw string) error {
	var (
		wg            sync.WaitGroup
		rtb           string
		hasRoute      bool
		rtErr, attErr error
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		rtb, hasRoute, rtErr = p.mainRouteTable(ctx, scope.Region, vpcID)
	}()
	_, attErr = call(ctx, p, scope.Region, "AttachInternetGateway", func(ctx context.Context, c *ec2.Client) (*ec2.AttachInternetGatewayOutput, error) {
		return c.AttachInternetGateway(ctx, &ec2.AttachInternetGatewayInput{InternetGatewayId: aws.String(igw), VpcId: aws.String(vpcID)})
	})
	wg.Wait()
	if attErr != nil {
		other, err := p.attachedGateway(ctx, scope.Region, vpcID)
		switch {
		case err != nil:
			return attErr
		case other == igw:
		case other != "":
			p.deleteGateway(ctx, scope.Region, igw, "")
			igw = other
		default:
			p.deleteGateway(ctx, scope.Region, igw, "")
			return attErr
		}
	}
	if rtErr != nil {
		return rtErr
	}
	if hasRoute {
		return nil
	}
	return p.createDefaultRoute(ctx, scope.Region, rtb, igw)
}

// mainRouteTable returns the ID of the VPC's main route table and whether
// it has a 0.0.0.0/0 route already.
func (p *Provider) mainRouteTable(ctx context.Context, region, vpcID string) (string, bool, error) {
	out, err := call(ctx, p, region, "DescribeRouteTables", func(ctx context.Context, c *ec2.Client) (*ec2.DescribeRouteTablesOutput, error) {
		return c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []types.Filter{filter("vpc-id", vpcID), filter("association.main", "true")}})
	})
	if err != nil {
		return "", false, err
	}
	for _, rt := range out.RouteTables {
		if aws.ToString(rt.VpcId) != vpcID && rt.VpcId != nil {
			continue
		}
		for _, r := range rt.Routes {
			if aws.ToString(r.DestinationCidrBlock) == "0.0.0.0/0" {
				return aws.ToString(rt.RouteTableId), true, nil
			}
		}
		return aws.ToString(rt.RouteTableId), false, nil
	}
	return "", false, errorf("DescribeRouteTables", region, multicloud.CodeConflict, "InvalidRouteTableID.NotFound", "vpc %s has no main route table yet", vpcID)
}

// createDefaultRoute routes 0.0.0.0/0 of a route table to igw; a route
// that exists already is kept.
func (p *Provider) createDefaultRoute(ctx context.Context, region, rtb, igw string) error {
	_, err := call(ctx, p, region, "CreateRoute", func(ctx context.Context, c *ec2.Client) (*ec2.CreateRouteOutput, error) {
		return c.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: aws.String(rtb), DestinationCidrBlock: aws.String("0.0.0.0/0"), GatewayId: aws.String(igw)})
	})
	if providerCode(err) == "RouteAlreadyExists" {
		return nil
	}
	return err
}

// attachedGateway returns the internet gateway attached to a VPC, or "".
func (p *Provider) attachedGateway(ctx context.Context, region, vpcID string) (string, error) {
	out, err := call(ctx, p, region, "DescribeInternetGateways", func(ctx context.Context, c *ec2.Client) (*ec2.DescribeInternetGatewaysOutput, error) {
		return c.DescribeInternetGateways(ctx, &ec2.DescribeInternetGatewaysInput{Filters: []types.Filter{filter("attachment.vpc-id", vpcID)}})
	})
	if err != nil {
		return "", err
	}
	for _, g := range out.InternetGateways {
		for _, a := range g.Attachments {
			if aws.ToString(a.VpcId) == vpcID {
				return aws.ToString(g.InternetGatewayId), nil
			}
		}
	}
	return "", nil
}

// PrepareVPC gives a VPC internet access (network.VPCPreparer): an
// internet gateway attached to it and a 0.0.0.0/0 route to the gateway in
// its main route table. For a VPC this provider just created the work is
// under way already (see startPrepare) and PrepareVPC returns at once;
// for a VPC it found, it looks at the attached gateway and the main
// route table (one round, both calls at once) and creates, attaches and
// routes what is missing. It is idempotent: a prepared VPC needs no call
// once known here, and a route or attachment that exists is kept.
func (p *Provider) PrepareVPC(ctx context.Context, scope network.Scope, vpc network.VPC, token string) error {
	p.prepMu.Lock()
	st := p.prep[vpc.ID]
	p.prepMu.Unlock()
	if st != nil {
		return nil
	}
	var (
		wg       sync.WaitGroup
		igw, rtb string
		hasRoute bool
		gErr     error
		rErr     error
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		igw, gErr = p.attachedGateway(ctx, scope.Region, vpc.ID)
	}()
	rtb, hasRoute, rErr = p.mainRouteTable(ctx, scope.Region, vpc.ID)
	wg.Wait()
	if err := errors.Join(gErr, rErr); err != nil {
		return err
	}
	if igw == "" {
		if err := ctx.Err(); err != nil {
			return canceled("CreateInternetGateway", scope.Region, err)
		}
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.opts.SettleTimeout)
		defer cancel()
		created, err := p.createGateway(sctx, scope)
		if err != nil {
			return err
		}
		if err := p.attachAndRoute(sctx, scope, vpc.ID, created); err != nil {
			return err
		}
	} else if !hasRoute {
		if err := p.createDefaultRoute(ctx, scope.Region, rtb, igw); err != nil {
			return err
		}
	}
	done := closedPrep(vpc.ID)
	p.prepMu.Lock()
	if p.prep == nil {
		p.prep = map[string]*prepState{}
	}
	p.prep[vpc.ID] = done
	p.prepMu.Unlock()
	return nil
}

// waitPrepared waits until the internet access of a VPC set up in the
// background is ready, and returns its error. A VPC not being prepared
// here returns nil at once.
func (p *Provider) waitPrepared(ctx context.Context, region, vpcID string) error {
	p.prepMu.Lock()
	st := p.prep[vpcID]
	p.prepMu.Unlock()
	if st == nil {
		return nil
	}
	select {
	case <-st.done:
		return st.err
	case <-ctx.Done():
		return canceled("AssociateAddress", region, ctx.Err())
	}
}
