package awstest

import (
	"slices"
	"strings"

	"github.com/multicloud-ecs/multicloud/providers/sim"
)

type allocateAddressResponse struct {
	ec2Meta
	PublicIP           string `xml:"publicIp"`
	Domain             string `xml:"domain"`
	AllocationID       string `xml:"allocationId"`
	PublicIpv4Pool     string `xml:"publicIpv4Pool"`
	NetworkBorderGroup string `xml:"networkBorderGroup"`
}

// allocateAddress allocates an Elastic IP address in the VPC domain, with
// its tags (AddressLimitExceeded past the Region's address quota).
func (s *Server) allocateAddress(c *call) (withRequestID, *apiError) {
	if d := c.params.str("Domain"); d != "" && d != "vpc" {
		return nil, errInvalidParameterValue("Only the vpc domain is served; got '" + d + "'")
	}
	specs, e := c.params.tagSpecs("elastic-ip")
	if e != nil {
		return nil, e
	}
	a, err := s.cloud.AllocateAddress(sim.AddressSpec{Region: c.region, Tags: tagMap(specs["elastic-ip"])})
	if err != nil {
		return nil, s.simError(c, err)
	}
	s.own(c, a.ID)
	c.targets, c.resourceType = []string{a.ID}, "AWS::EC2::EIP"
	return &allocateAddressResponse{PublicIP: a.IP.String(), Domain: "vpc", AllocationID: a.ID, PublicIpv4Pool: "amazon", NetworkBorderGroup: c.region}, nil
}

// addressByParams finds the address an AllocationId (or PublicIp) names.
func (s *Server) addressByParams(c *call) (sim.Address, *apiError) {
	id, ip := c.params.str("AllocationId"), c.params.str("PublicIp")
	if id == "" && ip == "" {
		return sim.Address{}, errMissingParameter("AllocationId")
	}
	for _, a := range s.cloud.Addresses(c.region) {
		if (id != "" && a.ID == id) || (id == "" && a.IP.String() == ip) {
			if s.owns(c, a.ID) {
				return a, nil
			}
		}
	}
	if id != "" {
		return sim.Address{}, errNotFound(sim.KindAddress, id)
	}
	return sim.Address{}, &apiError{Status: 400, Code: "InvalidAddress.NotFound", Message: "Address '" + ip + "' not found."}
}

type associateAddressResponse struct {
	ec2Meta
	Return        bool   `xml:"return"`
	AssociationID string `xml:"associationId"`
}

// associateAddress associates an address with an instance whose VPC has an
// internet gateway attached. An instance's other address is disassociated
// first, as AWS documents; an address bound to another instance moves only
// with AllowReassociation.
func (s *Server) associateAddress(c *call) (withRequestID, *apiError) {
	a, e := s.addressByParams(c)
	if e != nil {
		return nil, e
	}
	instID := c.params.str("InstanceId")
	if instID == "" {
		if c.params.has("NetworkInterfaceId") {
			return nil, errInvalidParameterValue("Network interfaces are not served; give InstanceId")
		}
		return nil, errMissingParameter("InstanceId")
	}
	reassoc, e := c.params.boolean("AllowReassociation")
	if e != nil {
		return nil, e
	}
	in, e := s.visibleInstance(c, instID)
	if e != nil {
		return nil, e
	}
	switch in.State {
	case sim.StatePending, sim.StateDeleting, sim.StateDeleted:
		return nil, &apiError{Status: 400, Code: "IncorrectInstanceState", Message: "The pending instance '" + in.ID + "' is not in a valid state for this operation."}
	}
	attached := false
	for _, g := range s.cloud.Extras(c.region, kindInternetGateway) {
		if g.VPCID == in.VPCID && in.VPCID != "" {
			attached = true
		}
	}
	if !attached {
		return nil, &apiError{Status: 400, Code: "Gateway.NotAttached", Message: "Network " + in.VPCID + " is not attached to any internet gateway"}
	}
	if a.InstanceID == in.ID {
		c.targets = []string{a.ID}
		return &associateAddressResponse{Return: true, AssociationID: s.associationOf(a.ID)}, nil
	}
	if a.InstanceID != "" {
		if !reassoc {
			return nil, &apiError{Status: 400, Code: "Resource.AlreadyAssociated", Message: "resource " + a.ID + " is already associated with associate-id " + s.associationOf(a.ID)}
		}
		if e := s.unassociate(c, a.ID); e != nil {
			return nil, e
		}
	}
	if in.AddressID != "" {
		if e := s.unassociate(c, in.AddressID); e != nil {
			return nil, e
		}
	}
	if _, err := s.cloud.AssociateAddress(c.region, a.ID, in.ID); err != nil {
		return nil, s.simError(c, err)
	}
	assoc := s.cloud.NewID(kindAssociation, c.region)
	s.mu.Lock()
	s.associations[a.ID] = assoc
	s.mu.Unlock()
	c.targets = []string{a.ID}
	return &associateAddressResponse{Return: true, AssociationID: assoc}, nil
}

func (s *Server) associationOf(allocID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.associations[allocID]
}

func (s *Server) unassociate(c *call, allocID string) *apiError {
	if _, err := s.cloud.UnassociateAddress(c.region, allocID); err != nil {
		return s.simError(c, err)
	}
	s.mu.Lock()
	delete(s.associations, allocID)
	s.mu.Unlock()
	return nil
}

