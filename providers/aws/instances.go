package aws

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/multicloud-ecs/multicloud"
)

// MaxPageSize is the largest page DescribeInstances returns (MaxResults
// 5-1000).
const MaxPageSize = 1000

// MaxBatch is the most IDs one GetBatch call asks for (an instance-id
// filter of at most 200 values).
const MaxBatch = 200

// ConsistencyWindow is how long after RunInstances an instance that
// DescribeInstances does not show yet is taken as still appearing
// (EC2's eventual consistency) rather than missing.
const ConsistencyWindow = 2 * time.Minute

// liveStates are the instance states that still hold their network (a
// shutting-down instance keeps its VPC, subnet and security groups in use
// until it is terminated): sweeps and discovery look at them. A terminated
// instance stays visible for a while, but is deleted.
var liveStates = []string{"pending", "running", "stopping", "stopped", "shutting-down"}

// listedStates are the instance states List shows: liveStates but
// shutting-down, which EC2 documents as "preparing to be terminated" after
// TerminateInstances (not billed, it cannot be started or stopped): the
// portable Deleted, as the other faces of a deletion in progress are.
var listedStates = []string{"pending", "running", "stopping", "stopped"}

// gone reports whether an instance is terminated or being terminated
// (shutting-down): deleted for Get, GetBatch and List.
func gone(in *types.Instance) bool {
	return in.State != nil && (in.State.Name == types.InstanceStateNameTerminated || in.State.Name == types.InstanceStateNameShuttingDown)
}

// remember records instances just launched, for the consistency window.
func (p *Provider) remember(region string, ids []string) {
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.recent == nil {
		p.recent = map[string]time.Time{}
	}
	for id, t := range p.recent {
		if now.Sub(t) > ConsistencyWindow {
			delete(p.recent, id)
		}
	}
	for _, id := range ids {
		p.recent[region+"/"+id] = now
	}
}

// isRecent reports whether id was launched within the consistency window.
func (p *Provider) isRecent(region, id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	t, ok := p.recent[region+"/"+id]
	return ok && time.Since(t) <= ConsistencyWindow
}

// Get returns one instance (DescribeInstances InstanceId); a missing,
// terminated or shutting-down one is ErrNotFound. An instance launched by this provider
// within ConsistencyWindow that DescribeInstances does not show yet
// (InvalidInstanceID.NotFound) is asked for again, polling, for at most
// Options.ReadTimeout, and reported Pending after that: EC2 documents that
// such a not-found does not mean the instance does not exist.
func (p *Provider) Get(ctx context.Context, region, id string) (*multicloud.Instance, error) {
	pause, deadline := 100*time.Millisecond, time.Now().Add(p.opts.ReadTimeout)
	for {
		in, err := p.describe(ctx, region, id)
		if err == nil {
			if gone(in) {
				return nil, errorf("DescribeInstances", region, multicloud.CodeNotFound, "", "instance %s is %s", id, in.State.Name)
			}
			return toInstance(region, in), nil
		}
		if !errors.Is(err, multicloud.ErrNotFound) || !p.isRecent(region, id) {
			return nil, err
		}
		if time.Now().Add(pause).After(deadline) {
			return &multicloud.Instance{ID: id, Provider: ProviderCode, Region: region, Status: multicloud.StatusPending,
				Warnings: []string{"not yet visible to DescribeInstances (eventual consistency)"}}, nil
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, canceled("DescribeInstances", region, ctx.Err())
		case <-t.C:
		}
		pause = min(2*pause, time.Second)
	}
}

// describe returns the SDK view of one instance.
func (p *Provider) describe(ctx context.Context, region, id string) (*types.Instance, error) {
	out, err := call(ctx, p, region, "DescribeInstances", func(ctx context.Context, c *ec2.Client) (*ec2.DescribeInstancesOutput, error) {
		return c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	})
	if err != nil {
		return nil, err
	}
	for _, r := range out.Reservations {
		for i, in := range r.Instances {
			if aws.ToString(in.InstanceId) == id {
				return &r.Instances[i], nil
			}
		}
	}
	return nil, errorf("DescribeInstances", region, multicloud.CodeNotFound, "InvalidInstanceID.NotFound", "instance %s not found", id)
}

