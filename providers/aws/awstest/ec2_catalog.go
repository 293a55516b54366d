package awstest

import (
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/multicloud-ecs/multicloud/providers/sim"
)

// offerKey is one (Region, zone ID, type) of the offerings.
type offerKey struct{ region, zoneID, typ string }

// SetOffered offers (or withdraws) instanceType in a zone, given by zone ID
// ("use1-az1") or by its default name. A type not offered in a zone fails
// RunInstances there with Unsupported and is missing from
// DescribeInstanceTypeOfferings.
func (s *Server) SetOffered(region, zone, instanceType string, offered bool) {
	r, err := s.cloud.Region(region)
	if err != nil {
		return
	}
	z, ok := r.Zone(zone)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offered[offerKey{region, z.ID, instanceType}] = offered
}

// isOffered reports whether the type is sold in zone z of region.
func (s *Server) isOffered(region string, zoneIndex int, z sim.Zone, t InstanceType) bool {
	s.mu.Lock()
	v, set := s.offered[offerKey{region, z.ID, t.Name}]
	s.mu.Unlock()
	if set {
		return v
	}
	return t.Zones == nil || slices.Contains(t.Zones, zoneIndex)
}

type regionItem struct {
	RegionName     string `xml:"regionName"`
	RegionEndpoint string `xml:"regionEndpoint"`
	OptInStatus    string `xml:"optInStatus"`
}

type describeRegionsResponse struct {
	ec2Meta
	RegionInfo set[regionItem] `xml:"regionInfo"`
}

