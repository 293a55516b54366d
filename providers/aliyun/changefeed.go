package aliyun

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/actiontrail"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/inventory"
)

// ActionTrail's figures for the change feed.
const (
	// DefaultTrailDelay is the default of Options.TrailDelay: how late an
	// event may appear in LookupEvents. ActionTrail documents no figure
	// for LookupEvents; its trails deliver to Simple Log Service within a
	// minute and to OSS within 10 minutes, so 10 minutes is the margin.
	DefaultTrailDelay = 10 * time.Minute
	// TrailRetention is how far back LookupEvents reaches without a
	// trail of the user's: the last 90 days.
	TrailRetention = 90 * 24 * time.Hour
	// trailPageSize is LookupEvents' largest MaxResults (0 to 50).
	trailPageSize = 50
	// trailTime is the ISO 8601 UTC form of StartTime and EndTime.
	trailTime = "2006-01-02T15:04:05Z"
	// systemEventPageSize is DescribeInstanceHistoryEvents' largest
	// MaxResults (10 to 100).
	systemEventPageSize = 100
	// SystemEventLead is how long before it runs a system event may be
	// published: DiscoverChanges asks DescribeInstanceHistoryEvents for
	// the events published since the window's start less this, and keeps
	// those that ran in the window. How far ahead Aliyun publishes an
	// expiry or maintenance event is not confirmed by its documentation;
	// completed events can be queried for 30 days, so 30 days is the
	// most the API could return anyway.
	SystemEventLead = 30 * 24 * time.Hour
)

// systemEventStatuses are the lifecycle states of the system events that
// change an instance: running (Executing) or done (Executed). Avoided,
// Canceled and Failed events changed nothing; Scheduled and Inquiring
// ones have not run yet.
var systemEventStatuses = []string{"Executing", "Executed"}

var _ inventory.ChangeLister = (*Discoverer)(nil)

// ChangeFeed describes ActionTrail as a change feed: Options.TrailDelay
// late, TrailRetention deep.
func (d *Discoverer) ChangeFeed() inventory.ChangeFeed {
	delay := d.p.opts.TrailDelay
	if delay == 0 {
		delay = DefaultTrailDelay
	}
	return inventory.ChangeFeed{DeliveryDelay: delay, Retention: TrailRetention}
}

