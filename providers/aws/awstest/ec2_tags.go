package awstest

import (
	"maps"
	"sort"
	"strings"

	"github.com/multicloud-ecs/multicloud/providers/sim"
)

// maxTagsPerResource is EC2's limit of tags on one resource (APIREF CreateTags).
const maxTagsPerResource = 50

// tagTarget resolves a resource ID to the function that updates its tags.
type tagTarget func(fn func(map[string]string) (map[string]string, error)) error

func (s *Server) tagTarget(c *call, id string) (tagTarget, *apiError) {
	region := c.region
	kind, ok := kindOfID(id)
	if !ok {
		return nil, &apiError{Status: 400, Code: "InvalidID", Message: "The ID '" + id + "' is not valid"}
	}
	if !s.owns(c, id) {
		return nil, errNotFound(kind, id)
	}
	var err error
	switch kind {
	case sim.KindInstance:
		_, err = s.cloud.Instance(region, id)
		return func(fn func(map[string]string) (map[string]string, error)) error {
			_, err := s.cloud.UpdateInstance(region, id, func(in *sim.Instance) (e error) { in.Tags, e = fn(in.Tags); return })
			return err
		}, s.simError(c, err)
	case sim.KindVPC:
		_, err = s.cloud.GetVPC(region, id)
		return func(fn func(map[string]string) (map[string]string, error)) error {
			_, err := s.cloud.UpdateVPC(region, id, func(v *sim.VPC) (e error) { v.Tags, e = fn(v.Tags); return })
			return err
		}, s.simError(c, err)
	case sim.KindSubnet:
		_, err = s.cloud.GetSubnet(region, id)
		return func(fn func(map[string]string) (map[string]string, error)) error {
			_, err := s.cloud.UpdateSubnet(region, id, func(v *sim.Subnet) (e error) { v.Tags, e = fn(v.Tags); return })
			return err
		}, s.simError(c, err)
	case sim.KindSecurityGroup:
		_, err = s.cloud.GetSecurityGroup(region, id)
		return func(fn func(map[string]string) (map[string]string, error)) error {
			_, err := s.cloud.UpdateSecurityGroup(region, id, func(v *sim.SecurityGroup) (e error) { v.Tags, e = fn(v.Tags); return })
			return err
		}, s.simError(c, err)
	case sim.KindAddress:
		_, err = s.cloud.GetAddress(region, id)
		return func(fn func(map[string]string) (map[string]string, error)) error {
			_, err := s.cloud.UpdateAddress(region, id, func(v *sim.Address) (e error) { v.Tags, e = fn(v.Tags); return })
			return err
		}, s.simError(c, err)
	case kindInternetGateway, kindRouteTable:
		_, err = s.cloud.GetExtra(region, kind, id)
		return func(fn func(map[string]string) (map[string]string, error)) error {
			_, err := s.cloud.UpdateExtra(region, kind, id, func(v *sim.Extra) (e error) { v.Tags, e = fn(v.Tags); return })
			return err
		}, s.simError(c, err)
	case sim.KindDisk:
		if !s.volumeExists(region, id) {
			return nil, errNotFound(sim.KindDisk, id)
		}
		return func(fn func(map[string]string) (map[string]string, error)) error {
			s.mu.Lock()
			defer s.mu.Unlock()
			m, err := fn(maps.Clone(s.volumeTags[id]))
			if err == nil {
				s.volumeTags[id] = m
			}
			return err
		}, nil
	}
	return nil, &apiError{Status: 400, Code: "InvalidID", Message: "The ID '" + id + "' is not valid"}
}

func (s *Server) volumeExists(region, id string) bool {
	for _, in := range s.cloud.Instances(region) {
		for _, d := range in.Disks {
			if d.ID == id && in.State != sim.StateDeleted {
				return true
			}
		}
	}
	return false
}

// kindOfID tells a resource's kind from its ID prefix.
func kindOfID(id string) (sim.Kind, bool) {
	for _, k := range []struct {
		prefix string
		kind   sim.Kind
	}{{"i-", sim.KindInstance}, {"vpc-", sim.KindVPC}, {"subnet-", sim.KindSubnet}, {"sg-", sim.KindSecurityGroup},
		{"eipalloc-", sim.KindAddress}, {"igw-", kindInternetGateway}, {"rtb-", kindRouteTable}, {"vol-", sim.KindDisk}} {
		if strings.HasPrefix(id, k.prefix) && len(id) > len(k.prefix) {
			return k.kind, true
		}
	}
	return "", false
}

// createTags adds or overwrites tags on every resource of ResourceId.N; an
// unknown resource fails the call before any change.
func (s *Server) createTags(c *call) (withRequestID, *apiError) {
	ids := c.params.list("ResourceId")
	if len(ids) == 0 {
		return nil, errMissingParameter("ResourceId")
	}
	tags, e := c.params.tags("Tag")
	if e != nil {
		return nil, e
	}
	if len(tags) == 0 {
		return nil, errMissingParameter("Tag")
	}
	targets := make([]tagTarget, len(ids))
	for i, id := range ids {
		if targets[i], e = s.tagTarget(c, id); e != nil {
			return nil, e
		}
	}
	for i, t := range targets {
		err := t(func(m map[string]string) (map[string]string, error) {
			m = maps.Clone(m)
			if m == nil {
				m = map[string]string{}
			}
			for _, tg := range tags {
				m[tg.Key] = tg.Value
			}
			if len(m) > maxTagsPerResource {
				return nil, &apiError{Status: 400, Code: "TagLimitExceeded", Message: "The maximum number of Tags for a resource has been reached (" + ids[i] + ")."}
			}
			return m, nil
		})
		if err != nil {
			if ae, ok := err.(*apiError); ok {
				return nil, ae
			}
			return nil, s.simError(c, err)
		}
	}
	c.targets = ids
	return &returnTrue{Return: true}, nil
}