// GetBatch returns the instances among ids (at most MaxBatch) that exist
// in region, keyed by ID: one DescribeInstances call with an instance-id
// filter (which, unlike InstanceIds, does not fail the call for an ID it
// does not know). Terminated and shutting-down instances are missing; an instance launched
// here within ConsistencyWindow and not shown yet is reported Pending.
func (p *Provider) GetBatch(ctx context.Context, region string, ids []string) (map[string]*multicloud.Instance, error) {
	if len(ids) > MaxBatch {
		return nil, errorf("DescribeInstances", region, multicloud.CodeInvalidArgument, "", "at most %d ids, got %d", MaxBatch, len(ids))
	}
	out := make(map[string]*multicloud.Instance, len(ids))
	seen := map[string]bool{} // shown, even if gone: not "not yet visible"
	var next *string
	for {
		page, err := call(ctx, p, region, "DescribeInstances", func(ctx context.Context, c *ec2.Client) (*ec2.DescribeInstancesOutput, error) {
			return c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []types.Filter{filter("instance-id", ids...)},
				MaxResults: aws.Int32(MaxPageSize), NextToken: next})
		})
		if err != nil {
			return nil, err
		}
		for _, r := range page.Reservations {
			for i := range r.Instances {
				in := &r.Instances[i]
				seen[aws.ToString(in.InstanceId)] = true
				if gone(in) {
					continue
				}
				out[aws.ToString(in.InstanceId)] = toInstance(region, in)
			}
		}
		if next = page.NextToken; aws.ToString(next) == "" {
			break
		}
	}
	for _, id := range ids {
		if _, ok := out[id]; !ok && !seen[id] && p.isRecent(region, id) {
			out[id] = &multicloud.Instance{ID: id, Provider: ProviderCode, Region: region, Status: multicloud.StatusPending}
		}
	}
	return out, nil
}

// BatchSize is the most IDs GetBatch takes: MaxBatch.
func (p *Provider) BatchSize() int { return MaxBatch }

// List returns one page of the instances of q.Region that carry every tag
// of q.Tags (tag:<key> filters) and, when set, are in q.Status
// (instance-state-name), terminated and shutting-down ones left out; MaxResults is
// q.PageSize within 5-1000 (default 1000), continued by NextToken.
func (p *Provider) List(ctx context.Context, q multicloud.ListQuery) (*multicloud.InstancePage, error) {
	filters := tagFilters(q.Tags)
	states := listedStates
	if q.Status != "" {
		states = awsStates(q.Status)
		if len(states) == 0 {
			return &multicloud.InstancePage{}, nil
		}
	}
	filters = append(filters, filter("instance-state-name", states...))
	size := q.PageSize
	if size <= 0 || size > MaxPageSize {
		size = MaxPageSize
	}
	size = max(size, 5)
	var next *string
	if q.PageToken != "" {
		next = aws.String(q.PageToken)
	}
	out, err := call(ctx, p, q.Region, "DescribeInstances", func(ctx context.Context, c *ec2.Client) (*ec2.DescribeInstancesOutput, error) {
		return c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: filters, MaxResults: aws.Int32(int32(size)), NextToken: next})
	})
	if err != nil {
		return nil, err
	}
	page := &multicloud.InstancePage{NextToken: aws.ToString(out.NextToken)}
	for _, r := range out.Reservations {
		for i := range r.Instances {
			page.Instances = append(page.Instances, toInstance(q.Region, &r.Instances[i]))
		}
	}
	return page, nil
}

// awsStates are the EC2 states of a portable status.
func awsStates(s multicloud.Status) []string {
	switch s {
	case multicloud.StatusPending, multicloud.StatusStarting:
		return []string{"pending"}
	case multicloud.StatusRunning:
		return []string{"running"}
	case multicloud.StatusStopping:
		return []string{"stopping"}
	case multicloud.StatusStopped:
		return []string{"stopped"}
	}
	return nil
}

// toInstance maps DescribeInstances' view of an instance.
func toInstance(region string, in *types.Instance) *multicloud.Instance {
	out := &multicloud.Instance{
		ID: aws.ToString(in.InstanceId), Provider: ProviderCode, Region: region,
		InstanceType: string(in.InstanceType), ImageID: aws.ToString(in.ImageId),
		PrivateIP: aws.ToString(in.PrivateIpAddress), PublicIP: aws.ToString(in.PublicIpAddress),
		Network:    multicloud.NetworkInfo{VPCID: aws.ToString(in.VpcId), SwitchID: aws.ToString(in.SubnetId)},
		ChargeMode: multicloud.OnDemand, CreatedAt: aws.ToTime(in.LaunchTime).UTC(),
	}
	if in.Placement != nil {
		out.Zone = aws.ToString(in.Placement.AvailabilityZone)
	}
	if in.State != nil {
		out.Status = instanceStatus(in.State.Name)
	}
	if len(in.SecurityGroups) > 0 {
		out.Network.SecurityGroupID = aws.ToString(in.SecurityGroups[0].GroupId)
	}
	if out.PublicIP != "" {
		out.BandwidthMode = multicloud.Traffic
	}
	if tags := tagMap(in.Tags); tags != nil {
		out.Name = tags["Name"]
		delete(tags, "Name")
		delete(tags, "Description")
		out.Tags = tags
		out.TenantID, out.UserID = tags[multicloud.TagTenant], tags[multicloud.TagOwner]
	}
	return out
}

