package aliyuntest

import (
	"strconv"
)

// Price fixtures (CNY, before the region factor). Disk prices are per GiB-hour,
// bandwidth per Mbit/s-hour under PayByBandwidth; PayByTraffic bandwidth is
// billed per GB outside DescribePrice and priced 0 here.
var diskHourly = map[string]float64{
	"cloud": 0.0004, "cloud_efficiency": 0.0005, "cloud_ssd": 0.001, "cloud_auto": 0.0014, "cloud_essd_entry": 0.0007,
	"cloud_essd/PL0": 0.0007, "cloud_essd/PL1": 0.0014, "cloud_essd/PL2": 0.0028, "cloud_essd/PL3": 0.0056,
}

const (
	bandwidthHourlyFirst5 = 0.063 // per Mbit/s-hour up to 5 Mbit/s
	bandwidthHourlyAbove5 = 0.25  // per Mbit/s-hour above 5 Mbit/s
	yearDiscountRuleID    = 1001
	yearDiscount          = 0.15
)

func diskPrice(category, pl string, size int) float64 {
	if category == "cloud_essd" {
		if pl == "" {
			pl = "PL1"
		}
		category += "/" + pl
	}
	return diskHourly[category] * float64(size)
}

func bandwidthPrice(payByTraffic bool, mbps int) float64 {
	if payByTraffic || mbps <= 0 {
		return 0
	}
	return bandwidthHourlyFirst5*float64(min(mbps, 5)) + bandwidthHourlyAbove5*float64(max(mbps-5, 0))
}

type ruleJSON struct {
	RuleId      int64  `json:"RuleId"`
	Description string `json:"Description"`
}

type detailInfoJSON struct {
	Resource      string  `json:"Resource"`
	OriginalPrice float64 `json:"OriginalPrice"`
	DiscountPrice float64 `json:"DiscountPrice"`
	TradePrice    float64 `json:"TradePrice"`
	SubRules      struct {
		Rule []ruleJSON `json:"Rule"`
	} `json:"SubRules"`
}

type describePriceResp struct {
	respBase
	PriceInfo struct {
		Price struct {
			OriginalPrice float64 `json:"OriginalPrice"`
			DiscountPrice float64 `json:"DiscountPrice"`
			TradePrice    float64 `json:"TradePrice"`
			Currency      string  `json:"Currency"`
			DetailInfos   struct {
				DetailInfo []detailInfoJSON `json:"DetailInfo"`
			} `json:"DetailInfos"`
			// ReservedInstanceHourPrice is 0: the emulator sells no reserved instances.
			ReservedInstanceHourPrice float64 `json:"ReservedInstanceHourPrice"`
		} `json:"Price"`
		// RelatedPrice is zero: the catalog has no marketplace images.
		RelatedPrice struct {
			MarketplaceImagePrice struct {
				Currency      string  `json:"Currency"`
				DiscountPrice float64 `json:"DiscountPrice"`
				OriginalPrice float64 `json:"OriginalPrice"`
				TradePrice    float64 `json:"TradePrice"`
			} `json:"MarketplaceImagePrice"`
		} `json:"RelatedPrice"`
		Rules struct {
			Rule []ruleJSON `json:"Rule"`
		} `json:"Rules"`
	} `json:"PriceInfo"`
}

