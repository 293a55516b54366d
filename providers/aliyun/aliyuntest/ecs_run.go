package aliyuntest

import (
	"strconv"
	"time"

	"github.com/multicloud-ecs/multicloud/providers/sim"
)

type runInstancesResp struct {
	respBase
	OrderId        string  `json:"OrderId"`
	TradePrice     float64 `json:"TradePrice"`
	InstanceIdSets struct {
		InstanceIdSet []string `json:"InstanceIdSet"`
	} `json:"InstanceIdSets"`
}

// runSpec is a validated RunInstances request.
type runSpec struct {
	zone, name, hostName, description, keyPair string
	typ                                        *instanceType
	img                                        *image
	vswID                                      string
	sgIDs                                      []string
	tags                                       []tag
	disks                                      []diskSpec
	amount, minAmount                          int
	prepaid, payByBW, deletionProtection       bool
	stockMode                                  string // the stock matrix's charge mode
	period                                     int
	periodUnit                                 string
	autoRenew                                  bool
	autoRenewPeriod                            int // in periodUnit
	bwOut, bwIn                                int
	userData, ramRole                          string
}

// parseRun validates everything that does not depend on other resources.
func parseRun(p params) (*runSpec, error) {
	sp := &runSpec{zone: p.str("ZoneId"), name: p.str("InstanceName"), hostName: p.str("HostName"),
		description: p.str("Description"), keyPair: p.str("KeyPairName"), vswID: p.str("VSwitchId")}
	var err error
	if sp.amount, err = p.intRange("Amount", 1, 1, 100); err != nil {
		return nil, err
	}
	if p.has("MinAmount") {
		if sp.minAmount, err = p.intRange("MinAmount", 1, 1, sp.amount); err != nil {
			return nil, err
		}
	} else {
		sp.minAmount = sp.amount
	}
	typ, err := p.required("InstanceType")
	if err != nil {
		return nil, err
	}
	if sp.typ = instanceTypeByID[typ]; sp.typ == nil {
		return nil, errCode(400, "InvalidInstanceType.ValueNotSupported", "The specified InstanceType does not exist or beyond the permitted range.")
	}
	if id := p.str("ImageId"); id != "" {
		if sp.img = imageByID[id]; sp.img == nil {
			return nil, errCode(404, "InvalidImageId.NotFound", "The specified ImageId does not exist.")
		}
	} else if fam := p.str("ImageFamily"); fam != "" {
		for _, im := range images {
			if im.family == fam {
				sp.img = im
			}
		}
		if sp.img == nil {
			return nil, errCode(404, "InvalidImageFamily.NotFound", "The specified ImageFamily does not exist.")
		}
	} else {
		return nil, errMissing("ImageId")
	}
	if sp.vswID == "" {
		return nil, errMissing("VSwitchId")
	}
	if g := p.str("SecurityGroupId"); g != "" {
		sp.sgIDs = []string{g}
	}
	if gs := p.list("SecurityGroupIds"); len(gs) > 0 {
		if len(sp.sgIDs) > 0 {
			return nil, errCode(400, "InvalidParameter.Conflict", "SecurityGroupId and SecurityGroupIds.N cannot be specified at the same time.")
		}
		sp.sgIDs = gs
	}
	if len(sp.sgIDs) == 0 {
		return nil, errMissing("SecurityGroupId")
	}
	for _, check := range []error{checkInstanceName(sp.name), checkDescription(sp.description), checkHostName(sp.hostName), checkPassword(p.str("Password"))} {
		if check != nil {
			return nil, check
		}
	}
	if inherit, _ := p.boolv("PasswordInherit"); inherit && p.str("Password") != "" {
		return nil, errCode(400, "InvalidPasswordParam.Mismatch", "Password and PasswordInherit cannot be specified at the same time.")
	}
	if sp.tags, err = p.tags(false); err != nil {
		return nil, err
	}
	if err := sp.parseCharge(p); err != nil {
		return nil, err
	}
	if sp.stockMode, err = chargeModeOf(p); err != nil {
		return nil, err
	}
	if err := sp.parseDisks(p); err != nil {
		return nil, err
	}
	if sp.deletionProtection, err = p.boolv("DeletionProtection"); err != nil {
		return nil, err
	}
	if sp.userData, err = checkUserData(p.str("UserData")); err != nil {
		return nil, err
	}
	sp.ramRole = p.str("RamRoleName")
	return sp, nil
}

