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
	userData           string // base64, as given to RunInstances
	ramRole            string
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
	AdditionalInfo struct {
		EnableHighDensityMode bool `json:"EnableHighDensityMode"`
	} `json:"AdditionalInfo"`
	AutoReleaseTime string `json:"AutoReleaseTime"`
	ClockOptions    struct {
		PtpStatus string `json:"PtpStatus"`
	} `json:"ClockOptions"`
	ClusterId  string `json:"ClusterId"`
	Cpu        int    `json:"Cpu"`
	CpuOptions struct {
		CoreCount      int    `json:"CoreCount"`
		EnableVISST    bool   `json:"EnableVISST"`
		EnableVRDT     bool   `json:"EnableVRDT"`
		Numa           string `json:"Numa"`
		ThreadsPerCore int    `json:"ThreadsPerCore"`
		TopologyType   string `json:"TopologyType"`
		TurboMode      string `json:"TurboMode"`
	} `json:"CpuOptions"`
	CreationTime           string `json:"CreationTime"`
	CreditSpecification    string `json:"CreditSpecification"`
	DedicatedHostAttribute struct {
		DedicatedHostClusterId string `json:"DedicatedHostClusterId"`
		DedicatedHostId        string `json:"DedicatedHostId"`
		DedicatedHostName      string `json:"DedicatedHostName"`
	} `json:"DedicatedHostAttribute"`
	DedicatedInstanceAttribute struct {
		Affinity string `json:"Affinity"`
		Tenancy  string `json:"Tenancy"`
	} `json:"DedicatedInstanceAttribute"`
	DeletionProtection         bool   `json:"DeletionProtection"`
	DeploymentSetGroupNo       int    `json:"DeploymentSetGroupNo"`
	DeploymentSetId            string `json:"DeploymentSetId"`
	Description                string `json:"Description"`
	DeviceAvailable            bool   `json:"DeviceAvailable"`
	EcsCapacityReservationAttr struct {
		CapacityReservationId         string `json:"CapacityReservationId"`
		CapacityReservationPreference string `json:"CapacityReservationPreference"`
	} `json:"EcsCapacityReservationAttr"`
	EipAddress struct {
		AllocationId         string `json:"AllocationId"`
		Bandwidth            int    `json:"Bandwidth"`
		InternetChargeType   string `json:"InternetChargeType"`
		IpAddress            string `json:"IpAddress"`
		IsSupportUnassociate bool   `json:"IsSupportUnassociate"`
	} `json:"EipAddress"`
	EnableNVS          bool   `json:"EnableNVS"`
	ExpiredTime        string `json:"ExpiredTime"`
	GPUAmount          int    `json:"GPUAmount"`
	GPUSpec            string `json:"GPUSpec"`
	HibernationOptions struct {
		Configured bool `json:"Configured"`
	} `json:"HibernationOptions"`
	HostName     string `json:"HostName"`
	HpcClusterId string `json:"HpcClusterId"`
	ISP          string `json:"ISP"`
	ImageId      string `json:"ImageId"`
	ImageOptions struct {
		CurrentOSNVMeSupported bool `json:"CurrentOSNVMeSupported"`
		LoginAsNonRoot         bool `json:"LoginAsNonRoot"`
	} `json:"ImageOptions"`
	InnerIpAddress          ipList `json:"InnerIpAddress"`
	InstanceChargeType      string `json:"InstanceChargeType"`
	InstanceId              string `json:"InstanceId"`
	InstanceName            string `json:"InstanceName"`
	InstanceNetworkType     string `json:"InstanceNetworkType"`
	InstanceType            string `json:"InstanceType"`
	InstanceTypeFamily      string `json:"InstanceTypeFamily"`
	InternetChargeType      string `json:"InternetChargeType"`
	InternetMaxBandwidthIn  int    `json:"InternetMaxBandwidthIn"`
	InternetMaxBandwidthOut int    `json:"InternetMaxBandwidthOut"`
	IoOptimized             bool   `json:"IoOptimized"`
	KeyPairName             string `json:"KeyPairName"`
	LocalStorageAmount      int    `json:"LocalStorageAmount"`
	LocalStorageCapacity    int64  `json:"LocalStorageCapacity"`
	Memory                  int    `json:"Memory"`
	MetadataOptions         struct {
		HttpEndpoint            string `json:"HttpEndpoint"`
		HttpPutResponseHopLimit int    `json:"HttpPutResponseHopLimit"`
		HttpTokens              string `json:"HttpTokens"`
	} `json:"MetadataOptions"`
	NetworkInterfaces struct {
		NetworkInterface []instanceENIJSON `json:"NetworkInterface"`
	} `json:"NetworkInterfaces"`
	OSName         string `json:"OSName"`
	OSNameEn       string `json:"OSNameEn"`
	OSType         string `json:"OSType"`
	OperationLocks struct {
		LockReason []lockReasonJSON `json:"LockReason"`
	} `json:"OperationLocks"`
	PrivateDnsNameOptions struct {
		EnableInstanceIdDnsAAAARecord bool   `json:"EnableInstanceIdDnsAAAARecord"`
		EnableInstanceIdDnsARecord    bool   `json:"EnableInstanceIdDnsARecord"`
		EnableIpDnsARecord            bool   `json:"EnableIpDnsARecord"`
		EnableIpDnsPtrRecord          bool   `json:"EnableIpDnsPtrRecord"`
		HostnameType                  string `json:"HostnameType"`
	} `json:"PrivateDnsNameOptions"`
	PublicIpAddress  ipList `json:"PublicIpAddress"`
	RdmaIpAddress    ipList `json:"RdmaIpAddress"`
	Recyclable       bool   `json:"Recyclable"`
	RegionId         string `json:"RegionId"`
	ResourceGroupId  string `json:"ResourceGroupId"`
	SaleCycle        string `json:"SaleCycle"`
	SecurityGroupIds struct {
		SecurityGroupId []string `json:"SecurityGroupId"`
	} `json:"SecurityGroupIds"`
	SerialNumber             string  `json:"SerialNumber"`
	SpotDuration             int     `json:"SpotDuration"`
	SpotInterruptionBehavior string  `json:"SpotInterruptionBehavior"`
	SpotPriceLimit           float64 `json:"SpotPriceLimit"`
	SpotStrategy             string  `json:"SpotStrategy"`
	StartTime                string  `json:"StartTime"`
	Status                   string  `json:"Status"`
	StoppedMode              string  `json:"StoppedMode"`
	Tags                     ecsTags `json:"Tags"`
	VlanId                   string  `json:"VlanId"`
	VpcAttributes            struct {
		NatIpAddress     string `json:"NatIpAddress"`
		PrivateIpAddress ipList `json:"PrivateIpAddress"`
		VSwitchId        string `json:"VSwitchId"`
		VpcId            string `json:"VpcId"`
	} `json:"VpcAttributes"`
	ZoneId string `json:"ZoneId"`
}

