package awstest

import (
	"slices"
	"strconv"

	"github.com/multicloud-ecs/multicloud/providers/sim"
)

type statusDetail struct {
	Name   string `xml:"name"`
	Status string `xml:"status"`
}

type statusSummary struct {
	Status  string            `xml:"status"`
	Details set[statusDetail] `xml:"details"`
}

type instanceStatusItem struct {
	InstanceID         string        `xml:"instanceId"`
	AvailabilityZone   string        `xml:"availabilityZone"`
	AvailabilityZoneID string        `xml:"availabilityZoneId"`
	InstanceState      instanceState `xml:"instanceState"`
	SystemStatus       statusSummary `xml:"systemStatus"`
	InstanceStatus     statusSummary `xml:"instanceStatus"`
	EventsSet          set[struct{}] `xml:"eventsSet"`
}

type describeInstanceStatusResponse struct {
	ec2Meta
	InstanceStatusSet set[instanceStatusItem] `xml:"instanceStatusSet"`
	NextToken         string                  `xml:"nextToken,omitempty"`
}

// statusOf is the reachability check of an instance: ok while running
// (status checks take a few minutes on AWS; the model has no boot phase
// beyond its transition delay), not-applicable otherwise.
func statusOf(st sim.InstanceState) statusSummary {
	if st == sim.StateRunning {
		return statusSummary{Status: "ok", Details: newSet([]statusDetail{{Name: "reachability", Status: "passed"}})}
	}
	return statusSummary{Status: "not-applicable", Details: newSet([]statusDetail{})}
}

// describeInstanceStatus answers the status checks of the caller's
// instances: only running ones unless IncludeAllInstances (MODEL); an
// unknown ID in InstanceId.N fails the call. MaxResults 5 to 1000 (not
// confirmed), not with InstanceId.N.
func (s *Server) describeInstanceStatus(c *call) (withRequestID, *apiError) {
	fs, e := c.params.filters()
	if e != nil {
		return nil, e
	}
	all, e := c.params.boolean("IncludeAllInstances")
	if e != nil {
		return nil, e
	}
	ids, e := s.requestedInstances(c)
	if e != nil {
		return nil, e
	}
	var items []instanceStatusItem
	for _, in := range s.cloud.Instances(c.region) {
		if !s.owns(c, in.ID) || !s.visible(in) || (len(ids) > 0 && !slices.Contains(ids, in.ID)) {
			continue
		}
		if !all && in.State != sim.StateRunning {
			continue
		}
		z := s.simZone(c, in.Zone)
		st := statusOf(in.State)
		it := instanceStatusItem{InstanceID: in.ID, AvailabilityZone: zoneName(c.account, z), AvailabilityZoneID: z.ID,
			InstanceState: stateOf(in.State), SystemStatus: st, InstanceStatus: st}
		ok, e := matchFilters(fs, nil, func(n string) ([]string, bool) {
			switch n {
			case "instance-state-name":
				return []string{it.InstanceState.Name}, true
			case "instance-state-code":
				return []string{strconv.Itoa(it.InstanceState.Code)}, true
			case "availability-zone":
				return []string{it.AvailabilityZone}, true
			case "instance-status.status", "system-status.status":
				return []string{st.Status}, true
			case "instance-status.reachability", "system-status.reachability":
				if len(st.Details.Items) == 0 {
					return nil, true
				}
				return []string{st.Details.Items[0].Status}, true
			case "event.code":
				return nil, true
			}
			return nil, false
		})
		if e != nil {
			return nil, e
		}
		if ok {
			items = append(items, it)
		}
	}
	pg, e := paginate(c.params, c.action, len(items), 5, 1000)
	if e != nil {
		return nil, e
	}
	return &describeInstanceStatusResponse{InstanceStatusSet: newSet(items[pg.start:pg.end]), NextToken: pg.next}, nil
}
