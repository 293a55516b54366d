package aliyuntest

import (
	"strconv"
	"strings"
	"time"
)

// instance is an ECS instance. Fields shared between seeded instances (tags,
// disks, security group IDs) are never mutated in place.
type instance struct {
	id                 string
	rg                 *region
	zone               string
	name               string // "" means the ID
	hostName           string // "" means derived from the ID
	description        string
	keyPair            string
	typ                *instanceType
	img                *image
	vsw                *vswitch
	sgIDs              []string
	tags               []tag
	disks              []diskSpec // [0] is the system disk
	privateIP          uint32
	publicIP           uint32
	eip                *eip
	prepaid            bool
	payByBW            bool
	deletionProtection bool
	bwOut, bwIn        int32
	created            int64 // unix seconds
	started            int64
	expired            int64  // unix seconds; 0 = pay-as-you-go
	autoRenew          bool   // PrePaid only: RunInstances' AutoRenew
	autoRenewPeriod    int    // in renewUnit
	renewUnit          string // "Month" or "Week"
	life               lifecycle
}

// diskSpec is one disk attached to an instance.
type diskSpec struct {
	category           string
	pl                 string
	size               int32
	deleteWithInstance bool
}

func (in *instance) displayName() string {
	if in.name == "" {
		return in.id
	}
	return in.name
}

func (in *instance) host() string {
	if in.hostName == "" {
		return "iZ" + in.id[2:] + "Z"
	}
	return in.hostName
}

type ipList struct {
	IpAddress []string `json:"IpAddress"`
}

func ips(ip uint32) ipList {
	if ip == 0 {
		return ipList{IpAddress: []string{}}
	}
	return ipList{IpAddress: []string{ipString(ip)}}
}

type ecsTagJSON struct {
	TagKey   string `json:"TagKey"`
	TagValue string `json:"TagValue"`
}

type ecsTags struct {
	Tag []ecsTagJSON `json:"Tag"`
}

func ecsTagsJSON(ts []tag) ecsTags {
	out := ecsTags{Tag: make([]ecsTagJSON, len(ts))}
	for i, t := range ts {
		out.Tag[i] = ecsTagJSON{TagKey: t.Key, TagValue: t.Value}
	}
	return out
}

type instanceJSON struct {
	InstanceId              string  `json:"InstanceId"`
	InstanceName            string  `json:"InstanceName"`
	HostName                string  `json:"HostName"`
	Description             string  `json:"Description"`
	Status                  string  `json:"Status"`
	RegionId                string  `json:"RegionId"`
	ZoneId                  string  `json:"ZoneId"`
	InstanceType            string  `json:"InstanceType"`
	InstanceTypeFamily      string  `json:"InstanceTypeFamily"`
	Cpu                     int     `json:"Cpu"`
	Memory                  int     `json:"Memory"`
	GPUAmount               int     `json:"GPUAmount"`
	GPUSpec                 string  `json:"GPUSpec"`
	OSName                  string  `json:"OSName"`
	OSNameEn                string  `json:"OSNameEn"`
	OSType                  string  `json:"OSType"`
	ImageId                 string  `json:"ImageId"`
	InstanceChargeType      string  `json:"InstanceChargeType"`
	InternetChargeType      string  `json:"InternetChargeType"`
	InternetMaxBandwidthOut int     `json:"InternetMaxBandwidthOut"`
	InternetMaxBandwidthIn  int     `json:"InternetMaxBandwidthIn"`
	InstanceNetworkType     string  `json:"InstanceNetworkType"`
	CreationTime            string  `json:"CreationTime"`
	StartTime               string  `json:"StartTime"`
	ExpiredTime             string  `json:"ExpiredTime"`
	KeyPairName             string  `json:"KeyPairName"`
	SpotStrategy            string  `json:"SpotStrategy"`
	SpotPriceLimit          float64 `json:"SpotPriceLimit"`
	StoppedMode             string  `json:"StoppedMode"`
	DeletionProtection      bool    `json:"DeletionProtection"`
	IoOptimized             bool    `json:"IoOptimized"`
	VpcAttributes           struct {
		VpcId            string `json:"VpcId"`
		VSwitchId        string `json:"VSwitchId"`
		NatIpAddress     string `json:"NatIpAddress"`
		PrivateIpAddress ipList `json:"PrivateIpAddress"`
	} `json:"VpcAttributes"`
	PublicIpAddress ipList `json:"PublicIpAddress"`
	InnerIpAddress  ipList `json:"InnerIpAddress"`
	EipAddress      struct {
		AllocationId         string `json:"AllocationId"`
		IpAddress            string `json:"IpAddress"`
		Bandwidth            int    `json:"Bandwidth"`
		InternetChargeType   string `json:"InternetChargeType"`
		IsSupportUnassociate bool   `json:"IsSupportUnassociate"`
	} `json:"EipAddress"`
	SecurityGroupIds struct {
		SecurityGroupId []string `json:"SecurityGroupId"`
	} `json:"SecurityGroupIds"`
	Tags           ecsTags `json:"Tags"`
	OperationLocks struct {
		LockReason []struct{} `json:"LockReason"`
	} `json:"OperationLocks"`
}

