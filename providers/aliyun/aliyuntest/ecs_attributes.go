package aliyuntest

import (
	"cmp"
	"encoding/base64"
	"fmt"
	"hash/fnv"

	"github.com/google/uuid"
)

// This file serves the per-instance read actions that infrastructure tools
// call after RunInstances to read an instance back: DescribeInstanceAttribute,
// DescribeUserData, DescribeInstanceRamRole,
// DescribeInstanceMaintenanceAttributes and
// DescribeInstanceAttachmentAttributes. Response shapes follow the reference
// pages' response tables (see testdata/documented).

// defaultResourceGroupID is the account's default resource group, reported on
// resources created without ResourceGroupId.
const defaultResourceGroupID = "rg-acfmxazb4ph6aiy"

// maxUserDataBytes is the documented limit of UserData before base64 encoding.
const maxUserDataBytes = 32 << 10

// checkUserData validates a base64 UserData parameter. The error codes are
// those of the RunInstances error table; not confirmed against a live call.
func checkUserData(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return "", errCode(400, "InvalidUserData.Base64FormatInvalid", "The specified UserData is not valid Base64.")
	}
	if len(raw) > maxUserDataBytes {
		return "", errCode(400, "InvalidUserData.SizeExceeded", "The specified UserData exceeds 32 KB before encoding.")
	}
	return s, nil
}

// serialNumber is a stable UUID-formatted serial number per instance.
func (in *instance) serialNumber() string { return serialNumberOf(in.id) }

// serialNumberOf derives a stable UUID-formatted serial number from an ID.
func serialNumberOf(id string) string {
	return uuid.NewSHA1(uuid.NameSpaceOID, []byte(id)).String()
}

// eniID is the ID of the instance's primary elastic network interface.
func (in *instance) eniID() string { return "eni-" + in.id[2:] }

// macAddress is a stable MAC address in the 00:16:3e range Alibaba Cloud uses.
func (in *instance) macAddress() string {
	h := fnv.New32a()
	h.Write([]byte(in.id))
	v := h.Sum32()
	return fmt.Sprintf("00:16:3e:%02x:%02x:%02x", byte(v>>16), byte(v>>8), byte(v))
}

// lookupInstance finds an instance by the InstanceId parameter, in the call's
// region when it has one.
func (s *Server) lookupInstance(c *call) (*instance, error) {
	id, err := c.p.required("InstanceId")
	if err != nil {
		return nil, err
	}
	in := s.view(c.now).instance(id)
	if in == nil || c.region != nil && in.rg.id != c.region.id {
		return nil, errInstanceNotFound
	}
	return in, nil
}

type describeInstanceAttributeResp struct {
	respBase
	ClusterId              string `json:"ClusterId"`
	Cpu                    int    `json:"Cpu"`
	CreationTime           string `json:"CreationTime"`
	CreditSpecification    string `json:"CreditSpecification"`
	DedicatedHostAttribute struct {
		DedicatedHostId   string `json:"DedicatedHostId"`
		DedicatedHostName string `json:"DedicatedHostName"`
	} `json:"DedicatedHostAttribute"`
	Description string `json:"Description"`
	EipAddress  struct {
		AllocationId       string `json:"AllocationId"`
		Bandwidth          int    `json:"Bandwidth"`
		InternetChargeType string `json:"InternetChargeType"`
		IpAddress          string `json:"IpAddress"`
	} `json:"EipAddress"`
	EnableJumboFrame        bool   `json:"EnableJumboFrame"`
	EnableNetworkEncryption bool   `json:"EnableNetworkEncryption"`
	ExpiredTime             string `json:"ExpiredTime"`
	HostName                string `json:"HostName"`
	ImageId                 string `json:"ImageId"`
	InnerIpAddress          ipList `json:"InnerIpAddress"`
	InstanceChargeType      string `json:"InstanceChargeType"`
	InstanceId              string `json:"InstanceId"`
	InstanceName            string `json:"InstanceName"`
	InstanceNetworkType     string `json:"InstanceNetworkType"`
	InstanceType            string `json:"InstanceType"`
	InternetChargeType      string `json:"InternetChargeType"`
	InternetMaxBandwidthIn  int    `json:"InternetMaxBandwidthIn"`
	InternetMaxBandwidthOut int    `json:"InternetMaxBandwidthOut"`
	IoOptimized             string `json:"IoOptimized"`
	Memory                  int    `json:"Memory"`
	NetworkOptions          struct {
		BandwidthWeighting      string `json:"BandwidthWeighting"`
		EnableJumboFrame        bool   `json:"EnableJumboFrame"`
		EnableNetworkEncryption bool   `json:"EnableNetworkEncryption"`
	} `json:"NetworkOptions"`
	OperationLocks   lockReasons `json:"OperationLocks"`
	PublicIpAddress  ipList      `json:"PublicIpAddress"`
	RegionId         string      `json:"RegionId"`
	SecurityGroupIds struct {
		SecurityGroupId []string `json:"SecurityGroupId"`
	} `json:"SecurityGroupIds"`
	SerialNumber  string `json:"SerialNumber"`
	Status        string `json:"Status"`
	StoppedMode   string `json:"StoppedMode"`
	VlanId        string `json:"VlanId"`
	VpcAttributes struct {
		NatIpAddress     string `json:"NatIpAddress"`
		PrivateIpAddress ipList `json:"PrivateIpAddress"`
		VSwitchId        string `json:"VSwitchId"`
		VpcId            string `json:"VpcId"`
	} `json:"VpcAttributes"`
	ZoneId string `json:"ZoneId"`
}

