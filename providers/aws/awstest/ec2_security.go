package awstest

import (
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/multicloud-ecs/multicloud/providers/sim"
)

// Default quotas of the Amazon VPC quotas page: security groups per Region
// 2,500 and inbound rules per security group 60 (both adjustable; counted
// here per rule source, as AWS counts each CIDR or group of a permission).
const (
	maxGroupsPerRegion = 2500
	maxRulesPerGroup   = 60
)

type createSecurityGroupResponse struct {
	ec2Meta
	Return           bool     `xml:"return"`
	GroupID          string   `xml:"groupId"`
	TagSet           set[Tag] `xml:"tagSet"`
	SecurityGroupArn string   `xml:"securityGroupArn"`
}

// createSecurityGroup creates a group in a VPC. There is no default VPC in
// the emulator, so a group without VpcId is VPCIdNotSpecified.
func (s *Server) createSecurityGroup(c *call) (withRequestID, *apiError) {
	name, desc, vpcID := c.params.str("GroupName"), c.params.str("GroupDescription"), c.params.str("VpcId")
	if name == "" {
		return nil, errMissingParameter("GroupName")
	}
	if desc == "" {
		return nil, errMissingParameter("GroupDescription")
	}
	if len(name) > 255 || len(desc) > 255 || strings.HasPrefix(name, "sg-") {
		return nil, errInvalidParameterValue("Invalid group name or description")
	}
	if strings.EqualFold(name, "default") {
		return nil, &apiError{Status: 400, Code: "InvalidGroup.Reserved", Message: "The security group 'default' is reserved"}
	}
	if vpcID == "" {
		return nil, &apiError{Status: 400, Code: "VPCIdNotSpecified", Message: "No default VPC for this user"}
	}
	specs, e := c.params.tagSpecs("security-group")
	if e != nil {
		return nil, e
	}
	if _, err := s.cloud.GetVPC(c.region, vpcID); err != nil || !s.owns(c, vpcID) {
		return nil, errNotFound(sim.KindVPC, vpcID)
	}
	if n := len(s.cloud.SecurityGroups(c.region, "")); n >= maxGroupsPerRegion {
		return nil, &apiError{Status: 400, Code: "SecurityGroupLimitExceeded", Message: "The maximum number of security groups has been reached."}
	}
	for _, g := range s.cloud.SecurityGroups(c.region, vpcID) {
		if g.Name == name {
			return nil, &apiError{Status: 400, Code: "InvalidGroup.Duplicate", Message: "The security group '" + name + "' already exists for VPC '" + vpcID + "'"}
		}
	}
	g, err := s.cloud.CreateSecurityGroup(sim.SecurityGroupSpec{Region: c.region, VPCID: vpcID, Name: name, Description: desc, Tags: tagMap(specs["security-group"])})
	if err != nil {
		return nil, s.simError(c, err)
	}
	s.own(c, g.ID)
	c.targets, c.resourceType = []string{g.ID}, "AWS::EC2::SecurityGroup"
	return &createSecurityGroupResponse{Return: true, GroupID: g.ID, TagSet: newSet(tagList(g.Tags)),
		SecurityGroupArn: "arn:aws:ec2:" + c.region + ":" + c.account.ID + ":security-group/" + g.ID}, nil
}

func (s *Server) getGroup(c *call, id string) (sim.SecurityGroup, *apiError) {
	if id == "" {
		return sim.SecurityGroup{}, errMissingParameter("GroupId")
	}
	g, err := s.cloud.GetSecurityGroup(c.region, id)
	if err != nil || !s.owns(c, id) {
		return sim.SecurityGroup{}, errNotFound(sim.KindSecurityGroup, id)
	}
	return g, nil
}

// protocols maps EC2's IpProtocol (name or number) to the model's.
func ruleProtocol(p string) (string, bool) {
	switch strings.ToLower(p) {
	case "tcp", "6":
		return "tcp", true
	case "udp", "17":
		return "udp", true
	case "icmp", "1":
		return "icmp", true
	case "-1", "all":
		return "all", true
	}
	return "", false
}