// deleteTags removes Tag.N.Key from every resource; a tag given with a
// Value is removed only where it has that value (APIREF DeleteTags), and no
// Tag at all removes every tag.
func (s *Server) deleteTags(c *call) (withRequestID, *apiError) {
	ids := c.params.list("ResourceId")
	if len(ids) == 0 {
		return nil, errMissingParameter("ResourceId")
	}
	type del struct {
		key      string
		value    string
		hasValue bool
	}
	var dels []del
	for _, n := range c.params.indexes("Tag") {
		t := c.params.sub("Tag", n)
		dels = append(dels, del{t.str("Key"), t.str("Value"), t.has("Value")})
	}
	targets := make([]tagTarget, len(ids))
	var e *apiError
	for i, id := range ids {
		if targets[i], e = s.tagTarget(c, id); e != nil {
			return nil, e
		}
	}
	for _, t := range targets {
		err := t(func(m map[string]string) (map[string]string, error) {
			if len(dels) == 0 {
				return nil, nil
			}
			m = maps.Clone(m)
			for _, d := range dels {
				if v, ok := m[d.key]; ok && (!d.hasValue || v == d.value) {
					delete(m, d.key)
				}
			}
			return m, nil
		})
		if err != nil {
			return nil, s.simError(c, err)
		}
	}
	c.targets = ids
	return &returnTrue{Return: true}, nil
}

type tagDescription struct {
	ResourceID   string `xml:"resourceId"`
	ResourceType string `xml:"resourceType"`
	Key          string `xml:"key"`
	Value        string `xml:"value"`
}

type describeTagsResponse struct {
	ec2Meta
	TagSet    set[tagDescription] `xml:"tagSet"`
	NextToken string              `xml:"nextToken,omitempty"`
}

// describeTags lists the caller's tags of every taggable resource the
// emulator serves, filtered by key, value, resource-id and resource-type
// (APIREF DescribeTags); MaxResults 5 to 1000, every tag when not given.
// The order (resource type, resource ID, key) is not confirmed.
func (s *Server) describeTags(c *call) (withRequestID, *apiError) {
	fs, e := c.params.filters()
	if e != nil {
		return nil, e
	}
	var all []tagDescription
	add := func(id, typ string, tags map[string]string) {
		if !s.owns(c, id) {
			return
		}
		for _, t := range tagList(tags) {
			all = append(all, tagDescription{ResourceID: id, ResourceType: typ, Key: t.Key, Value: t.Value})
		}
	}
	for _, a := range s.cloud.Addresses(c.region) {
		add(a.ID, "elastic-ip", a.Tags)
	}
	for _, in := range s.cloud.Instances(c.region) {
		add(in.ID, "instance", in.Tags)
	}
	for _, x := range s.cloud.Extras(c.region, kindInternetGateway) {
		add(x.ID, "internet-gateway", x.Tags)
	}
	for _, x := range s.cloud.Extras(c.region, kindRouteTable) {
		add(x.ID, "route-table", x.Tags)
	}
	for _, g := range s.cloud.SecurityGroups(c.region, "") {
		add(g.ID, "security-group", g.Tags)
	}
	for _, sn := range s.cloud.Subnets(c.region, "") {
		add(sn.ID, "subnet", sn.Tags)
	}
	for _, in := range s.cloud.Instances(c.region) {
		for _, d := range in.Disks {
			if in.State != sim.StateDeleted {
				s.mu.Lock()
				vt := maps.Clone(s.volumeTags[d.ID])
				s.mu.Unlock()
				add(d.ID, "volume", vt)
			}
		}
	}
	for _, v := range s.cloud.VPCs(c.region) {
		add(v.ID, "vpc", v.Tags)
	}
	sort.SliceStable(all, func(i, j int) bool {
		if all[i].ResourceType != all[j].ResourceType {
			return all[i].ResourceType < all[j].ResourceType
		}
		return all[i].ResourceID < all[j].ResourceID
	})
	var items []tagDescription
	for _, t := range all {
		ok, e := matchFilters(fs, nil, func(n string) ([]string, bool) {
			switch n {
			case "key":
				return []string{t.Key}, true
			case "value":
				return []string{t.Value}, true
			case "resource-id":
				return []string{t.ResourceID}, true
			case "resource-type":
				return []string{t.ResourceType}, true
			}
			return nil, false
		})
		if e != nil {
			return nil, e
		}
		if ok {
			items = append(items, t)
		}
	}
	pg, e := paginate(c.params, c.action, len(items), 5, 1000)
	if e != nil {
		return nil, e
	}
	return &describeTagsResponse{TagSet: newSet(items[pg.start:pg.end]), NextToken: pg.next}, nil
}
