package aliyuntest

import "strconv"

func (s *Server) ecsUntagResources(c *call) (response, error) { return s.untagResources(c, false, 50) }
func (s *Server) vpcUnTagResources(c *call) (response, error) { return s.untagResources(c, true, 50) }

// untagResources removes the tags TagKey.N, or every tag with All=true, from
// each ResourceId.N. Keys a resource does not have are ignored.
func (s *Server) untagResources(c *call, vpcAPI bool, maxIDs int) (response, error) {
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
	all, err := c.p.boolv("All")
	if err != nil {
		return nil, err
	}
	keys := c.p.list("TagKey")
	if len(keys) == 0 && !all {
		return nil, errMissing("TagKey.1")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	targets, err := s.view(c.now).lookupTargets(c.region, typ, ids)
	if err != nil {
		return nil, err
	}
	for _, t := range targets {
		var kept []tag
		for _, tg := range t.tags {
			if !all && !contains(keys, tg.Key) {
				kept = append(kept, tg)
			}
		}
		if err := t.set(tagMap(kept)); err != nil {
			return nil, apiErrorOf(err)
		}
	}
	return &respBase{}, nil
}
