package aliyuntest

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"strconv"
	"time"
)

// SeedSpec describes instances created directly in the emulator's state.
type SeedSpec struct {
	// Regions to seed; nil means every region.
	Regions []string
	// InstancesPerRegion is the number of Running instances per region.
	InstancesPerRegion int
	// Owner is the value of the OwnerTagKey tag on everything seeded; default "seed".
	Owner string
	// NamePrefix prefixes instance names; default "seed".
	NamePrefix string
	// RandSeed makes the variety of types, zones, tags and disks reproducible.
	RandSeed uint64
}

// seedTypes are the instance types seeded, weighted towards general purpose.
var seedTypes = []string{
	"ecs.g7.large", "ecs.g7.large", "ecs.g7.xlarge", "ecs.g7.2xlarge", "ecs.c7.large", "ecs.c7.large",
	"ecs.r7.large", "ecs.t6-c1m1.large", "ecs.t6-c1m1.large", "ecs.gn6i-c4g1.xlarge", "ecs.gn7i-c8g1.2xlarge",
	"ecs.gn7-c12g1.3xlarge",
}

// seedDisks are the disk layouts seeded; slices are shared between instances.
var seedDisks = [][]diskSpec{
	{{category: "cloud_essd", pl: "PL0", size: 40, deleteWithInstance: true}},
	{{category: "cloud_essd", pl: "PL1", size: 40, deleteWithInstance: true}, {category: "cloud_essd", pl: "PL1", size: 100, deleteWithInstance: true}},
	{{category: "cloud_efficiency", size: 40, deleteWithInstance: true}, {category: "cloud_efficiency", size: 200, deleteWithInstance: true}, {category: "cloud_ssd", size: 500}},
	{{category: "cloud_auto", size: 80, deleteWithInstance: true}},
}

// Seed creates spec.InstancesPerRegion Running instances in each region, with
// one VPC, one vSwitch per zone and one security group per region to hold
// them, and returns the instance IDs. Instances vary in type (including GPU
// types), zone, tags (OwnerTagKey, "env", "team"), disks and public IPs.
// Seeding 160,000 instances takes well under a second.
func (s *Server) Seed(spec SeedSpec) []string {
	owner := spec.Owner
	if owner == "" {
		owner = "seed"
	}
	prefix := spec.NamePrefix
	if prefix == "" {
		prefix = "seed"
	}
	rnd := rand.New(rand.NewPCG(spec.RandSeed, 0x5eed))
	// Shared tag sets: 3 envs x 3 teams.
	var tagSets [][]tag
	for _, env := range []string{"prod", "staging", "dev"} {
		for _, team := range []string{"infra", "ml", "web"} {
			tagSets = append(tagSets, []tag{{OwnerTagKey, owner}, {"env", env}, {"team", team}})
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st
	now := s.now()
	regions := st.regionList
	if spec.Regions != nil {
		regions = nil
		for _, id := range spec.Regions {
			if rg := st.regions[id]; rg != nil {
				regions = append(regions, rg)
			}
		}
	}
	ids := make([]string, 0, len(regions)*spec.InstancesPerRegion)
	img := imageByID["ubuntu_22_04_x64_20G_alibase_20230815.vhd"]
	gpuImg := images[len(images)-1]
	for _, rg := range regions {
		ownerTag := []tag{{OwnerTagKey, owner}}
		v := st.newVPC(rg, netip.MustParsePrefix("172.16.0.0/12"), prefix+"-vpc", "", ownerTag, now)
		v.life.set(phAvailable, now)
		var vsws []*vswitch
		for i, z := range rg.zones {
			cidr := netip.PrefixFrom(netip.AddrFrom4([4]byte{172, byte(16 + i%16), 0, 0}), 16)
			w := st.newVSwitch(v, z, cidr, prefix+"-"+z, "", ownerTag, now)
			w.life.set(phAvailable, now)
			vsws = append(vsws, w)
		}
		g := st.newSecurityGroup(v, prefix+"-sg", "", "normal", ownerTag, now)
		sgs := []string{g.id}
		for n := 0; n < spec.InstancesPerRegion; n++ {
			w := vsws[n%len(vsws)]
			typ := instanceTypeByID[seedTypes[rnd.IntN(len(seedTypes))]]
			in := &instance{
				id: st.newID("i", rg), rg: rg, zone: w.zone, name: prefix + "-" + strconv.Itoa(n), typ: typ, img: img,
				vsw: w, sgIDs: sgs, tags: tagSets[rnd.IntN(len(tagSets))], disks: seedDisks[rnd.IntN(len(seedDisks))],
				privateIP: w.allocIP(), bwIn: 10,
			}
			if typ.gpus > 0 {
				in.img = gpuImg
			}
			if n%4 == 0 {
				in.publicIP, in.bwOut = rg.allocPublicIP(), 5
			}
			if n%10 == 0 {
				in.payByBW = true
			}
			created := now.Add(-time.Duration(rnd.IntN(90*24)) * time.Hour).Unix()
			in.created, in.started = created, created
			in.life.set(phRunning, now)
			st.instances[in.id] = in
			rg.instances = append(rg.instances, in)
			w.used++
			g.instances++
			ids = append(ids, in.id)
		}
		slices.SortFunc(rg.instances, func(a, b *instance) int {
			switch {
			case a.id < b.id:
				return -1
			case a.id > b.id:
				return 1
			}
			return 0
		})
	}
	return ids
}