// neverExpires is the ExpiredTime of pay-as-you-go instances.
const neverExpires = "2099-12-31T15:59Z"

func (s *Server) instanceJSON(in *instance, now time.Time) instanceJSON {
	j := instanceJSON{
		InstanceId: in.id, InstanceName: in.displayName(), HostName: in.host(), Description: in.description,
		Status: in.life.at(now, s.delay).String(), RegionId: in.rg.id, ZoneId: in.zone,
		InstanceType: in.typ.id, InstanceTypeFamily: in.typ.family, Cpu: in.typ.cpu, Memory: int(in.typ.memGiB * 1024),
		GPUAmount: in.typ.gpus, GPUSpec: in.typ.gpuSpec, OSName: in.img.osName, OSNameEn: in.img.osNameEn, OSType: "linux",
		ImageId: in.img.id, InstanceChargeType: "PostPaid", InternetChargeType: "PayByTraffic",
		InternetMaxBandwidthOut: int(in.bwOut), InternetMaxBandwidthIn: int(in.bwIn), InstanceNetworkType: "vpc",
		CreationTime: formatTime(time.Unix(in.created, 0)), StartTime: formatTime(time.Unix(in.started, 0)),
		ExpiredTime: neverExpires, KeyPairName: in.keyPair, SpotStrategy: "NoSpot",
		DeletionProtection: in.deletionProtection, IoOptimized: true,
	}
	if in.prepaid {
		j.InstanceChargeType = "PrePaid"
		j.ExpiredTime = formatTime(time.Unix(in.expired, 0))
	}
	if in.payByBW {
		j.InternetChargeType = "PayByBandwidth"
	}
	j.VpcAttributes.VpcId = in.vsw.vpc.id
	j.VpcAttributes.VSwitchId = in.vsw.id
	j.VpcAttributes.PrivateIpAddress = ips(in.privateIP)
	j.PublicIpAddress = ips(in.publicIP)
	j.InnerIpAddress = ips(0)
	if e := in.boundEIP(now, s.delay); e != nil {
		j.EipAddress.AllocationId = e.id
		j.EipAddress.IpAddress = ipString(e.ip)
		j.EipAddress.Bandwidth = e.bandwidth
		j.EipAddress.InternetChargeType = e.internetChargeType
		j.EipAddress.IsSupportUnassociate = true
	}
	j.SecurityGroupIds.SecurityGroupId = in.sgIDs
	j.Tags = ecsTagsJSON(in.tags)
	j.OperationLocks.LockReason = []struct{}{}
	return j
}

// boundEIP returns the EIP shown on the instance: one whose association has
// completed and not yet been undone.
func (in *instance) boundEIP(now time.Time, d time.Duration) *eip {
	if in.eip == nil || in.eip.instance != in {
		return nil
	}
	switch in.eip.life.at(now, d) {
	case phInUse, phUnassociating:
		return in.eip
	}
	return nil
}

type describeInstancesResp struct {
	respBase
	TotalCount int    `json:"TotalCount"`
	PageNumber int    `json:"PageNumber"`
	PageSize   int    `json:"PageSize"`
	NextToken  string `json:"NextToken"`
	Instances  struct {
		Instance []instanceJSON `json:"Instance"`
	} `json:"Instances"`
}

// instanceFilter is the parsed filter set of DescribeInstances.
type instanceFilter struct {
	status, vpc, vsw, zone, name, typ, family, sg, charge, keyPair, image string
	tags                                                                  []tag
	privateIPs, publicIPs, eipIPs                                         []string
}

func (f *instanceFilter) empty() bool {
	return f.status == "" && f.vpc == "" && f.vsw == "" && f.zone == "" && f.name == "" && f.typ == "" &&
		f.family == "" && f.sg == "" && f.charge == "" && f.keyPair == "" && f.image == "" && len(f.tags) == 0 &&
		len(f.privateIPs) == 0 && len(f.publicIPs) == 0 && len(f.eipIPs) == 0
}

func (f *instanceFilter) match(in *instance, now time.Time, d time.Duration) bool {
	if f.status != "" && in.life.at(now, d).String() != f.status ||
		f.vpc != "" && in.vsw.vpc.id != f.vpc ||
		f.vsw != "" && in.vsw.id != f.vsw ||
		f.zone != "" && in.zone != f.zone ||
		f.name != "" && !wildcard(f.name, in.displayName()) ||
		f.typ != "" && in.typ.id != f.typ ||
		f.family != "" && in.typ.family != f.family ||
		f.sg != "" && !contains(in.sgIDs, f.sg) ||
		f.keyPair != "" && in.keyPair != f.keyPair ||
		f.image != "" && in.img.id != f.image ||
		!matchTags(in.tags, f.tags) {
		return false
	}
	if f.charge != "" && (f.charge == "PrePaid") != in.prepaid {
		return false
	}
	if len(f.privateIPs) > 0 && !contains(f.privateIPs, ipString(in.privateIP)) ||
		len(f.publicIPs) > 0 && (in.publicIP == 0 || !contains(f.publicIPs, ipString(in.publicIP))) {
		return false
	}
	if len(f.eipIPs) > 0 {
		e := in.boundEIP(now, d)
		if e == nil || !contains(f.eipIPs, ipString(e.ip)) {
			return false
		}
	}
	return true
}

