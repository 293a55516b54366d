package awstest

import (
	"errors"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/multicloud-ecs/multicloud/providers/sim"
)

// ec2Handler serves one EC2 action.
type ec2Handler func(c *call) (withRequestID, *apiError)

// ec2Handlers lists the EC2 actions served.
func (s *Server) ec2Handlers() map[string]ec2Handler {
	return map[string]ec2Handler{
		"DescribeRegions":               s.describeRegions,
		"DescribeAvailabilityZones":     s.describeAvailabilityZones,
		"DescribeInstanceTypes":         s.describeInstanceTypes,
		"DescribeInstanceTypeOfferings": s.describeInstanceTypeOfferings,
		"DescribeImages":                s.describeImages,
		"CreateTags":                    s.createTags,
		"DeleteTags":                    s.deleteTags,
		"DescribeTags":                  s.describeTags,
		"CreateVpc":                     s.createVpc,
		"DescribeVpcs":                  s.describeVpcs,
		"DeleteVpc":                     s.deleteVpc,
		"CreateSubnet":                  s.createSubnet,
		"DescribeSubnets":               s.describeSubnets,
		"DeleteSubnet":                  s.deleteSubnet,
		"CreateInternetGateway":         s.createInternetGateway,
		"AttachInternetGateway":         s.attachInternetGateway,
		"DetachInternetGateway":         s.detachInternetGateway,
		"DeleteInternetGateway":         s.deleteInternetGateway,
		"DescribeInternetGateways":      s.describeInternetGateways,
		"DescribeRouteTables":           s.describeRouteTables,
		"CreateRoute":                   s.createRoute,
		"DeleteRoute":                   s.deleteRoute,
		"CreateSecurityGroup":           s.createSecurityGroup,
		"DescribeSecurityGroups":        s.describeSecurityGroups,
		"AuthorizeSecurityGroupIngress": s.authorizeSecurityGroupIngress,
		"DeleteSecurityGroup":           s.deleteSecurityGroup,
		"AllocateAddress":               s.allocateAddress,
		"AssociateAddress":              s.associateAddress,
		"DisassociateAddress":           s.disassociateAddress,
		"ReleaseAddress":                s.releaseAddress,
		"DescribeAddresses":             s.describeAddresses,
		"RunInstances":                  s.runInstances,
		"DescribeInstances":             s.describeInstances,
		"StartInstances":                s.startInstances,
		"StopInstances":                 s.stopInstances,
		"RebootInstances":               s.rebootInstances,
		"TerminateInstances":            s.terminateInstances,
		"DescribeVolumes":               s.describeVolumes,
		"DescribeInstanceStatus":        s.describeInstanceStatus,
		"DescribeSpotPriceHistory":      s.describeSpotPriceHistory,
	}
}

