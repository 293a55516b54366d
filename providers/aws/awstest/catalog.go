package awstest

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"github.com/multicloud-ecs/multicloud/providers/sim"
)

// InstanceType is one EC2 instance type of the emulator's catalog.
type InstanceType struct {
	Name      string
	VCPU      int
	MemoryMiB int
	// GPUs, GPUName and GPUMemoryMiB (per GPU) describe the accelerators;
	// GPUs 0 for none. GPU names as DescribeInstanceTypes reports them are
	// not confirmed by the reference ("T4", "A10G", ... are used here).
	GPUs         int
	GPUName      string
	GPUMemoryMiB int
	// USDPerHour is the on-demand Linux price in us-east-1 used when the
	// simulated cloud has no USD price for the type. The figures are
	// approximate public list prices, emulator data, not authoritative.
	USDPerHour float64
	// Zones limits the zone indexes (0 = the first zone of a region) that
	// offer the type; nil offers it in every zone.
	Zones []int
}

// DefaultInstanceTypes is the catalog every Server starts with. vCPU and
// memory of g6e, p3dn, p4d, p4de and p5 sizes come from third-party tables
// (not confirmed, as the reference says).
func DefaultInstanceTypes() []InstanceType {
	return []InstanceType{
		{Name: "t3.micro", VCPU: 2, MemoryMiB: 1024, USDPerHour: 0.0104},
		{Name: "t3.medium", VCPU: 2, MemoryMiB: 4096, USDPerHour: 0.0416},
		{Name: "m5.large", VCPU: 2, MemoryMiB: 8192, USDPerHour: 0.096},
		{Name: "m5.xlarge", VCPU: 4, MemoryMiB: 16384, USDPerHour: 0.192},
		{Name: "m5.2xlarge", VCPU: 8, MemoryMiB: 32768, USDPerHour: 0.384},
		{Name: "c5.xlarge", VCPU: 4, MemoryMiB: 8192, USDPerHour: 0.17},
		{Name: "r5.large", VCPU: 2, MemoryMiB: 16384, USDPerHour: 0.126},
		{Name: "g4dn.xlarge", VCPU: 4, MemoryMiB: 16384, GPUs: 1, GPUName: "T4", GPUMemoryMiB: 16384, USDPerHour: 0.526},
		{Name: "g4dn.2xlarge", VCPU: 8, MemoryMiB: 32768, GPUs: 1, GPUName: "T4", GPUMemoryMiB: 16384, USDPerHour: 0.752},
		{Name: "g4dn.12xlarge", VCPU: 48, MemoryMiB: 196608, GPUs: 4, GPUName: "T4", GPUMemoryMiB: 16384, USDPerHour: 3.912},
		{Name: "g5.xlarge", VCPU: 4, MemoryMiB: 16384, GPUs: 1, GPUName: "A10G", GPUMemoryMiB: 24576, USDPerHour: 1.006},
		{Name: "g5.2xlarge", VCPU: 8, MemoryMiB: 32768, GPUs: 1, GPUName: "A10G", GPUMemoryMiB: 24576, USDPerHour: 1.212},
		{Name: "g5.12xlarge", VCPU: 48, MemoryMiB: 196608, GPUs: 4, GPUName: "A10G", GPUMemoryMiB: 24576, USDPerHour: 5.672},
		{Name: "g5.48xlarge", VCPU: 192, MemoryMiB: 786432, GPUs: 8, GPUName: "A10G", GPUMemoryMiB: 24576, USDPerHour: 16.288},
		{Name: "g6.xlarge", VCPU: 4, MemoryMiB: 16384, GPUs: 1, GPUName: "L4", GPUMemoryMiB: 24576, USDPerHour: 0.8048},
		{Name: "g6e.xlarge", VCPU: 4, MemoryMiB: 32768, GPUs: 1, GPUName: "L40S", GPUMemoryMiB: 49152, USDPerHour: 1.861},
		{Name: "p3.2xlarge", VCPU: 8, MemoryMiB: 62464, GPUs: 1, GPUName: "V100", GPUMemoryMiB: 16384, USDPerHour: 3.06},
		{Name: "p3.8xlarge", VCPU: 32, MemoryMiB: 249856, GPUs: 4, GPUName: "V100", GPUMemoryMiB: 16384, USDPerHour: 12.24},
		{Name: "p4d.24xlarge", VCPU: 96, MemoryMiB: 1179648, GPUs: 8, GPUName: "A100", GPUMemoryMiB: 40960, USDPerHour: 32.7726, Zones: []int{0, 1}},
		{Name: "p4de.24xlarge", VCPU: 96, MemoryMiB: 1179648, GPUs: 8, GPUName: "A100", GPUMemoryMiB: 81920, USDPerHour: 40.9657, Zones: []int{0}},
		{Name: "p5.48xlarge", VCPU: 192, MemoryMiB: 2097152, GPUs: 8, GPUName: "H100", GPUMemoryMiB: 81920, USDPerHour: 98.32, Zones: []int{0}},
	}
}

