package aliyuntest

import (
	"hash/fnv"
	"math"
	"strconv"
	"sync"
	"time"
)

// Spot prices of DescribeSpotPriceHistory. The documented request
// (ECS API reference, 2014-05-26): RegionId, NetworkType (classic | vpc)
// and InstanceType are required; ZoneId, IoOptimized (optimized | none),
// OSType (linux | windows), SpotDuration, Offset (default 0), StartTime
// and EndTime (UTC, yyyy-MM-ddTHH:mm:ssZ; EndTime defaults to now,
// StartTime to 3 hours before EndTime, at most 30 days apart) are
// optional. The response: RequestId, Currency, NextOffset and
// SpotPrices.SpotPriceType[] of {InstanceType, IoOptimized, NetworkType,
// OriginPrice, SpotPrice, Timestamp, ZoneId}, oldest first.
//
// The emulator's market changes price on every hour of the simulated
// cloud's clock: a point per (zone, type) and hour, between 10% and 90%
// of the type's pay-as-you-go price in the region, drawn from the seed, or
// the price SetSpotPrice fixed. Not confirmed by the reference: the page
// size (spotPageSize here), NextOffset being 0 on the last page, and the
// error codes of a bad InstanceType (InvalidInstanceType.ValueNotSupported
// here, as DescribeAvailableResource answers) and of a range over 30 days
// (InvalidParameter here).
const (
	spotPageSize  = 1000
	spotMaxRange  = 30 * 24 * time.Hour
	spotDefRange  = 3 * time.Hour
	spotTimestamp = "2006-01-02T15:04:05Z"
)

// spotMarket holds the spot prices SetSpotPrice fixed.
type spotMarket struct {
	mu    sync.Mutex
	fixed map[[3]string]float64 // region, zone, type -> hourly price
}

// SetSpotPrice fixes the spot price of instanceType in zone of region to
// hourly (in the emulator's currency) for every hour, past and future, that
// DescribeSpotPriceHistory reports; a price of 0 or less returns the cell to
// the seeded market.
func (s *Server) SetSpotPrice(region, zone, instanceType string, hourly float64) {
	s.spot.mu.Lock()
	defer s.spot.mu.Unlock()
	k := [3]string{region, zone, instanceType}
	if hourly <= 0 {
		delete(s.spot.fixed, k)
		return
	}
	if s.spot.fixed == nil {
		s.spot.fixed = map[[3]string]float64{}
	}
	s.spot.fixed[k] = hourly
}

// SpotPrice returns the spot price of instanceType in zone of region at t,
// as DescribeSpotPriceHistory reports it, and false for a type or region
// the emulator does not know.
func (s *Server) SpotPrice(region, zone, instanceType string, t time.Time) (float64, bool) {
	rg := s.st.regions[region]
	typ := instanceTypeByID[instanceType]
	if rg == nil || typ == nil {
		return 0, false
	}
	return s.spotPrice(rg, zone, typ, t.Truncate(time.Hour)), true
}

func (s *Server) spotPrice(rg *region, zone string, t *instanceType, hour time.Time) float64 {
	s.spot.mu.Lock()
	p, ok := s.spot.fixed[[3]string{rg.id, zone, t.id}]
	s.spot.mu.Unlock()
	if ok {
		return p
	}
	h := fnv.New64a()
	h.Write([]byte(strconv.FormatUint(s.cloud.Seed(), 10) + "|spot|" + rg.id + "|" + zone + "|" + t.id + "|" + strconv.FormatInt(hour.Unix(), 10)))
	f := 0.1 + 0.8*float64(h.Sum64()%10000)/10000
	return round4(rg.priceFactor * s.typePrice(t) * f)
}

func round4(v float64) float64 { return math.Round(v*1e4) / 1e4 }

type spotPriceJSON struct {
	InstanceType string  `json:"InstanceType"`
	IoOptimized  string  `json:"IoOptimized"`
	NetworkType  string  `json:"NetworkType"`
	OriginPrice  float64 `json:"OriginPrice"`
	SpotPrice    float64 `json:"SpotPrice"`
	Timestamp    string  `json:"Timestamp"`
	ZoneId       string  `json:"ZoneId"`
}

type describeSpotPriceHistoryResp struct {
	respBase
	Currency   string `json:"Currency"`
	NextOffset int    `json:"NextOffset"`
	SpotPrices struct {
		SpotPriceType []spotPriceJSON `json:"SpotPriceType"`
	} `json:"SpotPrices"`
}

func (s *Server) describeSpotPriceHistory(c *call) (response, error) {
	network, err := c.p.required("NetworkType")
	if err != nil {
		return nil, err
	}
	if network != "vpc" && network != "classic" {
		return nil, errInvalid("NetworkType", network)
	}
	typeID, err := c.p.required("InstanceType")
	if err != nil {
		return nil, err
	}
	typ := instanceTypeByID[typeID]
	if typ == nil {
		return nil, errCode(400, "InvalidInstanceType.ValueNotSupported", "The specified InstanceType does not exist or beyond the permitted range.")
	}
	zoneF := c.p.str("ZoneId")
	if zoneF != "" && !c.region.hasZone(zoneF) {
		return nil, errCode(404, "InvalidZoneId.NotFound", "The specified ZoneId does not exist.")
	}
	io := c.p.str("IoOptimized")
	switch io {
	case "":
		io = "optimized"
	case "optimized", "none":
	default:
		return nil, errInvalid("IoOptimized", io)
	}
	switch os := c.p.str("OSType"); os {
	case "", "linux", "windows":
	default:
		return nil, errInvalid("OSType", os)
	}
	if _, err := c.p.intRange("SpotDuration", 1, 0, 6); err != nil {
		return nil, err
	}
	offset, err := c.p.intRange("Offset", 0, 0, math.MaxInt32)
	if err != nil {
		return nil, err
	}
	end, err := spotTime(c.p, "EndTime", c.now)
	if err != nil {
		return nil, err
	}
	start, err := spotTime(c.p, "StartTime", end.Add(-spotDefRange))
	if err != nil {
		return nil, err
	}
	if start.After(end) || end.Sub(start) > spotMaxRange {
		return nil, errInvalid("StartTime", c.p.str("StartTime"))
	}
	origin := round4(c.region.priceFactor * s.typePrice(typ))
	var points []spotPriceJSON
	// The price in force at start, then every hour's change up to end.
	for h := start.Truncate(time.Hour); !h.After(end); h = h.Add(time.Hour) {
		for _, z := range c.region.zones {
			if zoneF != "" && z != zoneF {
				continue
			}
			points = append(points, spotPriceJSON{InstanceType: typ.id, IoOptimized: io, NetworkType: network,
				OriginPrice: origin, SpotPrice: s.spotPrice(c.region, z, typ, h), Timestamp: h.UTC().Format(spotTimestamp), ZoneId: z})
		}
	}
	r := &describeSpotPriceHistoryResp{Currency: s.quirks.currency}
	lo := min(offset, len(points))
	hi := min(lo+spotPageSize, len(points))
	r.SpotPrices.SpotPriceType = append([]spotPriceJSON{}, points[lo:hi]...)
	if hi < len(points) {
		r.NextOffset = hi
	}
	return r, nil
}

// spotTime reads a UTC yyyy-MM-ddTHH:mm:ssZ parameter, def when absent.
func spotTime(p params, k string, def time.Time) (time.Time, error) {
	v := p.str(k)
	if v == "" {
		return def, nil
	}
	t, err := time.Parse(spotTimestamp, v)
	if err != nil {
		return time.Time{}, errInvalid(k, v)
	}
	return t, nil
}