// describePrice prices an instance (type, system and data disks, bandwidth), a
// disk set or bandwidth alone. TradePrice = OriginalPrice - DiscountPrice; a
// Year price carries a 15% discount rule. Currency is CNY unless WithCurrency
// says otherwise; amounts are not converted.
func (s *Server) describePrice(c *call) (response, error) {
	p := c.p
	rt := p.str("ResourceType")
	if rt == "" {
		rt = "instance"
	}
	unit := p.str("PriceUnit")
	hours := 0.0
	period := 1
	var err error
	switch unit {
	case "", "Hour":
		unit, hours = "Hour", 1
		if period, err = p.intRange("Period", 1, 1, 1); err != nil {
			return nil, err
		}
	case "Month":
		hours = 720
		if period, err = p.intRange("Period", 1, 1, 9); err != nil {
			return nil, err
		}
	case "Year":
		hours = 8760
		if period, err = p.intRange("Period", 1, 1, 5); err != nil {
			return nil, err
		}
	default:
		return nil, errInvalid("PriceUnit", unit)
	}
	amount, err := p.intRange("Amount", 1, 1, 1000)
	if err != nil {
		return nil, err
	}
	payByTraffic := p.str("InternetChargeType") != "PayByBandwidth"
	bw, err := p.intRange("InternetMaxBandwidthOut", 0, 0, 100)
	if err != nil {
		return nil, err
	}
	type part struct {
		name   string
		hourly float64
	}
	var parts []part
	disks := func() error {
		cat := p.str("SystemDisk.Category")
		if cat == "" {
			cat = "cloud_efficiency"
		}
		pl := p.str("SystemDisk.PerformanceLevel")
		lo, hi, ok := diskLimits(cat, pl, true)
		if !ok {
			return errCode(400, "InvalidSystemDiskCategory.ValueNotSupported", "The specified SystemDisk.Category is not valid.")
		}
		size, err := p.intRange("SystemDisk.Size", max(40, lo), lo, hi)
		if err != nil {
			return err
		}
		parts = append(parts, part{"systemDisk", diskPrice(cat, pl, size)})
		for i := 1; i <= 4; i++ {
			k := "DataDisk." + strconv.Itoa(i) + "."
			if !p.has(k + "Size") {
				continue
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
			dsize, err := p.intRange(k+"Size", lo, lo, hi)
			if err != nil {
				return err
			}
			parts = append(parts, part{"dataDisk", diskPrice(dcat, dpl, dsize)})
		}
		return nil
	}
	switch rt {
	case "instance":
		id, err := p.required("InstanceType")
		if err != nil {
			return nil, err
		}
		t := instanceTypeByID[id]
		if t == nil {
			return nil, errCode(400, "InvalidInstanceType.ValueNotSupported", "The specified InstanceType does not exist or beyond the permitted range.")
		}
		parts = append(parts, part{"instanceType", s.typePrice(t)})
		if err := disks(); err != nil {
			return nil, err
		}
		parts = append(parts, part{"bandwidth", bandwidthPrice(payByTraffic, bw)})
	case "disk":
		if err := disks(); err != nil {
			return nil, err
		}
	case "bandwidth":
		parts = append(parts, part{"bandwidth", bandwidthPrice(payByTraffic, bw)})
	default:
		return nil, errInvalid("ResourceType", rt)
	}
	r := &describePriceResp{}
	pr := &r.PriceInfo.Price
	pr.Currency = s.cloud.Currency()
	r.PriceInfo.RelatedPrice.MarketplaceImagePrice.Currency = pr.Currency
	pr.DetailInfos.DetailInfo = []detailInfoJSON{}
	r.PriceInfo.Rules.Rule = []ruleJSON{}
	discount := 0.0
	if unit == "Year" {
		discount = yearDiscount
		r.PriceInfo.Rules.Rule = append(r.PriceInfo.Rules.Rule, ruleJSON{RuleId: yearDiscountRuleID, Description: "Yearly subscription: 15% off"})
	}
	factor := c.region.priceFactor * hours * float64(period) * float64(amount)
	for _, pt := range parts {
		d := detailInfoJSON{Resource: pt.name, OriginalPrice: round2(pt.hourly * factor)}
		d.DiscountPrice = round2(d.OriginalPrice * discount)
		d.TradePrice = round2(d.OriginalPrice - d.DiscountPrice)
		d.SubRules.Rule = []ruleJSON{}
		if discount > 0 {
			d.SubRules.Rule = append(d.SubRules.Rule, r.PriceInfo.Rules.Rule...)
		}
		pr.OriginalPrice += d.OriginalPrice
		pr.DiscountPrice += d.DiscountPrice
		pr.DetailInfos.DetailInfo = append(pr.DetailInfos.DetailInfo, d)
	}
	pr.OriginalPrice = round2(pr.OriginalPrice)
	pr.DiscountPrice = round2(pr.DiscountPrice)
	pr.TradePrice = round2(pr.OriginalPrice - pr.DiscountPrice)
	return r, nil
}

type supportedResourceJSON struct {
	Value          string `json:"Value"`
	Status         string `json:"Status"`
	StatusCategory string `json:"StatusCategory"`
	Min            int    `json:"Min"`
	Max            int    `json:"Max"`
	Unit           string `json:"Unit"`
}

type availableResourceJSON struct {
	Type               string `json:"Type"`
	SupportedResources struct {
		SupportedResource []supportedResourceJSON `json:"SupportedResource"`
	} `json:"SupportedResources"`
}

type availableZoneJSON struct {
	RegionId           string `json:"RegionId"`
	ZoneId             string `json:"ZoneId"`
	Status             string `json:"Status"`
	StatusCategory     string `json:"StatusCategory"`
	AvailableResources struct {
		AvailableResource []availableResourceJSON `json:"AvailableResource"`
	} `json:"AvailableResources"`
}

type describeAvailableResourceResp struct {
	respBase
	AvailableZones struct {
		AvailableZone []availableZoneJSON `json:"AvailableZone"`
	} `json:"AvailableZones"`
}

// categoryRank orders stock categories from best to worst, for a zone's
// own Status: the best of its types.
var categoryRank = map[string]int{WithStock: 0, ClosedWithStock: 1, WithoutStock: 2, ClosedWithoutStock: 3}

// describeAvailableResource reports availability per zone from the stock
// matrix of the request's charge mode (InstanceChargeType, SpotStrategy):
// each type's StatusCategory is its SetStockCategory setting, else
// WithoutStock once SetStock gave it 0, else WithStock; a zone's is the
// best of its types'.
func (s *Server) describeAvailableResource(c *call) (response, error) {
	dest, err := c.p.required("DestinationResource")
	if err != nil {
		return nil, err
	}
	switch dest {
	case "Zone", "IoOptimized", "InstanceType", "SystemDisk", "DataDisk", "Network":
	default:
		return nil, errInvalid("DestinationResource", dest)
	}
	zoneF, typeF := c.p.str("ZoneId"), c.p.str("InstanceType")
	if typeF != "" && instanceTypeByID[typeF] == nil {
		return nil, errCode(400, "InvalidInstanceType.ValueNotSupported", "The specified InstanceType does not exist or beyond the permitted range.")
	}
	if zoneF != "" && !c.region.hasZone(zoneF) {
		return nil, errCode(404, "InvalidZoneId.NotFound", "The specified ZoneId does not exist.")
	}
	sysCat, dataCat := c.p.str("SystemDiskCategory"), c.p.str("DataDiskCategory")
	mode, err := chargeModeOf(c.p)
	if err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	r := &describeAvailableResourceResp{}
	r.AvailableZones.AvailableZone = []availableZoneJSON{}
	for _, z := range c.region.zones {
		if zoneF != "" && z != zoneF {
			continue
		}
		var types []supportedResourceJSON
		best := ClosedWithoutStock
		for _, t := range instanceTypes {
			if typeF != "" && t.id != typeF {
				continue
			}
			cat := s.st.stockCategory(c.region.id, z, t.id, mode)
			if categoryRank[cat] < categoryRank[best] {
				best = cat
			}
			types = append(types, supportedResourceJSON{Value: t.id, Status: stockStatus(cat), StatusCategory: cat})
		}
		az := availableZoneJSON{RegionId: c.region.id, ZoneId: z, Status: stockStatus(best), StatusCategory: best}
		res := availableResourceJSON{Type: dest}
		switch dest {
		case "Zone":
			res.SupportedResources.SupportedResource = []supportedResourceJSON{{Value: z, Status: az.Status, StatusCategory: az.StatusCategory}}
		case "IoOptimized":
			res.SupportedResources.SupportedResource = []supportedResourceJSON{{Value: "optimized", Status: az.Status, StatusCategory: az.StatusCategory}}
		case "Network":
			res.SupportedResources.SupportedResource = []supportedResourceJSON{{Value: "vpc", Status: az.Status, StatusCategory: az.StatusCategory}}
		case "InstanceType":
			res.SupportedResources.SupportedResource = types
		case "SystemDisk", "DataDisk":
			filter := sysCat
			if dest == "DataDisk" {
				filter = dataCat
			}
			for _, cat := range diskCategories {
				if filter != "" && cat != filter {
					continue
				}
				lo, hi, _ := diskLimits(cat, "", dest == "SystemDisk")
				res.SupportedResources.SupportedResource = append(res.SupportedResources.SupportedResource,
					supportedResourceJSON{Value: cat, Status: az.Status, StatusCategory: az.StatusCategory, Min: lo, Max: hi, Unit: "GiB"})
			}
		}
		if res.SupportedResources.SupportedResource == nil {
			res.SupportedResources.SupportedResource = []supportedResourceJSON{}
		}
		az.AvailableResources.AvailableResource = []availableResourceJSON{res}
		r.AvailableZones.AvailableZone = append(r.AvailableZones.AvailableZone, az)
	}
	return r, nil
}

// typePrice is the hourly list price of t before the region's factor: the
// simulated cloud's price where sim.Cloud.SetPrice set one, else the
// catalog's.
func (s *Server) typePrice(t *instanceType) float64 {
	if p, ok := s.cloud.Price(t.id); ok {
		return p.Amount
	}
	return t.hourly
}