// lockReasons is OperationLocks: the emulator never locks a resource.
type lockReasons struct {
	LockReason []struct {
		LockReason string `json:"LockReason"`
	} `json:"LockReason"`
}

func emptyLocks() lockReasons {
	return lockReasons{LockReason: []struct {
		LockReason string `json:"LockReason"`
	}{}}
}

// describeInstanceAttribute takes only InstanceId: the reference lists no
// RegionId parameter, so the instance is found in any region.
func (s *Server) describeInstanceAttribute(c *call) (response, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	in, err := s.lookupInstance(c)
	if err != nil {
		return nil, err
	}
	j := s.instanceJSON(in, c.now)
	r := &describeInstanceAttributeResp{
		Cpu: j.Cpu, CreationTime: j.CreationTime, Description: j.Description, ExpiredTime: j.ExpiredTime,
		HostName: j.HostName, ImageId: j.ImageId, InnerIpAddress: j.InnerIpAddress, InstanceChargeType: j.InstanceChargeType,
		InstanceId: j.InstanceId, InstanceName: j.InstanceName, InstanceNetworkType: j.InstanceNetworkType,
		InstanceType: j.InstanceType, InternetChargeType: j.InternetChargeType, InternetMaxBandwidthIn: j.InternetMaxBandwidthIn,
		InternetMaxBandwidthOut: j.InternetMaxBandwidthOut, IoOptimized: "optimized", Memory: j.Memory,
		OperationLocks: emptyLocks(), PublicIpAddress: j.PublicIpAddress, RegionId: j.RegionId,
		SerialNumber: j.SerialNumber, Status: j.Status, StoppedMode: j.StoppedMode, ZoneId: j.ZoneId,
	}
	r.EipAddress.AllocationId = j.EipAddress.AllocationId
	r.EipAddress.Bandwidth = j.EipAddress.Bandwidth
	r.EipAddress.InternetChargeType = j.EipAddress.InternetChargeType
	r.EipAddress.IpAddress = j.EipAddress.IpAddress
	r.SecurityGroupIds.SecurityGroupId = j.SecurityGroupIds.SecurityGroupId
	r.VpcAttributes.NatIpAddress = j.VpcAttributes.NatIpAddress
	r.VpcAttributes.PrivateIpAddress = j.VpcAttributes.PrivateIpAddress
	r.VpcAttributes.VSwitchId = j.VpcAttributes.VSwitchId
	r.VpcAttributes.VpcId = j.VpcAttributes.VpcId
	return r, nil
}

type describeUserDataResp struct {
	respBase
	InstanceId string `json:"InstanceId"`
	RegionId   string `json:"RegionId"`
	UserData   string `json:"UserData"`
}

// describeUserData returns the instance's base64 UserData, "" when none was given.
func (s *Server) describeUserData(c *call) (response, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	in, err := s.lookupInstance(c)
	if err != nil {
		return nil, err
	}
	return &describeUserDataResp{InstanceId: in.id, RegionId: in.rg.id, UserData: in.userData}, nil
}

type instanceRamRoleJSON struct {
	InstanceId  string `json:"InstanceId"`
	RamRoleName string `json:"RamRoleName"`
}