func instanceStatus(s types.InstanceStateName) multicloud.Status {
	switch s {
	case types.InstanceStateNamePending:
		return multicloud.StatusPending
	case types.InstanceStateNameRunning:
		return multicloud.StatusRunning
	case types.InstanceStateNameStopping:
		return multicloud.StatusStopping
	case types.InstanceStateNameStopped:
		return multicloud.StatusStopped
	case types.InstanceStateNameShuttingDown, types.InstanceStateNameTerminated:
		// shutting-down follows TerminateInstances and ends in terminated
		// (EC2 User Guide, instance lifecycle): a deletion in progress.
		return multicloud.StatusDeleted
	}
	return multicloud.StatusUnknown
}

// stateChange checks the previous state of a Start or Stop: EC2 accepts
// starting a running instance and stopping a stopped one as no-ops, the
// portable contract calls them conflicts.
func stateChange(op, region, id string, changes []types.InstanceStateChange, already types.InstanceStateName) error {
	for _, c := range changes {
		if aws.ToString(c.InstanceId) == id && c.PreviousState != nil && c.PreviousState.Name == already {
			return errorf(op, region, multicloud.CodeConflict, "IncorrectInstanceState", "instance %s is %s already", id, already)
		}
	}
	return nil
}

// Start starts a stopped instance (StartInstances); a running one, or
// another state that does not allow it (IncorrectInstanceState), is
// ErrConflict; a missing one ErrNotFound.
func (p *Provider) Start(ctx context.Context, region, id string) error {
	out, err := call(ctx, p, region, "StartInstances", func(ctx context.Context, c *ec2.Client) (*ec2.StartInstancesOutput, error) {
		return c.StartInstances(ctx, &ec2.StartInstancesInput{InstanceIds: []string{id}})
	})
	if err != nil {
		return err
	}
	return stateChange("StartInstances", region, id, out.StartingInstances, types.InstanceStateNameRunning)
}

// Stop stops a running instance (StopInstances; force is Force, which
// skips the guest's shutdown); a stopped one is ErrConflict.
func (p *Provider) Stop(ctx context.Context, region, id string, force bool) error {
	out, err := call(ctx, p, region, "StopInstances", func(ctx context.Context, c *ec2.Client) (*ec2.StopInstancesOutput, error) {
		return c.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{id}, Force: aws.Bool(force)})
	})
	if err != nil {
		return err
	}
	return stateChange("StopInstances", region, id, out.StoppingInstances, types.InstanceStateNameStopped)
}

// Reboot restarts a running instance (RebootInstances). EC2 has no forced
// reboot: RebootInstances asks the guest, and EC2 hard-reboots it when it
// has not shut down within four minutes; force changes nothing.
func (p *Provider) Reboot(ctx context.Context, region, id string, force bool) error {
	in, err := p.describe(ctx, region, id)
	if err != nil {
		return err
	}
	if in.State != nil && in.State.Name != types.InstanceStateNameRunning {
		if in.State.Name == types.InstanceStateNameTerminated {
			return errorf("RebootInstances", region, multicloud.CodeNotFound, "", "instance %s is terminated", id)
		}
		return errorf("RebootInstances", region, multicloud.CodeConflict, "IncorrectInstanceState", "instance %s is %s, not running", id, in.State.Name)
	}
	_, err = call(ctx, p, region, "RebootInstances", func(ctx context.Context, c *ec2.Client) (*ec2.RebootInstancesOutput, error) {
		return c.RebootInstances(ctx, &ec2.RebootInstancesInput{InstanceIds: []string{id}})
	})
	return err
}

