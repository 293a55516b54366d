package aliyuntest

import (
	"net/netip"
	"time"

	"github.com/multicloud-ecs/multicloud/providers/sim"
)

// vpc is a VPC; its lifecycle is Pending then Available.
type vpc struct {
	id, name, description string
	rg                    *region
	cidr                  netip.Prefix
	tags                  []tag
	created               int64
	life                  lifecycle
	vswitches             []*vswitch
	sgs                   int // security groups in the VPC
	vrouter, routeTable   string
}

// vswitch is a vSwitch; its lifecycle is Pending then Available.
type vswitch struct {
	id, name, description, zone string
	vpc                         *vpc
	cidr                        netip.Prefix
	tags                        []tag
	created                     int64
	life                        lifecycle
	used                        int    // instances attached
	allocated                   uint32 // addresses handed out, never reused
}

// capacity is the number of usable addresses: the first and last three are reserved.
func (v *vswitch) capacity() int { return 1<<(32-v.cidr.Bits()) - 6 }

func (v *vswitch) freeIPs() int { return v.capacity() - int(v.allocated) }

type vpcTagJSON struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

type vpcTags struct {
	Tag []vpcTagJSON `json:"Tag"`
}

func vpcTagsJSON(ts []tag) vpcTags {
	out := vpcTags{Tag: make([]vpcTagJSON, len(ts))}
	for i, t := range ts {
		out.Tag[i] = vpcTagJSON(t)
	}
	return out
}

var (
	errVpcNotFound       = errCode(404, "InvalidVpcID.NotFound", "Specified VPC does not exist.")
	errVSwitchNotFound   = errCode(404, "InvalidVSwitchId.NotFound", "Specified virtual switch does not exist.")
	errIncorrectVpcState = errCode(400, "IncorrectVpcStatus", "Current VPC status does not support this operation.")
)

type createVpcResp struct {
	respBase
	VpcId           string `json:"VpcId"`
	VRouterId       string `json:"VRouterId"`
	RouteTableId    string `json:"RouteTableId"`
	ResourceGroupId string `json:"ResourceGroupId"`
}

func checkVPCName(p params, key string) error {
	if n := p.str(key); n != "" && !validName(n, 1, 128, "._-") {
		return errCode(400, "InvalidVpcName.Malformed", "The specified "+key+" is not valid.")
	}
	return checkDescription(p.str("Description"))
}

func (s *Server) createVpc(c *call) (response, error) {
	cidrStr := c.p.str("CidrBlock")
	if cidrStr == "" {
		cidrStr = "172.16.0.0/12"
	}
	cidr, err := checkVPCCIDR(cidrStr)
	if err != nil {
		return nil, err
	}
	if err := checkVPCName(c.p, "VpcName"); err != nil {
		return nil, err
	}
	tags, err := c.p.tags(true)
	if err != nil {
		return nil, err
	}
	dry, err := c.p.boolv("DryRun")
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if prev, err := s.st.claimToken(c); err != nil || prev != nil {
		return prev, err
	}
	errQuota := errCode(400, "QuotaExceeded.Vpc", "VPC quota exceeded.")
	if q := s.cloud.Quota(c.region.id, sim.QuotaVPCs); q != sim.Unlimited && s.cloud.Usage(c.region.id, sim.QuotaVPCs) >= q {
		return nil, errQuota
	}
	if dry {
		return nil, errDryRun
	}
	s.st.sweepAttrs()
	sv, err := s.cloud.CreateVPC(sim.VPCSpec{Region: c.region.id, CIDR: cidr, Name: c.p.str("VpcName"),
		Description: c.p.str("Description"), Tags: tagMap(tags)})
	switch sim.ClassOf(err) {
	case "":
	case sim.ClassQuotaExceeded:
		return nil, errQuota
	default:
		return nil, apiErrorOf(err)
	}
	a := &vpcAttrs{vrouter: s.st.newID("vrt", c.region), routeTable: s.st.newID("vtb", c.region)}
	s.st.vpcx[sv.ID] = a
	r := &createVpcResp{VpcId: sv.ID, VRouterId: a.vrouter, RouteTableId: a.routeTable, ResourceGroupId: "rg-acfm" + sv.ID[min(4, len(sv.ID)):]}
	storeToken(s.st, c, r)
	return r, nil
}

