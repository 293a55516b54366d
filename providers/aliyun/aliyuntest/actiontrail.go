package aliyuntest

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/multicloud-ecs/multicloud/providers/sim"
)

// ActionTrailVersion is the ActionTrail API version served (LookupEvents).
const ActionTrailVersion = "2020-07-06"

// trailRetention is how far back ActionTrail keeps events without a
// trail of the user's: the last 90 days (ActionTrail's event query
// documentation).
const trailRetention = 90 * 24 * time.Hour

// trailEvent is one management event (a sim.Event), recorded when a
// write call succeeds. ActionTrail records failed calls too (with
// errorCode); the emulator records only successes.
type trailEvent sim.Event

// SetTrailDelay makes each event appear in LookupEvents only d after it
// happened, as ActionTrail delivers events late (its documentation gives
// no figure for LookupEvents; trails deliver to Simple Log Service within
// a minute and to OSS within 10 minutes).
// It sets the simulated cloud's event delay (sim.Cloud.SetEventDelay).
func (s *Server) SetTrailDelay(d time.Duration) { s.cloud.SetEventDelay(d) }

// TrailEvents returns how many events the trail holds, delivered or not.
func (s *Server) TrailEvents() int { return s.cloud.EventCount() }

// instanceWrites are the ECS actions recorded as events on instances,
// with where the call names them: a parameter, a repeated parameter
// (".N"), or the RunInstances response.
var instanceWrites = map[string]string{
	"RunInstances": "", "CreateInstance": "InstanceId",
	"StartInstance": "InstanceId", "StopInstance": "InstanceId", "RebootInstance": "InstanceId", "DeleteInstance": "InstanceId",
	"StartInstances": "InstanceId.N", "StopInstances": "InstanceId.N", "RebootInstances": "InstanceId.N", "DeleteInstances": "InstanceId.N",
	"ModifyInstanceAttribute": "InstanceId", "ModifyInstanceSpec": "InstanceId", "ModifyInstanceChargeType": "InstanceIds",
	"ModifyInstanceNetworkSpec": "InstanceId", "ModifyInstanceVpcAttribute": "InstanceId", "ReplaceSystemDisk": "InstanceId",
	"JoinSecurityGroup": "InstanceId", "LeaveSecurityGroup": "InstanceId",
	"AttachDisk": "InstanceId", "DetachDisk": "InstanceId",
	"TagResources": "ResourceId.N", "UntagResources": "ResourceId.N",
	"AddTags": "ResourceId", "RemoveTags": "ResourceId",
}

// recordTrail records the event of a successful call, when it changed an
// ECS instance. It runs after the handler, without Server.mu.
func (s *Server) recordTrail(c *call, version string, resp response) {
	if version != ECSVersion || c.region == nil {
		return
	}
	where, ok := instanceWrites[c.action]
	if !ok {
		return
	}
	switch c.action {
	case "TagResources", "UntagResources":
		if c.p.str("ResourceType") != "instance" {
			return
		}
	case "AddTags", "RemoveTags":
		if c.p.str("ResourceType") != "instance" {
			return
		}
	}
	var ids []string
	switch {
	case c.action == "RunInstances":
		r, ok := resp.(*runInstancesResp)
		if !ok {
			return
		}
		ids = slices.Clone(r.InstanceIdSets.InstanceIdSet)
	case strings.HasSuffix(where, ".N"):
		ids = c.p.list(strings.TrimSuffix(where, ".N"))
	case where == "InstanceIds":
		ids, _ = c.p.jsonList(where, 100)
	default:
		if id := c.p.str(where); id != "" {
			ids = []string{id}
		}
	}
	if len(ids) == 0 {
		return
	}
	reqID := ""
	if b, ok := resp.(interface{ requestID() string }); ok {
		reqID = b.requestID()
	}
	s.cloud.RecordEvent(sim.Event{ID: newRequestID(), Name: c.action, Region: c.region.id, AccessKeyID: c.p.str("AccessKeyId"),
		RequestID: reqID, ResourceType: "ACS::ECS::Instance", Resources: ids, At: c.now})
}