func ec2Protocol(p string) string {
	if p == "all" {
		return "-1"
	}
	return p
}

// ingressRules reads IpPermissions.N (or the legacy top-level CidrIp,
// IpProtocol, FromPort, ToPort) into the model's rules: one per source.
func ingressRules(c *call) ([]sim.Rule, *apiError) {
	type perm struct {
		p    params
		root bool
	}
	var perms []perm
	for _, n := range c.params.indexes("IpPermissions") {
		perms = append(perms, perm{p: c.params.sub("IpPermissions", n)})
	}
	if len(perms) == 0 && c.params.has("IpProtocol") {
		perms = append(perms, perm{p: c.params, root: true})
	}
	if len(perms) == 0 {
		return nil, errMissingParameter("IpPermissions")
	}
	var out []sim.Rule
	for _, pm := range perms {
		proto, ok := ruleProtocol(pm.p.str("IpProtocol"))
		if !ok {
			return nil, &apiError{Status: 400, Code: "InvalidPermission.Malformed", Message: "Invalid IP protocol: " + pm.p.str("IpProtocol")}
		}
		from, to := -1, -1
		if proto != "all" {
			f, fok, e1 := pm.p.integer("FromPort")
			t, tok, e2 := pm.p.integer("ToPort")
			if e1 != nil || e2 != nil || !fok || !tok {
				return nil, &apiError{Status: 400, Code: "InvalidPermission.Malformed", Message: "Both FromPort and ToPort are required for protocol " + proto}
			}
			if proto != "icmp" && (f < 0 || t > 65535 || f > t) {
				return nil, &apiError{Status: 400, Code: "InvalidPermission.Malformed", Message: "Invalid port range " + strconv.Itoa(f) + "-" + strconv.Itoa(t)}
			}
			from, to = f, t
		}
		base := sim.Rule{Protocol: proto, FromPort: from, ToPort: to, Policy: "accept"}
		var sources []sim.Rule
		if pm.root {
			if cidr := pm.p.str("CidrIp"); cidr != "" {
				sources = append(sources, withCIDR(base, cidr, ""))
			}
		}
		for _, n := range pm.p.indexes("IpRanges") {
			r := pm.p.sub("IpRanges", n)
			sources = append(sources, withCIDR(base, r.str("CidrIp"), r.str("Description")))
		}
		// Ipv6Ranges.N.CidrIpv6 (APIREF IpPermission); the AWS CLI's
		// --ip-permissions shorthand sends it beside IpRanges.
		v6From := len(sources)
		for _, n := range pm.p.indexes("Ipv6Ranges") {
			r := pm.p.sub("Ipv6Ranges", n)
			sources = append(sources, withCIDR(base, r.str("CidrIpv6"), r.str("Description")))
		}
		v6To := len(sources)
		for _, n := range pm.p.indexes("Groups") {
			g := pm.p.sub("Groups", n)
			r := base
			r.SourceGroupID, r.Description = g.str("GroupId"), g.str("Description")
			sources = append(sources, r)
		}
		if len(sources) == 0 {
			return nil, &apiError{Status: 400, Code: "InvalidPermission.Malformed", Message: "A permission needs at least one source (IpRanges, Ipv6Ranges or Groups)"}
		}
		for i, r := range sources {
			if r.SourceCIDR == "" {
				continue
			}
			// An IPv6 block in IpRanges or an IPv4 one in Ipv6Ranges is
			// refused; the exact code AWS answers is not confirmed.
			pfx, err := netip.ParsePrefix(r.SourceCIDR)
			wantV6 := i >= v6From && i < v6To
			if err != nil || pfx.Addr().Is6() != wantV6 {
				return nil, &apiError{Status: 400, Code: "InvalidPermission.Malformed", Message: "Invalid CIDR: " + r.SourceCIDR}
			}
		}
		out = append(out, sources...)
	}
	return out, nil
}

func withCIDR(r sim.Rule, cidr, desc string) sim.Rule {
	r.SourceCIDR, r.Description = cidr, desc
	return r
}

