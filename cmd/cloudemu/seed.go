package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/multicloud-ecs/multicloud/providers/aliyun/aliyuntest"
)

// seedFile is the content of a -seed file. Every field is optional.
type seedFile struct {
	// Regions replaces the built-in region catalog.
	Regions []seedRegion `json:"regions" yaml:"regions"`
	// InstancesPerRegion Running instances are created in each region, with a
	// VPC, a vSwitch per zone and a security group to hold them.
	InstancesPerRegion int `json:"instancesPerRegion" yaml:"instancesPerRegion"`
	// RandSeed makes the seeded variety of types, tags and disks reproducible.
	RandSeed uint64 `json:"randSeed" yaml:"randSeed"`
	// Stock limits how many more instances of a type a zone can create.
	Stock []seedStock `json:"stock" yaml:"stock"`
	// VPCQuota and EIPQuota are per region; 0 keeps the defaults (10, 100).
	VPCQuota int `json:"vpcQuota" yaml:"vpcQuota"`
	EIPQuota int `json:"eipQuota" yaml:"eipQuota"`
	// AccessKeys are accepted besides testid/testsecret.
	AccessKeys []seedKey `json:"accessKeys" yaml:"accessKeys"`
	// SoldOutEpisodes sells out a fraction of the (region, zone, type)
	// cells during each period, chosen anew every period from randSeed.
	SoldOutEpisodes *seedEpisodes `json:"soldOutEpisodes" yaml:"soldOutEpisodes"`
	// WrongStockRate is the fraction of sold-out cells that
	// DescribeAvailableResource calls in stock.
	WrongStockRate float64 `json:"wrongStockRate" yaml:"wrongStockRate"`
}

type seedEpisodes struct {
	Fraction float64 `json:"fraction" yaml:"fraction"`
	// Period is a Go duration, e.g. "10m"; default one minute.
	Period string `json:"period" yaml:"period"`
}

type seedRegion struct {
	ID        string   `json:"id" yaml:"id"`
	LocalName string   `json:"localName" yaml:"localName"`
	Zones     []string `json:"zones" yaml:"zones"`
	// PriceFactor multiplies every list price in the region; default 1.
	PriceFactor float64 `json:"priceFactor" yaml:"priceFactor"`
}

type seedStock struct {
	Region       string `json:"region" yaml:"region"`
	Zone         string `json:"zone" yaml:"zone"`
	InstanceType string `json:"instanceType" yaml:"instanceType"`
	Count        int    `json:"count" yaml:"count"`
}

type seedKey struct {
	ID     string `json:"id" yaml:"id"`
	Secret string `json:"secret" yaml:"secret"`
}

// loadSeed reads a JSON or (by extension) YAML seed file; unknown fields are errors.
func loadSeed(path string) (*seedFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	s := &seedFile{}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".yaml", ".yml":
		dec := yaml.NewDecoder(strings.NewReader(string(b)))
		dec.KnownFields(true)
		err = dec.Decode(s)
	default:
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		err = dec.Decode(s)
	}
	if err != nil {
		return nil, fmt.Errorf("seed file %s: %w", path, err)
	}
	for _, r := range s.Regions {
		if r.ID == "" {
			return nil, fmt.Errorf("seed file %s: a region has no id", path)
		}
	}
	return s, nil
}

// filterRegions keeps the named regions, from the seed's list or else from
// the built-in catalog; unknown names become regions with default zones.
func filterRegions(have []seedRegion, names []string) []seedRegion {
	if len(have) == 0 {
		for _, r := range aliyuntest.DefaultRegions() {
			have = append(have, seedRegion{ID: r.ID, LocalName: r.LocalName, Zones: r.Zones, PriceFactor: r.PriceFactor})
		}
	}
	var out []seedRegion
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		i := slices.IndexFunc(have, func(r seedRegion) bool { return r.ID == n })
		if i >= 0 {
			out = append(out, have[i])
		} else {
			out = append(out, seedRegion{ID: n})
		}
	}
	return out
}

// options turns the seed into server options.
func (s *seedFile) options() []aliyuntest.Option {
	var opts []aliyuntest.Option
	if len(s.Regions) > 0 {
		rs := make([]aliyuntest.Region, len(s.Regions))
		for i, r := range s.Regions {
			rs[i] = aliyuntest.Region{ID: r.ID, LocalName: r.LocalName, Zones: r.Zones, PriceFactor: r.PriceFactor}
		}
		opts = append(opts, aliyuntest.WithRegions(rs...))
	}
	for _, k := range s.AccessKeys {
		opts = append(opts, aliyuntest.WithAccessKey(k.ID, k.Secret))
	}
	if s.RandSeed != 0 {
		opts = append(opts, aliyuntest.WithRandSeed(s.RandSeed))
	}
	return opts
}

// apply sets quotas and stock and seeds instances.
func (s *seedFile) apply(srv *aliyuntest.Server) error {
	if s.VPCQuota > 0 {
		srv.SetVPCQuota(s.VPCQuota)
	}
	if s.EIPQuota > 0 {
		srv.SetEIPQuota(s.EIPQuota)
	}
	for _, st := range s.Stock {
		if st.Region == "" || st.Zone == "" || st.InstanceType == "" {
			return fmt.Errorf("stock entry %+v needs region, zone and instanceType", st)
		}
		srv.SetStock(st.Region, st.Zone, st.InstanceType, st.Count)
	}
	if e := s.SoldOutEpisodes; e != nil {
		period := time.Minute
		if e.Period != "" {
			d, err := time.ParseDuration(e.Period)
			if err != nil || d <= 0 {
				return fmt.Errorf("soldOutEpisodes period %q: want a duration such as 10m", e.Period)
			}
			period = d
		}
		if e.Fraction < 0 || e.Fraction > 1 {
			return fmt.Errorf("soldOutEpisodes fraction %v: want 0 to 1", e.Fraction)
		}
		srv.SetSoldOutEpisodes(e.Fraction, period)
	}
	if s.WrongStockRate < 0 || s.WrongStockRate > 1 {
		return fmt.Errorf("wrongStockRate %v: want 0 to 1", s.WrongStockRate)
	}
	srv.SetWrongStockRate(s.WrongStockRate)
	if s.InstancesPerRegion > 0 {
		srv.Seed(aliyuntest.SeedSpec{InstancesPerRegion: s.InstancesPerRegion, Owner: "cloudemu", NamePrefix: "seed", RandSeed: s.RandSeed})
	}
	return nil
}