// trailRoutes are the ActionTrail actions.
func (s *Server) trailRoutes() map[string]handler {
	return map[string]handler{"LookupEvents": {fn: s.lookupEvents}}
}

// trailRegion returns the region of an ActionTrail call that carries no
// RegionId: ActionTrail is regional and takes it from the endpoint host,
// actiontrail.<region>.aliyuncs.com.
func trailRegion(version, host string) string {
	if version != ActionTrailVersion {
		return ""
	}
	h, _, _ := strings.Cut(host, ":")
	if r, ok := strings.CutPrefix(h, "actiontrail."); ok {
		if r, ok := strings.CutSuffix(r, ".aliyuncs.com"); ok {
			return r
		}
	}
	return ""
}

type trailUserIdentity struct {
	Type        string `json:"type"`
	PrincipalId string `json:"principalId"`
	AccountId   string `json:"accountId"`
	AccessKeyId string `json:"accessKeyId"`
	UserName    string `json:"userName"`
}

// trailEventJSON is a management event as LookupEvents returns it (the
// event structure of ActionTrail's documentation, key fields).
type trailEventJSON struct {
	EventId           string            `json:"eventId"`
	EventVersion      int               `json:"eventVersion"`
	EventName         string            `json:"eventName"`
	EventTime         string            `json:"eventTime"`
	EventType         string            `json:"eventType"`
	EventCategory     string            `json:"eventCategory"`
	EventRW           string            `json:"eventRW"`
	EventSource       string            `json:"eventSource"`
	AcsRegion         string            `json:"acsRegion"`
	ServiceName       string            `json:"serviceName"`
	ApiVersion        string            `json:"apiVersion"`
	RequestId         string            `json:"requestId"`
	ResourceName      string            `json:"resourceName"`
	ResourceType      string            `json:"resourceType"`
	SourceIpAddress   string            `json:"sourceIpAddress"`
	UserAgent         string            `json:"userAgent"`
	UserIdentity      trailUserIdentity `json:"userIdentity"`
	RequestParameters map[string]string `json:"requestParameters"`
}

func (e *trailEvent) json() trailEventJSON {
	return trailEventJSON{
		EventId: e.ID, EventVersion: 1, EventName: e.Name, EventTime: formatTimeSec(e.At), EventType: "ApiCall",
		EventCategory: "Management", EventRW: "Write", EventSource: "ecs." + e.Region + ".aliyuncs.com",
		AcsRegion: e.Region, ServiceName: "Ecs", ApiVersion: ECSVersion, RequestId: e.RequestID,
		// Several resources of one call are joined with commas; the
		// separator is not confirmed by the documentation.
		ResourceName: strings.Join(e.Resources, ","), ResourceType: e.ResourceType,
		SourceIpAddress: "127.0.0.1", UserAgent: "aliyuntest",
		UserIdentity:      trailUserIdentity{Type: "root-account", PrincipalId: "1", AccountId: "1", AccessKeyId: e.AccessKeyID},
		RequestParameters: map[string]string{"RegionId": e.Region},
	}
}

// attrKey returns the value of the event's lookup attribute key.
func (e *trailEvent) attr(key, value string) bool {
	switch key {
	case "ServiceName":
		return value == "Ecs"
	case "EventName":
		return value == e.Name
	case "EventId":
		return value == e.ID
	case "ResourceType":
		return value == e.ResourceType
	case "ResourceName":
		return slices.Contains(e.Resources, value)
	case "EventRW":
		return value == "Write"
	case "EventAccessKeyId":
		return value == e.AccessKeyID
	}
	return false
}

type lookupEventsResp struct {
	respBase
	StartTime string           `json:"StartTime"`
	EndTime   string           `json:"EndTime"`
	NextToken string           `json:"NextToken"`
	Events    []trailEventJSON `json:"Events"`
}

// trailToken is the position a NextToken carries, with the query it
// belongs to.
type trailToken struct {
	Query string `json:"q"`
	Seq   uint64 `json:"s"` // sim.Event.Seq of the last event returned
}