type securityGroupRule struct {
	SecurityGroupRuleID string   `xml:"securityGroupRuleId"`
	GroupID             string   `xml:"groupId"`
	GroupOwnerID        string   `xml:"groupOwnerId"`
	IsEgress            bool     `xml:"isEgress"`
	IPProtocol          string   `xml:"ipProtocol"`
	FromPort            int      `xml:"fromPort"`
	ToPort              int      `xml:"toPort"`
	CidrIpv4            string   `xml:"cidrIpv4,omitempty"`
	CidrIpv6            string   `xml:"cidrIpv6,omitempty"`
	ReferencedGroupInfo *refInfo `xml:"referencedGroupInfo"`
	Description         string   `xml:"description,omitempty"`
	TagSet              set[Tag] `xml:"tagSet"`
}

type refInfo struct {
	GroupID string `xml:"groupId"`
	UserID  string `xml:"userId"`
}

type authorizeIngressResponse struct {
	ec2Meta
	Return               bool                   `xml:"return"`
	SecurityGroupRuleSet set[securityGroupRule] `xml:"securityGroupRuleSet"`
}

// authorizeSecurityGroupIngress adds every permission of the call at once.
// A rule the group already has fails the whole call with
// InvalidPermission.Duplicate and adds nothing, as AWS does.
func (s *Server) authorizeSecurityGroupIngress(c *call) (withRequestID, *apiError) {
	g, e := s.getGroup(c, c.params.str("GroupId"))
	if e != nil {
		return nil, e
	}
	rules, e := ingressRules(c)
	if e != nil {
		return nil, e
	}
	specs, e := c.params.tagSpecs("security-group-rule")
	if e != nil {
		return nil, e
	}
	for i, r := range rules {
		for _, have := range g.Rules {
			if have.Same(r) {
				return nil, &apiError{Status: 400, Code: "InvalidPermission.Duplicate", Message: "the specified rule \"peer: " + r.SourceCIDR + r.SourceGroupID + ", " + strings.ToUpper(r.Protocol) + ", from port: " + strconv.Itoa(r.FromPort) + ", to port: " + strconv.Itoa(r.ToPort) + ", ALLOW\" already exists"}
			}
		}
		for _, o := range rules[:i] {
			if o.Same(r) {
				return nil, &apiError{Status: 400, Code: "InvalidPermission.Duplicate", Message: "the request lists one rule twice"}
			}
		}
		if r.SourceGroupID != "" {
			if _, e := s.getGroup(c, r.SourceGroupID); e != nil {
				return nil, e
			}
		}
	}
	if len(g.Rules)+len(rules) > maxRulesPerGroup {
		return nil, &apiError{Status: 400, Code: "RulesPerSecurityGroupLimitExceeded", Message: "The maximum number of rules per security group has been reached."}
	}
	added, err := s.cloud.AuthorizeIngress(c.region, g.ID, rules...)
	if err != nil {
		return nil, s.simError(c, err)
	}
	if len(added) != len(rules) {
		// Another call added one of these rules in between.
		return nil, &apiError{Status: 400, Code: "InvalidPermission.Duplicate", Message: "a specified rule already exists"}
	}
	out := make([]securityGroupRule, len(added))
	for i, r := range added {
		out[i] = s.ruleItem(c, g.ID, r)
		out[i].TagSet = newSet(specs["security-group-rule"])
	}
	c.targets = []string{g.ID}
	return &authorizeIngressResponse{Return: true, SecurityGroupRuleSet: newSet(out)}, nil
}

func (s *Server) ruleItem(c *call, groupID string, r sim.Rule) securityGroupRule {
	it := securityGroupRule{SecurityGroupRuleID: r.ID, GroupID: groupID, GroupOwnerID: c.account.ID, IPProtocol: ec2Protocol(r.Protocol),
		FromPort: r.FromPort, ToPort: r.ToPort, Description: r.Description, TagSet: newSet([]Tag{})}
	if isIPv6CIDR(r.SourceCIDR) {
		it.CidrIpv6 = r.SourceCIDR
	} else {
		it.CidrIpv4 = r.SourceCIDR
	}
	if r.SourceGroupID != "" {
		it.ReferencedGroupInfo = &refInfo{GroupID: r.SourceGroupID, UserID: c.account.ID}
	}
	return it
}