func (s *Server) describeRegions(c *call) (withRequestID, *apiError) {
	fs, e := c.params.filters()
	if e != nil {
		return nil, e
	}
	names := c.params.list("RegionName")
	var items []regionItem
	for _, r := range s.cloud.Regions() {
		it := regionItem{RegionName: r.ID, RegionEndpoint: "ec2." + r.ID + ".amazonaws.com", OptInStatus: "opt-in-not-required"}
		if len(names) > 0 && !slices.Contains(names, r.ID) {
			continue
		}
		ok, e := matchFilters(fs, nil, func(n string) ([]string, bool) {
			switch n {
			case "region-name":
				return []string{it.RegionName}, true
			case "endpoint":
				return []string{it.RegionEndpoint}, true
			case "opt-in-status":
				return []string{it.OptInStatus}, true
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
	for _, n := range names {
		if _, err := s.cloud.Region(n); err != nil {
			return nil, errInvalidParameterValue("Invalid region: " + n)
		}
	}
	return &describeRegionsResponse{RegionInfo: newSet(items)}, nil
}

type zoneItem struct {
	ZoneName           string       `xml:"zoneName"`
	ZoneID             string       `xml:"zoneId"`
	ZoneState          string       `xml:"zoneState"`
	RegionName         string       `xml:"regionName"`
	ZoneType           string       `xml:"zoneType"`
	GroupName          string       `xml:"groupName"`
	NetworkBorderGroup string       `xml:"networkBorderGroup"`
	OptInStatus        string       `xml:"optInStatus"`
	MessageSet         set[message] `xml:"messageSet"`
}

type message struct {
	Message string `xml:"message"`
}

type describeAvailabilityZonesResponse struct {
	ec2Meta
	AvailabilityZoneInfo set[zoneItem] `xml:"availabilityZoneInfo"`
}

// describeAvailabilityZones lists the zones of the call's Region under the
// names the caller's account sees them by (Account.ZoneNames).
func (s *Server) describeAvailabilityZones(c *call) (withRequestID, *apiError) {
	fs, e := c.params.filters()
	if e != nil {
		return nil, e
	}
	names, ids := c.params.list("ZoneName"), c.params.list("ZoneId")
	for _, n := range names {
		if _, ok := s.zoneByName(c, n); !ok {
			return nil, errInvalidParameterValue("The zone '" + n + "' does not exist.")
		}
	}
	for _, id := range ids {
		if _, ok := s.zoneByID(c, id); !ok {
			return nil, errInvalidParameterValue("The zone ID '" + id + "' does not exist.")
		}
	}
	var items []zoneItem
	for _, z := range s.region(c).Zones {
		it := zoneItem{ZoneName: zoneName(c.account, z), ZoneID: z.ID, ZoneState: "available", RegionName: c.region,
			ZoneType: "availability-zone", GroupName: c.region, NetworkBorderGroup: c.region, OptInStatus: "opt-in-not-required"}
		if (len(names) > 0 || len(ids) > 0) && !slices.Contains(names, it.ZoneName) && !slices.Contains(ids, it.ZoneID) {
			continue
		}
		ok, e := matchFilters(fs, nil, func(n string) ([]string, bool) {
			switch n {
			case "zone-name":
				return []string{it.ZoneName}, true
			case "zone-id":
				return []string{it.ZoneID}, true
			case "state":
				return []string{it.ZoneState}, true
			case "region-name":
				return []string{it.RegionName}, true
			case "zone-type":
				return []string{it.ZoneType}, true
			case "group-name":
				return []string{it.GroupName}, true
			case "opt-in-status":
				return []string{it.OptInStatus}, true
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
	sort.Slice(items, func(i, j int) bool { return items[i].ZoneName < items[j].ZoneName })
	return &describeAvailabilityZonesResponse{AvailabilityZoneInfo: newSet(items)}, nil
}

type instanceTypeItem struct {
	InstanceType                 string           `xml:"instanceType"`
	CurrentGeneration            bool             `xml:"currentGeneration"`
	FreeTierEligible             bool             `xml:"freeTierEligible"`
	SupportedUsageClasses        set[string]      `xml:"supportedUsageClasses"`
	SupportedRootDeviceTypes     set[string]      `xml:"supportedRootDeviceTypes"`
	SupportedVirtualizationTypes set[string]      `xml:"supportedVirtualizationTypes"`
	BareMetal                    bool             `xml:"bareMetal"`
	Hypervisor                   string           `xml:"hypervisor"`
	ProcessorInfo                processorInfo    `xml:"processorInfo"`
	VCPUInfo                     vcpuInfo         `xml:"vCpuInfo"`
	MemoryInfo                   memoryInfo       `xml:"memoryInfo"`
	InstanceStorageSupported     bool             `xml:"instanceStorageSupported"`
	EBSInfo                      ebsInfo          `xml:"ebsInfo"`
	NetworkInfo                  networkInfo      `xml:"networkInfo"`
	GPUInfo                      *gpuInfo         `xml:"gpuInfo"`
	PlacementGroupInfo           placementGroupIn `xml:"placementGroupInfo"`
	HibernationSupported         bool             `xml:"hibernationSupported"`
	BurstablePerformanceSupport  bool             `xml:"burstablePerformanceSupported"`
	DedicatedHostsSupported      bool             `xml:"dedicatedHostsSupported"`
	AutoRecoverySupported        bool             `xml:"autoRecoverySupported"`
	SupportedBootModes           set[string]      `xml:"supportedBootModes"`
}

type processorInfo struct {
	SupportedArchitectures   set[string] `xml:"supportedArchitectures"`
	SustainedClockSpeedInGhz string      `xml:"sustainedClockSpeedInGhz"`
	Manufacturer             string      `xml:"manufacturer"`
}

type vcpuInfo struct {
	DefaultVCpus          int `xml:"defaultVCpus"`
	DefaultCores          int `xml:"defaultCores"`
	DefaultThreadsPerCore int `xml:"defaultThreadsPerCore"`
}

type memoryInfo struct {
	SizeInMiB int `xml:"sizeInMiB"`
}

type ebsInfo struct {
	EBSOptimizedSupport string `xml:"ebsOptimizedSupport"`
	EncryptionSupport   string `xml:"encryptionSupport"`
	NVMeSupport         string `xml:"nvmeSupport"`
}

type networkInfo struct {
	NetworkPerformance       string `xml:"networkPerformance"`
	MaximumNetworkInterfaces int    `xml:"maximumNetworkInterfaces"`
	IPv4AddressesPerIface    int    `xml:"ipv4AddressesPerInterface"`
	IPv6Supported            bool   `xml:"ipv6Supported"`
	ENASupport               string `xml:"enaSupport"`
}

type gpuInfo struct {
	GPUs                set[gpuDevice] `xml:"gpus"`
	TotalGPUMemoryInMiB int            `xml:"totalGpuMemoryInMiB"`
}

type gpuDevice struct {
	Name         string     `xml:"name"`
	Manufacturer string     `xml:"manufacturer"`
	Count        int        `xml:"count"`
	MemoryInfo   memoryInfo `xml:"memoryInfo"`
}

type placementGroupIn struct {
	SupportedStrategies set[string] `xml:"supportedStrategies"`
}

type describeInstanceTypesResponse struct {
	ec2Meta
	InstanceTypeSet set[instanceTypeItem] `xml:"instanceTypeSet"`
	NextToken       string                `xml:"nextToken,omitempty"`
}

func typeItem(t InstanceType) instanceTypeItem {
	it := instanceTypeItem{
		InstanceType: t.Name, CurrentGeneration: true, FreeTierEligible: t.Name == "t3.micro",
		SupportedUsageClasses:        newSet([]string{"on-demand", "spot"}),
		SupportedRootDeviceTypes:     newSet([]string{"ebs"}),
		SupportedVirtualizationTypes: newSet([]string{"hvm"}),
		Hypervisor:                   "nitro",
		ProcessorInfo:                processorInfo{SupportedArchitectures: newSet([]string{"x86_64"}), SustainedClockSpeedInGhz: "3.1", Manufacturer: "Intel"},
		VCPUInfo:                     vcpuInfo{DefaultVCpus: t.VCPU, DefaultCores: max(1, t.VCPU/2), DefaultThreadsPerCore: 2},
		MemoryInfo:                   memoryInfo{SizeInMiB: t.MemoryMiB},
		EBSInfo:                      ebsInfo{EBSOptimizedSupport: "default", EncryptionSupport: "supported", NVMeSupport: "required"},
		NetworkInfo:                  networkInfo{NetworkPerformance: "Up to 10 Gigabit", MaximumNetworkInterfaces: 4, IPv4AddressesPerIface: 15, IPv6Supported: true, ENASupport: "required"},
		PlacementGroupInfo:           placementGroupIn{SupportedStrategies: newSet([]string{"cluster", "partition", "spread"})},
		BurstablePerformanceSupport:  strings.HasPrefix(t.Name, "t"),
		DedicatedHostsSupported:      true,
		AutoRecoverySupported:        true,
		SupportedBootModes:           newSet([]string{"legacy-bios", "uefi"}),
	}
	if t.GPUs > 0 {
		it.GPUInfo = &gpuInfo{
			GPUs:                newSet([]gpuDevice{{Name: t.GPUName, Manufacturer: "NVIDIA", Count: t.GPUs, MemoryInfo: memoryInfo{SizeInMiB: t.GPUMemoryMiB}}}),
			TotalGPUMemoryInMiB: t.GPUs * t.GPUMemoryMiB,
		}
	}
	return it
}

// describeInstanceTypes pages the catalog (MaxResults 5 to 100, MODEL).
func (s *Server) describeInstanceTypes(c *call) (withRequestID, *apiError) {
	fs, e := c.params.filters()
	if e != nil {
		return nil, e
	}
	want := c.params.list("InstanceType")
	var missing []string
	for _, n := range want {
		if _, ok := s.types[n]; !ok {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return nil, &apiError{Status: 400, Code: "InvalidInstanceType", Message: "The following supplied instance types do not exist: [" + strings.Join(missing, ", ") + "]"}
	}
	var items []instanceTypeItem
	for _, t := range s.opts.InstanceTypes {
		if len(want) > 0 && !slices.Contains(want, t.Name) {
			continue
		}
		ok, e := matchFilters(fs, nil, func(n string) ([]string, bool) {
			switch n {
			case "instance-type":
				return []string{t.Name}, true
			case "current-generation":
				return []string{"true"}, true
			case "vcpu-info.default-vcpus":
				return []string{strconv.Itoa(t.VCPU)}, true
			case "memory-info.size-in-mib":
				return []string{strconv.Itoa(t.MemoryMiB)}, true
			case "processor-info.supported-architecture":
				return []string{"x86_64"}, true
			case "bare-metal":
				return []string{"false"}, true
			case "hypervisor":
				return []string{"nitro"}, true
			}
			return nil, false
		})
		if e != nil {
			return nil, e
		}
		if ok {
			items = append(items, typeItem(t))
		}
	}
	pg, e := paginate(c.params, c.action, len(items), 5, 100)
	if e != nil {
		return nil, e
	}
	return &describeInstanceTypesResponse{InstanceTypeSet: newSet(items[pg.start:pg.end]), NextToken: pg.next}, nil
}

type offeringItem struct {
	InstanceType string `xml:"instanceType"`
	LocationType string `xml:"locationType"`
	Location     string `xml:"location"`
}

type describeInstanceTypeOfferingsResponse struct {
	ec2Meta
	InstanceTypeOfferingSet set[offeringItem] `xml:"instanceTypeOfferingSet"`
	NextToken               string            `xml:"nextToken,omitempty"`
}

// describeInstanceTypeOfferings lists where types are sold: in the Region
// (the default location type), per zone name (as the caller's account names
// zones) or per zone ID. MaxResults 5 to 1000 (MODEL).
func (s *Server) describeInstanceTypeOfferings(c *call) (withRequestID, *apiError) {
	fs, e := c.params.filters()
	if e != nil {
		return nil, e
	}
	lt := c.params.str("LocationType")
	if lt == "" {
		lt = "region"
	}
	if lt != "region" && lt != "availability-zone" && lt != "availability-zone-id" {
		return nil, errInvalidParameterValue("Value (" + lt + ") for parameter locationType is invalid.")
	}
	var items []offeringItem
	for _, t := range s.opts.InstanceTypes {
		var locs []string
		for i, z := range s.region(c).Zones {
			if !s.isOffered(c.region, i, z, t) {
				continue
			}
			switch lt {
			case "availability-zone":
				locs = append(locs, zoneName(c.account, z))
			case "availability-zone-id":
				locs = append(locs, z.ID)
			}
		}
		if lt == "region" {
			locs = []string{c.region}
		}
		sort.Strings(locs)
		for _, loc := range locs {
			it := offeringItem{InstanceType: t.Name, LocationType: lt, Location: loc}
			ok, e := matchFilters(fs, nil, func(n string) ([]string, bool) {
				switch n {
				case "instance-type":
					return []string{t.Name}, true
				case "location":
					return []string{loc}, true
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
	}
	pg, e := paginate(c.params, c.action, len(items), 5, 1000)
	if e != nil {
		return nil, e
	}
	return &describeInstanceTypeOfferingsResponse{InstanceTypeOfferingSet: newSet(items[pg.start:pg.end]), NextToken: pg.next}, nil
}

type imageItem struct {
	ImageID            string             `xml:"imageId"`
	ImageLocation      string             `xml:"imageLocation"`
	ImageState         string             `xml:"imageState"`
	ImageOwnerID       string             `xml:"imageOwnerId"`
	CreationDate       string             `xml:"creationDate"`
	IsPublic           bool               `xml:"isPublic"`
	Architecture       string             `xml:"architecture"`
	ImageType          string             `xml:"imageType"`
	ImageOwnerAlias    string             `xml:"imageOwnerAlias,omitempty"`
	Name               string             `xml:"name"`
	Description        string             `xml:"description"`
	RootDeviceType     string             `xml:"rootDeviceType"`
	RootDeviceName     string             `xml:"rootDeviceName"`
	BlockDeviceMapping set[imageBlockMap] `xml:"blockDeviceMapping"`
	VirtualizationType string             `xml:"virtualizationType"`
	Hypervisor         string             `xml:"hypervisor"`
	ENASupport         bool               `xml:"enaSupport"`
	SriovNetSupport    string             `xml:"sriovNetSupport"`
	PlatformDetails    string             `xml:"platformDetails"`
	UsageOperation     string             `xml:"usageOperation"`
	BootMode           string             `xml:"bootMode"`
	DeprecationTime    string             `xml:"deprecationTime"`
	TagSet             set[Tag]           `xml:"tagSet"`
}

type imageBlockMap struct {
	DeviceName string  `xml:"deviceName"`
	EBS        imageBS `xml:"ebs"`
}

type imageBS struct {
	SnapshotID          string `xml:"snapshotId"`
	VolumeSize          int    `xml:"volumeSize"`
	DeleteOnTermination bool   `xml:"deleteOnTermination"`
	VolumeType          string `xml:"volumeType"`
	Encrypted           bool   `xml:"encrypted"`
}

type describeImagesResponse struct {
	ec2Meta
	ImagesSet set[imageItem] `xml:"imagesSet"`
	NextToken string         `xml:"nextToken,omitempty"`
}

func (s *Server) imageItem(region string, im Image) imageItem {
	id := imageID(region, im.Name)
	return imageItem{
		ImageID: id, ImageLocation: im.OwnerID + "/" + im.Name, ImageState: "available", ImageOwnerID: im.OwnerID,
		CreationDate: isoTime(im.Created), IsPublic: true, Architecture: "x86_64", ImageType: "machine",
		ImageOwnerAlias: im.OwnerAlias, Name: im.Name, Description: im.Description,
		RootDeviceType: "ebs", RootDeviceName: "/dev/sda1",
		BlockDeviceMapping: newSet([]imageBlockMap{{DeviceName: "/dev/sda1", EBS: imageBS{
			SnapshotID: "snap-" + id[4:], VolumeSize: im.RootGiB, DeleteOnTermination: true, VolumeType: "gp3"}}}),
		VirtualizationType: "hvm", Hypervisor: "xen", ENASupport: true, SriovNetSupport: "simple",
		PlatformDetails: "Linux/UNIX", UsageOperation: "RunInstances", BootMode: "uefi-preferred",
		DeprecationTime: isoTime(im.Created.AddDate(2, 0, 0)), TagSet: newSet([]Tag{}),
	}
}

// findImage returns the catalog image with AMI ID id in region.
func (s *Server) findImage(region, id string) (Image, bool) {
	for _, im := range s.opts.Images {
		if imageID(region, im.Name) == id {
			return im, true
		}
	}
	return Image{}, false
}

// describeImages answers ImageId.N, Owner.N ("self", "amazon", an account
// ID) and filters. MaxResults bounds (5 to 1000) are not confirmed; with
// neither MaxResults nor NextToken every match comes back.
func (s *Server) describeImages(c *call) (withRequestID, *apiError) {
	fs, e := c.params.filters()
	if e != nil {
		return nil, e
	}
	ids, owners := c.params.list("ImageId"), c.params.list("Owner")
	if len(ids) > 0 && c.params.has("MaxResults") {
		return nil, &apiError{Status: 400, Code: "InvalidParameterCombination", Message: "The parameter imageIdsSet cannot be used with the parameter maxResults"}
	}
	for _, id := range ids {
		if !strings.HasPrefix(id, "ami-") {
			return nil, &apiError{Status: 400, Code: "InvalidAMIID.Malformed", Message: "Invalid id: \"" + id + "\" (expecting \"ami-...\")"}
		}
		if _, ok := s.findImage(c.region, id); !ok {
			return nil, &apiError{Status: 400, Code: "InvalidAMIID.NotFound", Message: "The image id '[" + id + "]' does not exist"}
		}
	}
	var items []imageItem
	for _, im := range s.opts.Images {
		it := s.imageItem(c.region, im)
		if len(ids) > 0 && !slices.Contains(ids, it.ImageID) {
			continue
		}
		if len(owners) > 0 && !slices.ContainsFunc(owners, func(o string) bool {
			return o == im.OwnerID || (o != "" && o == im.OwnerAlias) || (o == "self" && im.OwnerID == c.account.ID)
		}) {
			continue
		}
		ok, e := matchFilters(fs, nil, func(n string) ([]string, bool) {
			switch n {
			case "name":
				return []string{it.Name}, true
			case "image-id":
				return []string{it.ImageID}, true
			case "owner-id":
				return []string{it.ImageOwnerID}, true
			case "owner-alias":
				return []string{it.ImageOwnerAlias}, true
			case "state":
				return []string{it.ImageState}, true
			case "architecture":
				return []string{it.Architecture}, true
			case "root-device-type":
				return []string{it.RootDeviceType}, true
			case "virtualization-type":
				return []string{it.VirtualizationType}, true
			case "image-type":
				return []string{it.ImageType}, true
			case "is-public":
				return []string{boolStr(it.IsPublic)}, true
			case "description":
				return []string{it.Description}, true
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
	pg, e := paginate(c.params, c.action, len(items), 5, 1000)
	if e != nil {
		return nil, e
	}
	return &describeImagesResponse{ImagesSet: newSet(items[pg.start:pg.end]), NextToken: pg.next}, nil
}
