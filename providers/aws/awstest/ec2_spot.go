package awstest

import (
	"crypto/sha256"
	"encoding/binary"
	"slices"
	"sort"
	"strconv"
	"time"
)

// spotPeriod is how often an emulated Spot price changes.
const spotPeriod = 6 * time.Hour

// spotProducts are the product descriptions served; both carry the Linux
// price (Windows and SUSE are not served).
var spotProducts = []string{"Linux/UNIX", "Linux/UNIX (Amazon VPC)"}

// spotPrice is the Spot price of a type in a zone for the period holding t:
// 30 % to 45 % of the on-demand price, drawn from a hash of the zone, the
// type and the period. The figures are emulator data (the simulated cloud
// holds on-demand prices only); AWS publishes no formula.
func spotPrice(onDemand float64, zoneID, typ string, t time.Time) (float64, time.Time) {
	start := t.Truncate(spotPeriod)
	h := sha256.Sum256([]byte(zoneID + "/" + typ + "/" + strconv.FormatInt(start.Unix(), 10)))
	f := 0.30 + 0.15*float64(binary.BigEndian.Uint16(h[:2]))/65535
	return onDemand * f, start
}

type spotPriceItem struct {
	AvailabilityZone   string `xml:"availabilityZone"`
	InstanceType       string `xml:"instanceType"`
	ProductDescription string `xml:"productDescription"`
	SpotPrice          string `xml:"spotPrice"`
	Timestamp          string `xml:"timestamp"`
}

type describeSpotPriceHistoryResponse struct {
	ec2Meta
	SpotPriceHistorySet set[spotPriceItem] `xml:"spotPriceHistorySet"`
	NextToken           string             `xml:"nextToken,omitempty"`
}

// describeSpotPriceHistory answers the Spot prices of the offered types in
// the Region's zones, newest first. With StartTime (at most 90 days back)
// it lists every change up to EndTime (default now) plus the price in
// effect at StartTime (MODEL); without StartTime only the current price
// (what AWS answers then is not confirmed). MaxResults 1 to 1000 (not
// confirmed).
func (s *Server) describeSpotPriceHistory(c *call) (withRequestID, *apiError) {
	fs, e := c.params.filters()
	if e != nil {
		return nil, e
	}
	now := s.cloud.Now()
	parseTime := func(k string) (time.Time, bool, *apiError) {
		v := c.params.str(k)
		if v == "" {
			return time.Time{}, false, nil
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return time.Time{}, false, errInvalidParameterValue("Invalid value '" + v + "' for " + k)
		}
		return t, true, nil
	}
	start, hasStart, e := parseTime("StartTime")
	if e != nil {
		return nil, e
	}
	end, hasEnd, e := parseTime("EndTime")
	if e != nil {
		return nil, e
	}
	if !hasEnd || end.After(now) {
		end = now
	}
	if !hasStart {
		start = end
	}
	if start.Before(now.Add(-90 * 24 * time.Hour)) {
		start = now.Add(-90 * 24 * time.Hour)
	}
	if start.After(end) {
		return nil, errInvalidParameterValue("The start time must be before the end time")
	}
	types, products := c.params.list("InstanceType"), c.params.list("ProductDescription")
	for _, p := range products {
		if !slices.Contains(spotProducts, p) {
			return nil, errInvalidParameterValue("Invalid product description: " + p + " (served: Linux/UNIX, Linux/UNIX (Amazon VPC))")
		}
	}
	if len(products) == 0 {
		products = spotProducts
	}
	zoneFilter := c.params.str("AvailabilityZone")
	prices := map[string]float64{}
	for _, p := range s.priceList() {
		if p.RegionCode == c.region {
			prices[p.InstanceType] = p.USDPerHour
		}
	}
	var items []spotPriceItem
	for zi, z := range s.region(c).Zones {
		zname := zoneName(c.account, z)
		if zoneFilter != "" && zoneFilter != zname {
			continue
		}
		for _, t := range s.opts.InstanceTypes {
			if (len(types) > 0 && !slices.Contains(types, t.Name)) || !s.isOffered(c.region, zi, z, t) {
				continue
			}
			for at := end; ; at = at.Truncate(spotPeriod).Add(-time.Nanosecond) {
				price, since := spotPrice(prices[t.Name], z.ID, t.Name, at)
				for _, prod := range products {
					it := spotPriceItem{AvailabilityZone: zname, InstanceType: t.Name, ProductDescription: prod,
						SpotPrice: strconv.FormatFloat(price, 'f', 6, 64), Timestamp: isoTime(since)}
					ok, e := matchFilters(fs, nil, func(n string) ([]string, bool) {
						switch n {
						case "availability-zone":
							return []string{it.AvailabilityZone}, true
						case "instance-type":
							return []string{it.InstanceType}, true
						case "product-description":
							return []string{it.ProductDescription}, true
						case "spot-price":
							return []string{it.SpotPrice}, true
						case "timestamp":
							return []string{it.Timestamp}, true
						}
						return nil, false
					})
					if e != nil {
						return nil, e
					}
					if ok {
						items = append(items, it)
					}
				}
				if !since.After(start) {
					break // the price in effect at StartTime is the last one listed
				}
			}
		}
	}
	sort.SliceStable(items, func(i, j int) bool { return items[i].Timestamp > items[j].Timestamp })
	pg, e := paginate(c.params, c.action, len(items), 1, 1000)
	if e != nil {
		return nil, e
	}
	return &describeSpotPriceHistoryResponse{SpotPriceHistorySet: newSet(items[pg.start:pg.end]), NextToken: pg.next}, nil
}