// disassociateAddress takes AssociationId (or PublicIp).
func (s *Server) disassociateAddress(c *call) (withRequestID, *apiError) {
	assoc, ip := c.params.str("AssociationId"), c.params.str("PublicIp")
	if assoc == "" && ip == "" {
		return nil, errMissingParameter("AssociationId")
	}
	for _, a := range s.cloud.Addresses(c.region) {
		if !s.owns(c, a.ID) || a.InstanceID == "" {
			continue
		}
		if (assoc != "" && s.associationOf(a.ID) == assoc) || (assoc == "" && a.IP.String() == ip) {
			if e := s.unassociate(c, a.ID); e != nil {
				return nil, e
			}
			c.targets = []string{a.ID}
			return &returnTrue{Return: true}, nil
		}
	}
	if assoc != "" {
		return nil, errNotFound(kindAssociation, assoc)
	}
	return nil, &apiError{Status: 400, Code: "InvalidAddress.NotFound", Message: "Address '" + ip + "' not found."}
}

// releaseAddress releases a disassociated address (InvalidIPAddress.InUse
// while associated, as in a non-default VPC).
func (s *Server) releaseAddress(c *call) (withRequestID, *apiError) {
	a, e := s.addressByParams(c)
	if e != nil {
		return nil, e
	}
	if a.InstanceID != "" {
		return nil, &apiError{Status: 400, Code: "InvalidIPAddress.InUse", Message: "Address " + a.IP.String() + " is in use."}
	}
	if err := s.cloud.ReleaseAddress(c.region, a.ID); err != nil {
		return nil, s.simError(c, err)
	}
	c.targets = []string{a.ID}
	return &returnTrue{Return: true}, nil
}

type addressItem struct {
	PublicIP                string   `xml:"publicIp"`
	AllocationID            string   `xml:"allocationId"`
	Domain                  string   `xml:"domain"`
	InstanceID              string   `xml:"instanceId,omitempty"`
	AssociationID           string   `xml:"associationId,omitempty"`
	NetworkInterfaceID      string   `xml:"networkInterfaceId,omitempty"`
	NetworkInterfaceOwnerID string   `xml:"networkInterfaceOwnerId,omitempty"`
	PrivateIPAddress        string   `xml:"privateIpAddress,omitempty"`
	PublicIpv4Pool          string   `xml:"publicIpv4Pool"`
	NetworkBorderGroup      string   `xml:"networkBorderGroup"`
	TagSet                  set[Tag] `xml:"tagSet"`
}

type describeAddressesResponse struct {
	ec2Meta
	AddressesSet set[addressItem] `xml:"addressesSet"`
}

// describeAddresses lists every matching address (not paginated, MODEL).
func (s *Server) describeAddresses(c *call) (withRequestID, *apiError) {
	fs, e := c.params.filters()
	if e != nil {
		return nil, e
	}
	ids, ips := c.params.list("AllocationId"), c.params.list("PublicIp")
	var items []addressItem
	found := map[string]bool{}
	for _, a := range s.cloud.Addresses(c.region) {
		if !s.owns(c, a.ID) {
			continue
		}
		if (len(ids) > 0 || len(ips) > 0) && !slices.Contains(ids, a.ID) && !slices.Contains(ips, a.IP.String()) {
			continue
		}
		found[a.ID], found[a.IP.String()] = true, true
		it := addressItem{PublicIP: a.IP.String(), AllocationID: a.ID, Domain: "vpc", PublicIpv4Pool: "amazon",
			NetworkBorderGroup: c.region, TagSet: newSet(tagList(a.Tags))}
		if a.InstanceID != "" {
			it.InstanceID = a.InstanceID
			it.AssociationID = s.associationOf(a.ID)
			it.NetworkInterfaceID = eniOf(a.InstanceID)
			it.NetworkInterfaceOwnerID = c.account.ID
			if in, err := s.cloud.Instance(c.region, a.InstanceID); err == nil {
				it.PrivateIPAddress = in.PrivateIP.String()
			}
		}
		ok, e := matchFilters(fs, it.TagSet.Items, func(n string) ([]string, bool) {
			switch n {
			case "allocation-id":
				return []string{it.AllocationID}, true
			case "association-id":
				return []string{it.AssociationID}, true
			case "instance-id":
				return []string{it.InstanceID}, true
			case "public-ip":
				return []string{it.PublicIP}, true
			case "domain":
				return []string{it.Domain}, true
			case "network-interface-id":
				return []string{it.NetworkInterfaceID}, true
			case "network-interface-owner-id":
				return []string{it.NetworkInterfaceOwnerID}, true
			case "private-ip-address":
				return []string{it.PrivateIPAddress}, true
			case "network-border-group":
				return []string{it.NetworkBorderGroup}, true
			case "public-ipv4-pool":
				return []string{it.PublicIpv4Pool}, true
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
	for _, id := range ids {
		if !found[id] {
			return nil, errNotFound(sim.KindAddress, id)
		}
	}
	for _, ip := range ips {
		if !found[ip] {
			return nil, &apiError{Status: 400, Code: "InvalidAddress.NotFound", Message: "Address '" + ip + "' not found."}
		}
	}
	return &describeAddressesResponse{AddressesSet: newSet(items)}, nil
}

// eniOf is the primary network interface ID shown for an instance.
func eniOf(instanceID string) string {
	return "eni-" + strings.TrimPrefix(instanceID, "i-")
}
