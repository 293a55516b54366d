package aliyuntest

import (
	"strconv"
	"time"

	"github.com/multicloud-ecs/multicloud/providers/sim"
)

// eip is an elastic IP address. Its lifecycle is Available -> Associating ->
// InUse -> Unassociating -> Available. instance stays set until another
// association replaces it; whether it is bound is decided by the phase.
type eip struct {
	id, name, description string
	rg                    *region
	ip                    uint32
	bandwidth             int
	internetChargeType    string
	prepaid               bool
	tags                  []tag
	allocated             int64
	life                  lifecycle
	instance              *instance
}

// boundTo returns the instance the EIP is associated with (in any phase of the
// association) at now, or nil.
func (e *eip) boundTo(now time.Time, d time.Duration) *instance {
	if e.instance == nil || e.instance.eip != e || e.life.at(now, d) == phAvailable {
		return nil
	}
	return e.instance
}

var (
	errEipNotFound        = errCode(404, "InvalidAllocationId.NotFound", "Specified allocation ID is not found.")
	errIncorrectEipStatus = errCode(400, "IncorrectEipStatus", "Current elastic IP status does not support this operation.")
)

type allocateEipResp struct {
	respBase
	AllocationId    string `json:"AllocationId"`
	EipAddress      string `json:"EipAddress"`
	OrderId         int64  `json:"OrderId"`
	ResourceGroupId string `json:"ResourceGroupId"`
}

func (s *Server) allocateEipAddress(c *call) (response, error) {
	prepaid := false
	switch ct := c.p.str("InstanceChargeType"); ct {
	case "", "PostPaid":
	case "PrePaid":
		prepaid = true
	default:
		return nil, errInvalid("InstanceChargeType", ct)
	}
	ict := c.p.str("InternetChargeType")
	if ict == "" {
		ict = "PayByBandwidth"
	}
	maxBW := 500
	switch {
	case prepaid:
		maxBW = 1000
	case ict == "PayByTraffic":
		maxBW = 200
	case ict != "PayByBandwidth":
		return nil, errInvalid("InternetChargeType", ict)
	}
	bw, err := c.p.intv("Bandwidth", 5)
	if err != nil || bw < 1 || bw > maxBW {
		return nil, errCode(400, "InvalidBandwidth", "The specified Bandwidth is not valid; it must be 1 to "+strconv.Itoa(maxBW)+".")
	}
	name := c.p.str("Name")
	if name != "" && !validName(name, 1, 128, "._-") {
		return nil, errCode(400, "InvalidName", "The specified Name is not valid.")
	}
	if err := checkDescription(c.p.str("Description")); err != nil {
		return nil, err
	}
	tags, err := c.p.tags(true)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if prev, err := s.st.claimToken(c); err != nil || prev != nil {
		return prev, err
	}
	s.st.sweepAttrs()
	a, err := s.cloud.AllocateAddress(sim.AddressSpec{Region: c.region.id, Bandwidth: bw, Name: name, Tags: tagMap(tags)})
	switch sim.ClassOf(err) {
	case "":
	case sim.ClassQuotaExceeded:
		return nil, errCode(400, "QuotaExceeded.Eip", "Elastic IP address quota exceeded.")
	default:
		return nil, apiErrorOf(err)
	}
	s.st.eipx[a.ID] = &eipAttrs{description: c.p.str("Description"), internetChargeType: ict, prepaid: prepaid}
	r := &allocateEipResp{AllocationId: a.ID, EipAddress: a.IP.String(), ResourceGroupId: "rg-acfm" + a.ID[min(4, len(a.ID)):]}
	if prepaid {
		s.st.seq++
		r.OrderId = int64(200000000000000 + s.st.seq)
	}
	storeToken(s.st, c, r)
	return r, nil
}

// lookupEIP finds an EIP of the call's region and settles its lifecycle.
func (s *Server) lookupEIP(c *call, st *view) (*eip, error) {
	id, err := c.p.required("AllocationId")
	if err != nil {
		return nil, err
	}
	e := st.eipIn(c.region, id)
	if e == nil {
		return nil, errEipNotFound
	}
	e.life.settle(c.now, st.d)
	return e, nil
}

// eipError answers a change of an EIP that the simulated cloud refused.
func eipError(err error) error {
	switch sim.ClassOf(err) {
	case sim.ClassNotFound:
		return errEipNotFound
	case sim.ClassIncorrectState:
		return errIncorrectEipStatus
	}
	return apiErrorOf(err)
}

