package awstest

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// cloudTrailTarget prefixes the X-Amz-Target of CloudTrail's awsJson1_1 calls.
const cloudTrailTarget = "CloudTrail_20131101."

type lookupAttribute struct {
	AttributeKey   string `json:"AttributeKey"`
	AttributeValue string `json:"AttributeValue"`
}

type lookupEventsInput struct {
	LookupAttributes []lookupAttribute `json:"LookupAttributes"`
	StartTime        *float64          `json:"StartTime"`
	EndTime          *float64          `json:"EndTime"`
	MaxResults       *int              `json:"MaxResults"`
	NextToken        string            `json:"NextToken"`
}

type trailResource struct {
	ResourceType string `json:"ResourceType,omitempty"`
	ResourceName string `json:"ResourceName"`
}

type trailEvent struct {
	EventID         string          `json:"EventId"`
	EventName       string          `json:"EventName"`
	ReadOnly        string          `json:"ReadOnly"`
	AccessKeyID     string          `json:"AccessKeyId"`
	EventTime       float64         `json:"EventTime"`
	EventSource     string          `json:"EventSource"`
	Username        string          `json:"Username"`
	Resources       []trailResource `json:"Resources"`
	CloudTrailEvent string          `json:"CloudTrailEvent"`
}

type lookupEventsOutput struct {
	Events    []trailEvent `json:"Events"`
	NextToken string       `json:"NextToken,omitempty"`
}

// serveCloudTrail answers LookupEvents (CloudTrail 2013-11-01, awsJson1_1)
// with the EC2 management events the simulated cloud recorded for the
// caller's account in the call's Region, newest first, as the simulated
// cloud's event delay lets them through (Cloud.SetEventDelay).
func (s *Server) serveCloudTrail(w http.ResponseWriter, c *call) {
	fail := func(code, msg string) {
		writeJSONError(w, c.reqID, &apiError{Status: 400, Code: code, Message: msg})
	}
	if c.action != "LookupEvents" {
		fail("UnknownOperationException", "Unknown operation "+c.action)
		return
	}
	var in lookupEventsInput
	if err := json.Unmarshal(c.body, &in); err != nil {
		fail("SerializationException", "The request body is not valid JSON")
		return
	}
	// CloudTrail's reference: one lookup attribute at most; MaxResults 1 to
	// 50 (default 50); StartTime before EndTime; 90 days of history.
	if len(in.LookupAttributes) > 1 {
		fail("InvalidLookupAttributesException", "You cannot specify more than one lookup attribute")
		return
	}
	size := 50
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > 50 {
			fail("InvalidMaxResultsException", "MaxResults must be between 1 and 50")
			return
		}
		size = *in.MaxResults
	}
	now := s.cloud.Now()
	start, end := now.Add(-90*24*time.Hour), now
	if in.StartTime != nil {
		start = epoch(*in.StartTime)
	}
	if in.EndTime != nil {
		end = epoch(*in.EndTime)
	}
	if start.After(end) {
		fail("InvalidTimeRangeException", "Start time must be before end time")
		return
	}
	var attr *lookupAttribute
	if len(in.LookupAttributes) == 1 {
		attr = &in.LookupAttributes[0]
		switch attr.AttributeKey {
		case "EventId", "EventName", "ReadOnly", "Username", "ResourceType", "ResourceName", "EventSource", "AccessKeyId":
		default:
			fail("InvalidLookupAttributesException", "Invalid attribute key "+attr.AttributeKey)
			return
		}
	}
	delay := s.cloud.EventDelay()
	var out []trailEvent
	events := s.cloud.Events()
	for i := len(events) - 1; i >= 0; i-- {
		e := events[i]
		if e.Region != c.region || !e.Delivered(now, delay) || e.At.Before(start) || e.At.After(end) {
			continue
		}
		if _, ok := s.ec2Actions[e.Name]; !ok {
			continue // another face's event
		}
		cred, user := s.credentialOf(e.AccessKeyID)
		if cred == nil || cred.account.ID != c.account.ID {
			continue
		}
		te := trailEvent{EventID: e.ID, EventName: e.Name, ReadOnly: "false", AccessKeyID: e.AccessKeyID,
			EventTime: float64(e.At.Unix()), EventSource: "ec2.amazonaws.com", Username: user}
		for _, r := range e.Resources {
			te.Resources = append(te.Resources, trailResource{ResourceType: e.ResourceType, ResourceName: r})
		}
		if te.Resources == nil {
			te.Resources = []trailResource{}
		}
		if attr != nil && !matchTrail(te, *attr) {
			continue
		}
		detail, _ := json.Marshal(map[string]any{
			"eventVersion": "1.08",
			"userIdentity": map[string]string{"type": identityType(cred), "accountId": cred.account.ID, "accessKeyId": e.AccessKeyID, "arn": cred.arn},
			"eventTime":    e.At.UTC().Format(time.RFC3339), "eventSource": "ec2.amazonaws.com", "eventName": e.Name,
			"awsRegion": e.Region, "requestID": e.RequestID, "eventID": e.ID, "readOnly": false,
			"eventType": "AwsApiCall", "managementEvent": true, "recipientAccountId": cred.account.ID,
		})
		te.CloudTrailEvent = string(detail)
		out = append(out, te)
	}
	from := 0
	if in.NextToken != "" {
		raw, err := base64.RawURLEncoding.DecodeString(in.NextToken)
		n, cerr := strconv.Atoi(strings.TrimPrefix(string(raw), "LookupEvents:"))
		if err != nil || cerr != nil || !strings.HasPrefix(string(raw), "LookupEvents:") || n < 0 || n > len(out) {
			fail("InvalidNextTokenException", "Invalid NextToken")
			return
		}
		from = n
	}
	to := min(len(out), from+size)
	res := lookupEventsOutput{Events: out[from:to]}
	if res.Events == nil {
		res.Events = []trailEvent{}
	}
	if to < len(out) {
		res.NextToken = base64.RawURLEncoding.EncodeToString([]byte("LookupEvents:" + strconv.Itoa(to)))
	}
	writeJSON(w, c.reqID, res)
}

func epoch(f float64) time.Time {
	sec := int64(f)
	return time.Unix(sec, int64((f-float64(sec))*1e9)).UTC()
}

// credentialOf finds the credential of an access key, expired or not, and
// the user name CloudTrail shows for it.
func (s *Server) credentialOf(akid string) (*credential, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.creds[akid]
	if c == nil {
		return nil, ""
	}
	if i := strings.LastIndex(c.arn, "/"); i >= 0 {
		return c, c.arn[i+1:]
	}
	return c, c.arn
}

func identityType(c *credential) string {
	if c.sessionToken != "" {
		return "AssumedRole"
	}
	return "IAMUser"
}

func matchTrail(e trailEvent, a lookupAttribute) bool {
	switch a.AttributeKey {
	case "EventId":
		return e.EventID == a.AttributeValue
	case "EventName":
		return e.EventName == a.AttributeValue
	case "ReadOnly":
		return e.ReadOnly == a.AttributeValue
	case "Username":
		return e.Username == a.AttributeValue
	case "EventSource":
		return e.EventSource == a.AttributeValue
	case "AccessKeyId":
		return e.AccessKeyID == a.AttributeValue
	case "ResourceType", "ResourceName":
		for _, r := range e.Resources {
			if (a.AttributeKey == "ResourceType" && r.ResourceType == a.AttributeValue) || (a.AttributeKey == "ResourceName" && r.ResourceName == a.AttributeValue) {
				return true
			}
		}
	}
	return false
}
