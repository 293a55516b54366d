package aliyuntest

import (
	"time"

	"github.com/multicloud-ecs/multicloud/providers/sim"
)

// This file serves the VPC read-back actions infrastructure tools call after
// creating a network: DescribeVpcAttribute, DescribeVSwitchAttributes and
// DescribeRouteTableList, and the attribute updates ModifyVpcAttribute and
// ModifyVSwitchAttribute.

type vpcAttrTagJSON struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

type describeVpcAttributeResp struct {
	respBase
	AssociatedCens struct {
		AssociatedCen []associatedCenJSON `json:"AssociatedCen"`
	} `json:"AssociatedCens"`
	AssociatedPropagationSources struct {
		AssociatedPropagationSources []propagationSourceJSON `json:"AssociatedPropagationSources"`
	} `json:"AssociatedPropagationSources"`
	CidrBlock          string `json:"CidrBlock"`
	ClassicLinkEnabled bool   `json:"ClassicLinkEnabled"`
	CloudResources     struct {
		CloudResourceSetType []cloudResourceJSON `json:"CloudResourceSetType"`
	} `json:"CloudResources"`
	CreationTime         string         `json:"CreationTime"`
	Description          string         `json:"Description"`
	DhcpOptionsSetId     string         `json:"DhcpOptionsSetId"`
	DhcpOptionsSetStatus string         `json:"DhcpOptionsSetStatus"`
	DnsHostnameStatus    string         `json:"DnsHostnameStatus"`
	EnabledIpv6          bool           `json:"EnabledIpv6"`
	Ipv4GatewayId        string         `json:"Ipv4GatewayId"`
	Ipv6CidrBlock        string         `json:"Ipv6CidrBlock"`
	Ipv6CidrBlocks       ipv6CidrBlocks `json:"Ipv6CidrBlocks"`
	IsDefault            bool           `json:"IsDefault"`
	OwnerId              int64          `json:"OwnerId"`
	RegionId             string         `json:"RegionId"`
	ResourceGroupId      string         `json:"ResourceGroupId"`
	SecondaryCidrBlocks  struct {
		SecondaryCidrBlock []string `json:"SecondaryCidrBlock"`
	} `json:"SecondaryCidrBlocks"`
	Status             string `json:"Status"`
	SupportIpv4Gateway bool   `json:"SupportIpv4Gateway"`
	Tags               struct {
		Tag []vpcAttrTagJSON `json:"Tag"`
	} `json:"Tags"`
	UserCidrs struct {
		UserCidr []string `json:"UserCidr"`
	} `json:"UserCidrs"`
	VRouterId  string `json:"VRouterId"`
	VSwitchIds struct {
		VSwitchId []string `json:"VSwitchId"`
	} `json:"VSwitchIds"`
	VpcId   string `json:"VpcId"`
	VpcName string `json:"VpcName"`
}

type associatedCenJSON struct {
	CenId      string `json:"CenId"`
	CenOwnerId int64  `json:"CenOwnerId"`
	CenStatus  string `json:"CenStatus"`
}

type propagationSourceJSON struct {
	RoutePropagated  bool   `json:"RoutePropagated"`
	SourceInstanceId string `json:"SourceInstanceId"`
	SourceOwnerId    int64  `json:"SourceOwnerId"`
	SourceType       string `json:"SourceType"`
	Status           string `json:"Status"`
}

type ipv6CidrJSON struct {
	Ipv6CidrBlock string `json:"Ipv6CidrBlock"`
	Ipv6Isp       string `json:"Ipv6Isp"`
}

type cloudResourceJSON struct {
	ResourceCount int    `json:"ResourceCount"`
	ResourceType  string `json:"ResourceType"`
}

func vpcAttrTags(ts []tag) []vpcAttrTagJSON {
	out := make([]vpcAttrTagJSON, len(ts))
	for i, t := range ts {
		out[i] = vpcAttrTagJSON(t)
	}
	return out
}

