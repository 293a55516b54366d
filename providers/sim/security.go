package sim

import (
	"maps"
	"slices"
	"strings"
	"time"
)

// Rule is an ingress or egress rule of a security group. Two rules are
// the same rule when every field but ID, Description and Created matches.
// For an egress rule, SourceCIDR and SourceGroupID name where the traffic
// may go.
type Rule struct {
	ID       string // given by AuthorizeIngress
	Protocol string // "tcp", "udp", "icmp", "all" (faces map their own)
	// FromPort and ToPort are the port range; -1/-1 for every port.
	FromPort, ToPort int
	// SourceCIDR or SourceGroupID is where the traffic may come from.
	SourceCIDR    string
	SourceGroupID string
	Policy        string // "accept" (default) or "drop"
	Priority      int
	// Qualifier is a face's own part of the rule's identity (Aliyun's
	// NicType); "" when the face has none.
	Qualifier   string
	Description string
	Created     time.Time // set by AuthorizeIngress
}

// Same reports whether r and o are the same rule (ID, Description and
// Created aside).
func (r Rule) Same(o Rule) bool {
	r.ID, o.ID, r.Description, o.Description = "", "", "", ""
	r.Created, o.Created = time.Time{}, time.Time{}
	if r.Policy == "" {
		r.Policy = "accept"
	}
	if o.Policy == "" {
		o.Policy = "accept"
	}
	return r == o
}

// SecurityGroup is a snapshot of a security group.
type SecurityGroup struct {
	ID, Region, VPCID string
	Name, Description string
	Tags              map[string]string
	Rules             []Rule // ingress rules, in the order added
	// Egress are the egress rules, in the order added; a face whose
	// groups allow all egress by default (AWS) adds that rule itself.
	Egress  []Rule
	Created time.Time
	// Instances counts the instances in the group.
	Instances int
}

// SecurityGroupSpec asks for a security group.
type SecurityGroupSpec struct {
	Region, VPCID     string
	Name, Description string
	Tags              map[string]string
}

type group struct {
	SecurityGroup
	instances int
}

func (g *group) snapshot() SecurityGroup {
	out := g.SecurityGroup
	out.Tags = maps.Clone(g.Tags)
	out.Rules = slices.Clone(g.Rules)
	out.Egress = slices.Clone(g.Egress)
	out.Instances = g.instances
	return out
}

// CreateSecurityGroup creates a group in a VPC ("" for none). It fails
// with ClassNotFound for an unknown region or VPC.
func (c *Cloud) CreateSecurityGroup(spec SecurityGroupSpec) (SecurityGroup, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, err := c.regionLocked(spec.Region)
	if err != nil {
		return SecurityGroup{}, err
	}
	if spec.VPCID != "" {
		if v := c.vpcs[spec.VPCID]; v == nil || v.Region != r.ID {
			return SecurityGroup{}, notFound(KindVPC, spec.VPCID)
		}
	}
	g := &group{SecurityGroup: SecurityGroup{ID: c.newIDLocked(KindSecurityGroup, r.ID), Region: r.ID, VPCID: spec.VPCID,
		Name: spec.Name, Description: spec.Description, Tags: maps.Clone(spec.Tags), Created: c.Now()}}
	c.groups[g.ID] = g
	return g.snapshot(), nil
}

// GetSecurityGroup returns group id of region, or ClassNotFound.
func (c *Cloud) GetSecurityGroup(region, id string) (SecurityGroup, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	g := c.groups[id]
	if g == nil || g.Region != region {
		return SecurityGroup{}, notFound(KindSecurityGroup, id)
	}
	return g.snapshot(), nil
}

