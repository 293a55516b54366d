package aliyuntest

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