func (s *Server) describeInstances(c *call) (response, error) {
	if err := c.p.dryRun(); err != nil {
		return nil, err
	}
	ids, err := c.p.jsonList("InstanceIds", 100)
	if err != nil {
		return nil, err
	}
	f := &instanceFilter{status: c.p.str("Status"), vpc: c.p.str("VpcId"), vsw: c.p.str("VSwitchId"), zone: c.p.str("ZoneId"),
		name: c.p.str("InstanceName"), typ: c.p.str("InstanceType"), family: c.p.str("InstanceTypeFamily"),
		sg: c.p.str("SecurityGroupId"), charge: c.p.str("InstanceChargeType"), keyPair: c.p.str("KeyPairName"),
		image: c.p.str("ImageId"), tags: c.p.tagFilter()}
	for _, l := range []struct {
		k   string
		dst *[]string
	}{{"PrivateIpAddresses", &f.privateIPs}, {"PublicIpAddresses", &f.publicIPs}, {"EipAddresses", &f.eipIPs}} {
		if *l.dst, err = c.p.jsonList(l.k, 100); err != nil {
			return nil, err
		}
	}
	tokenMode, max, err := c.p.tokenMode(100)
	if err != nil {
		return nil, err
	}
	var pg page
	if !tokenMode {
		if pg, err = c.p.pageParams(100); err != nil {
			return nil, err
		}
	}
	token := c.p.str("NextToken")
	if token != "" && !strings.HasPrefix(token, "i-") {
		return nil, errCode(400, "InvalidParameter.NextToken", "The specified NextToken is not valid.")
	}

	s.mu.RLock()
	defer s.mu.RUnlock()
	all := c.region.instances
	if len(ids) > 0 {
		all = nil
		for _, id := range ids {
			if in, ok := s.st.instances[id]; ok && in.rg == c.region {
				all = insertSorted(all, in, instID)
			}
		}
	}
	var keep func(*instance) bool
	total := len(all)
	if !f.empty() {
		keep = func(in *instance) bool { return f.match(in, c.now, s.delay) }
		total = 0
		for _, in := range all {
			if keep(in) {
				total++
			}
		}
	}
	r := &describeInstancesResp{TotalCount: total}
	var out []*instance
	if tokenMode {
		out, r.NextToken = tokenPage(all, instID, token, max, keep)
		r.PageSize = max
	} else {
		r.PageNumber, r.PageSize = pg.number, pg.size
		if keep == nil {
			out = paginate(all, pg)
		} else {
			lo, hi := pg.bounds(total)
			n := 0
			for _, in := range all {
				if !keep(in) {
					continue
				}
				if n >= lo && n < hi {
					out = append(out, in)
				}
				n++
				if n >= hi {
					break
				}
			}
		}
	}
	r.Instances.Instance = make([]instanceJSON, len(out))
	for i, in := range out {
		r.Instances.Instance[i] = s.instanceJSON(in, c.now)
	}
	return r, nil
}

type describeInstanceStatusResp struct {
	respBase
	TotalCount       int `json:"TotalCount"`
	PageNumber       int `json:"PageNumber"`
	PageSize         int `json:"PageSize"`
	InstanceStatuses struct {
		InstanceStatus []instanceStatusJSON `json:"InstanceStatus"`
	} `json:"InstanceStatuses"`
}

type instanceStatusJSON struct {
	InstanceId string `json:"InstanceId"`
	Status     string `json:"Status"`
}

func (s *Server) describeInstanceStatus(c *call) (response, error) {
	pg, err := c.p.pageParams(50)
	if err != nil {
		return nil, err
	}
	ids := c.p.list("InstanceId")
	if len(ids) > 100 {
		return nil, errInvalid("InstanceId", strconv.Itoa(len(ids))+" items")
	}
	zone := c.p.str("ZoneId")
	s.mu.RLock()
	defer s.mu.RUnlock()
	var match []*instance
	for _, in := range c.region.instances {
		if (len(ids) == 0 || contains(ids, in.id)) && (zone == "" || in.zone == zone) {
			match = append(match, in)
		}
	}
	r := &describeInstanceStatusResp{TotalCount: len(match), PageNumber: pg.number, PageSize: pg.size}
	r.InstanceStatuses.InstanceStatus = []instanceStatusJSON{}
	for _, in := range paginate(match, pg) {
		r.InstanceStatuses.InstanceStatus = append(r.InstanceStatuses.InstanceStatus,
			instanceStatusJSON{InstanceId: in.id, Status: in.life.at(c.now, s.delay).String()})
	}
	return r, nil
}
