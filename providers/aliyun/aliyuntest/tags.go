package aliyuntest

import (
	"strconv"
	"strings"

	"github.com/multicloud-ecs/multicloud/providers/sim"
)

// taggable is a resource reachable by TagResources/ListTagResources: its
// tags, and how to store new ones in the simulated cloud.
type taggable struct {
	id   string
	tags []tag
	set  func(map[string]string) error
}

// taggableTypes are the API resource types: ECS types are lower case
// (instance, securitygroup), VPC types upper case (VPC, VSWITCH, EIP).
var taggableTypes = map[string]bool{"instance": true, "securitygroup": true, "VPC": true, "VSWITCH": true, "EIP": true}

// taggables returns the resources of an API resource type in a region, sorted by ID.
func (v *view) taggables(rg *region, typ string) ([]taggable, bool) {
	if !taggableTypes[typ] {
		return nil, false
	}
	var ids []string
	switch typ {
	case "instance":
		for _, in := range v.instancesOf(rg) {
			ids = append(ids, in.id)
		}
	case "securitygroup":
		for _, g := range v.sgsOf(rg) {
			ids = append(ids, g.id)
		}
	case "VPC":
		for _, x := range v.vpcsOf(rg) {
			ids = append(ids, x.id)
		}
	case "VSWITCH":
		for _, w := range v.vswitchesOf(rg) {
			ids = append(ids, w.id)
		}
	case "EIP":
		for _, e := range v.eipsOf(rg) {
			ids = append(ids, e.id)
		}
	}
	out := make([]taggable, 0, len(ids))
	for _, id := range ids {
		t, _ := v.lookupTaggable(rg, typ, id)
		out = append(out, t)
	}
	return out, true
}

// lookupTargets returns the resources of type typ named by ids in rg, for
// a tag or untag call: an unknown type is InvalidParameter (ResourceType),
// an unknown ID InvalidResourceId.NotFound. The caller holds s.mu.
func (v *view) lookupTargets(rg *region, typ string, ids []string) ([]taggable, error) {
	if !taggableTypes[typ] {
		return nil, errInvalid("ResourceType", typ)
	}
	targets := make([]taggable, 0, len(ids))
	for _, id := range ids {
		t, ok := v.lookupTaggable(rg, typ, id)
		if !ok {
			return nil, errCode(404, "InvalidResourceId.NotFound", "The specified ResourceId "+id+" is not found.")
		}
		targets = append(targets, t)
	}
	return targets, nil
}

// lookupTaggable finds one resource by ID without scanning.
func (v *view) lookupTaggable(rg *region, typ, id string) (taggable, bool) {
	c, r := v.c, rg.id
	switch typ {
	case "instance":
		if in := v.instanceIn(rg, id); in != nil {
			return taggable{id, in.tags, func(m map[string]string) error {
				_, err := c.UpdateInstance(r, id, func(in *sim.Instance) error { in.Tags = m; return nil })
				return err
			}}, true
		}
	case "securitygroup":
		if g := v.sgIn(rg, id); g != nil {
			return taggable{id, g.tags, func(m map[string]string) error {
				_, err := c.UpdateSecurityGroup(r, id, func(g *sim.SecurityGroup) error { g.Tags = m; return nil })
				return err
			}}, true
		}
	case "VPC":
		if x := v.vpcIn(rg, id); x != nil {
			return taggable{id, x.tags, func(m map[string]string) error {
				_, err := c.UpdateVPC(r, id, func(x *sim.VPC) error { x.Tags = m; return nil })
				return err
			}}, true
		}
	case "VSWITCH":
		if w := v.vswitchIn(rg, id); w != nil {
			return taggable{id, w.tags, func(m map[string]string) error {
				_, err := c.UpdateSubnet(r, id, func(w *sim.Subnet) error { w.Tags = m; return nil })
				return err
			}}, true
		}
	case "EIP":
		if e := v.eipIn(rg, id); e != nil {
			return taggable{id, e.tags, func(m map[string]string) error {
				_, err := c.UpdateAddress(r, id, func(a *sim.Address) error { a.Tags = m; return nil })
				return err
			}}, true
		}
	}
	return taggable{}, false
}

