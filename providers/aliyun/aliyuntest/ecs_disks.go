package aliyuntest

import (
	"fmt"
	"time"
)

// Disks are not stored on their own: an instance's disks are its diskSpecs and
// a disk ID is the instance ID core plus a two-digit index ("00" is the system
// disk), so DiskIds map back to instances without an index. All disks are
// released with their instance.

func diskID(in *instance, i int) string { return fmt.Sprintf("d-%s%02d", in.id[2:], i) }

// diskOwner returns the instance ID and disk index encoded in a disk ID.
func diskOwner(id string) (string, int, bool) {
	if len(id) < 5 || id[:2] != "d-" {
		return "", 0, false
	}
	n := len(id)
	a, b := id[n-2], id[n-1]
	if a < '0' || a > '9' || b < '0' || b > '9' {
		return "", 0, false
	}
	return "i-" + id[2:n-2], int(a-'0')*10 + int(b-'0'), true
}

type diskJSON struct {
	DiskId             string `json:"DiskId"`
	DiskName           string `json:"DiskName"`
	Description        string `json:"Description"`
	InstanceId         string `json:"InstanceId"`
	RegionId           string `json:"RegionId"`
	ZoneId             string `json:"ZoneId"`
	Type               string `json:"Type"`
	Category           string `json:"Category"`
	Size               int    `json:"Size"`
	Status             string `json:"Status"`
	PerformanceLevel   string `json:"PerformanceLevel"`
	Encrypted          bool   `json:"Encrypted"`
	DeleteWithInstance bool   `json:"DeleteWithInstance"`
	DeleteAutoSnapshot bool   `json:"DeleteAutoSnapshot"`
	Portable           bool   `json:"Portable"`
	ImageId            string `json:"ImageId"`
	Device             string `json:"Device"`
	DiskChargeType     string `json:"DiskChargeType"`
	CreationTime       string `json:"CreationTime"`
	AttachedTime       string `json:"AttachedTime"`
	ExpiredTime        string `json:"ExpiredTime"`
	Tags               struct {
		Tag []ecsTagJSON `json:"Tag"`
	} `json:"Tags"`
}

type describeDisksResp struct {
	respBase
	TotalCount int    `json:"TotalCount"`
	PageNumber int    `json:"PageNumber"`
	PageSize   int    `json:"PageSize"`
	NextToken  string `json:"NextToken"`
	Disks      struct {
		Disk []diskJSON `json:"Disk"`
	} `json:"Disks"`
}

func (s *Server) diskJSON(in *instance, i int) diskJSON {
	d := in.disks[i]
	j := diskJSON{
		DiskId: diskID(in, i), InstanceId: in.id, RegionId: in.rg.id, ZoneId: in.zone, Type: "data",
		Category: d.category, Size: int(d.size), Status: "In_use", PerformanceLevel: d.pl,
		DeleteWithInstance: d.deleteWithInstance, Device: fmt.Sprintf("/dev/xvd%c", 'a'+i),
		DiskChargeType: "PostPaid", CreationTime: formatTime(time.Unix(in.created, 0)),
		AttachedTime: formatTime(time.Unix(in.created, 0)), ExpiredTime: neverExpires,
	}
	if i == 0 {
		j.Type, j.ImageId = "system", in.img.id
	}
	if in.prepaid {
		j.DiskChargeType, j.ExpiredTime = "PrePaid", formatTime(time.Unix(in.expired, 0))
	}
	j.Tags.Tag = []ecsTagJSON{}
	return j
}

func (s *Server) describeDisks(c *call) (response, error) {
	pg, err := c.p.pageParams(100)
	if err != nil {
		return nil, err
	}
	ids, err := c.p.jsonList("DiskIds", 100)
	if err != nil {
		return nil, err
	}
	instF, zone, typ, cat := c.p.str("InstanceId"), c.p.str("ZoneId"), c.p.str("DiskType"), c.p.str("Category")
	switch typ {
	case "", "all", "system", "data":
	default:
		return nil, errInvalid("DiskType", typ)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var match []diskJSON
	keep := func(in *instance, i int) bool {
		return (zone == "" || in.zone == zone) && (cat == "" || in.disks[i].category == cat) &&
			(typ == "" || typ == "all" || (typ == "system") == (i == 0))
	}
	switch {
	case len(ids) > 0:
		for _, id := range ids {
			iid, i, ok := diskOwner(id)
			in := s.st.instances[iid]
			if ok && in != nil && in.rg == c.region && i < len(in.disks) && (instF == "" || instF == iid) && keep(in, i) {
				match = append(match, s.diskJSON(in, i))
			}
		}
	case instF != "":
		if in := s.st.instances[instF]; in != nil && in.rg == c.region {
			for i := range in.disks {
				if keep(in, i) {
					match = append(match, s.diskJSON(in, i))
				}
			}
		}
	default:
		// Page over all disks without rendering those outside the page.
		lo, hi := pg.bounds(1 << 40)
		n := 0
		for _, in := range c.region.instances {
			for i := range in.disks {
				if !keep(in, i) {
					continue
				}
				if n >= lo && n < hi {
					match = append(match, s.diskJSON(in, i))
				}
				n++
			}
		}
		r := &describeDisksResp{TotalCount: n, PageNumber: pg.number, PageSize: pg.size}
		r.Disks.Disk = append([]diskJSON{}, match...)
		return r, nil
	}
	r := &describeDisksResp{TotalCount: len(match), PageNumber: pg.number, PageSize: pg.size}
	r.Disks.Disk = append([]diskJSON{}, paginate(match, pg)...)
	return r, nil
}