// serveEC2 runs one EC2 action through the simulated cloud's entry (latency,
// error and reset faults), records it in the call log (and as a change event
// when it changed something), and applies the response faults.
func (s *Server) serveEC2(w http.ResponseWriter, r *http.Request, c *call) {
	h, ok := s.ec2Actions[c.action]
	if !ok {
		writeEC2Error(w, c.reqID, &apiError{Status: 400, Code: "InvalidAction", Message: "The action " + c.action + " is not valid for this web service."})
		return
	}
	if _, err := s.cloud.Region(c.region); err != nil {
		// Every Region has its own endpoint on AWS; a signature scoped to a
		// Region the emulator does not serve is refused as AWS refuses a
		// signature for another Region.
		writeEC2Error(w, c.reqID, &apiError{Status: 403, Code: "SignatureDoesNotMatch", Message: "Credential should be scoped to a valid region. "})
		return
	}
	if e := s.takeToken(c); e != nil {
		s.record(c, e)
		writeEC2Error(w, c.reqID, e)
		return
	}
	if dry, e := c.params.boolean("DryRun"); e != nil || dry {
		if e == nil {
			// APIREF: every action takes DryRun; a caller with permission
			// gets DryRunOperation (412 commonly observed, not confirmed).
			e = &apiError{Status: 412, Code: "DryRunOperation", Message: "Request would have succeeded, but DryRun flag is set."}
		}
		writeEC2Error(w, c.reqID, e)
		return
	}
	f, err := s.cloud.Enter(r.Context(), c.action, c.region)
	if err != nil {
		return // the caller went away during the latency
	}
	if f != nil && f.Kind == sim.FaultReset {
		s.record(c, errors.New("connection reset"))
		resetConnection(w)
		return
	}
	var out withRequestID
	var e *apiError
	if f != nil {
		e = s.simError(c, f.Err())
	} else {
		out, e = h(c)
	}
	if e != nil {
		s.record(c, e)
		s.log.Debug("awstest", "service", "ec2", "action", c.action, "code", e.Code, "status", e.Status, "request_id", c.reqID)
		writeEC2Error(w, c.reqID, e)
		return
	}
	s.record(c, nil)
	if !isReadOnly(c.action) {
		s.cloud.RecordEvent(sim.Event{ID: uuid.NewString(), Name: c.action, Region: c.region, AccessKeyID: c.cred.accessKeyID(s), RequestID: c.reqID,
			ResourceType: c.resourceType, Resources: c.targets})
	}
	if rf := s.cloud.DrawFault(c.action, c.region, sim.FaultLost, sim.FaultSlow, sim.FaultGarbled); rf != nil {
		switch rf.Kind {
		case sim.FaultLost:
			resetConnection(w)
			return
		case sim.FaultSlow:
			d := rf.Latency
			if d == 0 {
				d = time.Second
			}
			if sim.Sleep(r.Context(), d) != nil {
				return
			}
		case sim.FaultGarbled:
			w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte("<" + c.action + "Response><reservationSet><item><instanceId>"))
			return
		}
	}
	s.log.Debug("awstest", "service", "ec2", "action", c.action, "request_id", c.reqID)
	writeEC2(w, c.action, c.reqID, out)
}

func isReadOnly(action string) bool {
	return strings.HasPrefix(action, "Describe")
}

// record adds the call to the simulated cloud's call log.
func (s *Server) record(c *call, err error) {
	if ae, ok := err.(*apiError); ok && ae == nil {
		err = nil
	}
	s.cloud.Record(sim.Call{Action: c.action, Region: c.region, Target: strings.Join(c.targets, ","), Err: err})
}

// accessKeyID finds the key of a credential, for the change event.
func (cr *credential) accessKeyID(s *Server) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, v := range s.creds {
		if v == cr {
			return k
		}
	}
	return ""
}

// resetConnection drops the client's connection without an answer.
func resetConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

// notFoundCodes are EC2's codes for a missing resource of each kind (ERRDOC).
var notFoundCodes = map[sim.Kind][2]string{
	sim.KindInstance:      {"InvalidInstanceID.NotFound", "The instance ID '%s' does not exist"},
	sim.KindVPC:           {"InvalidVpcID.NotFound", "The vpc ID '%s' does not exist"},
	sim.KindSubnet:        {"InvalidSubnetID.NotFound", "The subnet ID '%s' does not exist"},
	sim.KindSecurityGroup: {"InvalidGroup.NotFound", "The security group '%s' does not exist"},
	sim.KindAddress:       {"InvalidAllocationID.NotFound", "The allocation ID '%s' does not exist"},
	sim.KindDisk:          {"InvalidVolume.NotFound", "The volume '%s' does not exist."},
	kindInternetGateway:   {"InvalidInternetGatewayID.NotFound", "The internetGateway ID '%s' does not exist"},
	kindRouteTable:        {"InvalidRouteTableID.NotFound", "The routeTable ID '%s' does not exist"},
	kindAssociation:       {"InvalidAssociationID.NotFound", "The association ID '%s' does not exist"},
}

func errNotFound(kind sim.Kind, id string) *apiError {
	nf, ok := notFoundCodes[kind]
	if !ok {
		return errInvalidParameterValue("Invalid " + string(kind) + ": " + id)
	}
	return &apiError{Status: 400, Code: nf[0], Message: strings.Replace(nf[1], "%s", id, 1)}
}

