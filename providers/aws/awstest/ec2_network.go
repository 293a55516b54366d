package awstest

import (
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/multicloud-ecs/multicloud/providers/sim"
)

type cidrAssoc struct {
	CidrBlock      string     `xml:"cidrBlock"`
	AssociationID  string     `xml:"associationId"`
	CidrBlockState stateField `xml:"cidrBlockState"`
}

type stateField struct {
	State string `xml:"state"`
}

type vpcItem struct {
	VpcID                   string         `xml:"vpcId"`
	OwnerID                 string         `xml:"ownerId"`
	State                   string         `xml:"state"`
	CidrBlock               string         `xml:"cidrBlock"`
	CidrBlockAssociationSet set[cidrAssoc] `xml:"cidrBlockAssociationSet"`
	DhcpOptionsID           string         `xml:"dhcpOptionsId"`
	InstanceTenancy         string         `xml:"instanceTenancy"`
	IsDefault               bool           `xml:"isDefault"`
	TagSet                  set[Tag]       `xml:"tagSet"`
}

func netState(st sim.NetState) string {
	if st == sim.NetPending {
		return "pending"
	}
	return "available"
}

func (s *Server) vpcItem(c *call, v sim.VPC) vpcItem {
	return vpcItem{
		VpcID: v.ID, OwnerID: c.account.ID, State: netState(v.State), CidrBlock: v.CIDR.String(),
		CidrBlockAssociationSet: newSet([]cidrAssoc{{CidrBlock: v.CIDR.String(), AssociationID: "vpc-cidr-assoc-" + strings.TrimPrefix(v.ID, "vpc-"),
			CidrBlockState: stateField{"associated"}}}),
		DhcpOptionsID: "dopt-" + hex17(uint64(len(v.Region))), InstanceTenancy: "default", TagSet: newSet(tagList(v.Tags)),
	}
}

// prefixParam parses a CIDR block parameter with a documented /16 to /28 size.
func prefixParam(c *call, name, rangeCode string) (netip.Prefix, *apiError) {
	v := c.params.str(name)
	if v == "" {
		return netip.Prefix{}, errMissingParameter(name)
	}
	p, err := netip.ParsePrefix(v)
	if err != nil || !p.Addr().Is4() {
		return netip.Prefix{}, errInvalidParameterValue("Value (" + v + ") for parameter cidrBlock is invalid. This is not a valid CIDR block.")
	}
	if p.Bits() < 16 || p.Bits() > 28 {
		return netip.Prefix{}, &apiError{Status: 400, Code: rangeCode, Message: "The CIDR '" + v + "' is invalid."}
	}
	return p.Masked(), nil
}

type createVpcResponse struct {
	ec2Meta
	Vpc vpcItem `xml:"vpc"`
}

// createVpc creates a VPC with its main route table (the local route) and
// its default security group, as AWS does.
func (s *Server) createVpc(c *call) (withRequestID, *apiError) {
	cidr, e := prefixParam(c, "CidrBlock", "InvalidVpc.Range")
	if e != nil {
		return nil, e
	}
	specs, e := c.params.tagSpecs("vpc")
	if e != nil {
		return nil, e
	}
	v, err := s.cloud.CreateVPC(sim.VPCSpec{Region: c.region, CIDR: cidr, Tags: tagMap(specs["vpc"])})
	if err != nil {
		return nil, s.simError(c, err)
	}
	rt, err := s.cloud.CreateExtra(sim.Extra{Kind: kindRouteTable, Region: c.region, VPCID: v.ID,
		Attrs: map[string]string{"main": "true", "mainAssociation": s.cloud.NewID(kindRouteTableAssociation, c.region)}})
	if err != nil {
		_ = s.cloud.DeleteVPC(c.region, v.ID) // a failed create leaves nothing behind
		return nil, s.simError(c, err)
	}
	sg, err := s.cloud.CreateSecurityGroup(sim.SecurityGroupSpec{Region: c.region, VPCID: v.ID, Name: "default", Description: "default VPC security group"})
	if err != nil {
		_ = s.cloud.DeleteExtra(c.region, kindRouteTable, rt.ID)
		_ = s.cloud.DeleteVPC(c.region, v.ID)
		return nil, s.simError(c, err)
	}
	s.own(c, v.ID, rt.ID, sg.ID)
	c.targets, c.resourceType = []string{v.ID}, "AWS::EC2::VPC"
	return &createVpcResponse{Vpc: s.vpcItem(c, v)}, nil
}