type lockReasonJSON struct {
	LockMsg    string `json:"LockMsg"`
	LockReason string `json:"LockReason"`
}

// instanceENIJSON is an instance's network interface as DescribeInstances shows it.
type instanceENIJSON struct {
	Ipv4PrefixSets struct {
		Ipv4PrefixSet []ipv4PrefixJSON `json:"Ipv4PrefixSet"`
	} `json:"Ipv4PrefixSets"`
	Ipv6PrefixSets struct {
		Ipv6PrefixSet []ipv6PrefixJSON `json:"Ipv6PrefixSet"`
	} `json:"Ipv6PrefixSets"`
	Ipv6Sets struct {
		Ipv6Set []ipv6AddressJSON `json:"Ipv6Set"`
	} `json:"Ipv6Sets"`
	MacAddress         string `json:"MacAddress"`
	NetworkInterfaceId string `json:"NetworkInterfaceId"`
	PrimaryIpAddress   string `json:"PrimaryIpAddress"`
	PrivateIpSets      struct {
		PrivateIpSet []instancePrivateIPJSON `json:"PrivateIpSet"`
	} `json:"PrivateIpSets"`
	Type string `json:"Type"`
}

type ipv4PrefixJSON struct {
	Ipv4Prefix string `json:"Ipv4Prefix"`
}

type ipv6PrefixJSON struct {
	Ipv6Prefix string `json:"Ipv6Prefix"`
}

type ipv6AddressJSON struct {
	Ipv6Address string `json:"Ipv6Address"`
}

type instancePrivateIPJSON struct {
	Primary          bool   `json:"Primary"`
	PrivateDnsName   string `json:"PrivateDnsName"`
	PrivateIpAddress string `json:"PrivateIpAddress"`
}

// neverExpires is the ExpiredTime of pay-as-you-go instances.
const neverExpires = "2099-12-31T15:59Z"

// privateDNSName is the instance-ID based private DNS name of an address
// (format as in the reference's example; not confirmed per region).
func (in *instance) privateDNSName() string {
	return in.id + "." + in.rg.id + ".ecs.internal"
}

