package aliyuntest

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/multicloud-ecs/multicloud/providers/sim"
)

// System events are what the cloud does to an instance on its own: a
// subscription stopped or released at expiry, a pay-as-you-go instance
// stopped or released for an overdue payment, a restart or redeployment
// for maintenance or after a failure. ActionTrail does not record them
// (no API call made them); DescribeInstanceHistoryEvents lists them.
//
// They are kept here, not in the simulated cloud's change-event record:
// that record is the audit trail of successful calls, which LookupEvents
// renders, and a system event has fields a call has not (its type,
// lifecycle status, publication, scheduled and finish times). Their
// effect on the instance goes through the simulated cloud, so every face
// sees it.

// systemEventTypes are the documented instance system event types, with
// what each does to the instance in the emulator: "stop", "delete" or
// "" (a restart or redeployment leaves it running). The Code each is
// reported with is not confirmed by the documentation, which lists the
// types without their codes; the emulator numbers them in this order.
var systemEventTypes = []struct{ name, effect string }{
	{"SystemMaintenance.Reboot", ""},
	{"SystemMaintenance.Redeploy", ""},
	{"SystemFailure.Reboot", ""},
	{"SystemFailure.Redeploy", ""},
	{"SystemFailure.Delete", "delete"},
	{"InstanceFailure.Reboot", ""},
	{"InstanceExpiration.Stop", "stop"},
	{"InstanceExpiration.Delete", "delete"},
	{"AccountUnbalanced.Stop", "stop"},
	{"AccountUnbalanced.Delete", "delete"},
}

// systemEventStatuses are the documented lifecycle states of a system
// event. As for the types, their codes are not confirmed by the
// documentation; the emulator numbers them in this order.
var systemEventStatuses = []string{"Scheduled", "Avoided", "Executing", "Executed", "Canceled", "Failed", "Inquiring"}

// defaultSystemEventStatuses are those queried when the call names none:
// the inactive ones (the documentation's statement).
var defaultSystemEventStatuses = []string{"Avoided", "Executed", "Canceled", "Failed"}

// systemEventRetention is how long a completed event can be queried: the
// last 30 days (the documentation's statement).
const systemEventRetention = 30 * 24 * time.Hour

// systemEvent is one system event of an instance.
type systemEvent struct {
	id, instanceID, region, typ, status string
	published, notBefore, finished      time.Time // finished is zero until it completes
	reason                              string
}

// systemEvents is the emulator's record of system events, its own lock.
type systemEvents struct {
	mu     sync.Mutex
	seq    uint64
	events []systemEvent // in recording order; IDs sort in that order
}

// RunSystemEvent makes the cloud run a system event of type eventType
// (one of the documented instance event types, e.g.
// "InstanceExpiration.Stop" or "AccountUnbalanced.Delete") on instance
// id now: the instance is stopped, released, or left running (restarts
// and redeployments), no trail event is recorded, and
// DescribeInstanceHistoryEvents reports the event as Executed, published,
// scheduled and finished now. It returns the event's ID.
func (s *Server) RunSystemEvent(id, eventType string) (string, error) {
	i := slices.IndexFunc(systemEventTypes, func(t struct{ name, effect string }) bool { return t.name == eventType })
	if i < 0 {
		return "", fmt.Errorf("aliyuntest: unknown system event type %q", eventType)
	}
	in, err := s.cloud.Instance("", id)
	if err != nil {
		return "", fmt.Errorf("aliyuntest: instance %s not found", id)
	}
	switch systemEventTypes[i].effect {
	case "stop":
		err = s.cloud.SetInstanceState(id, sim.StateStopped)
	case "delete":
		err = s.RemoveInstance(id)
	}
	if err != nil {
		return "", err
	}
	now := s.now()
	ev := &s.sysEvents
	ev.mu.Lock()
	defer ev.mu.Unlock()
	ev.seq++
	e := systemEvent{id: fmt.Sprintf("e-%016x", ev.seq), instanceID: id, region: in.Region, typ: eventType, status: "Executed",
		published: now, notBefore: now, finished: now, reason: "system event " + eventType}
	ev.events = append(ev.events, e)
	return e.id, nil
}