// simError maps a simulated-cloud error to EC2's code and status. A fault
// that names its own code and status is shown as is.
func (s *Server) simError(c *call, err error) *apiError {
	if err == nil {
		return nil
	}
	var se *sim.Error
	if !errors.As(err, &se) {
		return &apiError{Status: 500, Code: "InternalError", Message: "An internal error has occurred"}
	}
	msg := se.Message
	if se.Code != "" || se.Status != 0 {
		e := &apiError{Status: se.Status, Code: se.Code, Message: msg}
		if e.Status == 0 {
			e.Status = 400
			if se.Class == sim.ClassInternal || se.Class == sim.ClassUnavailable || se.Class == sim.ClassNoStock {
				e.Status = 500
			}
		}
		if e.Code == "" {
			e.Code = s.simError(c, &sim.Error{Class: se.Class, Resource: se.Resource, ID: se.ID, Reason: se.Reason}).Code
		}
		if e.Message == "" {
			e.Message = e.Code
		}
		return e
	}
	or := func(def string) string {
		if msg != "" {
			return msg
		}
		return def
	}
	switch se.Class {
	case sim.ClassNotFound:
		return errNotFound(se.Resource, se.ID)
	case sim.ClassIncorrectState:
		switch se.Resource {
		case sim.KindInstance:
			return &apiError{Status: 400, Code: "IncorrectInstanceState", Message: "The instance '" + se.ID + "' is not in a state from which it can be " + strings.ToLower(strings.TrimSuffix(c.action, "Instances")) + "ed."}
		case sim.KindAddress:
			return &apiError{Status: 400, Code: "InvalidIPAddress.InUse", Message: "Address " + se.ID + " is in use."}
		}
		return &apiError{Status: 400, Code: "IncorrectState", Message: or("The resource is in an incorrect state for the request")}
	case sim.ClassConflict:
		if se.Reason == "CIDROverlap" {
			return &apiError{Status: 400, Code: "InvalidSubnet.Conflict", Message: or("The CIDR conflicts with another subnet")}
		}
		if se.Resource == sim.KindSubnet {
			return &apiError{Status: 400, Code: "InsufficientFreeAddressesInSubnet", Message: or("There are not enough free addresses in subnet '" + se.ID + "' to satisfy the requested number of instances.")}
		}
		return &apiError{Status: 400, Code: "Resource.AlreadyAssociated", Message: or("The resource is already associated")}
	case sim.ClassQuotaExceeded:
		switch c.action {
		case "CreateVpc":
			return &apiError{Status: 400, Code: "VpcLimitExceeded", Message: "The maximum number of VPCs has been reached."}
		case "AllocateAddress":
			return &apiError{Status: 400, Code: "AddressLimitExceeded", Message: "The maximum number of addresses has been reached."}
		case "CreateInternetGateway":
			return &apiError{Status: 400, Code: "InternetGatewayLimitExceeded", Message: "The maximum number of internet gateways has been reached."}
		}
		if se.Reason == string(sim.QuotaVCPUs) {
			// AWS counts vCPUs per family group ("G and VT", "P", ...); the
			// model has one vCPU quota per Region.
			return &apiError{Status: 400, Code: "VcpuLimitExceeded", Message: "You have requested more vCPU capacity than your current vCPU limit allows for the instance bucket that the specified instance type belongs to. " + msg}
		}
		return &apiError{Status: 400, Code: "InstanceLimitExceeded", Message: or("You have requested more instances than your current instance limit allows.")}
	case sim.ClassNoStock:
		// ERRDOC lists InsufficientInstanceCapacity among server errors.
		return &apiError{Status: 500, Code: "InsufficientInstanceCapacity", Message: or("We currently do not have sufficient capacity in the Availability Zone you requested.")}
	case sim.ClassInvalidParameter:
		return errInvalidParameterValue(or("Invalid parameter value"))
	case sim.ClassIdempotentMismatch:
		return &apiError{Status: 400, Code: "IdempotentParameterMismatch", Message: "The client token you have provided is associated with a resource that is already deleted or the parameters differ from the original request."}
	case sim.ClassThrottled:
		return &apiError{Status: s.opts.ThrottleStatus, Code: "RequestLimitExceeded", Message: "Request limit exceeded."}
	case sim.ClassDependencyViolation:
		return &apiError{Status: 400, Code: "DependencyViolation", Message: or("The resource '" + se.ID + "' has a dependent object")}
	case sim.ClassUnavailable:
		return &apiError{Status: 503, Code: "Unavailable", Message: or("The service is unavailable. Please try again shortly.")}
	}
	return &apiError{Status: 500, Code: "InternalError", Message: "An internal error has occurred"}
}