type vpcJSON struct {
	CenStatus            string         `json:"CenStatus"`
	CidrBlock            string         `json:"CidrBlock"`
	CreationTime         string         `json:"CreationTime"`
	Description          string         `json:"Description"`
	DhcpOptionsSetId     string         `json:"DhcpOptionsSetId"`
	DhcpOptionsSetStatus string         `json:"DhcpOptionsSetStatus"`
	DnsHostnameStatus    string         `json:"DnsHostnameStatus"`
	EnabledIpv6          bool           `json:"EnabledIpv6"`
	Ipv6CidrBlock        string         `json:"Ipv6CidrBlock"`
	Ipv6CidrBlocks       ipv6CidrBlocks `json:"Ipv6CidrBlocks"`
	IsDefault            bool           `json:"IsDefault"`
	NatGatewayIds        struct {
		NatGatewayIds []string `json:"NatGatewayIds"`
	} `json:"NatGatewayIds"`
	OwnerId         int64  `json:"OwnerId"`
	RegionId        string `json:"RegionId"`
	ResourceGroupId string `json:"ResourceGroupId"`
	RouterTableIds  struct {
		RouterTableIds []string `json:"RouterTableIds"`
	} `json:"RouterTableIds"`
	SecondaryCidrBlocks struct {
		SecondaryCidrBlock []string `json:"SecondaryCidrBlock"`
	} `json:"SecondaryCidrBlocks"`
	Status    string  `json:"Status"`
	Tags      vpcTags `json:"Tags"`
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

type ipv6CidrBlocks struct {
	Ipv6CidrBlock []ipv6CidrJSON `json:"Ipv6CidrBlock"`
}

type describeVpcsResp struct {
	respBase
	TotalCount int `json:"TotalCount"`
	PageNumber int `json:"PageNumber"`
	PageSize   int `json:"PageSize"`
	Vpcs       struct {
		Vpc []vpcJSON `json:"Vpc"`
	} `json:"Vpcs"`
}

// ownerID is the account ID reported on resources.
const ownerID = 1234567890123456

func (s *Server) describeVpcs(c *call) (response, error) {
	pg, err := c.p.pageParams(50)
	if err != nil {
		return nil, err
	}
	ids := c.p.commaList("VpcId")
	if len(ids) > 20 {
		return nil, errInvalid("VpcId", c.p.str("VpcId"))
	}
	name, tags := c.p.str("VpcName"), c.p.tagFilter()
	s.mu.RLock()
	defer s.mu.RUnlock()
	var match []*vpc
	for _, v := range s.view(c.now).vpcsOf(c.region) {
		if (len(ids) == 0 || contains(ids, v.id)) && (name == "" || v.name == name) && matchTags(v.tags, tags) {
			match = append(match, v)
		}
	}
	r := &describeVpcsResp{TotalCount: len(match), PageNumber: pg.number, PageSize: pg.size}
	d := s.delay()
	r.Vpcs.Vpc = []vpcJSON{}
	for _, v := range paginate(match, pg) {
		j := vpcJSON{VpcId: v.id, VpcName: v.name, Status: netPhase(v.life, c.now, d), CidrBlock: v.cidr.String(),
			Description: v.description, RegionId: v.rg.id, VRouterId: v.vrouter, CreationTime: formatTimeSec(time.Unix(v.created, 0)),
			ResourceGroupId: "rg-acfm" + v.id[4:], OwnerId: ownerID, Tags: vpcTagsJSON(v.tags), CenStatus: "Detached",
			DnsHostnameStatus: "DISABLED"}
		j.Ipv6CidrBlocks.Ipv6CidrBlock = []ipv6CidrJSON{}
		j.NatGatewayIds.NatGatewayIds = []string{}
		j.SecondaryCidrBlocks.SecondaryCidrBlock = []string{}
		j.UserCidrs.UserCidr = []string{}
		j.VSwitchIds.VSwitchId = []string{}
		for _, w := range v.vswitches {
			j.VSwitchIds.VSwitchId = append(j.VSwitchIds.VSwitchId, w.id)
		}
		j.RouterTableIds.RouterTableIds = []string{v.routeTable}
		r.Vpcs.Vpc = append(r.Vpcs.Vpc, j)
	}
	return r, nil
}

func (s *Server) deleteVpc(c *call) (response, error) {
	id, err := c.p.required("VpcId")
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.view(c.now)
	v := st.vpcIn(c.region, id)
	if v == nil {
		return nil, errVpcNotFound
	}
	if netPhase(v.life, c.now, st.d) != "Available" {
		return nil, errIncorrectVpcState
	}
	errDeps := errCode(400, "DependencyViolation", "Specified VPC has dependent resources (vSwitches or security groups).")
	if len(v.vswitches) > 0 || v.sgs > 0 {
		return nil, errDeps
	}
	if err := c.p.dryRun(); err != nil {
		return nil, err
	}
	switch err := s.cloud.DeleteVPC(c.region.id, id); sim.ClassOf(err) {
	case "":
	case sim.ClassNotFound:
		return nil, errVpcNotFound
	case sim.ClassIncorrectState:
		return nil, errIncorrectVpcState
	case sim.ClassDependencyViolation:
		return nil, errDeps
	default:
		return nil, apiErrorOf(err)
	}
	delete(s.st.vpcx, id)
	return &respBase{}, nil
}

type createVSwitchResp struct {
	respBase
	VSwitchId string `json:"VSwitchId"`
}

func (s *Server) createVSwitch(c *call) (response, error) {
	vpcIDStr, err := c.p.required("VpcId")
	if err != nil {
		return nil, err
	}
	zone, err := c.p.required("ZoneId")
	if err != nil {
		return nil, err
	}
	cidrStr, err := c.p.required("CidrBlock")
	if err != nil {
		return nil, err
	}
	cidr, perr := netip.ParsePrefix(cidrStr)
	if perr != nil || !cidr.Addr().Is4() || cidr.Masked() != cidr || cidr.Bits() < 16 || cidr.Bits() > 29 {
		return nil, errCode(400, "InvalidCidrBlock.Malformed", "Specified CIDR block is not valid.")
	}
	if err := checkVPCName(c.p, "VSwitchName"); err != nil {
		return nil, err
	}
	tags, err := c.p.tags(true)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if prev, err := s.st.claimToken(c); err != nil || prev != nil {
		return prev, err
	}
	st := s.view(c.now)
	v := st.vpcIn(c.region, vpcIDStr)
	if v == nil {
		return nil, errVpcNotFound
	}
	if netPhase(v.life, c.now, st.d) != "Available" {
		return nil, errIncorrectVpcState
	}
	if !c.region.hasZone(zone) {
		return nil, errCode(404, "InvalidZoneId.NotFound", "The specified ZoneId does not exist.")
	}
	if !prefixContains(v.cidr, cidr) {
		// Code not confirmed by the reference.
		return nil, errCode(400, "InvalidCidrBlock.Mismatch", "Specified CIDR block is not in the CIDR block of the VPC.")
	}
	for _, w := range v.vswitches {
		if w.cidr.Overlaps(cidr) {
			return nil, errCode(400, "InvalidCidrBlock.Overlapped", "Specified CIDR block overlapped with other subnets.")
		}
	}
	if len(v.vswitches) >= 150 {
		return nil, errCode(400, "QuotaExceeded.VSwitch", "The number of vSwitches in the VPC exceeds the quota.")
	}
	w, err := s.cloud.CreateSubnet(sim.SubnetSpec{Region: c.region.id, VPCID: v.id, Zone: zone, CIDR: cidr,
		Name: c.p.str("VSwitchName"), Description: c.p.str("Description"), Tags: tagMap(tags)})
	switch sim.ClassOf(err) {
	case "":
	case sim.ClassConflict:
		return nil, errCode(400, "InvalidCidrBlock.Overlapped", "Specified CIDR block overlapped with other subnets.")
	case sim.ClassIncorrectState:
		return nil, errIncorrectVpcState
	case sim.ClassNotFound:
		return nil, errVpcNotFound
	default:
		return nil, apiErrorOf(err)
	}
	r := &createVSwitchResp{VSwitchId: w.ID}
	storeToken(s.st, c, r)
	return r, nil
}

type vswitchJSON struct {
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
	ShareType   string  `json:"ShareType"`
	Status      string  `json:"Status"`
	Tags        vpcTags `json:"Tags"`
	VSwitchId   string  `json:"VSwitchId"`
	VSwitchName string  `json:"VSwitchName"`
	VpcId       string  `json:"VpcId"`
	ZoneId      string  `json:"ZoneId"`
}

type describeVSwitchesResp struct {
	respBase
	TotalCount int `json:"TotalCount"`
	PageNumber int `json:"PageNumber"`
	PageSize   int `json:"PageSize"`
	VSwitches  struct {
		VSwitch []vswitchJSON `json:"VSwitch"`
	} `json:"VSwitches"`
}

// describeVSwitches allows PageSize up to 50 by default; the reference
// believes that is the maximum but has not confirmed it (WithVSwitchPageSizeMax).
func (s *Server) describeVSwitches(c *call) (response, error) {
	pg, err := c.p.pageParams(s.quirks.vswitchPageMax)
	if err != nil {
		return nil, err
	}
	vpcF, ids, zone, name, tags := c.p.str("VpcId"), c.p.commaList("VSwitchId"), c.p.str("ZoneId"), c.p.str("VSwitchName"), c.p.tagFilter()
	s.mu.RLock()
	defer s.mu.RUnlock()
	var match []*vswitch
	d := s.delay()
	for _, w := range s.view(c.now).vswitchesOf(c.region) {
		if (vpcF == "" || w.vpc.id == vpcF) && (len(ids) == 0 || contains(ids, w.id)) && (zone == "" || w.zone == zone) &&
			(name == "" || w.name == name) && matchTags(w.tags, tags) {
			match = append(match, w)
		}
	}
	r := &describeVSwitchesResp{TotalCount: len(match), PageNumber: pg.number, PageSize: pg.size}
	r.VSwitches.VSwitch = []vswitchJSON{}
	for _, w := range paginate(match, pg) {
		j := vswitchJSON{
			VSwitchId: w.id, VpcId: w.vpc.id, ZoneId: w.zone, CidrBlock: w.cidr.String(), Status: netPhase(w.life, c.now, d),
			VSwitchName: w.name, Description: w.description, AvailableIpAddressCount: int64(w.capacity() - w.used),
			CreationTime: formatTimeSec(time.Unix(w.created, 0)), OwnerId: ownerID, Tags: vpcTagsJSON(w.tags),
			ResourceGroupId: "rg-acfm" + w.vpc.id[4:],
		}
		j.RouteTable.RouteTableId, j.RouteTable.RouteTableType = w.vpc.routeTable, "System"
		r.VSwitches.VSwitch = append(r.VSwitches.VSwitch, j)
	}
	return r, nil
}

func (s *Server) deleteVSwitch(c *call) (response, error) {
	id, err := c.p.required("VSwitchId")
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.view(c.now)
	w := st.vswitchIn(c.region, id)
	if w == nil {
		return nil, errVSwitchNotFound
	}
	errState := errCode(400, "IncorrectVSwitchStatus", "The current status of the vSwitch does not support this operation.")
	if netPhase(w.life, c.now, st.d) != "Available" {
		return nil, errState
	}
	errDeps := errCode(400, "DependencyViolation", "Specified vSwitch has dependent instances.")
	if w.used > 0 {
		return nil, errDeps
	}
	switch err := s.cloud.DeleteSubnet(c.region.id, id); sim.ClassOf(err) {
	case "":
	case sim.ClassNotFound:
		return nil, errVSwitchNotFound
	case sim.ClassIncorrectState:
		return nil, errState
	case sim.ClassDependencyViolation:
		return nil, errDeps
	default:
		return nil, apiErrorOf(err)
	}
	return &respBase{}, nil
}
