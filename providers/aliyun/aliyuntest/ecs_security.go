package aliyuntest

import (
	"strconv"
	"strings"
	"time"

	"github.com/multicloud-ecs/multicloud/providers/sim"
)

// securityGroup is a VPC security group.
type securityGroup struct {
	id, name, description, typ string
	rg                         *region
	vpcID                      string
	tags                       []tag
	created                    int64
	rules                      []sgRule
	instances                  int    // instances using the group
	innerPolicy                string // "" means Accept
}

// sgRule is one ingress rule, normalized.
type sgRule struct {
	proto, portRange, sourceCidr, sourceGroup, policy, nicType, description string
	priority                                                                int
	created                                                                 int64
	id                                                                      string
}

// same reports whether two rules are the same rule (description aside).
func (r sgRule) same(o sgRule) bool {
	return r.proto == o.proto && r.portRange == o.portRange && r.sourceCidr == o.sourceCidr &&
		r.sourceGroup == o.sourceGroup && r.policy == o.policy && r.priority == o.priority && r.nicType == o.nicType
}

const maxRules = 200

var errSGNotFound = errCode(404, "InvalidSecurityGroupId.NotFound", "The specified SecurityGroupId does not exist.")

type createSGResp struct {
	respBase
	SecurityGroupId string `json:"SecurityGroupId"`
}

func (s *Server) createSecurityGroup(c *call) (response, error) {
	vpcIDStr, err := c.p.required("VpcId")
	if err != nil {
		return nil, err
	}
	name := c.p.str("SecurityGroupName")
	if name != "" && !validName(name, 2, 128, ":_-.") {
		return nil, errCode(400, "InvalidSecurityGroupName.Malformed", "The specified SecurityGroupName is not valid.")
	}
	if err := checkDescription(c.p.str("Description")); err != nil {
		return nil, err
	}
	typ := c.p.str("SecurityGroupType")
	switch typ {
	case "":
		typ = "normal"
	case "normal", "enterprise":
	default:
		return nil, errInvalid("SecurityGroupType", typ)
	}
	tags, err := c.p.tags(false)
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
	v := s.view(c.now).vpcIn(c.region, vpcIDStr)
	if v == nil {
		return nil, errCode(404, "InvalidVpcId.NotFound", "Specified virtual private cloud does not exist.")
	}
	if dry {
		return nil, errDryRun
	}
	s.st.sweepAttrs()
	g, err := s.cloud.CreateSecurityGroup(sim.SecurityGroupSpec{Region: c.region.id, VPCID: v.id, Name: name,
		Description: c.p.str("Description"), Tags: tagMap(tags)})
	if err != nil {
		return nil, apiErrorOf(err)
	}
	s.st.sgx[g.ID] = &sgAttrs{typ: typ}
	r := &createSGResp{SecurityGroupId: g.ID}
	storeToken(s.st, c, r)
	return r, nil
}

// parseRule reads one rule from keys prefix+"IpProtocol" etc.
func parseRule(p params, prefix string) (sgRule, error) {
	r := sgRule{
		proto:       strings.ToLower(p.str(prefix + "IpProtocol")),
		portRange:   p.str(prefix + "PortRange"),
		sourceCidr:  p.str(prefix + "SourceCidrIp"),
		sourceGroup: p.str(prefix + "SourceGroupId"),
		policy:      strings.ToLower(p.str(prefix + "Policy")),
		nicType:     p.str(prefix + "NicType"),
		description: p.str(prefix + "Description"),
	}
	switch r.proto {
	case "":
		return r, errMissing(prefix + "IpProtocol")
	case "tcp", "udp":
		if err := checkPortRange(r.portRange, prefix); err != nil {
			return r, err
		}
	case "icmp", "gre", "all", "icmpv6":
		if r.portRange == "" {
			r.portRange = "-1/-1"
		}
		if r.portRange != "-1/-1" {
			return r, errCode(400, "InvalidPortRange.Malformed", "The specified PortRange must be -1/-1 for protocol "+r.proto+".")
		}
	default:
		return r, errCode(400, "InvalidIpProtocol.Malformed", "The specified IpProtocol is not valid; valid values are tcp, udp, icmp, gre and all (case-insensitive).")
	}
	switch r.policy {
	case "":
		r.policy = "accept"
	case "accept", "drop":
	default:
		return r, errCode(400, "InvalidPolicy.Malformed", "The specified Policy is not valid.")
	}
	if r.nicType == "" {
		r.nicType = "intranet"
	}
	n, err := p.intv(prefix+"Priority", 1)
	if err != nil || n < 1 || n > 100 {
		return r, errCode(400, "InvalidPriority.Malformed", "The specified Priority must be 1 to 100.")
	}
	r.priority = n
	if r.sourceCidr == "" && r.sourceGroup == "" && p.str(prefix+"Ipv6SourceCidrIp") == "" && p.str(prefix+"SourcePrefixListId") == "" {
		return r, errMissing(prefix + "SourceCidrIp")
	}
	return r, nil
}