func (s *Server) deleteSecurityGroup(c *call) (withRequestID, *apiError) {
	g, e := s.getGroup(c, c.params.str("GroupId"))
	if e != nil {
		return nil, e
	}
	if g.Name == "default" && g.VPCID != "" {
		return nil, &apiError{Status: 400, Code: "CannotDelete", Message: "the specified group: \"" + g.ID + "\" name: \"default\" cannot be deleted by a user"}
	}
	if err := s.cloud.DeleteSecurityGroup(c.region, g.ID); err != nil {
		return nil, s.simError(c, err)
	}
	c.targets = []string{g.ID}
	return &returnTrue{Return: true}, nil
}

type ipRange struct {
	CidrIP      string `xml:"cidrIp"`
	Description string `xml:"description,omitempty"`
}

type ipv6Range struct {
	CidrIpv6    string `xml:"cidrIpv6"`
	Description string `xml:"description,omitempty"`
}

// isIPv6CIDR reports whether cidr is an IPv6 block.
func isIPv6CIDR(cidr string) bool {
	p, err := netip.ParsePrefix(cidr)
	return err == nil && p.Addr().Is6()
}

type groupPair struct {
	GroupID     string `xml:"groupId"`
	UserID      string `xml:"userId"`
	Description string `xml:"description,omitempty"`
}

type ipPermission struct {
	IPProtocol    string         `xml:"ipProtocol"`
	FromPort      *int           `xml:"fromPort"`
	ToPort        *int           `xml:"toPort"`
	Groups        set[groupPair] `xml:"groups"`
	IPRanges      set[ipRange]   `xml:"ipRanges"`
	Ipv6Ranges    set[ipv6Range] `xml:"ipv6Ranges"`
	PrefixListIDs set[struct{}]  `xml:"prefixListIds"`
}

type securityGroupItem struct {
	OwnerID             string            `xml:"ownerId"`
	GroupID             string            `xml:"groupId"`
	GroupName           string            `xml:"groupName"`
	GroupDescription    string            `xml:"groupDescription"`
	VpcID               string            `xml:"vpcId"`
	SecurityGroupArn    string            `xml:"securityGroupArn"`
	IPPermissions       set[ipPermission] `xml:"ipPermissions"`
	IPPermissionsEgress set[ipPermission] `xml:"ipPermissionsEgress"`
	TagSet              set[Tag]          `xml:"tagSet"`
}

// groupItem renders a group with its rules grouped by protocol and port
// range, as EC2 lists them. Egress is always the allow-all rule a new VPC
// group gets (the reference could not confirm that default; the model has no
// egress rules).
func (s *Server) groupItem(c *call, g sim.SecurityGroup) securityGroupItem {
	type key struct {
		proto    string
		from, to int
	}
	byKey := map[key]*ipPermission{}
	var order []key
	for _, r := range g.Rules {
		k := key{r.Protocol, r.FromPort, r.ToPort}
		p := byKey[k]
		if p == nil {
			p = &ipPermission{IPProtocol: ec2Protocol(r.Protocol)}
			if r.Protocol != "all" {
				from, to := r.FromPort, r.ToPort
				p.FromPort, p.ToPort = &from, &to
			}
			byKey[k] = p
			order = append(order, k)
		}
		if isIPv6CIDR(r.SourceCIDR) {
			p.Ipv6Ranges.Items = append(p.Ipv6Ranges.Items, ipv6Range{CidrIpv6: r.SourceCIDR, Description: r.Description})
		} else if r.SourceCIDR != "" {
			p.IPRanges.Items = append(p.IPRanges.Items, ipRange{CidrIP: r.SourceCIDR, Description: r.Description})
		}
		if r.SourceGroupID != "" {
			p.Groups.Items = append(p.Groups.Items, groupPair{GroupID: r.SourceGroupID, UserID: c.account.ID, Description: r.Description})
		}
	}
	perms := make([]ipPermission, 0, len(order))
	for _, k := range order {
		perms = append(perms, *byKey[k])
	}
	egress := []ipPermission{{IPProtocol: "-1", IPRanges: newSet([]ipRange{{CidrIP: "0.0.0.0/0"}})}}
	return securityGroupItem{
		OwnerID: c.account.ID, GroupID: g.ID, GroupName: g.Name, GroupDescription: g.Description, VpcID: g.VPCID,
		SecurityGroupArn: "arn:aws:ec2:" + c.region + ":" + c.account.ID + ":security-group/" + g.ID,
		IPPermissions:    newSet(perms), IPPermissionsEgress: newSet(egress), TagSet: newSet(tagList(g.Tags)),
	}
}

