package aliyuntest

import (
	"strconv"
	"time"
)

// Every instance has one primary elastic network interface, created and
// released with it; its ID is the instance ID core with the "eni-" prefix,
// so an ENI ID maps back to its instance without an index.

type eniJSON struct {
	AssociatedPublicIp publicIPJSON `json:"AssociatedPublicIp"`
	Attachment         struct {
		DeviceIndex             int    `json:"DeviceIndex"`
		InstanceId              string `json:"InstanceId"`
		NetworkCardIndex        int    `json:"NetworkCardIndex"`
		TrunkNetworkInterfaceId string `json:"TrunkNetworkInterfaceId"`
	} `json:"Attachment"`
	CreationTime    string `json:"CreationTime"`
	DeleteOnRelease bool   `json:"DeleteOnRelease"`
	Description     string `json:"Description"`
	InstanceId      string `json:"InstanceId"`
	Ipv4PrefixSets  struct {
		Ipv4PrefixSet []ipv4PrefixJSON `json:"Ipv4PrefixSet"`
	} `json:"Ipv4PrefixSets"`
	Ipv6PrefixSets struct {
		Ipv6PrefixSet []ipv6PrefixJSON `json:"Ipv6PrefixSet"`
	} `json:"Ipv6PrefixSets"`
	Ipv6Sets struct {
		Ipv6Set []ipv6AddressJSON `json:"Ipv6Set"`
	} `json:"Ipv6Sets"`
	MacAddress                  string `json:"MacAddress"`
	NetworkInterfaceId          string `json:"NetworkInterfaceId"`
	NetworkInterfaceName        string `json:"NetworkInterfaceName"`
	NetworkInterfaceTrafficMode string `json:"NetworkInterfaceTrafficMode"`
	OwnerId                     string `json:"OwnerId"`
	PrivateIpAddress            string `json:"PrivateIpAddress"`
	PrivateIpSets               struct {
		PrivateIpSet []eniPrivateIPJSON `json:"PrivateIpSet"`
	} `json:"PrivateIpSets"`
	QueueNumber      int    `json:"QueueNumber"`
	QueuePairNumber  int    `json:"QueuePairNumber"`
	ResourceGroupId  string `json:"ResourceGroupId"`
	SecurityGroupIds struct {
		SecurityGroupId []string `json:"SecurityGroupId"`
	} `json:"SecurityGroupIds"`
	ServiceID       int64   `json:"ServiceID"`
	ServiceManaged  bool    `json:"ServiceManaged"`
	SourceDestCheck bool    `json:"SourceDestCheck"`
	Status          string  `json:"Status"`
	Tags            ecsTags `json:"Tags"`
	Type            string  `json:"Type"`
	VSwitchId       string  `json:"VSwitchId"`
	VpcId           string  `json:"VpcId"`
	ZoneId          string  `json:"ZoneId"`
}

type publicIPJSON struct {
	AllocationId    string `json:"AllocationId"`
	PublicIpAddress string `json:"PublicIpAddress"`
}

type eniPrivateIPJSON struct {
	AssociatedPublicIp publicIPJSON `json:"AssociatedPublicIp"`
	Primary            bool         `json:"Primary"`
	PrivateDnsName     string       `json:"PrivateDnsName"`
	PrivateIpAddress   string       `json:"PrivateIpAddress"`
}

type describeNetworkInterfacesResp struct {
	respBase
	NetworkInterfaceSets struct {
		NetworkInterfaceSet []eniJSON `json:"NetworkInterfaceSet"`
	} `json:"NetworkInterfaceSets"`
	NextToken  string `json:"NextToken"`
	PageNumber int    `json:"PageNumber"`
	PageSize   int    `json:"PageSize"`
	TotalCount int    `json:"TotalCount"`
}

