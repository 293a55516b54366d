package aliyuntest

import (
	"strconv"
	"strings"
)

// taggable is a resource reachable by TagResources/ListTagResources.
type taggable struct {
	id   string
	tags *[]tag
}

// taggables returns the resources of an API resource type in a region, sorted by ID.
// ECS types are lower case (instance, securitygroup), VPC types upper case (VPC, VSWITCH, EIP).
func (st *state) taggables(rg *region, typ string) ([]taggable, bool) {
	var out []taggable
	switch typ {
	case "instance":
		for _, in := range rg.instances {
			out = append(out, taggable{in.id, &in.tags})
		}
	case "securitygroup":
		for _, g := range rg.sgs {
			out = append(out, taggable{g.id, &g.tags})
		}
	case "VPC":
		for _, v := range rg.vpcs {
			out = append(out, taggable{v.id, &v.tags})
		}
	case "VSWITCH":
		for _, w := range rg.vswitches {
			out = append(out, taggable{w.id, &w.tags})
		}
	case "EIP":
		for _, e := range rg.eips {
			out = append(out, taggable{e.id, &e.tags})
		}
	default:
		return nil, false
	}
	return out, true
}

// lookupTaggable finds one resource by ID without scanning.
// lookupTargets returns the resources of type typ named by ids in rg, for
// a tag or untag call: an unknown type is InvalidParameter (ResourceType),
// an unknown ID InvalidResourceId.NotFound. The caller holds s.mu.
func (st *state) lookupTargets(rg *region, typ string, ids []string) ([]taggable, error) {
	if _, ok := st.taggables(&region{}, typ); !ok {
		return nil, errInvalid("ResourceType", typ)
	}
	targets := make([]taggable, 0, len(ids))
	for _, id := range ids {
		t, ok := st.lookupTaggable(rg, typ, id)
		if !ok {
			return nil, errCode(404, "InvalidResourceId.NotFound", "The specified ResourceId "+id+" is not found.")
		}
		targets = append(targets, t)
	}
	return targets, nil
}

func (st *state) lookupTaggable(rg *region, typ, id string) (taggable, bool) {
	switch typ {
	case "instance":
		if in := st.instances[id]; in != nil && in.rg == rg {
			return taggable{id, &in.tags}, true
		}
	case "securitygroup":
		if g := st.sgs[id]; g != nil && g.rg == rg {
			return taggable{id, &g.tags}, true
		}
	case "VPC":
		if v := st.vpcs[id]; v != nil && v.rg == rg {
			return taggable{id, &v.tags}, true
		}
	case "VSWITCH":
		if w := st.vswitches[id]; w != nil && w.vpc.rg == rg {
			return taggable{id, &w.tags}, true
		}
	case "EIP":
		if e := st.eips[id]; e != nil && e.rg == rg {
			return taggable{id, &e.tags}, true
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
	targets, err := s.st.lookupTargets(c.region, typ, ids)
	if err != nil {
		return nil, err
	}
	for _, t := range targets {
		if len(mergeTags(*t.tags, tags)) > 20 {
			return nil, errCode(400, "InvalidTagCount", "A resource can have at most 20 tags.")
		}
	}
	for _, t := range targets {
		*t.tags = mergeTags(*t.tags, tags)
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
	if len(ids) > 0 {
		for _, id := range ids {
			if t, ok := s.st.lookupTaggable(c.region, typ, id); ok {
				res = append(res, t)
			}
		}
	} else {
		var ok bool
		if res, ok = s.st.taggables(c.region, typ); !ok {
			return nil, errInvalid("ResourceType", typ)
		}
	}
	r := &listTagResourcesResp{}
	r.TagResources.TagResource = []tagResourceJSON{}
	n := 0
	for _, t := range res {
		if !matchTags(*t.tags, filter) {
			continue
		}
		for _, tg := range *t.tags {
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
