package awstest

import (
	"strings"
	"time"
)

// bucketKey names one request token bucket: EC2 throttles per account, per
// Region and per API action (THROTTLE: "Request throttling for the Amazon
// EC2 API").
type bucketKey struct {
	account, region, action string
}

// bucket is a token bucket refilled every second.
type bucket struct {
	tokens   float64
	capacity float64
	refill   float64 // tokens per second
	at       time.Time
}

// unfilteredDescribes are the non-mutating actions with the smaller bucket
// when called with no filter and no pagination.
var unfilteredDescribes = map[string]bool{
	"DescribeInstances": true, "DescribeInstanceStatus": true, "DescribeNetworkInterfaces": true,
	"DescribeSecurityGroups": true, "DescribeSnapshots": true, "DescribeSpotInstanceRequests": true,
	"DescribeVolumes": true,
}

// resourceBuckets are the documented resource token buckets: instances
// launched, started, stopped and terminated per account and Region
// (capacity, refill per second).
var resourceBuckets = map[string][2]float64{
	"RunInstances": {1000, 2}, "TerminateInstances": {1000, 20}, "StartInstances": {1000, 2}, "StopInstances": {1000, 20},
}

// resourceCount is how many resource tokens a call asks for: MaxCount
// instances for RunInstances (the most it may launch, counted when the
// call arrives, before it is known how many it launches), one per InstanceId.N
// for the others.
func resourceCount(action string, p params) float64 {
	if action == "RunInstances" {
		n, ok, err := p.integer("MaxCount")
		if !ok || err != nil || n < 1 {
			return 1
		}
		return float64(n)
	}
	return float64(max(1, len(p.list("InstanceId"))))
}

// bucketSize is an action's documented request bucket: capacity and refill
// rate per second.
func bucketSize(action string, p params) (capacity, refill float64) {
	switch action {
	case "RunInstances", "StartInstances":
		return 5, 2
	case "TerminateInstances":
		return 100, 5
	case "CreateTags", "DeleteTags":
		return 100, 10
	case "AuthorizeSecurityGroupIngress", "RevokeSecurityGroupIngress", "CreateKeyPair":
		return 50, 5
	}
	for _, pre := range []string{"Describe", "List", "Search", "Get"} {
		if strings.HasPrefix(action, pre) {
			if unfilteredDescribes[action] && len(p.indexes("Filter")) == 0 && !p.has("MaxResults") && !p.has("NextToken") {
				return 50, 10
			}
			return 100, 20
		}
	}
	return 50, 5
}

// takeToken spends one token of the call's bucket when Options.RequestBuckets
// is on, answering RequestLimitExceeded when the bucket is empty.
func (s *Server) takeToken(c *call) *apiError {
	if !s.opts.RequestBuckets {
		return nil
	}
	capacity, refill := bucketSize(c.action, c.params)
	now := s.opts.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	k := bucketKey{c.account.ID, c.region, c.action}
	b := s.buckets[k]
	if b == nil {
		b = &bucket{tokens: capacity, capacity: capacity, refill: refill, at: now}
		s.buckets[k] = b
	}
	if d := now.Sub(b.at); d > 0 {
		b.tokens = min(b.capacity, b.tokens+d.Seconds()*b.refill)
		b.at = now
	}
	if b.tokens < 1 {
		return &apiError{Status: s.opts.ThrottleStatus, Code: "RequestLimitExceeded", Message: "Request limit exceeded."}
	}
	var rb *bucket
	if size, ok := resourceBuckets[c.action]; ok {
		rk := bucketKey{c.account.ID, c.region, c.action + "#resources"}
		if rb = s.buckets[rk]; rb == nil {
			rb = &bucket{tokens: size[0], capacity: size[0], refill: size[1], at: now}
			s.buckets[rk] = rb
		}
		if d := now.Sub(rb.at); d > 0 {
			rb.tokens = min(rb.capacity, rb.tokens+d.Seconds()*rb.refill)
			rb.at = now
		}
		if rb.tokens < resourceCount(c.action, c.params) {
			return &apiError{Status: s.opts.ThrottleStatus, Code: "RequestLimitExceeded", Message: "Request limit exceeded (resource rate)."}
		}
		rb.tokens -= resourceCount(c.action, c.params)
	}
	b.tokens--
	return nil
}