func (s *Server) eniJSON(in *instance, now time.Time) eniJSON {
	j := eniJSON{CreationTime: formatTimeSec(time.Unix(in.created, 0)), DeleteOnRelease: true, InstanceId: in.id,
		MacAddress: in.macAddress(), NetworkInterfaceId: in.eniID(), NetworkInterfaceTrafficMode: "Standard",
		OwnerId: strconv.FormatInt(ownerID, 10), PrivateIpAddress: ipString(in.privateIP), QueueNumber: 1,
		QueuePairNumber: 1, ResourceGroupId: defaultResourceGroupID, SourceDestCheck: false, Status: "InUse",
		Tags: ecsTagsJSON(nil), Type: "Primary", VSwitchId: in.vsw.id, VpcId: in.vsw.vpc.id, ZoneId: in.zone}
	j.Attachment.InstanceId = in.id
	var pub publicIPJSON
	if e := in.boundEIP(now, s.delay()); e != nil {
		pub = publicIPJSON{AllocationId: e.id, PublicIpAddress: ipString(e.ip)}
	} else if in.publicIP != 0 {
		pub = publicIPJSON{PublicIpAddress: ipString(in.publicIP)}
	}
	j.AssociatedPublicIp = pub
	j.Ipv4PrefixSets.Ipv4PrefixSet = []ipv4PrefixJSON{}
	j.Ipv6PrefixSets.Ipv6PrefixSet = []ipv6PrefixJSON{}
	j.Ipv6Sets.Ipv6Set = []ipv6AddressJSON{}
	j.PrivateIpSets.PrivateIpSet = []eniPrivateIPJSON{{AssociatedPublicIp: pub, Primary: true,
		PrivateDnsName: in.privateDNSName(), PrivateIpAddress: ipString(in.privateIP)}}
	j.SecurityGroupIds.SecurityGroupId = append([]string{}, in.sgIDs...)
	return j
}

// describeNetworkInterfaces lists the primary interfaces of the region's
// instances, filtered by NetworkInterfaceId.N, InstanceId, VSwitchId, VpcId,
// Type, PrimaryIpAddress and SecurityGroupId, with PageNumber/PageSize or
// NextToken/MaxResults paging.
func (s *Server) describeNetworkInterfaces(c *call) (response, error) {
	ids := c.p.list("NetworkInterfaceId")
	if len(ids) > 100 {
		return nil, errCode(400, "InvalidParameter", "At most 100 NetworkInterfaceId.N may be specified.")
	}
	tokenMode, maxN, err := c.p.tokenMode(500)
	if err != nil {
		return nil, err
	}
	var pg page
	if !tokenMode {
		if pg, err = c.p.pageParams(1000); err != nil {
			return nil, err
		}
	}
	instF, vswF, vpcF, typF, ipF, sgF := c.p.str("InstanceId"), c.p.str("VSwitchId"), c.p.str("VpcId"),
		c.p.str("Type"), c.p.str("PrimaryIpAddress"), c.p.str("SecurityGroupId")
	keep := func(in *instance) bool {
		return (len(ids) == 0 || contains(ids, in.eniID())) && (instF == "" || in.id == instF) &&
			(vswF == "" || in.vsw.id == vswF) && (vpcF == "" || in.vsw.vpc.id == vpcF) &&
			(typF == "" || typF == "Primary") && (ipF == "" || ipString(in.privateIP) == ipF) &&
			(sgF == "" || contains(in.sgIDs, sgF))
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var match []*instance
	st := s.view(c.now)
	if instF != "" {
		if in := st.instanceIn(c.region, instF); in != nil && keep(in) {
			match = append(match, in)
		}
	} else {
		for _, in := range st.instancesOf(c.region) {
			if keep(in) {
				match = append(match, in)
			}
		}
	}
	r := &describeNetworkInterfacesResp{TotalCount: len(match)}
	var out []*instance
	if tokenMode {
		out, r.NextToken = tokenPage(match, instID, c.p.str("NextToken"), maxN, nil)
		r.PageSize = maxN
	} else {
		out = paginate(match, pg)
		r.PageNumber, r.PageSize = pg.number, pg.size
	}
	r.NetworkInterfaceSets.NetworkInterfaceSet = []eniJSON{}
	for _, in := range out {
		r.NetworkInterfaceSets.NetworkInterfaceSet = append(r.NetworkInterfaceSets.NetworkInterfaceSet, s.eniJSON(in, c.now))
	}
	return r, nil
}