// Delete terminates an instance (TerminateInstances) and releases the
// Elastic IP bound to it. The address is found (DescribeAddresses by
// instance-id, beside the instance's describe) before the instance is
// terminated, since termination unbinds it. TerminateInstances is settled
// (sent again while its outcome is unknown; EC2 accepts terminating a
// terminated instance); the release runs detached from ctx's cancellation,
// within Options.SettleTimeout. An address that cannot be released is an
// ErrConflict naming it, although the instance is gone. A missing or
// terminated instance is ErrNotFound; a running one without force
// ErrConflict.
func (p *Provider) Delete(ctx context.Context, region, id string, force bool) error {
	var (
		addrs   *ec2.DescribeAddressesOutput
		addrErr error
		done    = make(chan struct{})
	)
	go func() {
		defer close(done)
		addrs, addrErr = call(ctx, p, region, "DescribeAddresses", func(ctx context.Context, c *ec2.Client) (*ec2.DescribeAddressesOutput, error) {
			return c.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{Filters: []types.Filter{filter("instance-id", id)}})
		})
	}()
	in, err := p.describe(ctx, region, id)
	<-done
	if err != nil {
		return err
	}
	if in.State != nil {
		switch in.State.Name {
		case types.InstanceStateNameTerminated:
			return errorf("TerminateInstances", region, multicloud.CodeNotFound, "", "instance %s is terminated", id)
		case types.InstanceStateNameRunning, types.InstanceStateNamePending:
			if !force {
				return errorf("TerminateInstances", region, multicloud.CodeConflict, "IncorrectInstanceState", "instance %s is %s: stop it first or delete with force", id, in.State.Name)
			}
		}
	}
	if addrErr != nil {
		return addrErr
	}
	if _, err := settle(ctx, p, region, "TerminateInstances", func(ctx context.Context, c *ec2.Client) (*ec2.TerminateInstancesOutput, error) {
		return c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{id}})
	}); err != nil {
		return err
	}
	tags := tagMap(in.Tags)
	scope := p.Scope(region, tags[multicloud.TagTenant], tags[multicloud.TagOwner])
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.opts.SettleTimeout)
	defer cancel()
	var errs []error
	for _, a := range addrs.Addresses {
		if aws.ToString(a.InstanceId) != id {
			continue
		}
		aid := aws.ToString(a.AllocationId)
		if err := p.prov.ReleaseAddress(sctx, scope, aid, id); err != nil {
			errs = append(errs, fmt.Errorf("elastic ip %s (%s): %w", aid, aws.ToString(a.PublicIp), err))
		}
	}
	if len(errs) > 0 {
		return &multicloud.Error{Op: "Delete", Provider: ProviderCode, Region: region, Code: multicloud.CodeConflict,
			Message: fmt.Sprintf("instance %s terminated but its address was not released; release it", id), Err: errors.Join(errs...)}
	}
	return nil
}

// Regions returns Options.Regions, else the regions enabled for the
// account (DescribeRegions in the home region, cached for an hour).
func (p *Provider) Regions(ctx context.Context) ([]string, error) {
	if len(p.opts.Regions) > 0 {
		return slices.Clone(p.opts.Regions), nil
	}
	p.mu.Lock()
	if p.regions != nil && time.Since(p.regT) < DefaultRegionsTTL {
		r := slices.Clone(p.regions)
		p.mu.Unlock()
		return r, nil
	}
	p.mu.Unlock()
	out, err := call(ctx, p, p.opts.HomeRegion, "DescribeRegions", func(ctx context.Context, c *ec2.Client) (*ec2.DescribeRegionsOutput, error) {
		return c.DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
	})
	if err != nil {
		return nil, err
	}
	var rs []string
	for _, r := range out.Regions {
		if s := aws.ToString(r.OptInStatus); s == "" || s == "opt-in-not-required" || s == "opted-in" {
			rs = append(rs, aws.ToString(r.RegionName))
		}
	}
	slices.Sort(rs)
	p.mu.Lock()
	p.regions, p.regT = rs, time.Now()
	p.mu.Unlock()
	return slices.Clone(rs), nil
}

// CheckHealth proves the credentials with STS GetCallerIdentity, which
// needs no permission.
func (p *Provider) CheckHealth(ctx context.Context) error {
	_, err := p.CallerIdentity(ctx)
	return err
}

// Identity is who the provider's credentials are.
type Identity struct {
	Account string `json:"account"` // 12-digit account ID
	ARN     string `json:"arn"`
	UserID  string `json:"userId"`
}

// CallerIdentity returns who the credentials are (STS GetCallerIdentity).
func (p *Provider) CallerIdentity(ctx context.Context) (Identity, error) {
	const op = "GetCallerIdentity"
	region := p.opts.HomeRegion
	if err := ctx.Err(); err != nil {
		return Identity{}, canceled(op, region, err)
	}
	cctx, cancel := context.WithTimeout(ctx, p.opts.ReadTimeout)
	defer cancel()
	out, err := p.stsClient().GetCallerIdentity(cctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		if ctx.Err() != nil {
			err = errors.Join(err, ctx.Err())
		}
		return Identity{}, classify(op, region, err)
	}
	return Identity{Account: aws.ToString(out.Account), ARN: aws.ToString(out.Arn), UserID: aws.ToString(out.UserId)}, nil
}