func (sp *runSpec) parseCharge(p params) error {
	switch ct := p.str("InstanceChargeType"); ct {
	case "", "PostPaid":
	case "PrePaid":
		sp.prepaid = true
		if !p.has("Period") {
			return errMissing("Period")
		}
		sp.periodUnit = p.str("PeriodUnit")
		if sp.periodUnit == "" {
			sp.periodUnit = "Month"
		}
		n, err := p.intv("Period", 0)
		if err != nil {
			return err
		}
		ok := false
		switch sp.periodUnit {
		case "Week":
			ok = n >= 1 && n <= 4
		case "Month":
			ok = n >= 1 && n <= 9 || n == 12 || n == 24 || n == 36 || n == 48 || n == 60
		}
		if !ok {
			return errCode(400, "InvalidPeriod", "The specified period is not valid.")
		}
		sp.period = n
		if err := sp.parseAutoRenew(p); err != nil {
			return err
		}
	default:
		return errCode(400, "InvalidInstanceChargeType.ValueNotSupported", "The specified InstanceChargeType is not valid.")
	}
	switch ict := p.str("InternetChargeType"); ict {
	case "", "PayByTraffic":
	case "PayByBandwidth":
		sp.payByBW = true
	default:
		return errCode(400, "InvalidInternetChargeType.ValueNotSupported", "The specified InternetChargeType is not valid.")
	}
	var err error
	// Code names for bandwidth errors are not confirmed by the reference.
	if sp.bwOut, err = p.intv("InternetMaxBandwidthOut", 0); err != nil || sp.bwOut < 0 || sp.bwOut > 100 {
		return errCode(400, "InvalidInternetMaxBandwidthOut.Malformed", "The specified InternetMaxBandwidthOut is not valid; it must be 0 to 100.")
	}
	defIn, maxIn := 10, 10
	if sp.bwOut > 10 {
		defIn, maxIn = sp.bwOut, sp.bwOut
	}
	if sp.bwIn, err = p.intv("InternetMaxBandwidthIn", defIn); err != nil || sp.bwIn < 1 || sp.bwIn > maxIn {
		return errCode(400, "InvalidInternetMaxBandwidthIn.Malformed", "The specified InternetMaxBandwidthIn is not valid.")
	}
	return nil
}

func (sp *runSpec) parseDisks(p params) error {
	cat := p.str("SystemDisk.Category")
	if cat == "" {
		cat = "cloud_efficiency"
	}
	pl := p.str("SystemDisk.PerformanceLevel")
	lo, hi, ok := diskLimits(cat, pl, true)
	if !ok {
		return errCode(400, "InvalidSystemDiskCategory.ValueNotSupported", "The specified SystemDisk.Category is not valid.")
	}
	def := max(40, sp.img.sizeGiB)
	size, err := p.intv("SystemDisk.Size", def)
	if err != nil {
		return err
	}
	// The reference documents these size errors with HTTP 404.
	switch {
	case size < sp.img.sizeGiB:
		return errCode(404, "InvalidSystemDiskSize.LessThanImageSize", "The specified SystemDisk.Size is less than the image size.")
	case size < lo:
		return errCode(404, "InvalidSystemDiskSize.LessThanMinSize", "The specified SystemDisk.Size is less than the minimum of the category.")
	case size > hi:
		return errCode(404, "InvalidSystemDiskSize.MoreThanMaxSize", "The specified SystemDisk.Size exceeds the maximum of the category.")
	}
	if cat == "cloud_essd" && pl == "" {
		pl = "PL1"
	}
	sp.disks = []diskSpec{{category: cat, pl: pl, size: int32(size), deleteWithInstance: true}}
	for i := 1; ; i++ {
		k := "DataDisk." + strconv.Itoa(i) + "."
		if !p.has(k+"Size") && !p.has(k+"Category") {
			break
		}
		if i > 16 {
			return errCode(400, "InvalidDataDiskSize.ValueNotSupported", "At most 16 data disks can be attached.")
		}
		dcat := p.str(k + "Category")
		if dcat == "" {
			dcat = "cloud_efficiency"
		}
		dpl := p.str(k + "PerformanceLevel")
		lo, hi, ok := diskLimits(dcat, dpl, false)
		if !ok {
			return errCode(400, "InvalidDataDiskCategory.ValueNotSupported", "The specified DataDisk.n.Category is not valid.")
		}
		dsize, err := p.intv(k+"Size", lo)
		if err != nil || dsize < lo || dsize > hi {
			return errCode(400, "InvalidDataDiskSize.ValueNotSupported", "The specified DataDisk.n.Size is not valid for its category.")
		}
		del := true
		if p.has(k + "DeleteWithInstance") {
			if del, err = p.boolv(k + "DeleteWithInstance"); err != nil {
				return err
			}
		}
		if dcat == "cloud_essd" && dpl == "" {
			dpl = "PL1"
		}
		sp.disks = append(sp.disks, diskSpec{category: dcat, pl: dpl, size: int32(dsize), deleteWithInstance: del})
	}
	return nil
}