func checkPortRange(pr, prefix string) error {
	bad := errCode(400, "InvalidPortRange.Malformed", "The specified "+prefix+"PortRange is not valid; use start/end within 1-65535.")
	a, b, ok := strings.Cut(pr, "/")
	if !ok {
		return bad
	}
	lo, err1 := strconv.Atoi(a)
	hi, err2 := strconv.Atoi(b)
	if err1 != nil || err2 != nil || lo < 1 || hi > 65535 || lo > hi {
		return bad
	}
	return nil
}

// authorizeSecurityGroup adds ingress rules, either as Permissions.N.* or the
// legacy single-rule parameters (not both). Re-adding a rule succeeds without
// adding it again.
func (s *Server) authorizeSecurityGroup(c *call) (response, error) {
	id, err := c.p.required("SecurityGroupId")
	if err != nil {
		return nil, err
	}
	if c.p.has("Permissions.1.IpProtocol") && c.p.has("IpProtocol") {
		return nil, errCode(400, "InvalidParameter.Conflict", "Permissions.N and the single-rule parameters cannot be used together.")
	}
	rules, err := parsePermissions(c.p)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.view(c.now).sgIn(c.region, id)
	if g == nil {
		return nil, errSGNotFound
	}
	var add []sgRule
	for _, r := range rules {
		dup := false
		for _, have := range append(g.rules, add...) {
			if have.same(r) {
				dup = true
				break
			}
		}
		if !dup {
			add = append(add, r)
		}
	}
	if len(g.rules)+len(add) > maxRules {
		return nil, errCode(400, "QuotaExceed.SecurityGroupRule", "The maximum number of rules in the security group is reached.")
	}
	if err := c.p.dryRun(); err != nil {
		return nil, err
	}
	simRules := make([]sim.Rule, len(add))
	for i, r := range add {
		simRules[i] = simRule(r)
	}
	if _, err := s.cloud.AuthorizeIngress(c.region.id, id, simRules...); err != nil {
		if sim.ClassOf(err) == sim.ClassNotFound {
			return nil, errSGNotFound
		}
		return nil, apiErrorOf(err)
	}
	return &respBase{}, nil
}

type sgJSON struct {
	AvailableInstanceAmount int     `json:"AvailableInstanceAmount"`
	CreationTime            string  `json:"CreationTime"`
	Description             string  `json:"Description"`
	EcsCount                int     `json:"EcsCount"`
	GroupToGroupRuleCount   int     `json:"GroupToGroupRuleCount"`
	ResourceGroupId         string  `json:"ResourceGroupId"`
	RuleCount               int     `json:"RuleCount"`
	SecurityGroupId         string  `json:"SecurityGroupId"`
	SecurityGroupName       string  `json:"SecurityGroupName"`
	SecurityGroupType       string  `json:"SecurityGroupType"`
	ServiceID               int64   `json:"ServiceID"`
	ServiceManaged          bool    `json:"ServiceManaged"`
	Tags                    ecsTags `json:"Tags"`
	VpcId                   string  `json:"VpcId"`
}

// sgCapacity is the number of instances a basic security group can hold
// (private IPs of instances); the documented limit is 2000 for basic groups
// and 65536 for enterprise groups.
func (g *securityGroup) capacity() int {
	if g.typ == "enterprise" {
		return 65536
	}
	return 2000
}

