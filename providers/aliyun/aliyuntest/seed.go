package aliyuntest

import (
	"math/rand/v2"
	"net/netip"
	"strconv"
	"time"

	"github.com/multicloud-ecs/multicloud/providers/sim"
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
	// Shared tag sets: 3 envs x 3 teams (the cloud keeps one copy of each).
	var tagSets []map[string]string
	for _, env := range []string{"prod", "staging", "dev"} {
		for _, team := range []string{"infra", "ml", "web"} {
			tagSets = append(tagSets, map[string]string{OwnerTagKey: owner, "env": env, "team": team})
		}
	}
	simDisks := make([][]sim.Disk, len(seedDisks))
	for i, layout := range seedDisks {
		for j, d := range layout {
			simDisks[i] = append(simDisks[i], sim.Disk{Category: d.category, SizeGiB: int(d.size), System: j == 0, DeleteWithInstance: d.deleteWithInstance})
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
	// Seeded instances share their attributes by disk layout, public
	// address and billing.
	type attrKey struct {
		disks     int
		pub, byBW bool
	}
	shared := map[attrKey]*ecsAttrs{}
	for _, rg := range regions {
		ownerTag := map[string]string{OwnerTagKey: owner}
		v, err := s.cloud.CreateVPC(sim.VPCSpec{Region: rg.id, CIDR: netip.MustParsePrefix("172.16.0.0/12"), Name: prefix + "-vpc",
			Tags: ownerTag, Available: true})
		if err != nil {
			continue // the region's VPC quota is used up
		}
		st.vpcx[v.ID] = &vpcAttrs{vrouter: st.newID("vrt", rg), routeTable: st.newID("vtb", rg)}
		var vsws []sim.Subnet
		for i, z := range rg.zones {
			cidr := netip.PrefixFrom(netip.AddrFrom4([4]byte{172, byte(16 + i%16), 0, 0}), 16)
			w, err := s.cloud.CreateSubnet(sim.SubnetSpec{Region: rg.id, VPCID: v.ID, Zone: z, CIDR: cidr, Name: prefix + "-" + z,
				Tags: ownerTag, Available: true})
			if err == nil {
				vsws = append(vsws, w)
			}
		}
		g, err := s.cloud.CreateSecurityGroup(sim.SecurityGroupSpec{Region: rg.id, VPCID: v.ID, Name: prefix + "-sg", Tags: ownerTag})
		if err != nil || len(vsws) == 0 {
			continue
		}
		st.sgx[g.ID] = &sgAttrs{typ: "normal"}
		sgs := []string{g.ID}
		specs := make([]sim.InstanceSpec, 0, spec.InstancesPerRegion)
		attrs := make([]*ecsAttrs, 0, spec.InstancesPerRegion)
		for n := 0; n < spec.InstancesPerRegion; n++ {
			w := vsws[n%len(vsws)]
			typ := instanceTypeByID[seedTypes[rnd.IntN(len(seedTypes))]]
			tags := tagSets[rnd.IntN(len(tagSets))]
			di := rnd.IntN(len(seedDisks))
			k := attrKey{disks: di, pub: n%4 == 0, byBW: n%10 == 0}
			a := shared[k]
			if a == nil {
				a = &ecsAttrs{bwIn: 10, payByBW: k.byBW}
				if k.pub {
					a.bwOut = 5
				}
				for _, d := range seedDisks[di] {
					a.pls = append(a.pls, d.pl)
				}
				shared[k] = a
			}
			in := sim.InstanceSpec{Region: rg.id, Zone: w.Zone, Type: typ.id, VCPU: typ.cpu, ImageID: img.id,
				Name: prefix + "-" + strconv.Itoa(n), SubnetID: w.ID, SecurityGroupIDs: sgs, PublicIP: k.pub,
				Tags: tags, Disks: simDisks[di], State: sim.StateRunning}
			if typ.gpus > 0 {
				in.ImageID = gpuImg.id
			}
			in.Created = now.Add(-time.Duration(rnd.IntN(90*24)) * time.Hour).Truncate(time.Second)
			specs = append(specs, in)
			attrs = append(attrs, a)
		}
		created, _ := s.cloud.SeedInstances(specs)
		for i, id := range created {
			st.ecs[id] = attrs[i]
			ids = append(ids, id)
		}
	}
	return ids
}
