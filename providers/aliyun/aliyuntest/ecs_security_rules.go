package aliyuntest

import "github.com/multicloud-ecs/multicloud/providers/sim"

// innerAccessPolicy is the group's policy between its own members.
func (g *securityGroup) innerAccessPolicy() string {
	if g.innerPolicy == "" {
		return "Accept"
	}
	return g.innerPolicy
}

// revokeSecurityGroup removes ingress rules named by SecurityGroupRuleId.N,
// by Permissions.N.* or by the single-rule parameters, matched as
// AuthorizeSecurityGroup normalizes them. Naming a rule the group does not
// have succeeds without change (the reference lists no error for it; not
// confirmed); an unknown SecurityGroupRuleId fails.
func (s *Server) revokeSecurityGroup(c *call) (response, error) {
	id, err := c.p.required("SecurityGroupId")
	if err != nil {
		return nil, err
	}
	ruleIDs := c.p.list("SecurityGroupRuleId")
	var rules []sgRule
	if len(ruleIDs) == 0 {
		if rules, err = parsePermissions(c.p); err != nil {
			return nil, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.view(c.now).sgIn(c.region, id)
	if g == nil {
		return nil, errSGNotFound
	}
	for _, rid := range ruleIDs {
		found := false
		for _, have := range g.rules {
			found = found || have.id == rid
		}
		if !found {
			return nil, errCode(404, "InvalidSecurityGroupRuleId.NotFound", "The specified SecurityGroupRuleId does not exist.")
		}
	}
	if err := c.p.dryRun(); err != nil {
		return nil, err
	}
	var revoke []sim.Rule
	for _, rid := range ruleIDs {
		revoke = append(revoke, sim.Rule{ID: rid})
	}
	for _, r := range rules {
		revoke = append(revoke, simRule(r))
	}
	if _, err := s.cloud.RevokeIngress(c.region.id, id, revoke...); err != nil {
		return nil, apiErrorOf(err)
	}
	return &respBase{}, nil
}

// modifySecurityGroupPolicy sets InnerAccessPolicy (Accept or Drop).
func (s *Server) modifySecurityGroupPolicy(c *call) (response, error) {
	id, err := c.p.required("SecurityGroupId")
	if err != nil {
		return nil, err
	}
	pol, err := c.p.required("InnerAccessPolicy")
	if err != nil {
		return nil, err
	}
	switch pol {
	case "Accept", "Drop":
	default:
		return nil, errInvalid("InnerAccessPolicy", pol)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.view(c.now).sgIn(c.region, id) == nil {
		return nil, errSGNotFound
	}
	a := s.st.sgx[id]
	if a == nil {
		a = &sgAttrs{typ: "normal"}
		s.st.sgx[id] = a
	}
	a.innerPolicy = pol
	return &respBase{}, nil
}

// groupRules counts the rules that name another security group as source.
func (g *securityGroup) groupRules() int {
	n := 0
	for _, r := range g.rules {
		if r.sourceGroup != "" {
			n++
		}
	}
	return n
}

// sgName is the name of a security group of rg, "" if it is unknown or
// id is "".
func (v *view) sgName(rg *region, id string) string {
	if id == "" {
		return ""
	}
	if g := v.sgIn(rg, id); g != nil {
		return g.name
	}
	return ""
}

// available is how many more instances the group can hold.
func (g *securityGroup) available() int {
	if n := g.capacity() - g.instances; n > 0 {
		return n
	}
	return 0
}