type describeSGsResp struct {
	respBase
	RegionId       string `json:"RegionId"`
	TotalCount     int    `json:"TotalCount"`
	PageNumber     int    `json:"PageNumber"`
	PageSize       int    `json:"PageSize"`
	NextToken      string `json:"NextToken"`
	SecurityGroups struct {
		SecurityGroup []sgJSON `json:"SecurityGroup"`
	} `json:"SecurityGroups"`
}

func (s *Server) describeSecurityGroups(c *call) (response, error) {
	ids, err := c.p.jsonList("SecurityGroupIds", 100)
	if err != nil {
		return nil, err
	}
	if id := c.p.str("SecurityGroupId"); id != "" {
		ids = append(ids, id)
	}
	tokenMode, max, err := c.p.tokenMode(100)
	if err != nil {
		return nil, err
	}
	var pg page
	if !tokenMode {
		if pg, err = c.p.pageParams(50); err != nil {
			return nil, err
		}
	}
	vpcF, name, typ, tags := c.p.str("VpcId"), c.p.str("SecurityGroupName"), c.p.str("SecurityGroupType"), c.p.tagFilter()
	s.mu.RLock()
	defer s.mu.RUnlock()
	keep := func(g *securityGroup) bool {
		return (len(ids) == 0 || contains(ids, g.id)) && (vpcF == "" || g.vpcID == vpcF) &&
			(name == "" || wildcard(name, g.name)) && (typ == "" || g.typ == typ) && matchTags(g.tags, tags)
	}
	var match []*securityGroup
	for _, g := range s.view(c.now).sgsOf(c.region) {
		if keep(g) {
			match = append(match, g)
		}
	}
	r := &describeSGsResp{RegionId: c.region.id, TotalCount: len(match)}
	var out []*securityGroup
	if tokenMode {
		out, r.NextToken = tokenPage(match, sgID, c.p.str("NextToken"), max, nil)
		r.PageSize = max
	} else {
		out = paginate(match, pg)
		r.PageNumber, r.PageSize = pg.number, pg.size
	}
	r.SecurityGroups.SecurityGroup = []sgJSON{}
	for _, g := range out {
		r.SecurityGroups.SecurityGroup = append(r.SecurityGroups.SecurityGroup, sgJSON{
			SecurityGroupId: g.id, SecurityGroupName: g.name, Description: g.description, SecurityGroupType: g.typ,
			VpcId: g.vpcID, CreationTime: formatTimeSec(time.Unix(g.created, 0)), EcsCount: g.instances,
			RuleCount: len(g.rules), Tags: ecsTagsJSON(g.tags), ResourceGroupId: defaultResourceGroupID,
			AvailableInstanceAmount: g.available(), GroupToGroupRuleCount: g.groupRules(),
		})
	}
	return r, nil
}

type permissionJSON struct {
	CreateTime              string `json:"CreateTime"`
	Description             string `json:"Description"`
	DestCidrIp              string `json:"DestCidrIp"`
	DestGroupId             string `json:"DestGroupId"`
	DestGroupName           string `json:"DestGroupName"`
	DestGroupOwnerAccount   string `json:"DestGroupOwnerAccount"`
	DestPrefixListId        string `json:"DestPrefixListId"`
	DestPrefixListName      string `json:"DestPrefixListName"`
	Direction               string `json:"Direction"`
	IpProtocol              string `json:"IpProtocol"`
	Ipv6DestCidrIp          string `json:"Ipv6DestCidrIp"`
	Ipv6SourceCidrIp        string `json:"Ipv6SourceCidrIp"`
	NicType                 string `json:"NicType"`
	Policy                  string `json:"Policy"`
	PortRange               string `json:"PortRange"`
	PortRangeListId         string `json:"PortRangeListId"`
	PortRangeListName       string `json:"PortRangeListName"`
	Priority                string `json:"Priority"`
	SecurityGroupRuleId     string `json:"SecurityGroupRuleId"`
	SourceCidrIp            string `json:"SourceCidrIp"`
	SourceGroupId           string `json:"SourceGroupId"`
	SourceGroupName         string `json:"SourceGroupName"`
	SourceGroupOwnerAccount string `json:"SourceGroupOwnerAccount"`
	SourcePortRange         string `json:"SourcePortRange"`
	SourcePrefixListId      string `json:"SourcePrefixListId"`
	SourcePrefixListName    string `json:"SourcePrefixListName"`
}