type systemEventCodeJSON struct {
	Code int    `json:"Code"`
	Name string `json:"Name"`
}

type inactiveDiskJSON struct {
	CreationTime   string `json:"CreationTime"`
	DeviceCategory string `json:"DeviceCategory"`
	DeviceSize     string `json:"DeviceSize"`
	DeviceType     string `json:"DeviceType"`
	ReleaseTime    string `json:"ReleaseTime"`
}

// systemEventAttrJSON is ExtendedAttribute: facts of disk, host, security
// and metric events; empty for the instance events the emulator runs.
type systemEventAttrJSON struct {
	CanAccept     string `json:"CanAccept"`
	Code          string `json:"Code"`
	Device        string `json:"Device"`
	DiskId        string `json:"DiskId"`
	HostId        string `json:"HostId"`
	HostType      string `json:"HostType"`
	InactiveDisks struct {
		InactiveDisk []inactiveDiskJSON `json:"InactiveDisk"`
	} `json:"InactiveDisks"`
	MetricName       string `json:"MetricName"`
	MetricValue      string `json:"MetricValue"`
	MigrationOptions struct {
		MigrationOption []string `json:"MigrationOption"`
	} `json:"MigrationOptions"`
	OnlineRepairPolicy string `json:"OnlineRepairPolicy"`
	PunishDomain       string `json:"PunishDomain"`
	PunishType         string `json:"PunishType"`
	PunishUrl          string `json:"PunishUrl"`
	Rack               string `json:"Rack"`
	ResponseResult     string `json:"ResponseResult"`
}

type systemEventJSON struct {
	EventCycleStatus  systemEventCodeJSON `json:"EventCycleStatus"`
	EventFinishTime   string              `json:"EventFinishTime"`
	EventId           string              `json:"EventId"`
	EventPublishTime  string              `json:"EventPublishTime"`
	EventType         systemEventCodeJSON `json:"EventType"`
	ExtendedAttribute systemEventAttrJSON `json:"ExtendedAttribute"`
	ImpactLevel       string              `json:"ImpactLevel"`
	InstanceId        string              `json:"InstanceId"`
	NotBefore         string              `json:"NotBefore"`
	Reason            string              `json:"Reason"`
	ReasonCode        string              `json:"ReasonCode"`
	ResourceType      string              `json:"ResourceType"`
}

type describeInstanceHistoryEventsResp struct {
	respBase
	InstanceSystemEventSet struct {
		InstanceSystemEventType []systemEventJSON `json:"InstanceSystemEventType"`
	} `json:"InstanceSystemEventSet"`
	NextToken  string `json:"NextToken"`
	PageNumber int    `json:"PageNumber"`
	PageSize   int    `json:"PageSize"`
	TotalCount int    `json:"TotalCount"`
}

func (e *systemEvent) json() systemEventJSON {
	typ := slices.IndexFunc(systemEventTypes, func(t struct{ name, effect string }) bool { return t.name == e.typ })
	j := systemEventJSON{
		EventCycleStatus: systemEventCodeJSON{Code: slices.Index(systemEventStatuses, e.status) + 1, Name: e.status},
		EventId:          e.id, EventPublishTime: formatTimeSec(e.published), NotBefore: formatTimeSec(e.notBefore),
		EventType:   systemEventCodeJSON{Code: typ + 1, Name: e.typ},
		ImpactLevel: "", InstanceId: e.instanceID, Reason: e.reason, ResourceType: "instance",
	}
	if !e.finished.IsZero() {
		j.EventFinishTime = formatTimeSec(e.finished)
	}
	j.ExtendedAttribute.InactiveDisks.InactiveDisk = []inactiveDiskJSON{}
	j.ExtendedAttribute.MigrationOptions.MigrationOption = []string{}
	return j
}