// lookupEvents serves LookupEvents: the region's events in
// [StartTime, EndTime] (default the last 7 days; never older than 90
// days), those not yet delivered left out, matching the lookup
// attributes (at most two are used; a repeated key keeps the second),
// newest first (Direction BACKWARD, the default) or oldest first
// (FORWARD), MaxResults (at most 50) a page, paged by NextToken, which
// is valid only with the same parameters.
func (s *Server) lookupEvents(c *call) (response, error) {
	const layout = "2006-01-02T15:04:05Z"
	now := c.now.UTC()
	end, start := now, now.Add(-7*24*time.Hour)
	var err error
	if v := c.p.str("EndTime"); v != "" {
		if end, err = time.Parse(layout, v); err != nil {
			return nil, errInvalid("EndTime", v)
		}
	}
	if v := c.p.str("StartTime"); v != "" {
		if start, err = time.Parse(layout, v); err != nil {
			return nil, errInvalid("StartTime", v)
		}
	}
	if start.After(end) {
		// Code not confirmed by the documentation.
		return nil, errCode(400, "InvalidParameter", "The StartTime must not be later than the EndTime.")
	}
	if oldest := now.Add(-trailRetention); start.Before(oldest) {
		start = oldest
	}
	n, err := c.p.intRange("MaxResults", 20, 0, 50)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		n = 20 // default not confirmed by the documentation
	}
	dir := c.p.str("Direction")
	switch dir {
	case "", "BACKWARD", "FORWARD":
	default:
		return nil, errInvalid("Direction", dir)
	}
	type kv struct{ k, v string }
	var attrs []kv
	for i := 1; ; i++ {
		k, ok := c.p["LookupAttribute."+strconv.Itoa(i)+".Key"]
		if !ok || len(k) == 0 {
			break
		}
		v := c.p.str("LookupAttribute." + strconv.Itoa(i) + ".Value")
		if i > 2 {
			continue // only the first two count
		}
		if j := slices.IndexFunc(attrs, func(a kv) bool { return a.k == k[0] }); j >= 0 {
			attrs[j].v = v
			continue
		}
		attrs = append(attrs, kv{k[0], v})
	}
	q := c.p
	if q.has("NextToken") {
		q = maps.Clone(q)
		delete(q, "NextToken")
	}
	query := q.fingerprint()
	forward := dir == "FORWARD"
	events, delay := s.cloud.Events(), s.cloud.EventDelay()
	// The token holds the trail position of the last event returned, so
	// events recorded meanwhile shift nothing.
	pos := len(events)
	if forward {
		pos = -1
	}
	if tok := c.p.str("NextToken"); tok != "" {
		var t trailToken
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil || json.Unmarshal(raw, &t) != nil || t.Query != query || t.Seq == 0 ||
			len(events) > 0 && t.Seq > events[len(events)-1].Seq {
			// Code not confirmed by the documentation.
			return nil, errCode(400, "InvalidNextToken", "The specified NextToken is not valid.")
		}
		// The event's position now: events before it may have been dropped.
		i, found := slices.BinarySearchFunc(events, t.Seq, func(e sim.Event, seq uint64) int { return cmp.Compare(e.Seq, seq) })
		switch {
		case !forward:
			pos = i // the loop continues below it
		case found:
			pos = i
		default:
			pos = i - 1 // dropped: continue with the oldest left
		}
	}
	r := &lookupEventsResp{StartTime: formatTimeSec(start), EndTime: formatTimeSec(end), Events: []trailEventJSON{}}
	step := -1
	if forward {
		step = 1
	}
	for i := pos + step; i >= 0 && i < len(events); i += step {
		e := (*trailEvent)(&events[i])
		if e.Region != c.region.id || e.At.Before(start) || e.At.After(end) || !events[i].Delivered(now, delay) {
			continue
		}
		ok := true
		for _, a := range attrs {
			ok = ok && e.attr(a.k, a.v)
		}
		if !ok {
			continue
		}
		if len(r.Events) == n {
			// One more matches: the page ends at the last one returned.
			raw, _ := json.Marshal(trailToken{Query: query, Seq: events[pos].Seq})
			r.NextToken = base64.RawURLEncoding.EncodeToString(raw)
			break
		}
		r.Events = append(r.Events, e.json())
		pos = i
	}
	return r, nil
}

func (b *respBase) requestID() string { return b.RequestId }