// SecurityGroups returns the groups of region ("" for all) in vpcID (""
// for any), sorted by ID.
func (c *Cloud) SecurityGroups(region, vpcID string) []SecurityGroup {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []SecurityGroup
	for _, g := range c.groups {
		if (region == "" || g.Region == region) && (vpcID == "" || g.VPCID == vpcID) {
			out = append(out, g.snapshot())
		}
	}
	slices.SortFunc(out, func(a, b SecurityGroup) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// DeleteSecurityGroup deletes a group. It fails with ClassNotFound, and
// with ClassDependencyViolation while instances are in it or another
// group's rule names it as source.
func (c *Cloud) DeleteSecurityGroup(region, id string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	g := c.groups[id]
	if g == nil || g.Region != region {
		return notFound(KindSecurityGroup, id)
	}
	if g.instances > 0 {
		return &Error{Class: ClassDependencyViolation, Resource: KindSecurityGroup, ID: id, Reason: string(KindInstance), Message: "instances are in the group"}
	}
	for _, o := range c.groups {
		if o.ID == id {
			continue
		}
		for _, r := range slices.Concat(o.Rules, o.Egress) {
			if r.SourceGroupID == id {
				return &Error{Class: ClassDependencyViolation, Resource: KindSecurityGroup, ID: id, Reason: string(KindSecurityGroup), Message: "a rule of group " + o.ID + " names the group"}
			}
		}
	}
	delete(c.groups, id)
	return nil
}

// AuthorizeIngress adds rules to group id, in order, and returns those
// it added with their IDs; a rule the group already has (Rule.Same) is
// not added again (faces that refuse duplicates compare the counts). A
// SourceGroupID must name a group of the region (ClassNotFound).
func (c *Cloud) AuthorizeIngress(region, id string, rules ...Rule) ([]Rule, error) {
	return c.authorize(region, id, false, rules)
}

// AuthorizeEgress adds egress rules to group id, as AuthorizeIngress adds
// ingress rules.
func (c *Cloud) AuthorizeEgress(region, id string, rules ...Rule) ([]Rule, error) {
	return c.authorize(region, id, true, rules)
}

func (c *Cloud) authorize(region, id string, egress bool, rules []Rule) ([]Rule, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	g := c.groups[id]
	if g == nil || g.Region != region {
		return nil, notFound(KindSecurityGroup, id)
	}
	for _, r := range rules {
		if r.SourceGroupID != "" {
			if o := c.groups[r.SourceGroupID]; o == nil || o.Region != region {
				return nil, notFound(KindSecurityGroup, r.SourceGroupID)
			}
		}
	}
	have := &g.Rules
	if egress {
		have = &g.Egress
	}
	var added []Rule
	for _, r := range rules {
		if slices.ContainsFunc(*have, r.Same) || slices.ContainsFunc(added, r.Same) {
			continue
		}
		r.ID = c.newIDLocked(KindRule, region)
		r.Created = c.Now()
		added = append(added, r)
	}
	*have = append(*have, added...)
	return added, nil
}

// RevokeIngress removes the rules of group id that are the same as one of
// rules (or carry its ID), and returns those it removed; revoking a rule
// the group lacks removes nothing and is no error, as on Aliyun.
func (c *Cloud) RevokeIngress(region, id string, rules ...Rule) ([]Rule, error) {
	return c.revoke(region, id, false, rules)
}

// RevokeEgress removes egress rules of group id, as RevokeIngress removes
// ingress rules.
func (c *Cloud) RevokeEgress(region, id string, rules ...Rule) ([]Rule, error) {
	return c.revoke(region, id, true, rules)
}

func (c *Cloud) revoke(region, id string, egress bool, rules []Rule) ([]Rule, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	g := c.groups[id]
	if g == nil || g.Region != region {
		return nil, notFound(KindSecurityGroup, id)
	}
	have := &g.Rules
	if egress {
		have = &g.Egress
	}
	var removed []Rule
	*have = slices.DeleteFunc(*have, func(have Rule) bool {
		for _, r := range rules {
			if (r.ID != "" && r.ID == have.ID) || (r.ID == "" && r.Same(have)) {
				removed = append(removed, have)
				return true
			}
		}
		return false
	})
	return removed, nil
}

// UpdateSecurityGroup runs fn on a copy of group id and stores its Name,
// Description, Tags, Rules and Egress (rules without an ID get one).
func (c *Cloud) UpdateSecurityGroup(region, id string, fn func(*SecurityGroup) error) (SecurityGroup, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	g := c.groups[id]
	if g == nil || g.Region != region {
		return SecurityGroup{}, notFound(KindSecurityGroup, id)
	}
	cp := g.snapshot()
	if err := fn(&cp); err != nil {
		return SecurityGroup{}, err
	}
	for _, rs := range [][]Rule{cp.Rules, cp.Egress} {
		for i := range rs {
			if rs[i].ID == "" {
				rs[i].ID = c.newIDLocked(KindRule, region)
				rs[i].Created = c.Now()
			}
		}
	}
	g.Name, g.Description, g.Tags = cp.Name, cp.Description, maps.Clone(cp.Tags)
	g.Rules, g.Egress = slices.Clone(cp.Rules), slices.Clone(cp.Egress)
	return g.snapshot(), nil
}