func (s *Server) runInstances(c *call) (response, error) {
	sp, err := parseRun(c.p)
	if err != nil {
		return nil, err
	}
	dry, err := c.p.boolv("DryRun")
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.view(c.now)
	if !dry {
		if prev, err := s.st.claimToken(c); err != nil || prev != nil {
			return prev, err
		}
	}
	vsw := st.vswitchIn(c.region, sp.vswID)
	if vsw == nil {
		return nil, errCode(404, "InvalidVSwitchId.NotFound", "Specified virtual switch does not exist.")
	}
	if netPhase(vsw.life, c.now, st.d) != "Available" {
		return nil, errCode(400, "IncorrectVSwitchStatus", "The current status of the vSwitch does not support this operation.")
	}
	if sp.zone == "" {
		sp.zone = vsw.zone
	} else if !c.region.hasZone(sp.zone) {
		return nil, errCode(404, "InvalidZoneId.NotFound", "The specified ZoneId does not exist.")
	} else if sp.zone != vsw.zone {
		// Code not confirmed by the reference.
		return nil, errCode(400, "InvalidParameter.Mismatch", "The specified ZoneId does not match the zone of the vSwitch.")
	}
	for _, id := range sp.sgIDs {
		g := st.sgIn(c.region, id)
		if g == nil {
			return nil, errCode(404, "InvalidSecurityGroupId.NotFound", "The specified SecurityGroupId does not exist.")
		}
		if g.vpcID != vsw.vpc.id {
			// Code not confirmed by the reference.
			return nil, errCode(400, "InvalidSecurityGroup.VpcMismatch", "The specified security group and vSwitch are not in the same VPC.")
		}
	}
	n := sp.amount
	mode := simMode(sp.stockMode)
	noStock := errCode(403, "OperationDenied.NoStock", "The requested resource is sold out in the specified zone; try other types of resources or other regions and zones.")
	if avail := s.cloud.Available(c.region.id, sp.zone, sp.typ.id, mode); avail == 0 {
		return nil, noStock
	} else if avail != sim.Unlimited && avail < n {
		if avail < sp.minAmount {
			return nil, noStock
		}
		n = avail
	}
	if free := vsw.freeIPs(); free < n {
		return nil, errCode(403, "InvalidVSwitchId.IpNotEnough", "The specified vSwitch has not enough IP addresses.")
	}
	if dry {
		return nil, errDryRun
	}
	spec := sim.InstanceSpec{Region: c.region.id, Zone: sp.zone, Type: sp.typ.id, VCPU: sp.typ.cpu, ChargeMode: mode,
		ImageID: sp.img.id, Name: sp.name, SubnetID: vsw.id, SecurityGroupIDs: sp.sgIDs, PublicIP: sp.bwOut > 0,
		Tags: tagMap(sp.tags), Token: c.p.str("ClientToken"), DeletionProtection: sp.deletionProtection, Count: n}
	for i, d := range sp.disks {
		spec.Disks = append(spec.Disks, sim.Disk{Category: d.category, SizeGiB: int(d.size), System: i == 0, DeleteWithInstance: d.deleteWithInstance})
	}
	s.st.sweepAttrs()
	created, err := s.cloud.CreateInstances(spec)
	switch sim.ClassOf(err) {
	case "":
	case sim.ClassNoStock:
		return nil, noStock
	default:
		return nil, apiErrorOf(err)
	}
	r := &runInstancesResp{}
	r.InstanceIdSets.InstanceIdSet = make([]string, 0, n)
	a := sp.attrs(c.now)
	unique, _ := c.p.boolv("UniqueSuffix")
	for i, in := range created {
		s.st.ecs[in.ID] = a
		if sp.name != "" && sp.amount > 1 && unique {
			name := sp.name + strconv.Itoa(i+1)
			_, _ = s.cloud.UpdateInstance(c.region.id, in.ID, func(in *sim.Instance) error { in.Name = name; return nil })
		}
		r.InstanceIdSets.InstanceIdSet = append(r.InstanceIdSets.InstanceIdSet, in.ID)
	}
	hourly := float64(n) * c.region.priceFactor * s.typePrice(sp.typ)
	r.TradePrice = round2(hourly)
	if sp.prepaid {
		s.st.seq++
		r.OrderId = strconv.FormatUint(200000000000000+s.st.seq, 10)
	}
	storeToken(s.st, c, r)
	return r, nil
}

// attrs are the ECS attributes of the instances sp creates at now; the
// instances share them, and they are not changed in place.
func (sp *runSpec) attrs(now time.Time) *ecsAttrs {
	a := &ecsAttrs{hostName: sp.hostName, description: sp.description, keyPair: sp.keyPair, userData: sp.userData,
		ramRole: sp.ramRole, payByBW: sp.payByBW, bwOut: int32(sp.bwOut), bwIn: int32(sp.bwIn),
		autoRenew: sp.autoRenew, autoRenewPeriod: sp.autoRenewPeriod, renewUnit: sp.periodUnit}
	for _, d := range sp.disks {
		a.pls = append(a.pls, d.pl)
	}
	if sp.prepaid {
		exp := now.AddDate(0, sp.period, 0)
		if sp.periodUnit == "Week" {
			exp = now.AddDate(0, 0, 7*sp.period)
		}
		a.expired = exp.Unix()
	}
	return a
}

func round2(f float64) float64 {
	return float64(int64(f*100+0.5)) / 100
}