// DiscoverChanges finds the ECS instances of region that write calls
// touched in [since, until): ActionTrail LookupEvents (ResourceType
// ACS::ECS::Instance, EventRW Write, 50 events a page) names them; then
// DescribeInstances by InstanceIds, 100 a call, describes those that
// still exist, and those it does not return are deleted. Disk facts of
// instances the store already holds are carried over from prior (disk
// changes are events on disks, which a periodic full sync catches); the
// disks of new instances come from one DescribeDisks listing filtered
// by creation time. Changes no trail records, the system events (an
// instance stopped or released at expiry or for an overdue payment,
// restarted or redeployed for maintenance), come from
// DescribeInstanceHistoryEvents: the instances of the events that ran in
// the window are described too.
//
// Errors: asset types other than inventory.AssetTypeECS are
// ErrInvalidArgument; an account without permission for LookupEvents or
// DescribeInstanceHistoryEvents gets ErrPermissionDenied (the engine then
// syncs in full, which sees both kinds of change); other errors are
// those of the calls.
func (d *Discoverer) DiscoverChanges(ctx context.Context, region, assetType string, since, until time.Time, call inventory.CallFunc,
	prior inventory.PriorFunc, emit func(ctx context.Context, page []inventory.Asset) error) ([]string, error) {
	if assetType != inventory.AssetTypeECS {
		return nil, errorf("DiscoverChanges", region, multicloud.CodeInvalidArgument, "", "asset type %q has no change feed; supported: %s", assetType, inventory.AssetTypeECS)
	}
	ids, err := d.changedInstances(ctx, region, since, until, call)
	if err != nil {
		return nil, err
	}
	sys, err := d.systemEventInstances(ctx, region, since, until, call)
	if err != nil {
		return nil, err
	}
	if len(sys) > 0 {
		ids = append(ids, sys...)
		slices.Sort(ids)
		ids = slices.Compact(ids)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	var deleted []string
	for chunk := range slices.Chunk(ids, MaxPageSize) {
		found, err := d.describeByID(ctx, region, chunk, call)
		if err != nil {
			return nil, err
		}
		for _, id := range chunk {
			if _, ok := found[id]; !ok {
				deleted = append(deleted, id)
			}
		}
		if len(found) == 0 {
			continue
		}
		page, err := d.changedAssets(ctx, region, found, call, prior)
		if err != nil {
			return nil, err
		}
		if err := emit(ctx, page); err != nil {
			return nil, err
		}
	}
	return deleted, nil
}

// changedInstances returns the sorted IDs of the instances that
// region's write events in [since, until) name.
func (d *Discoverer) changedInstances(ctx context.Context, region string, since, until time.Time, call inventory.CallFunc) ([]string, error) {
	seen := map[string]bool{}
	token := ""
	for {
		req := actiontrail.CreateLookupEventsRequest()
		// Whole seconds: the start rounds down, the end up, so the
		// window's last fraction of a second is not cut off.
		req.StartTime = since.UTC().Format(trailTime)
		req.EndTime = until.UTC().Add(time.Second - 1).Truncate(time.Second).Format(trailTime)
		req.MaxResults = strconv.Itoa(trailPageSize)
		req.NextToken = token
		req.LookupAttribute = &[]actiontrail.LookupEventsLookupAttribute{
			{Key: "ResourceType", Value: "ACS::ECS::Instance"},
			{Key: "EventRW", Value: "Write"},
		}
		var resp *actiontrail.LookupEventsResponse
		err := call(ctx, "LookupEvents", func(ctx context.Context) error {
			resp = actiontrail.CreateLookupEventsResponse()
			return d.p.do(ctx, region, productActionTrail, req, resp)
		})
		if err != nil {
			return nil, err
		}
		for _, e := range resp.Events {
			if r, _ := e["acsRegion"].(string); r != "" && r != region {
				continue
			}
			name, _ := e["resourceName"].(string)
			// Several resources of one call: the separator is not
			// confirmed by the documentation; both are taken.
			for _, id := range strings.FieldsFunc(name, func(r rune) bool { return r == ',' || r == ';' || r == ' ' }) {
				if strings.HasPrefix(id, "i-") {
					seen[id] = true
				}
			}
		}
		if resp.NextToken == "" || resp.NextToken == token || len(resp.Events) == 0 {
			break
		}
		token = resp.NextToken
	}
	out := make([]string, 0, len(seen))
	for id := range seen {
		out = append(out, id)
	}
	slices.Sort(out)
	return out, nil
}

// systemEventInstances returns the sorted IDs of the instances of region
// whose system events ran in [since, until): DescribeInstanceHistoryEvents
// of the events Executing or Executed published from since less
// SystemEventLead to until, 100 a page by NextToken, keeping those still
// running or finished at or after since.
func (d *Discoverer) systemEventInstances(ctx context.Context, region string, since, until time.Time, call inventory.CallFunc) ([]string, error) {
	seen := map[string]bool{}
	token := ""
	for {
		req := ecs.CreateDescribeInstanceHistoryEventsRequest()
		req.EventPublishTimeStart = since.Add(-SystemEventLead).UTC().Format(trailTime)
		req.EventPublishTimeEnd = until.UTC().Add(time.Second - 1).Truncate(time.Second).Format(trailTime)
		req.InstanceEventCycleStatus = &systemEventStatuses
		req.ResourceType = "instance"
		req.MaxResults = requests.NewInteger(systemEventPageSize)
		req.NextToken = token
		var resp *ecs.DescribeInstanceHistoryEventsResponse
		err := call(ctx, "DescribeInstanceHistoryEvents", func(ctx context.Context) error {
			resp = ecs.CreateDescribeInstanceHistoryEventsResponse()
			return d.p.do(ctx, region, productECS, req, resp)
		})
		if err != nil {
			return nil, err
		}
		events := resp.InstanceSystemEventSet.InstanceSystemEventType
		for _, e := range events {
			if e.InstanceId == "" {
				continue
			}
			// An event still running, or one whose end is unknown, is
			// taken; a finished one only if it ended in the window.
			if fin := parseTime(e.EventFinishTime); e.EventCycleStatus.Name == "Executed" && !fin.IsZero() && fin.Before(since) {
				continue
			}
			seen[e.InstanceId] = true
		}
		if resp.NextToken == "" || resp.NextToken == token || len(events) == 0 {
			break
		}
		token = resp.NextToken
	}
	return slices.Sorted(maps.Keys(seen)), nil
}

// describeByID describes up to 100 instances by ID; missing ones are
// absent from the result.
func (d *Discoverer) describeByID(ctx context.Context, region string, ids []string, call inventory.CallFunc) (map[string]*listedInstance, error) {
	raw, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*listedInstance, len(ids))
	token := ""
	for {
		req := ecs.CreateDescribeInstancesRequest()
		req.InstanceIds = string(raw)
		req.MaxResults = requests.NewInteger(MaxPageSize)
		req.NextToken = token
		var resp *instancesPage
		err := call(ctx, "DescribeInstances", func(ctx context.Context) error {
			resp = newInstancesPage()
			return d.p.do(ctx, region, productECS, req, resp)
		})
		if err != nil {
			return nil, err
		}
		for i := range resp.Instances.Instance {
			in := &resp.Instances.Instance[i]
			out[in.InstanceId] = in
		}
		if resp.NextToken == "" || resp.NextToken == token || len(resp.Instances.Instance) == 0 {
			return out, nil
		}
		token = resp.NextToken
	}
}