type describeInstanceRamRoleResp struct {
	respBase
	InstanceRamRoleSets struct {
		InstanceRamRoleSet []instanceRamRoleJSON `json:"InstanceRamRoleSet"`
	} `json:"InstanceRamRoleSets"`
	RegionId   string `json:"RegionId"`
	TotalCount int    `json:"TotalCount"`
}

// describeInstanceRamRole lists every asked instance with its RAM role, an
// empty RamRoleName where it has none. Without InstanceIds it lists the
// instances that have RamRoleName. Asked IDs that do not exist are left out
// (the reference lists no error for them; not confirmed).
func (s *Server) describeInstanceRamRole(c *call) (response, error) {
	ids, err := c.p.jsonList("InstanceIds", 100)
	if err != nil {
		return nil, err
	}
	role := c.p.str("RamRoleName")
	if len(ids) == 0 && role == "" {
		return nil, errMissing("InstanceIds")
	}
	pg, err := c.p.pageParams(50)
	if err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var match []instanceRamRoleJSON
	st := s.view(c.now)
	if len(ids) > 0 {
		for _, id := range ids {
			if in := st.instanceIn(c.region, id); in != nil && (role == "" || in.ramRole == role) {
				match = append(match, instanceRamRoleJSON{InstanceId: in.id, RamRoleName: in.ramRole})
			}
		}
	} else {
		for _, in := range st.instancesOf(c.region) {
			if in.ramRole == role {
				match = append(match, instanceRamRoleJSON{InstanceId: in.id, RamRoleName: in.ramRole})
			}
		}
	}
	r := &describeInstanceRamRoleResp{RegionId: c.region.id, TotalCount: len(match)}
	r.InstanceRamRoleSets.InstanceRamRoleSet = append([]instanceRamRoleJSON{}, paginate(match, pg)...)
	return r, nil
}

type maintenanceAttributeJSON struct {
	ActionOnMaintenance struct {
		DefaultValue    string `json:"DefaultValue"`
		SupportedValues struct {
			SupportedValue []string `json:"SupportedValue"`
		} `json:"SupportedValues"`
		Value string `json:"Value"`
	} `json:"ActionOnMaintenance"`
	InstanceId         string `json:"InstanceId"`
	MaintenanceWindows struct {
		MaintenanceWindow []maintenanceWindowJSON `json:"MaintenanceWindow"`
	} `json:"MaintenanceWindows"`
	NotifyOnMaintenance bool `json:"NotifyOnMaintenance"`
}

type maintenanceWindowJSON struct {
	EndTime   string `json:"EndTime"`
	StartTime string `json:"StartTime"`
}

type describeInstanceMaintenanceAttributesResp struct {
	respBase
	MaintenanceAttributes struct {
		MaintenanceAttribute []maintenanceAttributeJSON `json:"MaintenanceAttribute"`
	} `json:"MaintenanceAttributes"`
	PageNumber int `json:"PageNumber"`
	PageSize   int `json:"PageSize"`
	TotalCount int `json:"TotalCount"`
}