func (s *Server) associateEipAddress(c *call) (response, error) {
	instID, err := c.p.required("InstanceId")
	if err != nil {
		return nil, err
	}
	if t := c.p.str("InstanceType"); t != "" && t != "EcsInstance" {
		return nil, errCode(400, "InvalidParameter", "Only InstanceType EcsInstance is supported by the emulator.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.view(c.now)
	e, err := s.lookupEIP(c, st)
	if err != nil {
		return nil, err
	}
	if e.life.ph != phAvailable {
		return nil, errIncorrectEipStatus
	}
	in := st.instanceIn(c.region, instID)
	if in == nil {
		return nil, errInstanceNotFound
	}
	// The reference does not confirm which instance states accept an EIP;
	// by default only Pending is refused (WithEIPRefusedInstanceStatuses).
	if contains(s.quirks.eipRefusesStatuses, in.life.settle(c.now, st.d).String()) {
		return nil, errCode(400, "IncorrectInstanceStatus", "The current status of the resource does not support this operation.")
	}
	if in.eip != nil && in.eip.boundTo(c.now, st.d) == in {
		return nil, errCode(400, "InvalidAssociation.Duplicated", "Specified instance already has an elastic IP address.")
	}
	if err := c.p.dryRun(); err != nil {
		return nil, err
	}
	if _, err := s.cloud.AssociateAddress(c.region.id, e.id, in.id); err != nil {
		switch sim.ClassOf(err) {
		case sim.ClassConflict:
			return nil, errCode(400, "InvalidAssociation.Duplicated", "Specified instance already has an elastic IP address.")
		case sim.ClassIncorrectState:
			if e.life.ph == phAvailable {
				return nil, errCode(400, "IncorrectInstanceStatus", "The current status of the resource does not support this operation.")
			}
		}
		return nil, eipError(err)
	}
	return &respBase{}, nil
}

func (s *Server) unassociateEipAddress(c *call) (response, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := s.lookupEIP(c, s.view(c.now))
	if err != nil {
		return nil, err
	}
	if e.life.ph != phInUse {
		return nil, errIncorrectEipStatus
	}
	if id := c.p.str("InstanceId"); id != "" && (e.instance == nil || e.instance.id != id) {
		return nil, errCode(400, "InvalidInstanceId.NotMatch", "The specified InstanceId does not match the EIP association.")
	}
	if _, err := s.cloud.UnassociateAddress(c.region.id, e.id); err != nil {
		return nil, eipError(err)
	}
	return &respBase{}, nil
}

func (s *Server) releaseEipAddress(c *call) (response, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := s.lookupEIP(c, s.view(c.now))
	if err != nil {
		return nil, err
	}
	if e.life.ph != phAvailable {
		return nil, errIncorrectEipStatus
	}
	if e.prepaid {
		return nil, errCode(400, "Forbidden.ChargeTypeIsPrepaid", "A subscription EIP cannot be released.")
	}
	if err := s.cloud.ReleaseAddress(c.region.id, e.id); err != nil {
		return nil, eipError(err)
	}
	delete(s.st.eipx, e.id)
	return &respBase{}, nil
}

type eipJSON struct {
	AllocationId              string `json:"AllocationId"`
	AllocationTime            string `json:"AllocationTime"`
	Bandwidth                 string `json:"Bandwidth"`
	BandwidthPackageBandwidth string `json:"BandwidthPackageBandwidth"`
	BandwidthPackageId        string `json:"BandwidthPackageId"`
	BandwidthPackageType      string `json:"BandwidthPackageType"`
	BizType                   string `json:"BizType"`
	BusinessStatus            string `json:"BusinessStatus"`
	ChargeType                string `json:"ChargeType"`
	DeletionProtection        bool   `json:"DeletionProtection"`
	Description               string `json:"Description"`
	EipBandwidth              string `json:"EipBandwidth"`
	ExpiredTime               string `json:"ExpiredTime"`
	HDMonitorStatus           string `json:"HDMonitorStatus"`
	HasReservationData        string `json:"HasReservationData"`
	ISP                       string `json:"ISP"`
	InstanceId                string `json:"InstanceId"`
	InstanceRegionId          string `json:"InstanceRegionId"`
	InstanceType              string `json:"InstanceType"`
	InternetChargeType        string `json:"InternetChargeType"`
	IpAddress                 string `json:"IpAddress"`
	Mode                      string `json:"Mode"`
	Name                      string `json:"Name"`
	Netmode                   string `json:"Netmode"`
	OperationLocks            struct {
		LockReason []eipLockJSON `json:"LockReason"`
	} `json:"OperationLocks"`
	PrivateIpAddress              string `json:"PrivateIpAddress"`
	PublicIpAddressPoolId         string `json:"PublicIpAddressPoolId"`
	RegionId                      string `json:"RegionId"`
	ReservationActiveTime         string `json:"ReservationActiveTime"`
	ReservationBandwidth          string `json:"ReservationBandwidth"`
	ReservationInternetChargeType string `json:"ReservationInternetChargeType"`
	ReservationOrderType          string `json:"ReservationOrderType"`
	ResourceGroupId               string `json:"ResourceGroupId"`
	SecondLimited                 bool   `json:"SecondLimited"`
	SecurityProtectionTypes       struct {
		SecurityProtectionType []string `json:"SecurityProtectionType"`
	} `json:"SecurityProtectionTypes"`
	SegmentInstanceId string  `json:"SegmentInstanceId"`
	ServiceID         int64   `json:"ServiceID"`
	ServiceManaged    int     `json:"ServiceManaged"`
	Status            string  `json:"Status"`
	Tags              vpcTags `json:"Tags"`
	VpcId             string  `json:"VpcId"`
	Zone              string  `json:"Zone"`
}

type eipLockJSON struct {
	LockReason string `json:"LockReason"`
}

type describeEipsResp struct {
	respBase
	TotalCount   int `json:"TotalCount"`
	PageNumber   int `json:"PageNumber"`
	PageSize     int `json:"PageSize"`
	EipAddresses struct {
		EipAddress []eipJSON `json:"EipAddress"`
	} `json:"EipAddresses"`
}

func (s *Server) describeEipAddresses(c *call) (response, error) {
	pg, err := c.p.pageParams(100)
	if err != nil {
		return nil, err
	}
	ids, addrs := c.p.commaList("AllocationId"), c.p.commaList("EipAddress")
	if len(ids) > 50 || len(addrs) > 50 {
		return nil, errCode(400, "InvalidParameter", "At most 50 AllocationId or EipAddress values may be specified.")
	}
	status, assoc, charge, tags := c.p.str("Status"), c.p.str("AssociatedInstanceId"), c.p.str("ChargeType"), c.p.tagFilter()
	if t := c.p.str("AssociatedInstanceType"); t != "" && t != "EcsInstance" {
		assoc = "\x00" // nothing else can be associated here
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var match []eipJSON
	for _, e := range s.view(c.now).eipsOf(c.region) {
		j := s.eipJSON(e, c.now)
		if len(ids) > 0 && !contains(ids, e.id) || len(addrs) > 0 && !contains(addrs, j.IpAddress) ||
			status != "" && j.Status != status || assoc != "" && j.InstanceId != assoc ||
			charge != "" && j.ChargeType != charge || !matchTags(e.tags, tags) {
			continue
		}
		match = append(match, j)
	}
	r := &describeEipsResp{TotalCount: len(match), PageNumber: pg.number, PageSize: pg.size}
	r.EipAddresses.EipAddress = append([]eipJSON{}, paginate(match, pg)...)
	return r, nil
}

func (s *Server) eipJSON(e *eip, now time.Time) eipJSON {
	d := s.delay()
	j := eipJSON{AllocationId: e.id, IpAddress: ipString(e.ip), Status: e.life.at(now, d).String(),
		Bandwidth: strconv.Itoa(e.bandwidth), InternetChargeType: e.internetChargeType, ChargeType: "PostPaid",
		Name: e.name, Description: e.description, AllocationTime: formatTimeSec(time.Unix(e.allocated, 0)),
		RegionId: e.rg.id, ISP: "BGP", Netmode: "public", Tags: vpcTagsJSON(e.tags), BusinessStatus: "Normal",
		EipBandwidth: strconv.Itoa(e.bandwidth), HasReservationData: "false", Mode: "NAT", ResourceGroupId: "rg-acfm" + e.id[4:]}
	if e.prepaid {
		j.ChargeType = "PrePaid"
	}
	if in := e.boundTo(now, d); in != nil {
		j.InstanceId, j.InstanceType, j.InstanceRegionId = in.id, "EcsInstance", in.rg.id
		j.PrivateIpAddress, j.VpcId = ipString(in.privateIP), in.vsw.vpc.id
	}
	j.OperationLocks.LockReason = []eipLockJSON{}
	j.SecurityProtectionTypes.SecurityProtectionType = []string{}
	return j
}