func (s *Server) instanceJSON(in *instance, now time.Time) instanceJSON {
	j := instanceJSON{
		InstanceId: in.id, InstanceName: in.displayName(), HostName: in.host(), Description: in.description,
		Status: in.life.at(now, s.delay()).String(), RegionId: in.rg.id, ZoneId: in.zone,
		InstanceType: in.typ.id, InstanceTypeFamily: in.typ.family, Cpu: in.typ.cpu, Memory: int(in.typ.memGiB * 1024),
		GPUAmount: in.typ.gpus, GPUSpec: in.typ.gpuSpec, OSName: in.img.osName, OSNameEn: in.img.osNameEn, OSType: "linux",
		ImageId: in.img.id, InstanceChargeType: "PostPaid", InternetChargeType: "PayByTraffic",
		InternetMaxBandwidthOut: int(in.bwOut), InternetMaxBandwidthIn: int(in.bwIn), InstanceNetworkType: "vpc",
		CreationTime: formatTime(time.Unix(in.created, 0)), StartTime: formatTime(time.Unix(in.started, 0)),
		ExpiredTime: neverExpires, KeyPairName: in.keyPair, SpotStrategy: "NoSpot",
		DeletionProtection: in.deletionProtection, IoOptimized: true, DeviceAvailable: true,
		ResourceGroupId: defaultResourceGroupID, SerialNumber: in.serialNumber(),
	}
	// Two threads per core on every type the emulator sells; not confirmed per family.
	j.CpuOptions.CoreCount = max(1, in.typ.cpu/2)
	j.CpuOptions.ThreadsPerCore = min(2, in.typ.cpu)
	j.CpuOptions.Numa = ""
	j.MetadataOptions.HttpEndpoint = "enabled"
	j.MetadataOptions.HttpTokens = "optional"
	j.MetadataOptions.HttpPutResponseHopLimit = 1
	j.PrivateDnsNameOptions.HostnameType = "Custom"
	j.EcsCapacityReservationAttr.CapacityReservationPreference = "open"
	if in.prepaid {
		j.InstanceChargeType = "PrePaid"
		j.ExpiredTime = formatTime(time.Unix(in.expired, 0))
		j.SaleCycle = "Month"
	}
	if in.payByBW {
		j.InternetChargeType = "PayByBandwidth"
	}
	if in.publicIP != 0 {
		j.ISP = "BGP"
	}
	j.VpcAttributes.VpcId = in.vsw.vpc.id
	j.VpcAttributes.VSwitchId = in.vsw.id
	j.VpcAttributes.PrivateIpAddress = ips(in.privateIP)
	j.PublicIpAddress = ips(in.publicIP)
	j.InnerIpAddress = ips(0)
	j.RdmaIpAddress = ips(0)
	if e := in.boundEIP(now, s.delay()); e != nil {
		j.EipAddress.AllocationId = e.id
		j.EipAddress.IpAddress = ipString(e.ip)
		j.EipAddress.Bandwidth = e.bandwidth
		j.EipAddress.InternetChargeType = e.internetChargeType
		j.EipAddress.IsSupportUnassociate = true
	}
	eni := instanceENIJSON{MacAddress: in.macAddress(), NetworkInterfaceId: in.eniID(),
		PrimaryIpAddress: ipString(in.privateIP), Type: "Primary"}
	eni.Ipv4PrefixSets.Ipv4PrefixSet = []ipv4PrefixJSON{}
	eni.Ipv6PrefixSets.Ipv6PrefixSet = []ipv6PrefixJSON{}
	eni.Ipv6Sets.Ipv6Set = []ipv6AddressJSON{}
	eni.PrivateIpSets.PrivateIpSet = []instancePrivateIPJSON{{Primary: true, PrivateDnsName: in.privateDNSName(), PrivateIpAddress: ipString(in.privateIP)}}
	j.NetworkInterfaces.NetworkInterface = []instanceENIJSON{eni}
	j.SecurityGroupIds.SecurityGroupId = in.sgIDs
	j.Tags = ecsTagsJSON(in.tags)
	j.OperationLocks.LockReason = []lockReasonJSON{}
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
	st := s.view(c.now)
	if tokenMode && len(ids) == 0 && f.empty() {
		// Read the page only, not the region.
		out, next := st.instancePage(c.region, token, max)
		r := &describeInstancesResp{TotalCount: st.liveInstances(c.region), PageSize: max, NextToken: next}
		r.Instances.Instance = make([]instanceJSON, len(out))
		for i, in := range out {
			r.Instances.Instance[i] = s.instanceJSON(in, c.now)
		}
		return r, nil
	}
	if !tokenMode && len(ids) == 0 && f.empty() {
		lo, hi := pg.bounds(1 << 40)
		page, total := s.cloud.InstanceRange(c.region.id, lo, hi-lo, aliveInstance)
		r := &describeInstancesResp{TotalCount: total, PageNumber: pg.number, PageSize: pg.size}
		r.Instances.Instance = make([]instanceJSON, 0, len(page))
		for _, si := range page {
			if in := st.hydrate(si); in != nil {
				r.Instances.Instance = append(r.Instances.Instance, s.instanceJSON(in, c.now))
			}
		}
		return r, nil
	}
	var all []*instance
	if len(ids) > 0 {
		for _, id := range ids {
			if in := st.instanceIn(c.region, id); in != nil {
				all = insertSorted(all, in, instID)
			}
		}
	} else {
		all = st.instancesOf(c.region)
	}
	var keep func(*instance) bool
	total := len(all)
	if !f.empty() {
		keep = func(in *instance) bool { return f.match(in, c.now, st.d) }
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
	for _, in := range s.view(c.now).instancesOf(c.region) {
		if (len(ids) == 0 || contains(ids, in.id)) && (zone == "" || in.zone == zone) {
			match = append(match, in)
		}
	}
	r := &describeInstanceStatusResp{TotalCount: len(match), PageNumber: pg.number, PageSize: pg.size}
	r.InstanceStatuses.InstanceStatus = []instanceStatusJSON{}
	for _, in := range paginate(match, pg) {
		r.InstanceStatuses.InstanceStatus = append(r.InstanceStatuses.InstanceStatus,
			instanceStatusJSON{InstanceId: in.id, Status: in.life.at(c.now, s.delay()).String()})
	}
	return r, nil
}