// describeInstanceMaintenanceAttributes reports the default maintenance
// policy for each asked instance (InstanceId.N), or for every instance of the
// region. The default action AutoRecover and the supported values are those
// the reference's example shows; a window is not set by default (not
// confirmed).
func (s *Server) describeInstanceMaintenanceAttributes(c *call) (response, error) {
	pg, err := c.p.pageParams(100)
	if err != nil {
		return nil, err
	}
	ids := c.p.list("InstanceId")
	if len(ids) > 100 {
		return nil, errCode(400, "InvalidParameter", "At most 100 InstanceId.N may be specified.")
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var match []*instance
	st := s.view(c.now)
	if len(ids) > 0 {
		for _, id := range ids {
			if in := st.instanceIn(c.region, id); in != nil {
				match = append(match, in)
			}
		}
	} else {
		match = st.instancesOf(c.region)
	}
	r := &describeInstanceMaintenanceAttributesResp{PageNumber: pg.number, PageSize: pg.size, TotalCount: len(match)}
	r.MaintenanceAttributes.MaintenanceAttribute = []maintenanceAttributeJSON{}
	for _, in := range paginate(match, pg) {
		var m maintenanceAttributeJSON
		m.InstanceId = in.id
		m.ActionOnMaintenance.DefaultValue = "AutoRecover"
		m.ActionOnMaintenance.Value = "AutoRecover"
		m.ActionOnMaintenance.SupportedValues.SupportedValue = []string{"Stop", "AutoRecover", "AutoRedeploy"}
		m.MaintenanceWindows.MaintenanceWindow = []maintenanceWindowJSON{}
		r.MaintenanceAttributes.MaintenanceAttribute = append(r.MaintenanceAttributes.MaintenanceAttribute, m)
	}
	return r, nil
}

type attachmentJSON struct {
	InstanceId                      string `json:"InstanceId"`
	PrivatePoolOptionsId            string `json:"PrivatePoolOptionsId"`
	PrivatePoolOptionsMatchCriteria string `json:"PrivatePoolOptionsMatchCriteria"`
}

type describeInstanceAttachmentAttributesResp struct {
	respBase
	Instances struct {
		Instance []attachmentJSON `json:"Instance"`
	} `json:"Instances"`
	PageNumber int `json:"PageNumber"`
	PageSize   int `json:"PageSize"`
	TotalCount int `json:"TotalCount"`
}

// describeInstanceAttachmentAttributes reports the private pool match of
// each asked instance. The emulator has no private pools, so every instance
// matches "None" (RunInstances' default when PrivatePoolOptions.MatchCriteria
// is omitted is not confirmed by the reference).
func (s *Server) describeInstanceAttachmentAttributes(c *call) (response, error) {
	ids, err := c.p.jsonList("InstanceIds", 100)
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, errMissing("InstanceIds")
	}
	pg, err := c.p.pageParams(100)
	if err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var match []attachmentJSON
	st := s.view(c.now)
	for _, id := range ids {
		if in := st.instanceIn(c.region, id); in != nil {
			match = append(match, attachmentJSON{InstanceId: in.id, PrivatePoolOptionsMatchCriteria: "None"})
		}
	}
	r := &describeInstanceAttachmentAttributesResp{PageNumber: pg.number, PageSize: pg.size, TotalCount: len(match)}
	r.Instances.Instance = append([]attachmentJSON{}, paginate(match, pg)...)
	return r, nil
}

type renewAttributeJSON struct {
	AutoRenewEnabled       bool   `json:"AutoRenewEnabled"`
	Duration               int    `json:"Duration"`
	EnableExpectedRenewDay bool   `json:"EnableExpectedRenewDay"`
	InstanceId             string `json:"InstanceId"`
	PeriodUnit             string `json:"PeriodUnit"`
	RenewalStatus          string `json:"RenewalStatus"`
}

type describeInstanceAutoRenewAttributeResp struct {
	respBase
	InstanceRenewAttributes struct {
		InstanceRenewAttribute []renewAttributeJSON `json:"InstanceRenewAttribute"`
	} `json:"InstanceRenewAttributes"`
	PageNumber int `json:"PageNumber"`
	PageSize   int `json:"PageSize"`
	TotalCount int `json:"TotalCount"`
}

// describeInstanceAutoRenewAttribute reports the renewal setting of the
// instances in InstanceId (comma-separated, up to 100): AutoRenewal with the
// AutoRenewPeriod given to RunInstances (in its PeriodUnit), else Normal. The reference
// describes subscription instances; pay-as-you-go ones are reported as
// Normal (not confirmed).
func (s *Server) describeInstanceAutoRenewAttribute(c *call) (response, error) {
	ids := c.p.commaList("InstanceId")
	if len(ids) == 0 {
		return nil, errMissing("InstanceId")
	}
	if len(ids) > 100 {
		return nil, errInvalid("InstanceId", c.p.str("InstanceId"))
	}
	pg, err := c.p.pageParams(100)
	if err != nil {
		return nil, err
	}
	status := c.p.str("RenewalStatus")
	s.mu.RLock()
	defer s.mu.RUnlock()
	var match []renewAttributeJSON
	st := s.view(c.now)
	for _, id := range ids {
		in := st.instanceIn(c.region, id)
		if in == nil {
			continue
		}
		a := renewAttributeJSON{InstanceId: in.id, PeriodUnit: cmp.Or(in.renewUnit, "Month"), RenewalStatus: "Normal"}
		if in.autoRenew {
			a.AutoRenewEnabled, a.Duration, a.RenewalStatus = true, in.autoRenewPeriod, "AutoRenewal"
		}
		if status == "" || status == a.RenewalStatus {
			match = append(match, a)
		}
	}
	r := &describeInstanceAutoRenewAttributeResp{PageNumber: pg.number, PageSize: pg.size, TotalCount: len(match)}
	r.InstanceRenewAttributes.InstanceRenewAttribute = append([]renewAttributeJSON{}, paginate(match, pg)...)
	return r, nil
}