func (s *Server) ecsTagResources(c *call) (response, error) { return s.tagResources(c, false, 50) }
func (s *Server) vpcTagResources(c *call) (response, error) { return s.tagResources(c, true, 20) }

func resourceType(c *call, vpcAPI bool) (string, error) {
	typ, err := c.p.required("ResourceType")
	if err != nil {
		return "", err
	}
	if vpcAPI {
		return strings.ToUpper(typ), nil
	}
	return strings.ToLower(typ), nil
}

func (s *Server) tagResources(c *call, vpcAPI bool, maxIDs int) (response, error) {
	typ, err := resourceType(c, vpcAPI)
	if err != nil {
		return nil, err
	}
	ids := c.p.list("ResourceId")
	if len(ids) == 0 {
		return nil, errMissing("ResourceId.1")
	}
	if len(ids) > maxIDs {
		return nil, errCode(400, "InvalidParameter", "At most "+strconv.Itoa(maxIDs)+" ResourceId.N may be specified.")
	}
	tags, err := c.p.tags(vpcAPI)
	if err != nil {
		return nil, err
	}
	if len(tags) == 0 {
		return nil, errMissing("Tag.1.Key")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	targets, err := s.view(c.now).lookupTargets(c.region, typ, ids)
	if err != nil {
		return nil, err
	}
	for _, t := range targets {
		if len(mergeTags(t.tags, tags)) > 20 {
			return nil, errCode(400, "InvalidTagCount", "A resource can have at most 20 tags.")
		}
	}
	for _, t := range targets {
		if err := t.set(tagMap(mergeTags(t.tags, tags))); err != nil {
			return nil, apiErrorOf(err)
		}
	}
	return &respBase{}, nil
}

type tagResourceJSON struct {
	ResourceId   string `json:"ResourceId"`
	ResourceType string `json:"ResourceType"`
	TagKey       string `json:"TagKey"`
	TagValue     string `json:"TagValue"`
}

type listTagResourcesResp struct {
	respBase
	NextToken    string `json:"NextToken"`
	TagResources struct {
		TagResource []tagResourceJSON `json:"TagResource"`
	} `json:"TagResources"`
}

func (s *Server) ecsListTagResources(c *call) (response, error) { return s.listTagResources(c, false) }
func (s *Server) vpcListTagResources(c *call) (response, error) { return s.listTagResources(c, true) }

// listTagResources lists (resource, tag) pairs; NextToken is an offset into them.
func (s *Server) listTagResources(c *call, vpcAPI bool) (response, error) {
	typ, err := resourceType(c, vpcAPI)
	if err != nil {
		return nil, err
	}
	pageSize := 50
	if vpcAPI {
		if pageSize, err = c.p.intRange("MaxResults", 50, 1, 50); err != nil {
			return nil, err
		}
	}
	offset := 0
	if tok := c.p.str("NextToken"); tok != "" {
		if offset, err = strconv.Atoi(tok); err != nil || offset < 0 {
			return nil, errCode(400, "InvalidParameter.NextToken", "The specified NextToken is not valid.")
		}
	}
	ids := c.p.list("ResourceId")
	filter := c.p.tagFilter()
	s.mu.RLock()
	defer s.mu.RUnlock()
	var res []taggable
	st := s.view(c.now)
	if len(ids) > 0 {
		for _, id := range ids {
			if t, ok := st.lookupTaggable(c.region, typ, id); ok {
				res = append(res, t)
			}
		}
	} else {
		var ok bool
		if res, ok = st.taggables(c.region, typ); !ok {
			return nil, errInvalid("ResourceType", typ)
		}
	}
	r := &listTagResourcesResp{}
	r.TagResources.TagResource = []tagResourceJSON{}
	n := 0
	for _, t := range res {
		if !matchTags(t.tags, filter) {
			continue
		}
		for _, tg := range t.tags {
			if n >= offset {
				if len(r.TagResources.TagResource) == pageSize {
					r.NextToken = strconv.Itoa(n)
					return r, nil
				}
				r.TagResources.TagResource = append(r.TagResources.TagResource,
					tagResourceJSON{ResourceId: t.id, ResourceType: typ, TagKey: tg.Key, TagValue: tg.Value})
			}
			n++
		}
	}
	return r, nil
}
