package aliyuntest

import (
	"strconv"
	"strings"
	"time"
)

// describeDisksMaxResults is DescribeDisks' largest MaxResults: 500 in
// the API's parameter table, not confirmed by our reference.
const describeDisksMaxResults = 500

// describeDisksPaged serves DescribeDisks calls that page by
// NextToken/MaxResults (with NextToken, PageSize and PageNumber take no
// effect and TotalCount is not meaningful, per the documentation) or
// that filter by creation time (Filter.N.Key CreationStartTime or
// CreationEndTime, Filter.N.Value "yyyy-MM-ddTHH:mmZ"); it hands every
// other call to describeDisks. The token is the last disk ID returned:
// disks are listed in ID order, which follows the instances' order.
func (s *Server) describeDisksPaged(c *call) (response, error) {
	var from, to time.Time
	for i := 1; i <= 2; i++ {
		k := c.p.str("Filter." + strconv.Itoa(i) + ".Key")
		v := c.p.str("Filter." + strconv.Itoa(i) + ".Value")
		if k == "" {
			continue
		}
		t, err := time.Parse("2006-01-02T15:04Z", v)
		if err != nil {
			return nil, errInvalid("Filter."+strconv.Itoa(i)+".Value", v)
		}
		switch k {
		case "CreationStartTime":
			from = t
		case "CreationEndTime":
			to = t
		default:
			return nil, errInvalid("Filter."+strconv.Itoa(i)+".Key", k)
		}
	}
	token, n, err := c.p.tokenMode(describeDisksMaxResults)
	if err != nil {
		return nil, err
	}
	if !token && from.IsZero() && to.IsZero() {
		return s.describeDisks(c)
	}
	if !token {
		n = 10
		if c.p.has("PageSize") {
			if n, err = c.p.intRange("PageSize", 10, 1, 100); err != nil {
				return nil, err
			}
		}
	}
	ids, err := c.p.jsonList("DiskIds", 100)
	if err != nil {
		return nil, err
	}
	next := c.p.str("NextToken")
	if next != "" && !strings.HasPrefix(next, "d-") {
		return nil, errCode(400, "InvalidParameter.NextToken", "The specified NextToken is not valid.")
	}
	instF, zone, typ, cat := c.p.str("InstanceId"), c.p.str("ZoneId"), c.p.str("DiskType"), c.p.str("Category")
	switch typ {
	case "", "all", "system", "data":
	default:
		return nil, errInvalid("DiskType", typ)
	}
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	st := s.view(c.now)
	// Read the region's instances a page at a time from the one the token
	// names (its remaining disks first), until the page of disks is full.
	after := ""
	if next != "" {
		core := "i-" + strings.TrimPrefix(next, "d-")
		core = core[:len(core)-2]
		if core != "i-" {
			// The largest key below core: every ID from core on sorts after it.
			after = core[:len(core)-1] + string(core[len(core)-1]-1) + "\xff"
		}
	}
	r := &describeDisksResp{PageSize: n}
	r.Disks.Disk = []diskJSON{}
	for {
		page, cont := st.instancePage(c.region, after, 100)
		for _, in := range page {
			if instF != "" && in.id != instF || zone != "" && in.zone != zone {
				continue
			}
			created := time.Unix(in.created, 0)
			if !from.IsZero() && created.Before(from) || !to.IsZero() && created.After(to) {
				continue
			}
			for d := range in.disks {
				id := diskID(in, d)
				if next != "" && id <= next || len(ids) > 0 && !want[id] ||
					cat != "" && in.disks[d].category != cat || typ == "system" && d != 0 || typ == "data" && d == 0 {
					continue
				}
				if len(r.Disks.Disk) == n {
					r.NextToken = r.Disks.Disk[n-1].DiskId
					return r, nil
				}
				r.Disks.Disk = append(r.Disks.Disk, s.diskJSON(in, d))
			}
		}
		if cont == "" {
			break
		}
		after = cont
	}
	r.TotalCount = len(r.Disks.Disk)
	return r, nil
}