// changedAssets maps described instances to assets: disk facts from
// prior for the instances the store holds, from DescribeDisks for the
// others.
func (d *Discoverer) changedAssets(ctx context.Context, region string, found map[string]*listedInstance, call inventory.CallFunc, prior inventory.PriorFunc) ([]inventory.Asset, error) {
	ids := make([]string, 0, len(found))
	for id := range found {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	known, err := prior(ctx, ids)
	if err != nil {
		return nil, err
	}
	var oldest time.Time
	for _, id := range ids {
		if _, ok := known[id]; ok {
			continue
		}
		c := parseTime(found[id].CreationTime)
		if c.IsZero() {
			c = time.Unix(0, 0)
		}
		if oldest.IsZero() || c.Before(oldest) {
			oldest = c
		}
	}
	var disks *diskIndex
	if !oldest.IsZero() {
		if disks, err = d.disks(ctx, region, oldest, call); err != nil {
			return nil, err
		}
	}
	// Auto-renewal attributes, one call per 100 changed instances (the
	// size of a DescribeInstances page, as in a full listing).
	renewals := make(map[string]renewal)
	for chunk := range slices.Chunk(ids, MaxPageSize) {
		insts := make([]listedInstance, 0, len(chunk))
		for _, id := range chunk {
			insts = append(insts, *found[id])
		}
		rs, err := d.autoRenewals(ctx, region, call, insts)
		if err != nil {
			return nil, err
		}
		maps.Copy(renewals, rs)
	}
	page := make([]inventory.Asset, 0, len(ids))
	for _, id := range ids {
		p, ok := known[id]
		if !ok {
			a, err := toAsset(found[id], disks.of(id), renewals[id])
			if err != nil {
				return nil, err
			}
			page = append(page, a)
			continue
		}
		a, err := toAsset(found[id], diskSet{}, renewals[id])
		if err != nil {
			return nil, err
		}
		var m, pm inventory.ECSMetadata
		if err := a.DecodeMetadata(&m); err != nil {
			return nil, err
		}
		if err := p.DecodeMetadata(&pm); err != nil {
			return nil, err
		}
		m.SystemDiskCategory, m.SystemDiskSize, m.DataDisks = pm.SystemDiskCategory, pm.SystemDiskSize, pm.DataDisks
		if err := a.SetMetadata(m); err != nil {
			return nil, err
		}
		page = append(page, a)
	}
	return page, nil
}