type describeVpcsResponse struct {
	ec2Meta
	VpcSet    set[vpcItem] `xml:"vpcSet"`
	NextToken string       `xml:"nextToken,omitempty"`
}

func (s *Server) describeVpcs(c *call) (withRequestID, *apiError) {
	fs, e := c.params.filters()
	if e != nil {
		return nil, e
	}
	ids := c.params.list("VpcId")
	for _, id := range ids {
		if v, err := s.cloud.GetVPC(c.region, id); err != nil || !s.owns(c, v.ID) {
			return nil, errNotFound(sim.KindVPC, id)
		}
	}
	var items []vpcItem
	for _, v := range s.cloud.VPCs(c.region) {
		if !s.owns(c, v.ID) || (len(ids) > 0 && !slices.Contains(ids, v.ID)) {
			continue
		}
		it := s.vpcItem(c, v)
		ok, e := matchFilters(fs, it.TagSet.Items, func(n string) ([]string, bool) {
			switch n {
			case "vpc-id":
				return []string{it.VpcID}, true
			case "cidr", "cidr-block-association.cidr-block":
				return []string{it.CidrBlock}, true
			case "state":
				return []string{it.State}, true
			case "is-default":
				return []string{"false"}, true
			case "owner-id":
				return []string{it.OwnerID}, true
			case "dhcp-options-id":
				return []string{it.DhcpOptionsID}, true
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
	return &describeVpcsResponse{VpcSet: newSet(items[pg.start:pg.end]), NextToken: pg.next}, nil
}

// deleteVpc deletes a VPC whose subnets, gateways, other route tables and
// other security groups are gone, taking its main route table and default
// security group with it.
func (s *Server) deleteVpc(c *call) (withRequestID, *apiError) {
	id := c.params.str("VpcId")
	if id == "" {
		return nil, errMissingParameter("VpcId")
	}
	if _, err := s.cloud.GetVPC(c.region, id); err != nil || !s.owns(c, id) {
		return nil, errNotFound(sim.KindVPC, id)
	}
	dep := func(what string) *apiError {
		return &apiError{Status: 400, Code: "DependencyViolation", Message: "The vpc '" + id + "' has dependencies and cannot be deleted (" + what + ")."}
	}
	if len(s.cloud.Subnets(c.region, id)) > 0 {
		return nil, dep("subnets")
	}
	var defaultSG string
	for _, g := range s.cloud.SecurityGroups(c.region, id) {
		if g.Name != "default" {
			return nil, dep("security groups")
		}
		defaultSG = g.ID
	}
	var mainRT string
	extras := append(s.cloud.Extras(c.region, kindRouteTable), s.cloud.Extras(c.region, kindInternetGateway)...)
	for _, x := range extras {
		if x.VPCID != id {
			continue
		}
		if x.Kind == kindRouteTable && x.Attrs["main"] == "true" {
			mainRT = x.ID
			continue
		}
		return nil, dep(string(x.Kind))
	}
	if defaultSG != "" {
		if err := s.cloud.DeleteSecurityGroup(c.region, defaultSG); err != nil {
			return nil, s.simError(c, err)
		}
	}
	if mainRT != "" {
		if err := s.cloud.DeleteExtra(c.region, kindRouteTable, mainRT); err != nil {
			return nil, s.simError(c, err)
		}
	}
	if err := s.cloud.DeleteVPC(c.region, id); err != nil {
		return nil, s.simError(c, err)
	}
	c.targets = []string{id}
	return &returnTrue{Return: true}, nil
}

type subnetItem struct {
	SubnetID                    string   `xml:"subnetId"`
	SubnetArn                   string   `xml:"subnetArn"`
	State                       string   `xml:"state"`
	OwnerID                     string   `xml:"ownerId"`
	VpcID                       string   `xml:"vpcId"`
	CidrBlock                   string   `xml:"cidrBlock"`
	AvailableIPAddressCount     int      `xml:"availableIpAddressCount"`
	AvailabilityZone            string   `xml:"availabilityZone"`
	AvailabilityZoneID          string   `xml:"availabilityZoneId"`
	DefaultForAz                bool     `xml:"defaultForAz"`
	MapPublicIPOnLaunch         bool     `xml:"mapPublicIpOnLaunch"`
	AssignIpv6AddressOnCreation bool     `xml:"assignIpv6AddressOnCreation"`
	TagSet                      set[Tag] `xml:"tagSet"`
}

func (s *Server) subnetItem(c *call, sn sim.Subnet) subnetItem {
	z := s.simZone(c, sn.Zone)
	return subnetItem{
		SubnetID: sn.ID, SubnetArn: "arn:aws:ec2:" + c.region + ":" + c.account.ID + ":subnet/" + sn.ID,
		State: netState(sn.State), OwnerID: c.account.ID, VpcID: sn.VPCID, CidrBlock: sn.CIDR.String(),
		AvailableIPAddressCount: sn.FreeIPs, AvailabilityZone: zoneName(c.account, z), AvailabilityZoneID: z.ID,
		TagSet: newSet(tagList(sn.Tags)),
	}
}

// maxSubnetsPerVPC is the default quota of subnets per VPC (VPCQ: 200).
const maxSubnetsPerVPC = 200

type createSubnetResponse struct {
	ec2Meta
	Subnet subnetItem `xml:"subnet"`
}

func (s *Server) createSubnet(c *call) (withRequestID, *apiError) {
	vpcID := c.params.str("VpcId")
	if vpcID == "" {
		return nil, errMissingParameter("VpcId")
	}
	cidr, e := prefixParam(c, "CidrBlock", "InvalidSubnet.Range")
	if e != nil {
		return nil, e
	}
	specs, e := c.params.tagSpecs("subnet")
	if e != nil {
		return nil, e
	}
	if _, err := s.cloud.GetVPC(c.region, vpcID); err != nil || !s.owns(c, vpcID) {
		return nil, errNotFound(sim.KindVPC, vpcID)
	}
	var z sim.Zone
	switch name, id := c.params.str("AvailabilityZone"), c.params.str("AvailabilityZoneId"); {
	case name != "" && id != "":
		return nil, &apiError{Status: 400, Code: "InvalidParameterCombination", Message: "Only one of AvailabilityZone or AvailabilityZoneId can be specified"}
	case name != "":
		var ok bool
		if z, ok = s.zoneByName(c, name); !ok {
			return nil, errInvalidParameterValue("Value (" + name + ") for parameter availabilityZone is invalid. Subnets can currently only be created in the following availability zones: " + strings.Join(s.accountZoneNames(c), ", ") + ".")
		}
	case id != "":
		var ok bool
		if z, ok = s.zoneByID(c, id); !ok {
			return nil, errInvalidParameterValue("Value (" + id + ") for parameter availabilityZoneId is invalid.")
		}
	default:
		z = s.region(c).Zones[0]
	}
	if len(s.cloud.Subnets(c.region, vpcID)) >= maxSubnetsPerVPC {
		return nil, &apiError{Status: 400, Code: "SubnetLimitExceeded", Message: "The maximum number of subnets for VPC " + vpcID + " has been reached."}
	}
	sn, err := s.cloud.CreateSubnet(sim.SubnetSpec{Region: c.region, VPCID: vpcID, Zone: z.Name, CIDR: cidr, Tags: tagMap(specs["subnet"])})
	if err != nil {
		if sim.ClassOf(err) == sim.ClassInvalidParameter {
			return nil, &apiError{Status: 400, Code: "InvalidSubnet.Range", Message: "The CIDR '" + cidr.String() + "' is invalid."}
		}
		return nil, s.simError(c, err)
	}
	s.own(c, sn.ID)
	c.targets, c.resourceType = []string{sn.ID}, "AWS::EC2::Subnet"
	return &createSubnetResponse{Subnet: s.subnetItem(c, sn)}, nil
}

func (s *Server) accountZoneNames(c *call) []string {
	var out []string
	for _, z := range s.region(c).Zones {
		out = append(out, zoneName(c.account, z))
	}
	sort.Strings(out)
	return out
}

type describeSubnetsResponse struct {
	ec2Meta
	SubnetSet set[subnetItem] `xml:"subnetSet"`
	NextToken string          `xml:"nextToken,omitempty"`
}

func (s *Server) describeSubnets(c *call) (withRequestID, *apiError) {
	fs, e := c.params.filters()
	if e != nil {
		return nil, e
	}
	ids := c.params.list("SubnetId")
	for _, id := range ids {
		if _, err := s.cloud.GetSubnet(c.region, id); err != nil || !s.owns(c, id) {
			return nil, errNotFound(sim.KindSubnet, id)
		}
	}
	var items []subnetItem
	for _, sn := range s.cloud.Subnets(c.region, "") {
		if !s.owns(c, sn.ID) || (len(ids) > 0 && !slices.Contains(ids, sn.ID)) {
			continue
		}
		it := s.subnetItem(c, sn)
		ok, e := matchFilters(fs, it.TagSet.Items, func(n string) ([]string, bool) {
			switch n {
			case "subnet-id":
				return []string{it.SubnetID}, true
			case "vpc-id":
				return []string{it.VpcID}, true
			case "availability-zone":
				return []string{it.AvailabilityZone}, true
			case "availability-zone-id":
				return []string{it.AvailabilityZoneID}, true
			case "cidr-block", "cidr":
				return []string{it.CidrBlock}, true
			case "state":
				return []string{it.State}, true
			case "default-for-az":
				return []string{boolStr(it.DefaultForAz)}, true
			case "map-public-ip-on-launch":
				return []string{boolStr(it.MapPublicIPOnLaunch)}, true
			case "owner-id":
				return []string{it.OwnerID}, true
			case "available-ip-address-count":
				return []string{strconv.Itoa(it.AvailableIPAddressCount)}, true
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
	return &describeSubnetsResponse{SubnetSet: newSet(items[pg.start:pg.end]), NextToken: pg.next}, nil
}

func (s *Server) deleteSubnet(c *call) (withRequestID, *apiError) {
	id := c.params.str("SubnetId")
	if id == "" {
		return nil, errMissingParameter("SubnetId")
	}
	if _, err := s.cloud.GetSubnet(c.region, id); err != nil || !s.owns(c, id) {
		return nil, errNotFound(sim.KindSubnet, id)
	}
	if err := s.cloud.DeleteSubnet(c.region, id); err != nil {
		return nil, s.simError(c, err)
	}
	c.targets = []string{id}
	return &returnTrue{Return: true}, nil
}

type igwAttachment struct {
	VpcID string `xml:"vpcId"`
	State string `xml:"state"`
}

type igwItem struct {
	InternetGatewayID string             `xml:"internetGatewayId"`
	OwnerID           string             `xml:"ownerId"`
	AttachmentSet     set[igwAttachment] `xml:"attachmentSet"`
	TagSet            set[Tag]           `xml:"tagSet"`
}

func (s *Server) igwItem(c *call, x sim.Extra) igwItem {
	it := igwItem{InternetGatewayID: x.ID, OwnerID: c.account.ID, TagSet: newSet(tagList(x.Tags))}
	var att []igwAttachment
	if x.VPCID != "" {
		att = []igwAttachment{{VpcID: x.VPCID, State: "available"}}
	}
	it.AttachmentSet = newSet(att)
	return it
}

type createInternetGatewayResponse struct {
	ec2Meta
	InternetGateway igwItem `xml:"internetGateway"`
}

// createInternetGateway creates a detached gateway. The gateway quota
// follows the VPC quota (VPCQ), so the simulated cloud's VPC quota bounds it.
func (s *Server) createInternetGateway(c *call) (withRequestID, *apiError) {
	specs, e := c.params.tagSpecs("internet-gateway")
	if e != nil {
		return nil, e
	}
	n := 0
	for _, x := range s.cloud.Extras(c.region, kindInternetGateway) {
		if s.owns(c, x.ID) {
			n++
		}
	}
	if q := s.cloud.Quota(c.region, sim.QuotaVPCs); q != sim.Unlimited && n >= q {
		return nil, &apiError{Status: 400, Code: "InternetGatewayLimitExceeded", Message: "The maximum number of internet gateways has been reached."}
	}
	x, err := s.cloud.CreateExtra(sim.Extra{Kind: kindInternetGateway, Region: c.region, Tags: tagMap(specs["internet-gateway"])})
	if err != nil {
		return nil, s.simError(c, err)
	}
	s.own(c, x.ID)
	c.targets, c.resourceType = []string{x.ID}, "AWS::EC2::InternetGateway"
	return &createInternetGatewayResponse{InternetGateway: s.igwItem(c, x)}, nil
}

func (s *Server) getIGW(c *call, id string) (sim.Extra, *apiError) {
	if id == "" {
		return sim.Extra{}, errMissingParameter("InternetGatewayId")
	}
	x, err := s.cloud.GetExtra(c.region, kindInternetGateway, id)
	if err != nil || !s.owns(c, id) {
		return sim.Extra{}, errNotFound(kindInternetGateway, id)
	}
	return x, nil
}

// attachInternetGateway attaches a gateway to a VPC: one gateway per VPC,
// one VPC per gateway (Resource.AlreadyAssociated otherwise).
func (s *Server) attachInternetGateway(c *call) (withRequestID, *apiError) {
	x, e := s.getIGW(c, c.params.str("InternetGatewayId"))
	if e != nil {
		return nil, e
	}
	vpcID := c.params.str("VpcId")
	if vpcID == "" {
		return nil, errMissingParameter("VpcId")
	}
	if _, err := s.cloud.GetVPC(c.region, vpcID); err != nil || !s.owns(c, vpcID) {
		return nil, errNotFound(sim.KindVPC, vpcID)
	}
	if x.VPCID != "" {
		return nil, &apiError{Status: 400, Code: "Resource.AlreadyAssociated", Message: "resource " + x.ID + " is already attached to network " + x.VPCID}
	}
	for _, o := range s.cloud.Extras(c.region, kindInternetGateway) {
		if o.VPCID == vpcID {
			return nil, &apiError{Status: 400, Code: "Resource.AlreadyAssociated", Message: "Network " + vpcID + " already has an internet gateway attached"}
		}
	}
	if _, err := s.cloud.UpdateExtra(c.region, kindInternetGateway, x.ID, func(e *sim.Extra) error {
		if e.VPCID != "" {
			return &sim.Error{Class: sim.ClassConflict, Resource: kindInternetGateway, ID: x.ID, Message: "resource " + x.ID + " is already attached to network " + e.VPCID}
		}
		e.VPCID = vpcID
		return nil
	}); err != nil {
		return nil, s.simError(c, err)
	}
	c.targets = []string{x.ID}
	return &returnTrue{Return: true}, nil
}

func (s *Server) detachInternetGateway(c *call) (withRequestID, *apiError) {
	x, e := s.getIGW(c, c.params.str("InternetGatewayId"))
	if e != nil {
		return nil, e
	}
	vpcID := c.params.str("VpcId")
	if vpcID == "" {
		return nil, errMissingParameter("VpcId")
	}
	if x.VPCID != vpcID {
		return nil, &apiError{Status: 400, Code: "Gateway.NotAttached", Message: "resource " + x.ID + " is not attached to network " + vpcID}
	}
	for _, a := range s.cloud.Addresses(c.region) {
		if a.InstanceID == "" {
			continue
		}
		if in, err := s.cloud.Instance(c.region, a.InstanceID); err == nil && in.VPCID == vpcID {
			// AWS refuses to detach while public addresses are mapped in
			// the VPC.
			return nil, &apiError{Status: 400, Code: "DependencyViolation", Message: "Network " + vpcID + " has some mapped public address(es). Please unmap those public address(es) before detaching the gateway."}
		}
	}
	if _, err := s.cloud.UpdateExtra(c.region, kindInternetGateway, x.ID, func(e *sim.Extra) error {
		e.VPCID = ""
		return nil
	}); err != nil {
		return nil, s.simError(c, err)
	}
	c.targets = []string{x.ID}
	return &returnTrue{Return: true}, nil
}

func (s *Server) deleteInternetGateway(c *call) (withRequestID, *apiError) {
	x, e := s.getIGW(c, c.params.str("InternetGatewayId"))
	if e != nil {
		return nil, e
	}
	if x.VPCID != "" {
		return nil, &apiError{Status: 400, Code: "DependencyViolation", Message: "The internetGateway '" + x.ID + "' has dependencies and cannot be deleted."}
	}
	if err := s.cloud.DeleteExtra(c.region, kindInternetGateway, x.ID); err != nil {
		return nil, s.simError(c, err)
	}
	c.targets = []string{x.ID}
	return &returnTrue{Return: true}, nil
}

type describeInternetGatewaysResponse struct {
	ec2Meta
	InternetGatewaySet set[igwItem] `xml:"internetGatewaySet"`
	NextToken          string       `xml:"nextToken,omitempty"`
}

func (s *Server) describeInternetGateways(c *call) (withRequestID, *apiError) {
	fs, e := c.params.filters()
	if e != nil {
		return nil, e
	}
	ids := c.params.list("InternetGatewayId")
	for _, id := range ids {
		if _, e := s.getIGW(c, id); e != nil {
			return nil, e
		}
	}
	var items []igwItem
	for _, x := range s.cloud.Extras(c.region, kindInternetGateway) {
		if !s.owns(c, x.ID) || (len(ids) > 0 && !slices.Contains(ids, x.ID)) {
			continue
		}
		it := s.igwItem(c, x)
		ok, e := matchFilters(fs, it.TagSet.Items, func(n string) ([]string, bool) {
			switch n {
			case "internet-gateway-id":
				return []string{it.InternetGatewayID}, true
			case "attachment.vpc-id":
				return []string{x.VPCID}, true
			case "attachment.state":
				if x.VPCID == "" {
					return nil, true
				}
				return []string{"available"}, true
			case "owner-id":
				return []string{it.OwnerID}, true
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
	return &describeInternetGatewaysResponse{InternetGatewaySet: newSet(items[pg.start:pg.end]), NextToken: pg.next}, nil
}

type routeItem struct {
	DestinationCidrBlock string `xml:"destinationCidrBlock"`
	GatewayID            string `xml:"gatewayId"`
	State                string `xml:"state"`
	Origin               string `xml:"origin"`
}

type rtAssociation struct {
	RouteTableAssociationID string     `xml:"routeTableAssociationId"`
	RouteTableID            string     `xml:"routeTableId"`
	Main                    bool       `xml:"main"`
	AssociationState        stateField `xml:"associationState"`
}

type routeTableItem struct {
	RouteTableID      string             `xml:"routeTableId"`
	VpcID             string             `xml:"vpcId"`
	OwnerID           string             `xml:"ownerId"`
	RouteSet          set[routeItem]     `xml:"routeSet"`
	AssociationSet    set[rtAssociation] `xml:"associationSet"`
	PropagatingVgwSet set[struct{}]      `xml:"propagatingVgwSet"`
	TagSet            set[Tag]           `xml:"tagSet"`
}

// routePrefix marks a route in a route table's attributes: "route:<cidr>"
// holds the gateway ID.
const routePrefix = "route:"

func (s *Server) routeTableItem(c *call, x sim.Extra) routeTableItem {
	it := routeTableItem{RouteTableID: x.ID, VpcID: x.VPCID, OwnerID: c.account.ID, TagSet: newSet(tagList(x.Tags))}
	routes := []routeItem{}
	if v, err := s.cloud.GetVPC(c.region, x.VPCID); err == nil {
		routes = append(routes, routeItem{DestinationCidrBlock: v.CIDR.String(), GatewayID: "local", State: "active", Origin: "CreateRouteTable"})
	}
	var dests []string
	for k := range x.Attrs {
		if d, ok := strings.CutPrefix(k, routePrefix); ok {
			dests = append(dests, d)
		}
	}
	sort.Strings(dests)
	for _, d := range dests {
		gw := x.Attrs[routePrefix+d]
		state := "active"
		if g, err := s.cloud.GetExtra(c.region, kindInternetGateway, gw); err != nil || g.VPCID != x.VPCID {
			state = "blackhole" // the gateway was detached or deleted
		}
		routes = append(routes, routeItem{DestinationCidrBlock: d, GatewayID: gw, State: state, Origin: "CreateRoute"})
	}
	it.RouteSet = newSet(routes)
	var assoc []rtAssociation
	if x.Attrs["main"] == "true" {
		assoc = append(assoc, rtAssociation{RouteTableAssociationID: x.Attrs["mainAssociation"], RouteTableID: x.ID, Main: true, AssociationState: stateField{"associated"}})
	}
	it.AssociationSet = newSet(assoc)
	return it
}

type describeRouteTablesResponse struct {
	ec2Meta
	RouteTableSet set[routeTableItem] `xml:"routeTableSet"`
	NextToken     string              `xml:"nextToken,omitempty"`
}

// describeRouteTables lists route tables (MaxResults 5 to 100, MODEL).
func (s *Server) describeRouteTables(c *call) (withRequestID, *apiError) {
	fs, e := c.params.filters()
	if e != nil {
		return nil, e
	}
	ids := c.params.list("RouteTableId")
	for _, id := range ids {
		if _, err := s.cloud.GetExtra(c.region, kindRouteTable, id); err != nil || !s.owns(c, id) {
			return nil, errNotFound(kindRouteTable, id)
		}
	}
	var items []routeTableItem
	for _, x := range s.cloud.Extras(c.region, kindRouteTable) {
		if !s.owns(c, x.ID) || (len(ids) > 0 && !slices.Contains(ids, x.ID)) {
			continue
		}
		it := s.routeTableItem(c, x)
		ok, e := matchFilters(fs, it.TagSet.Items, func(n string) ([]string, bool) {
			switch n {
			case "route-table-id":
				return []string{it.RouteTableID}, true
			case "vpc-id":
				return []string{it.VpcID}, true
			case "owner-id":
				return []string{it.OwnerID}, true
			case "association.main":
				return []string{boolStr(x.Attrs["main"] == "true")}, true
			case "association.route-table-association-id":
				return []string{x.Attrs["mainAssociation"]}, true
			case "route.gateway-id":
				var out []string
				for _, r := range it.RouteSet.Items {
					out = append(out, r.GatewayID)
				}
				return out, true
			case "route.destination-cidr-block":
				var out []string
				for _, r := range it.RouteSet.Items {
					out = append(out, r.DestinationCidrBlock)
				}
				return out, true
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
	pg, e := paginate(c.params, c.action, len(items), 5, 100)
	if e != nil {
		return nil, e
	}
	return &describeRouteTablesResponse{RouteTableSet: newSet(items[pg.start:pg.end]), NextToken: pg.next}, nil
}

// createRoute adds a route through an internet gateway attached to the
// table's VPC (the only target type served).
func (s *Server) createRoute(c *call) (withRequestID, *apiError) {
	id := c.params.str("RouteTableId")
	if id == "" {
		return nil, errMissingParameter("RouteTableId")
	}
	dest := c.params.str("DestinationCidrBlock")
	if dest == "" {
		return nil, errMissingParameter("DestinationCidrBlock")
	}
	p, err := netip.ParsePrefix(dest)
	if err != nil {
		return nil, errInvalidParameterValue("Value (" + dest + ") for parameter destinationCidrBlock is invalid. This is not a valid CIDR block.")
	}
	dest = p.Masked().String()
	gw := c.params.str("GatewayId")
	if gw == "" {
		return nil, &apiError{Status: 400, Code: "InvalidParameterCombination", Message: "The request must contain exactly one of gatewayId, natGatewayId, instanceId, networkInterfaceId, vpcPeeringConnectionId or transitGatewayId (only gatewayId is served)"}
	}
	rt, gerr := s.cloud.GetExtra(c.region, kindRouteTable, id)
	if gerr != nil || !s.owns(c, id) {
		return nil, errNotFound(kindRouteTable, id)
	}
	g, gerr := s.cloud.GetExtra(c.region, kindInternetGateway, gw)
	if gerr != nil || !s.owns(c, gw) {
		return nil, &apiError{Status: 400, Code: "InvalidGatewayID.NotFound", Message: "The gateway ID '" + gw + "' does not exist"}
	}
	if g.VPCID != rt.VPCID {
		return nil, errInvalidParameterValue("route table " + id + " and network gateway " + gw + " belong to different networks")
	}
	if _, err := s.cloud.UpdateExtra(c.region, kindRouteTable, id, func(x *sim.Extra) error {
		if _, ok := x.Attrs[routePrefix+dest]; ok {
			return &sim.Error{Class: sim.ClassConflict, Reason: "RouteAlreadyExists"}
		}
		if x.Attrs == nil {
			x.Attrs = map[string]string{}
		}
		x.Attrs[routePrefix+dest] = gw
		return nil
	}); err != nil {
		if sim.ClassOf(err) == sim.ClassConflict {
			return nil, &apiError{Status: 400, Code: "RouteAlreadyExists", Message: "The route identified by " + dest + " already exists."}
		}
		return nil, s.simError(c, err)
	}
	c.targets = []string{id}
	return &returnTrue{Return: true}, nil
}

// deleteRoute removes a route that CreateRoute added (RouteTableId,
// DestinationCidrBlock). The VPC's local route cannot be removed. The
// error codes follow the EC2 error reference (InvalidRoute.NotFound;
// InvalidParameterValue for the local route); their messages are not
// confirmed.
func (s *Server) deleteRoute(c *call) (withRequestID, *apiError) {
	id := c.params.str("RouteTableId")
	if id == "" {
		return nil, errMissingParameter("RouteTableId")
	}
	dest := c.params.str("DestinationCidrBlock")
	if dest == "" {
		return nil, errMissingParameter("DestinationCidrBlock")
	}
	p, err := netip.ParsePrefix(dest)
	if err != nil {
		return nil, errInvalidParameterValue("Value (" + dest + ") for parameter destinationCidrBlock is invalid. This is not a valid CIDR block.")
	}
	dest = p.Masked().String()
	rt, gerr := s.cloud.GetExtra(c.region, kindRouteTable, id)
	if gerr != nil || !s.owns(c, id) {
		return nil, errNotFound(kindRouteTable, id)
	}
	if v, err := s.cloud.GetVPC(c.region, rt.VPCID); err == nil && v.CIDR.String() == dest {
		return nil, errInvalidParameterValue("cannot remove local route " + dest + " in route table " + id)
	}
	missing := false
	if _, err := s.cloud.UpdateExtra(c.region, kindRouteTable, id, func(x *sim.Extra) error {
		if _, ok := x.Attrs[routePrefix+dest]; !ok {
			missing = true
			return &sim.Error{Class: sim.ClassNotFound, Reason: "InvalidRoute.NotFound"}
		}
		delete(x.Attrs, routePrefix+dest)
		return nil
	}); err != nil {
		if missing {
			return nil, &apiError{Status: 400, Code: "InvalidRoute.NotFound", Message: "no route with destination-cidr-block " + dest + " in route table " + id}
		}
		return nil, s.simError(c, err)
	}
	c.targets = []string{id}
	return &returnTrue{Return: true}, nil
}