// describeInstanceHistoryEvents serves DescribeInstanceHistoryEvents: the
// region's instance system events, filtered by InstanceId, EventId.N,
// ResourceId.N, the lifecycle status (InstanceEventCycleStatus.N, else
// EventCycleStatus, else the inactive states), the type
// (InstanceEventType.N, else EventType) and the EventPublishTime and
// NotBefore ranges (yyyy-MM-ddTHH:mm:ssZ, UTC); completed events older
// than 30 days are gone. Paged by MaxResults (10 to 100: below 10 counts
// as 10, above 100 as 100) and NextToken, or by the deprecated
// PageNumber and PageSize (at most 100). Events come in recording order
// (the documentation gives no order).
func (s *Server) describeInstanceHistoryEvents(c *call) (response, error) {
	const layout = "2006-01-02T15:04:05Z"
	times := map[string]time.Time{}
	for _, k := range []string{"EventPublishTime.Start", "EventPublishTime.End", "NotBefore.Start", "NotBefore.End"} {
		if v := c.p.str(k); v != "" {
			t, err := time.Parse(layout, v)
			if err != nil {
				return nil, errInvalid(k, v)
			}
			times[k] = t
		}
	}
	inRange := func(t time.Time, prefix string) bool {
		if lo, ok := times[prefix+".Start"]; ok && t.Before(lo) {
			return false
		}
		if hi, ok := times[prefix+".End"]; ok && t.After(hi) {
			return false
		}
		return true
	}
	statuses := c.p.list("InstanceEventCycleStatus")
	if len(statuses) == 0 {
		if v := c.p.str("EventCycleStatus"); v != "" {
			statuses = []string{v}
		} else {
			statuses = defaultSystemEventStatuses
		}
	}
	types := c.p.list("InstanceEventType")
	if len(types) == 0 {
		if v := c.p.str("EventType"); v != "" {
			types = []string{v}
		}
	}
	eventIDs, resourceIDs := c.p.list("EventId"), c.p.list("ResourceId")
	if len(eventIDs) > 100 || len(resourceIDs) > 100 {
		return nil, errCode(400, "InvalidParameter", "At most 100 EventId.N or ResourceId.N may be specified.")
	}
	resourceType := c.p.str("ResourceType")
	instanceID := c.p.str("InstanceId")
	now := c.now
	keep := func(e *systemEvent) bool {
		return e.region == c.region.id && (resourceType == "" || resourceType == "instance") &&
			(instanceID == "" || e.instanceID == instanceID) &&
			(len(eventIDs) == 0 || slices.Contains(eventIDs, e.id)) &&
			(len(resourceIDs) == 0 || slices.Contains(resourceIDs, e.instanceID)) &&
			slices.Contains(statuses, e.status) && (len(types) == 0 || slices.Contains(types, e.typ)) &&
			inRange(e.published, "EventPublishTime") && inRange(e.notBefore, "NotBefore") &&
			(e.finished.IsZero() || !e.finished.Before(now.Add(-systemEventRetention)))
	}
	s.sysEvents.mu.Lock()
	var match []*systemEvent
	for i := range s.sysEvents.events {
		if e := &s.sysEvents.events[i]; keep(e) {
			match = append(match, e)
		}
	}
	s.sysEvents.mu.Unlock()

	r := &describeInstanceHistoryEventsResp{TotalCount: len(match)}
	r.InstanceSystemEventSet.InstanceSystemEventType = []systemEventJSON{}
	var list []*systemEvent
	if c.p.has("NextToken") || c.p.has("MaxResults") {
		n, err := c.p.intv("MaxResults", 10)
		if err != nil {
			return nil, err
		}
		n = min(max(n, 10), 100)
		token := c.p.str("NextToken")
		if token != "" && !strings.HasPrefix(token, "e-") {
			// Code not confirmed by the documentation.
			return nil, errCode(400, "InvalidParameter", "The specified parameter \"NextToken\" is not valid.")
		}
		list, r.NextToken = tokenPage(match, func(e *systemEvent) string { return e.id }, token, n, nil)
		r.PageNumber, r.PageSize = 1, n
	} else {
		pg, err := c.p.pageParams(100)
		if err != nil {
			return nil, err
		}
		list = paginate(match, pg)
		r.PageNumber, r.PageSize = pg.number, pg.size
	}
	for _, e := range list {
		r.InstanceSystemEventSet.InstanceSystemEventType = append(r.InstanceSystemEventSet.InstanceSystemEventType, e.json())
	}
	return r, nil
}