type describeSecurityGroupsResponse struct {
	ec2Meta
	SecurityGroupInfo set[securityGroupItem] `xml:"securityGroupInfo"`
	NextToken         string                 `xml:"nextToken,omitempty"`
}

// describeSecurityGroups answers GroupId.N, GroupName.N and filters;
// MaxResults 5 to 1000, every group when not given (MODEL).
func (s *Server) describeSecurityGroups(c *call) (withRequestID, *apiError) {
	fs, e := c.params.filters()
	if e != nil {
		return nil, e
	}
	ids, names := c.params.list("GroupId"), c.params.list("GroupName")
	for _, id := range ids {
		if _, e := s.getGroup(c, id); e != nil {
			return nil, e
		}
	}
	var items []securityGroupItem
	found := map[string]bool{}
	for _, g := range s.cloud.SecurityGroups(c.region, "") {
		if !s.owns(c, g.ID) || (len(ids) > 0 && !slices.Contains(ids, g.ID)) || (len(names) > 0 && !slices.Contains(names, g.Name)) {
			continue
		}
		found[g.Name] = true
		it := s.groupItem(c, g)
		ok, e := matchFilters(fs, it.TagSet.Items, func(n string) ([]string, bool) {
			switch n {
			case "group-id":
				return []string{it.GroupID}, true
			case "group-name":
				return []string{it.GroupName}, true
			case "vpc-id":
				return []string{it.VpcID}, true
			case "description":
				return []string{it.GroupDescription}, true
			case "owner-id":
				return []string{it.OwnerID}, true
			case "ip-permission.protocol":
				var out []string
				for _, p := range it.IPPermissions.Items {
					out = append(out, p.IPProtocol)
				}
				return out, true
			case "ip-permission.cidr":
				var out []string
				for _, p := range it.IPPermissions.Items {
					for _, r := range p.IPRanges.Items {
						out = append(out, r.CidrIP)
					}
				}
				return out, true
			case "ip-permission.ipv6-cidr":
				var out []string
				for _, p := range it.IPPermissions.Items {
					for _, r := range p.Ipv6Ranges.Items {
						out = append(out, r.CidrIpv6)
					}
				}
				return out, true
			case "ip-permission.from-port", "ip-permission.to-port":
				var out []string
				for _, p := range it.IPPermissions.Items {
					if p.FromPort != nil {
						v := *p.FromPort
						if n == "ip-permission.to-port" {
							v = *p.ToPort
						}
						out = append(out, strconv.Itoa(v))
					}
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
	for _, n := range names {
		if !found[n] {
			return nil, &apiError{Status: 400, Code: "InvalidGroup.NotFound", Message: "The security group '" + n + "' does not exist"}
		}
	}
	sort.SliceStable(items, func(i, j int) bool { return items[i].GroupID < items[j].GroupID })
	pg, e := paginate(c.params, c.action, len(items), 5, 1000)
	if e != nil {
		return nil, e
	}
	return &describeSecurityGroupsResponse{SecurityGroupInfo: newSet(items[pg.start:pg.end]), NextToken: pg.next}, nil
}