type describeSGAttrResp struct {
	respBase
	Description       string `json:"Description"`
	InnerAccessPolicy string `json:"InnerAccessPolicy"`
	NextToken         string `json:"NextToken"`
	Permissions       struct {
		Permission []permissionJSON `json:"Permission"`
	} `json:"Permissions"`
	RegionId          string `json:"RegionId"`
	SecurityGroupId   string `json:"SecurityGroupId"`
	SecurityGroupName string `json:"SecurityGroupName"`
	SnapshotPolicyIds struct {
		SnapshotPolicyId []string `json:"SnapshotPolicyId"`
	} `json:"SnapshotPolicyIds"`
	VpcId string `json:"VpcId"`
}

func (s *Server) describeSecurityGroupAttribute(c *call) (response, error) {
	id, err := c.p.required("SecurityGroupId")
	if err != nil {
		return nil, err
	}
	dir := c.p.str("Direction")
	s.mu.RLock()
	defer s.mu.RUnlock()
	st := s.view(c.now)
	g := st.sgIn(c.region, id)
	if g == nil {
		return nil, errSGNotFound
	}
	r := &describeSGAttrResp{SecurityGroupId: g.id, SecurityGroupName: g.name, Description: g.description,
		VpcId: g.vpcID, RegionId: g.rg.id, InnerAccessPolicy: g.innerAccessPolicy()}
	r.Permissions.Permission = []permissionJSON{}
	r.SnapshotPolicyIds.SnapshotPolicyId = []string{}
	if dir == "egress" {
		return r, nil
	}
	for _, rule := range g.rules {
		r.Permissions.Permission = append(r.Permissions.Permission, permissionJSON{
			SecurityGroupRuleId: rule.id, Direction: "ingress", IpProtocol: strings.ToUpper(rule.proto), PortRange: rule.portRange,
			SourceCidrIp: rule.sourceCidr, SourceGroupId: rule.sourceGroup, Policy: strings.ToUpper(rule.policy[:1]) + rule.policy[1:],
			Priority: strconv.Itoa(rule.priority), NicType: rule.nicType, Description: rule.description,
			CreateTime: formatTimeSec(time.Unix(rule.created, 0)), SourceGroupName: st.sgName(c.region, rule.sourceGroup),
		})
	}
	return r, nil
}

func (s *Server) deleteSecurityGroup(c *call) (response, error) {
	id, err := c.p.required("SecurityGroupId")
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.view(c.now).sgIn(c.region, id)
	if g == nil {
		return nil, errSGNotFound
	}
	if g.instances > 0 {
		return nil, errCode(403, "DependencyViolation", "There is still instance(s) in the specified security group.")
	}
	switch err := s.cloud.DeleteSecurityGroup(c.region.id, id); sim.ClassOf(err) {
	case "":
	case sim.ClassNotFound:
		return nil, errSGNotFound
	case sim.ClassDependencyViolation:
		// Another group's rule names this one (code not confirmed).
		return nil, errCode(403, "DependencyViolation", "The specified security group is referenced by a rule of another security group.")
	default:
		return nil, apiErrorOf(err)
	}
	delete(s.st.sgx, id)
	return &respBase{}, nil
}

// parsePermissions reads the rules of an Authorize or Revoke call: the
// Permissions.N.* list when Permissions.1.IpProtocol is set, else the
// single rule of the top-level parameters.
func parsePermissions(p params) ([]sgRule, error) {
	if !p.has("Permissions.1.IpProtocol") {
		r, err := parseRule(p, "")
		if err != nil {
			return nil, err
		}
		return []sgRule{r}, nil
	}
	var rules []sgRule
	for i := 1; p.has("Permissions." + strconv.Itoa(i) + ".IpProtocol"); i++ {
		r, err := parseRule(p, "Permissions."+strconv.Itoa(i)+".")
		if err != nil {
			return nil, err
		}
		rules = append(rules, r)
	}
	return rules, nil
}