// own records the caller's account as the owner of new resources.
func (s *Server) own(c *call, ids ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		s.owners[id] = c.account.ID
	}
}

// owns reports whether the caller's account owns a resource. Resources the
// server did not create (another face's, or seeded) belong to the first
// account.
func (s *Server) owns(c *call, id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.owners[id]
	if !ok {
		o = s.opts.Accounts[0].ID
	}
	return o == c.account.ID
}

// region returns the call's Region of the simulated cloud.
func (s *Server) region(c *call) sim.Region {
	r, _ := s.cloud.Region(c.region)
	return r
}

// zoneName is the name the caller's account sees a zone under.
func zoneName(a *Account, z sim.Zone) string {
	if n := a.ZoneNames[z.ID]; n != "" {
		return n
	}
	return z.Name
}

// zoneByName finds the zone the caller's account names name.
func (s *Server) zoneByName(c *call, name string) (sim.Zone, bool) {
	for _, z := range s.region(c).Zones {
		if zoneName(c.account, z) == name {
			return z, true
		}
	}
	return sim.Zone{}, false
}

// zoneByID finds a zone of the call's Region by zone ID.
func (s *Server) zoneByID(c *call, id string) (sim.Zone, bool) {
	for _, z := range s.region(c).Zones {
		if z.ID == id {
			return z, true
		}
	}
	return sim.Zone{}, false
}

// simZone finds the zone the simulated cloud names name (or with that ID).
func (s *Server) simZone(c *call, name string) sim.Zone {
	z, _ := s.region(c).Zone(name)
	return z
}

// tagList turns a tag map into EC2's tag list, sorted by key.
func tagList(m map[string]string) []Tag {
	out := make([]Tag, 0, len(m))
	for k, v := range m {
		out = append(out, Tag{Key: k, Value: v})
	}
	sortTags(out)
	return out
}

func sortTags(ts []Tag) {
	for i := 1; i < len(ts); i++ {
		for j := i; j > 0 && ts[j].Key < ts[j-1].Key; j-- {
			ts[j], ts[j-1] = ts[j-1], ts[j]
		}
	}
}

func tagMap(ts []Tag) map[string]string {
	if len(ts) == 0 {
		return nil
	}
	m := make(map[string]string, len(ts))
	for _, t := range ts {
		m[t.Key] = t.Value
	}
	return m
}

// isoTime is EC2's timestamp layout.
func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// boolStr renders an XML boolean.
func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// returnTrue is the body of the actions that answer <return>true</return>.
type returnTrue struct {
	ec2Meta
	Return bool `xml:"return"`
}

// priceList is the on-demand USD price of every catalog type in every
// Region: the simulated cloud's price when it has one in USD, else the
// catalog's.
func (s *Server) priceList() []priceItem {
	var out []priceItem
	usd := s.cloud.Currency() == "USD"
	for _, r := range s.cloud.Regions() {
		for _, t := range s.opts.InstanceTypes {
			price := t.USDPerHour
			if p, ok := s.cloud.Price(t.Name); ok && usd {
				price = p.Amount
			}
			out = append(out, priceItem{RegionCode: r.ID, InstanceType: t.Name, VCPU: t.VCPU, MemoryMiB: t.MemoryMiB, GPUs: t.GPUs, USDPerHour: price})
		}
	}
	return out
}
