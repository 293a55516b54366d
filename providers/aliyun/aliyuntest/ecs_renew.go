package aliyuntest

import (
	"strings"
)

// parseAutoRenew reads RunInstances' AutoRenew and AutoRenewPeriod of a
// PrePaid request. The documented periods: Week 1, 2, 3; Month 1, 2, 3,
// 6, 12, 24, 36, 48, 60 (default 1).
func (sp *runSpec) parseAutoRenew(p params) error {
	var err error
	if sp.autoRenew, err = p.boolv("AutoRenew"); err != nil || !sp.autoRenew {
		return err
	}
	n, err := p.intv("AutoRenewPeriod", 1)
	if err != nil {
		return err
	}
	ok := false
	switch sp.periodUnit {
	case "Week":
		ok = n >= 1 && n <= 3
	case "Month":
		ok = n >= 1 && n <= 3 || n == 6 || n == 12 || n == 24 || n == 36 || n == 48 || n == 60
	}
	if !ok {
		return errCode(400, "InvalidAutoRenewPeriod.ValueNotSupported", "The specified autoRenewPeriod is not valid.")
	}
	sp.autoRenewPeriod = n
	return nil
}

type renewAttrJSON struct {
	InstanceId       string `json:"InstanceId"`
	AutoRenewEnabled bool   `json:"AutoRenewEnabled"`
	Duration         int    `json:"Duration"`
	PeriodUnit       string `json:"PeriodUnit"`
	RenewalStatus    string `json:"RenewalStatus"`
}

type describeRenewResp struct {
	respBase
	PageNumber              int `json:"PageNumber"`
	PageSize                int `json:"PageSize"`
	TotalCount              int `json:"TotalCount"`
	InstanceRenewAttributes struct {
		InstanceRenewAttribute []renewAttrJSON `json:"InstanceRenewAttribute"`
	} `json:"InstanceRenewAttributes"`
}

// describeInstanceAutoRenewAttribute answers the auto-renewal attributes
// of the subscription instances listed in InstanceId (comma-separated, at
// most 100; the limit is not confirmed by the documentation we have), or
// of every subscription instance of the region, paged (PageSize at most
// 100), optionally filtered by RenewalStatus (AutoRenewal, Normal,
// NotRenewal). The documentation says a pay-as-you-go instance is an
// error; its code is not confirmed, and the emulator answers
// InvalidInstanceChargeType.ValueNotSupported (400). RenewalStatus is
// AutoRenewal when AutoRenew was set, else Normal; Duration and PeriodUnit
// are the auto-renew period (0 and the instance's period unit without
// auto-renew).
func (s *Server) describeInstanceAutoRenew(c *call) (response, error) {
	pg, err := c.p.pageParams(100)
	if err != nil {
		return nil, err
	}
	status := c.p.str("RenewalStatus")
	switch status {
	case "", "AutoRenewal", "Normal", "NotRenewal":
	default:
		return nil, errInvalid("RenewalStatus", status)
	}
	var ids []string
	if v := c.p.str("InstanceId"); v != "" {
		ids = strings.Split(v, ",")
		if len(ids) > 100 {
			return nil, errInvalid("InstanceId", "more than 100 IDs")
		}
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	attr := func(in *instance) renewAttrJSON {
		a := renewAttrJSON{InstanceId: in.id, PeriodUnit: in.renewUnit, RenewalStatus: "Normal"}
		if a.PeriodUnit == "" {
			a.PeriodUnit = "Month"
		}
		if in.autoRenew {
			a.AutoRenewEnabled, a.Duration, a.RenewalStatus = true, in.autoRenewPeriod, "AutoRenewal"
		}
		return a
	}
	var match []renewAttrJSON
	if len(ids) > 0 {
		for _, id := range ids {
			in := s.st.instances[strings.TrimSpace(id)]
			if in == nil || in.rg != c.region {
				continue // unknown IDs are left out, as DescribeInstances does
			}
			if !in.prepaid {
				return nil, errCode(400, "InvalidInstanceChargeType.ValueNotSupported",
					"The operation is not supported for pay-as-you-go instances.")
			}
			if a := attr(in); status == "" || a.RenewalStatus == status {
				match = append(match, a)
			}
		}
	} else {
		for _, in := range c.region.instances {
			if a := attr(in); in.prepaid && (status == "" || a.RenewalStatus == status) {
				match = append(match, a)
			}
		}
	}
	r := &describeRenewResp{TotalCount: len(match), PageNumber: pg.number, PageSize: pg.size}
	r.InstanceRenewAttributes.InstanceRenewAttribute = append([]renewAttrJSON{}, paginate(match, pg)...)
	return r, nil
}
