package awstest

import (
	"fmt"
	"net/netip"

	"github.com/multicloud-ecs/multicloud/providers/sim"
)

// Seed gives the first account a network in region, as CreateVpc and
// CreateSubnet make one (a 10.0.0.0/16 VPC tagged Name=seed with its main
// route table and default group, and a /20 subnet in each zone), and
// instances running instances of instanceType spread over the zones, with
// the newest Ubuntu image of the catalog. It is for demos and tests that
// need a populated Region; it returns the instance IDs.
func (s *Server) Seed(region string, instances int, instanceType string) ([]string, error) {
	r, err := s.cloud.Region(region)
	if err != nil {
		return nil, err
	}
	t, ok := s.types[instanceType]
	if !ok {
		return nil, fmt.Errorf("awstest: instance type %q is not in the catalog", instanceType)
	}
	owner := &call{account: &s.opts.Accounts[0], region: region}
	v, err := s.cloud.CreateVPC(sim.VPCSpec{Region: region, CIDR: netip.MustParsePrefix("10.0.0.0/16"), Tags: map[string]string{"Name": "seed"}})
	if err != nil {
		return nil, err
	}
	rt, err := s.cloud.CreateExtra(sim.Extra{Kind: kindRouteTable, Region: region, VPCID: v.ID,
		Attrs: map[string]string{"main": "true", "mainAssociation": s.cloud.NewID(kindRouteTableAssociation, region)}})
	if err != nil {
		return nil, err
	}
	sg, err := s.cloud.CreateSecurityGroup(sim.SecurityGroupSpec{Region: region, VPCID: v.ID, Name: "default", Description: "default VPC security group"})
	if err != nil {
		return nil, err
	}
	s.own(owner, v.ID, rt.ID, sg.ID)
	var newest *Image
	for i, im := range s.opts.Images {
		if im.OwnerID == CanonicalOwnerID && (newest == nil || im.Created.After(newest.Created)) {
			newest = &s.opts.Images[i]
		}
	}
	if newest == nil {
		return nil, fmt.Errorf("awstest: no Canonical image in the catalog")
	}
	image := imageID(region, newest.Name)
	var specs []sim.InstanceSpec
	for i, z := range r.Zones {
		sn, err := s.cloud.CreateSubnet(sim.SubnetSpec{Region: region, VPCID: v.ID, Zone: z.Name,
			CIDR: netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 0, byte(16 * i), 0}), 20)})
		if err != nil {
			return nil, err
		}
		s.own(owner, sn.ID)
		n := instances / len(r.Zones)
		if i < instances%len(r.Zones) {
			n++
		}
		if n > 0 {
			specs = append(specs, sim.InstanceSpec{Region: region, Zone: z.Name, Type: t.Name, VCPU: t.VCPU, ImageID: image,
				SubnetID: sn.ID, SecurityGroupIDs: []string{sg.ID}, Tags: map[string]string{"Name": "seed"}, Count: n,
				Disks: []sim.Disk{{Category: "gp3", SizeGiB: 8, System: true, DeleteWithInstance: true}}})
		}
	}
	ids, err := s.cloud.SeedInstances(specs)
	s.own(owner, ids...)
	return ids, err
}