// describeVpcAttribute reads one VPC. An unknown VPC fails with
// InvalidVpcID.NotFound as DeleteVpc does (code and status not confirmed
// for this action).
func (s *Server) describeVpcAttribute(c *call) (response, error) {
	id, err := c.p.required("VpcId")
	if err != nil {
		return nil, err
	}
	if err := c.p.dryRun(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	v := s.view(c.now).vpcIn(c.region, id)
	if v == nil {
		return nil, errVpcNotFound
	}
	r := &describeVpcAttributeResp{CidrBlock: v.cidr.String(), CreationTime: formatTimeSec(time.Unix(v.created, 0)),
		Description: v.description, DnsHostnameStatus: "DISABLED", OwnerId: ownerID, RegionId: v.rg.id,
		ResourceGroupId: "rg-acfm" + v.id[4:], Status: netPhase(v.life, c.now, s.delay()), VRouterId: v.vrouter,
		VpcId: v.id, VpcName: v.name}
	r.AssociatedCens.AssociatedCen = []associatedCenJSON{}
	r.AssociatedPropagationSources.AssociatedPropagationSources = []propagationSourceJSON{}
	r.Ipv6CidrBlocks.Ipv6CidrBlock = []ipv6CidrJSON{}
	r.SecondaryCidrBlocks.SecondaryCidrBlock = []string{}
	r.UserCidrs.UserCidr = []string{}
	r.Tags.Tag = vpcAttrTags(v.tags)
	r.VSwitchIds.VSwitchId = []string{}
	for _, w := range v.vswitches {
		r.VSwitchIds.VSwitchId = append(r.VSwitchIds.VSwitchId, w.id)
	}
	r.CloudResources.CloudResourceSetType = []cloudResourceJSON{}
	if n := len(v.vswitches); n > 0 {
		r.CloudResources.CloudResourceSetType = append(r.CloudResources.CloudResourceSetType, cloudResourceJSON{ResourceCount: n, ResourceType: "VSwitch"})
	}
	if v.sgs > 0 {
		r.CloudResources.CloudResourceSetType = append(r.CloudResources.CloudResourceSetType, cloudResourceJSON{ResourceCount: v.sgs, ResourceType: "SecurityGroup"})
	}
	return r, nil
}

type describeVSwitchAttributesResp struct {
	respBase
	AvailableIpAddressCount int64  `json:"AvailableIpAddressCount"`
	CidrBlock               string `json:"CidrBlock"`
	CreationTime            string `json:"CreationTime"`
	Description             string `json:"Description"`
	EnabledIpv6             bool   `json:"EnabledIpv6"`
	Ipv6CidrBlock           string `json:"Ipv6CidrBlock"`
	IsDefault               bool   `json:"IsDefault"`
	NetworkAclId            string `json:"NetworkAclId"`
	OwnerId                 int64  `json:"OwnerId"`
	ResourceGroupId         string `json:"ResourceGroupId"`
	RouteTable              struct {
		RouteTableId   string `json:"RouteTableId"`
		RouteTableType string `json:"RouteTableType"`
	} `json:"RouteTable"`
	ShareType string `json:"ShareType"`
	Status    string `json:"Status"`
	Tags      struct {
		Tag []vpcAttrTagJSON `json:"Tag"`
	} `json:"Tags"`
	VSwitchId   string `json:"VSwitchId"`
	VSwitchName string `json:"VSwitchName"`
	VpcId       string `json:"VpcId"`
	ZoneId      string `json:"ZoneId"`
}

// describeVSwitchAttributes reads one vSwitch. For an unknown vSwitch it
// answers success with empty attributes, which is how clients written
// against the service detect a deleted vSwitch (an empty VSwitchId); the
// reference does not confirm it.
func (s *Server) describeVSwitchAttributes(c *call) (response, error) {
	id, err := c.p.required("VSwitchId")
	if err != nil {
		return nil, err
	}
	if err := c.p.dryRun(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	r := &describeVSwitchAttributesResp{}
	r.Tags.Tag = []vpcAttrTagJSON{}
	w := s.view(c.now).vswitchIn(c.region, id)
	if w == nil {
		return r, nil
	}
	r.AvailableIpAddressCount = int64(w.capacity() - w.used)
	r.CidrBlock = w.cidr.String()
	r.CreationTime = formatTimeSec(time.Unix(w.created, 0))
	r.Description = w.description
	r.OwnerId = ownerID
	r.ResourceGroupId = "rg-acfm" + w.vpc.id[4:]
	r.RouteTable.RouteTableId = w.vpc.routeTable
	r.RouteTable.RouteTableType = "System"
	r.Status = netPhase(w.life, c.now, s.delay())
	r.Tags.Tag = vpcAttrTags(w.tags)
	r.VSwitchId, r.VSwitchName, r.VpcId, r.ZoneId = w.id, w.name, w.vpc.id, w.zone
	return r, nil
}

type routeTableJSON struct {
	AssociateType string `json:"AssociateType"`
	CreationTime  string `json:"CreationTime"`
	Description   string `json:"Description"`
	GatewayIds    struct {
		GatewayIds []string `json:"GatewayIds"`
	} `json:"GatewayIds"`
	OwnerId                int64  `json:"OwnerId"`
	ResourceGroupId        string `json:"ResourceGroupId"`
	RoutePropagationEnable bool   `json:"RoutePropagationEnable"`
	RouteTableId           string `json:"RouteTableId"`
	RouteTableName         string `json:"RouteTableName"`
	RouteTableType         string `json:"RouteTableType"`
	RouterId               string `json:"RouterId"`
	RouterType             string `json:"RouterType"`
	Status                 string `json:"Status"`
	Tags                   struct {
		Tag []vpcAttrTagJSON `json:"Tag"`
	} `json:"Tags"`
	VSwitchIds struct {
		VSwitchId []string `json:"VSwitchId"`
	} `json:"VSwitchIds"`
	VpcId string `json:"VpcId"`
}

type describeRouteTableListResp struct {
	respBase
	PageNumber      int `json:"PageNumber"`
	PageSize        int `json:"PageSize"`
	RouterTableList struct {
		RouterTableListType []routeTableJSON `json:"RouterTableListType"`
	} `json:"RouterTableList"`
	TotalCount int `json:"TotalCount"`
}

// describeRouteTableList answers without the Success, Code and Message
// fields the v1 SDK struct has: the per-action response table does not list
// them (not confirmed against a live call).
//
// It lists the system route table of each VPC (the
// emulator creates no custom route tables), filtered by VpcId, RouterId,
// RouterType, RouteTableId, RouteTableType and RouteTableName.
func (s *Server) describeRouteTableList(c *call) (response, error) {
	pg, err := c.p.pageParams(50)
	if err != nil {
		return nil, err
	}
	vpcF, vrtF, idF, typF, nameF := c.p.str("VpcId"), c.p.str("RouterId"), c.p.str("RouteTableId"), c.p.str("RouteTableType"), c.p.str("RouteTableName")
	if rt := c.p.str("RouterType"); rt != "" && rt != "VRouter" {
		vpcF = "\x00" // only VPC routers exist here
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var match []*vpc
	for _, v := range s.view(c.now).vpcsOf(c.region) {
		if (vpcF == "" || v.id == vpcF) && (vrtF == "" || v.vrouter == vrtF) && (idF == "" || v.routeTable == idF) &&
			(typF == "" || typF == "System") && nameF == "" {
			match = append(match, v)
		}
	}
	r := &describeRouteTableListResp{PageNumber: pg.number, PageSize: pg.size, TotalCount: len(match)}
	r.RouterTableList.RouterTableListType = []routeTableJSON{}
	for _, v := range paginate(match, pg) {
		j := routeTableJSON{AssociateType: "VSwitch", CreationTime: formatTimeSec(time.Unix(v.created, 0)), OwnerId: ownerID,
			ResourceGroupId: "rg-acfm" + v.id[4:], RouteTableId: v.routeTable, RouteTableType: "System",
			RouterId: v.vrouter, RouterType: "VRouter", Status: "Available", VpcId: v.id}
		j.GatewayIds.GatewayIds = []string{}
		j.Tags.Tag = []vpcAttrTagJSON{}
		j.VSwitchIds.VSwitchId = []string{}
		for _, w := range v.vswitches {
			j.VSwitchIds.VSwitchId = append(j.VSwitchIds.VSwitchId, w.id)
		}
		r.RouterTableList.RouterTableListType = append(r.RouterTableList.RouterTableListType, j)
	}
	return r, nil
}

// modifyVpcAttribute changes VpcName and Description.
func (s *Server) modifyVpcAttribute(c *call) (response, error) {
	id, err := c.p.required("VpcId")
	if err != nil {
		return nil, err
	}
	if err := checkVPCName(c.p, "VpcName"); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err = s.cloud.UpdateVPC(c.region.id, id, func(v *sim.VPC) error {
		if c.p.has("VpcName") {
			v.Name = c.p.str("VpcName")
		}
		if c.p.has("Description") {
			v.Description = c.p.str("Description")
		}
		return nil
	})
	if err != nil {
		return nil, errVpcNotFound
	}
	return &respBase{}, nil
}

// modifyVSwitchAttribute changes VSwitchName and Description.
func (s *Server) modifyVSwitchAttribute(c *call) (response, error) {
	id, err := c.p.required("VSwitchId")
	if err != nil {
		return nil, err
	}
	if err := checkVPCName(c.p, "VSwitchName"); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err = s.cloud.UpdateSubnet(c.region.id, id, func(w *sim.Subnet) error {
		if c.p.has("VSwitchName") {
			w.Name = c.p.str("VSwitchName")
		}
		if c.p.has("Description") {
			w.Description = c.p.str("Description")
		}
		return nil
	})
	if err != nil {
		return nil, errVSwitchNotFound
	}
	return &respBase{}, nil
}