// DefaultRegions are the Regions of a Server that builds its own simulated
// cloud, with zone IDs in AWS's form ("use1-az1").
func DefaultRegions() []sim.Region {
	mk := func(id, short string, letters string) sim.Region {
		r := sim.Region{ID: id}
		for i, l := range letters {
			r.Zones = append(r.Zones, sim.Zone{Name: id + string(l), ID: short + "-az" + string(rune('1'+i))})
		}
		return r
	}
	return []sim.Region{
		mk("us-east-1", "use1", "abcdef"),
		mk("us-east-2", "use2", "abc"),
		mk("us-west-2", "usw2", "abcd"),
		mk("eu-west-1", "euw1", "abc"),
		mk("eu-central-1", "euc1", "abc"),
		mk("ap-northeast-1", "apne1", "acd"),
		mk("ap-southeast-1", "apse1", "abc"),
		mk("ap-south-1", "aps1", "abc"),
	}
}

// Image is an AMI of the emulator's catalog, present in every Region under
// a Region-specific ID (AMI IDs differ per Region).
type Image struct {
	Name        string
	Description string
	OwnerID     string
	OwnerAlias  string // "amazon" for AWS-owned images; "" otherwise
	Created     time.Time
	// RootGiB is the size of the root volume snapshot.
	RootGiB int
}

// Owner IDs of the public images in the default catalog.
const (
	CanonicalOwnerID = "099720109477"
	AmazonOwnerID    = "898082745236"
)

// DefaultImages is the image catalog every Server starts with: two Ubuntu
// 22.04 builds (the older first) and a Deep Learning AMI. The name patterns
// follow common usage; the reference could not confirm them.
func DefaultImages() []Image {
	return []Image{
		{Name: "ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20260901", Description: "Canonical, Ubuntu, 22.04 LTS, amd64 jammy image",
			OwnerID: CanonicalOwnerID, Created: time.Date(2026, 9, 1, 10, 0, 0, 0, time.UTC), RootGiB: 8},
		{Name: "ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20261101", Description: "Canonical, Ubuntu, 22.04 LTS, amd64 jammy image",
			OwnerID: CanonicalOwnerID, Created: time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC), RootGiB: 8},
		{Name: "Deep Learning Base OSS Nvidia Driver GPU AMI (Ubuntu 22.04) 20261115", Description: "Deep Learning Base OSS Nvidia Driver GPU AMI (Ubuntu 22.04)",
			OwnerID: AmazonOwnerID, OwnerAlias: "amazon", Created: time.Date(2026, 11, 15, 8, 0, 0, 0, time.UTC), RootGiB: 75},
	}
}

// imageID is the AMI ID of image name in region: stable, different per Region.
func imageID(region, name string) string {
	h := sha256.Sum256([]byte(region + "/" + name))
	return "ami-" + hex.EncodeToString(h[:])[:17]
}

// awsIDs makes AWS-shaped IDs ("i-" and 17 hex digits) for the simulated
// cloud a Server builds.
func awsIDs(kind sim.Kind, _ string, seq uint64) string {
	prefix := map[sim.Kind]string{
		sim.KindInstance: "i-", sim.KindVPC: "vpc-", sim.KindSubnet: "subnet-", sim.KindSecurityGroup: "sg-",
		sim.KindAddress: "eipalloc-", sim.KindDisk: "vol-", sim.KindRule: "sgr-",
		kindInternetGateway: "igw-", kindRouteTable: "rtb-", kindReservation: "r-", kindAssociation: "eipassoc-",
		kindRouteTableAssociation: "rtbassoc-",
	}[kind]
	if prefix == "" {
		prefix = strings.ToLower(string(kind)) + "-"
	}
	return prefix + hex17(sim.Scramble(seq))
}

func hex17(n uint64) string {
	const digits = "0123456789abcdef"
	b := make([]byte, 17)
	for i := 16; i >= 0; i-- {
		b[i] = digits[n%16]
		n /= 16
	}
	return string(b)
}

// The face's own kinds of resource, kept as sim extras or IDs.
const (
	kindInternetGateway       sim.Kind = "internetGateway"
	kindRouteTable            sim.Kind = "routeTable"
	kindReservation           sim.Kind = "reservation"
	kindAssociation           sim.Kind = "addressAssociation"
	kindRouteTableAssociation sim.Kind = "routeTableAssociation"
)
