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
	AttachedTime string `json:"AttachedTime"`
	Attachments  struct {
		Attachment []diskAttachmentJSON `json:"Attachment"`
	} `json:"Attachments"`
	AutoSnapshotPolicyId          string `json:"AutoSnapshotPolicyId"`
	BdfId                         string `json:"BdfId"`
	BurstingEnabled               bool   `json:"BurstingEnabled"`
	Category                      string `json:"Category"`
	CreationTime                  string `json:"CreationTime"`
	DeleteAutoSnapshot            bool   `json:"DeleteAutoSnapshot"`
	DeleteWithInstance            bool   `json:"DeleteWithInstance"`
	Description                   string `json:"Description"`
	DetachedTime                  string `json:"DetachedTime"`
	Device                        string `json:"Device"`
	DiskChargeType                string `json:"DiskChargeType"`
	DiskId                        string `json:"DiskId"`
	DiskName                      string `json:"DiskName"`
	EnableAutoSnapshot            bool   `json:"EnableAutoSnapshot"`
	EnableAutomatedSnapshotPolicy bool   `json:"EnableAutomatedSnapshotPolicy"`
	Encrypted                     bool   `json:"Encrypted"`
	ExpiredTime                   string `json:"ExpiredTime"`
	IOPS                          int    `json:"IOPS"`
	IOPSRead                      int    `json:"IOPSRead"`
	IOPSWrite                     int    `json:"IOPSWrite"`
	ImageId                       string `json:"ImageId"`
	InstanceId                    string `json:"InstanceId"`
	KMSKeyId                      string `json:"KMSKeyId"`
	MountInstanceNum              int    `json:"MountInstanceNum"`
	MountInstances                struct {
		MountInstance []diskAttachmentJSON `json:"MountInstance"`
	} `json:"MountInstances"`
	MultiAttach    string `json:"MultiAttach"`
	OperationLocks struct {
		OperationLock []diskLockJSON `json:"OperationLock"`
	} `json:"OperationLocks"`
	PerformanceLevel string `json:"PerformanceLevel"`
	Placement        struct {
		ZoneIds string `json:"ZoneIds"`
	} `json:"Placement"`
	Portable                  bool    `json:"Portable"`
	ProductCode               string  `json:"ProductCode"`
	ProvisionedIops           int64   `json:"ProvisionedIops"`
	RegionId                  string  `json:"RegionId"`
	ResourceGroupId           string  `json:"ResourceGroupId"`
	SerialNumber              string  `json:"SerialNumber"`
	Size                      int     `json:"Size"`
	SourceDiskId              string  `json:"SourceDiskId"`
	SourceSnapshotId          string  `json:"SourceSnapshotId"`
	Status                    string  `json:"Status"`
	StorageClusterId          string  `json:"StorageClusterId"`
	StorageSetId              string  `json:"StorageSetId"`
	StorageSetPartitionNumber int     `json:"StorageSetPartitionNumber"`
	Tags                      ecsTags `json:"Tags"`
	Throughput                int     `json:"Throughput"`
	ThroughputRead            int     `json:"ThroughputRead"`
	ThroughputWrite           int     `json:"ThroughputWrite"`
	Type                      string  `json:"Type"`
	ZoneId                    string  `json:"ZoneId"`
}

type diskAttachmentJSON struct {
	AttachedTime string `json:"AttachedTime"`
	Device       string `json:"Device"`
	InstanceId   string `json:"InstanceId"`
}

type diskLockJSON struct {
	LockReason string `json:"LockReason"`
}

// diskPerformance returns the IOPS and throughput (MB/s) of a disk, by the
// formulas of the block storage performance page for ESSD PL0-PL3 and the
// older categories (not confirmed for every size bound).
func diskPerformance(category, pl string, size int) (iops, throughput int) {
	switch category {
	case "cloud_essd":
		switch pl {
		case "PL0":
			return min(1800+12*size, 10000), min(100+size/4, 180)
		case "PL2":
			return min(1800+50*size, 100000), min(120+size/2, 750)
		case "PL3":
			return min(1800+50*size, 1000000), min(120+size/2, 4000)
		}
		return min(1800+50*size, 50000), min(120+size/2, 350)
	case "cloud_auto":
		return min(3000+50*size, 50000), min(125+size/4, 350)
	case "cloud_ssd":
		return min(2400+30*size, 25000), min(110+size/2, 300)
	case "cloud_efficiency":
		return min(1800+8*size, 5000), min(100+size*3/20, 140)
	}
	return 0, 0
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

// diskJSON renders a disk. CreationTime and AttachedTime carry seconds as in
// the DescribeDisks example; ExpiredTime keeps the minute precision of the
// instance tables (neither confirmed against a live call).
func (s *Server) diskJSON(in *instance, i int) diskJSON {
	d := in.disks[i]
	attached := formatTimeSec(time.Unix(in.created, 0))
	j := diskJSON{
		DiskId: diskID(in, i), InstanceId: in.id, RegionId: in.rg.id, ZoneId: in.zone, Type: "data",
		Category: d.category, Size: int(d.size), Status: "In_use", PerformanceLevel: d.pl,
		DeleteWithInstance: d.deleteWithInstance, Device: fmt.Sprintf("/dev/xvd%c", 'a'+i),
		DiskChargeType: "PostPaid", CreationTime: attached, AttachedTime: attached, ExpiredTime: neverExpires,
		EnableAutoSnapshot: true, MultiAttach: "Disabled", ResourceGroupId: defaultResourceGroupID,
		SerialNumber: serialNumberOf(diskID(in, i)), MountInstanceNum: 0,
	}
	j.IOPS, j.Throughput = diskPerformance(d.category, d.pl, int(d.size))
	j.Attachments.Attachment = []diskAttachmentJSON{{AttachedTime: attached, Device: j.Device, InstanceId: in.id}}
	j.MountInstances.MountInstance = []diskAttachmentJSON{}
	j.OperationLocks.OperationLock = []diskLockJSON{}
	if i == 0 {
		j.Type, j.ImageId = "system", in.img.id
	}
	if in.prepaid {
		j.DiskChargeType, j.ExpiredTime = "PrePaid", formatTime(time.Unix(in.expired, 0))
	}
	j.Tags = ecsTagsJSON(nil)
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
	st := s.view(c.now)
	var match []diskJSON
	keep := func(in *instance, i int) bool {
		return (zone == "" || in.zone == zone) && (cat == "" || in.disks[i].category == cat) &&
			(typ == "" || typ == "all" || (typ == "system") == (i == 0))
	}
	switch {
	case len(ids) > 0:
		for _, id := range ids {
			iid, i, ok := diskOwner(id)
			var in *instance
			if ok {
				in = st.instanceIn(c.region, iid)
			}
			if in != nil && i < len(in.disks) && (instF == "" || instF == iid) && keep(in, i) {
				match = append(match, s.diskJSON(in, i))
			}
		}
	case instF != "":
		if in := st.instanceIn(c.region, instF); in != nil {
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
		for _, in := range st.instancesOf(c.region) {
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
