package aliyuntest

import (
	"strconv"
	"strings"
)

// Region describes one emulated region.
type Region struct {
	// ID is the region ID, e.g. "cn-hangzhou".
	ID string
	// LocalName is the display name; default ID.
	LocalName string
	// Zones are the zone IDs; default ID + "-a" and ID + "-b".
	Zones []string
	// PriceFactor multiplies every list price in the region; default 1.
	PriceFactor float64
}

// DefaultRegions returns the default region catalog: ten real regions with
// two to four zones each.
func DefaultRegions() []Region {
	return []Region{
		{ID: "cn-hangzhou", LocalName: "华东1（杭州）", Zones: []string{"cn-hangzhou-h", "cn-hangzhou-i", "cn-hangzhou-j", "cn-hangzhou-k"}, PriceFactor: 1},
		{ID: "cn-shanghai", LocalName: "华东2（上海）", Zones: []string{"cn-shanghai-e", "cn-shanghai-f", "cn-shanghai-g", "cn-shanghai-l"}, PriceFactor: 1},
		{ID: "cn-beijing", LocalName: "华北2（北京）", Zones: []string{"cn-beijing-g", "cn-beijing-h", "cn-beijing-i", "cn-beijing-k"}, PriceFactor: 1},
		{ID: "cn-shenzhen", LocalName: "华南1（深圳）", Zones: []string{"cn-shenzhen-c", "cn-shenzhen-d", "cn-shenzhen-e"}, PriceFactor: 1},
		{ID: "cn-qingdao", LocalName: "华北1（青岛）", Zones: []string{"cn-qingdao-b", "cn-qingdao-c"}, PriceFactor: 1},
		{ID: "cn-zhangjiakou", LocalName: "华北3（张家口）", Zones: []string{"cn-zhangjiakou-a", "cn-zhangjiakou-b", "cn-zhangjiakou-c"}, PriceFactor: 0.95},
		{ID: "cn-chengdu", LocalName: "西南1（成都）", Zones: []string{"cn-chengdu-a", "cn-chengdu-b"}, PriceFactor: 0.95},
		{ID: "cn-hongkong", LocalName: "中国香港", Zones: []string{"cn-hongkong-b", "cn-hongkong-c", "cn-hongkong-d"}, PriceFactor: 1.3},
		{ID: "ap-southeast-1", LocalName: "新加坡", Zones: []string{"ap-southeast-1a", "ap-southeast-1b", "ap-southeast-1c"}, PriceFactor: 1.2},
		{ID: "us-west-1", LocalName: "美国（硅谷）", Zones: []string{"us-west-1a", "us-west-1b"}, PriceFactor: 1.15},
	}
}

// instanceType is one entry of the instance type catalog. Prices are
// pay-as-you-go CNY per hour before the region factor. GPU prices follow the
// cn-shanghai 2023 list; general-purpose prices are plausible fixtures, not
// an official list.
type instanceType struct {
	id        string
	family    string
	cpu       int
	memGiB    float64
	gpus      int
	gpuSpec   string
	gpuMemGiB float64
	hourly    float64
	eni       int
}

// instanceTypes is the catalog, in DescribeInstanceTypes order.
var instanceTypes = []*instanceType{
	{id: "ecs.t6-c1m1.large", family: "ecs.t6", cpu: 2, memGiB: 2, hourly: 0.18, eni: 2},
	{id: "ecs.c7.large", family: "ecs.c7", cpu: 2, memGiB: 4, hourly: 0.52, eni: 3},
	{id: "ecs.g7.large", family: "ecs.g7", cpu: 2, memGiB: 8, hourly: 0.64, eni: 3},
	{id: "ecs.g7.xlarge", family: "ecs.g7", cpu: 4, memGiB: 16, hourly: 1.28, eni: 4},
	{id: "ecs.g7.2xlarge", family: "ecs.g7", cpu: 8, memGiB: 32, hourly: 2.56, eni: 4},
	{id: "ecs.r7.large", family: "ecs.r7", cpu: 2, memGiB: 16, hourly: 0.83, eni: 3},
	{id: "ecs.gn6i-c4g1.xlarge", family: "ecs.gn6i", cpu: 4, memGiB: 15, gpus: 1, gpuSpec: "NVIDIA T4", gpuMemGiB: 16, hourly: 11.63, eni: 2},
	{id: "ecs.gn6v-c8g1.2xlarge", family: "ecs.gn6v", cpu: 8, memGiB: 32, gpus: 1, gpuSpec: "NVIDIA V100", gpuMemGiB: 16, hourly: 26.46, eni: 4},
	{id: "ecs.gn6v-c8g1.16xlarge", family: "ecs.gn6v", cpu: 64, memGiB: 256, gpus: 8, gpuSpec: "NVIDIA V100", gpuMemGiB: 16, hourly: 211.68, eni: 8},
	{id: "ecs.gn6e-c12g1.3xlarge", family: "ecs.gn6e", cpu: 12, memGiB: 92, gpus: 1, gpuSpec: "NVIDIA V100", gpuMemGiB: 32, hourly: 19.73, eni: 6},
	{id: "ecs.gn7-c12g1.3xlarge", family: "ecs.gn7", cpu: 12, memGiB: 95, gpus: 1, gpuSpec: "NVIDIA A100", gpuMemGiB: 40, hourly: 31.58, eni: 6},
	{id: "ecs.gn7e-c16g1.4xlarge", family: "ecs.gn7e", cpu: 16, memGiB: 125, gpus: 1, gpuSpec: "NVIDIA A100", gpuMemGiB: 80, hourly: 34.74, eni: 8},
	{id: "ecs.gn7e-c16g1.32xlarge", family: "ecs.gn7e", cpu: 128, memGiB: 1000, gpus: 8, gpuSpec: "NVIDIA A100", gpuMemGiB: 80, hourly: 277.93, eni: 15},
	{id: "ecs.gn7i-c8g1.2xlarge", family: "ecs.gn7i", cpu: 8, memGiB: 30, gpus: 1, gpuSpec: "NVIDIA A10", gpuMemGiB: 24, hourly: 9.53, eni: 4},
	{id: "ecs.gn7i-c32g1.32xlarge", family: "ecs.gn7i", cpu: 128, memGiB: 752, gpus: 4, gpuSpec: "NVIDIA A10", gpuMemGiB: 24, hourly: 53.23, eni: 15},
	{id: "ecs.gn8is.2xlarge", family: "ecs.gn8is", cpu: 8, memGiB: 64, gpus: 1, gpuSpec: "NVIDIA L20", gpuMemGiB: 48, hourly: 14.63, eni: 4},
}

var instanceTypeByID = func() map[string]*instanceType {
	m := make(map[string]*instanceType, len(instanceTypes))
	for _, t := range instanceTypes {
		m[t.id] = t
	}
	return m
}()

// image is one public image of the system catalog.
type image struct {
	id, family, osName, osNameEn, platform string
	sizeGiB                                int
	gpuDriver                              bool
}

// images is the system image catalog offered in every region.
var images = []*image{
	{id: "ubuntu_22_04_x64_20G_alibase_20230815.vhd", family: "acs:ubuntu_22_04_x64", osName: "Ubuntu  22.04 64位", osNameEn: "Ubuntu  22.04 64 bit", platform: "Ubuntu", sizeGiB: 20},
	{id: "ubuntu_20_04_x64_20G_alibase_20230815.vhd", family: "acs:ubuntu_20_04_x64", osName: "Ubuntu  20.04 64位", osNameEn: "Ubuntu  20.04 64 bit", platform: "Ubuntu", sizeGiB: 20},
	{id: "centos_7_9_x64_20G_alibase_20230815.vhd", family: "acs:centos_7_9_x64", osName: "CentOS  7.9 64位", osNameEn: "CentOS  7.9 64 bit", platform: "CentOS", sizeGiB: 20},
	{id: "aliyun_3_x64_20G_alibase_20240819.vhd", family: "acs:alibaba_cloud_linux_3_2104_lts_x64", osName: "Alibaba Cloud Linux  3.2104 LTS 64位", osNameEn: "Alibaba Cloud Linux  3.2104 LTS 64 bit", platform: "Aliyun", sizeGiB: 20},
	{id: "aliyun_2_1903_x64_20G_alibase_20200324.vhd", family: "acs:aliyun_2_1903_x64", osName: "Alibaba Cloud Linux  2.1903 LTS 64位", osNameEn: "Alibaba Cloud Linux  2.1903 LTS 64 bit", platform: "Aliyun", sizeGiB: 20},
	{id: "ubuntu_22_04_x64_100G_with_gpu_driver_and_cuda_12_2_20240115.vhd", family: "acs:ubuntu_22_04_x64_gpu", osName: "Ubuntu  22.04 64位 GPU", osNameEn: "Ubuntu  22.04 64 bit with GPU driver", platform: "Ubuntu", sizeGiB: 100, gpuDriver: true},
}

var imageByID = func() map[string]*image {
	m := make(map[string]*image, len(images))
	for _, im := range images {
		m[im.id] = im
	}
	return m
}()

// imageCreationTime is the CreationTime reported for catalog images.
const imageCreationTime = "2023-08-15T00:00:00Z"

type regionJSON struct {
	RegionId       string `json:"RegionId"`
	LocalName      string `json:"LocalName"`
	RegionEndpoint string `json:"RegionEndpoint"`
	Status         string `json:"Status"`
}

type describeRegionsResp struct {
	respBase
	Regions struct {
		Region []regionJSON `json:"Region"`
	} `json:"Regions"`
}

type vpcRegionJSON struct {
	LocalName      string `json:"LocalName"`
	RegionEndpoint string `json:"RegionEndpoint"`
	RegionId       string `json:"RegionId"`
}

type vpcDescribeRegionsResp struct {
	respBase
	Regions struct {
		Region []vpcRegionJSON `json:"Region"`
	} `json:"Regions"`
}

// vpcDescribeRegions is the VPC API's DescribeRegions: its table has no
// Status, and the endpoints are the VPC ones (their form per region is not
// confirmed).
func (s *Server) vpcDescribeRegions(c *call) (response, error) {
	r := &vpcDescribeRegionsResp{}
	r.Regions.Region = []vpcRegionJSON{}
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, rg := range s.st.regionList {
		r.Regions.Region = append(r.Regions.Region, vpcRegionJSON{
			RegionId: rg.id, LocalName: rg.localName, RegionEndpoint: "vpc." + rg.id + ".aliyuncs.com",
		})
	}
	return r, nil
}

func (s *Server) describeRegions(c *call) (response, error) {
	r := &describeRegionsResp{}
	r.Regions.Region = []regionJSON{}
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, rg := range s.st.regionList {
		r.Regions.Region = append(r.Regions.Region, regionJSON{
			RegionId: rg.id, LocalName: rg.localName, RegionEndpoint: "ecs." + rg.id + ".aliyuncs.com", Status: "available",
		})
	}
	return r, nil
}

type zoneJSON struct {
	AvailableDedicatedHostTypes struct {
		DedicatedHostType []string `json:"DedicatedHostType"`
	} `json:"AvailableDedicatedHostTypes"`
	AvailableDiskCategories struct {
		DiskCategories []string `json:"DiskCategories"`
	} `json:"AvailableDiskCategories"`
	AvailableInstanceTypes struct {
		InstanceTypes []string `json:"InstanceTypes"`
	} `json:"AvailableInstanceTypes"`
	AvailableResourceCreation struct {
		ResourceTypes []string `json:"ResourceTypes"`
	} `json:"AvailableResourceCreation"`
	AvailableResources struct {
		ResourcesInfo []resourcesInfoJSON `json:"ResourcesInfo"`
	} `json:"AvailableResources"`
	AvailableVolumeCategories struct {
		VolumeCategories []string `json:"VolumeCategories"`
	} `json:"AvailableVolumeCategories"`
	DedicatedHostGenerations struct {
		DedicatedHostGeneration []string `json:"DedicatedHostGeneration"`
	} `json:"DedicatedHostGenerations"`
	LocalName string `json:"LocalName"`
	ZoneId    string `json:"ZoneId"`
	ZoneType  string `json:"ZoneType"`
}

// resourcesInfoJSON is one entry of AvailableResources; the lower-case
// member names are the documented ones.
type resourcesInfoJSON struct {
	DataDiskCategories struct {
		SupportedDataDiskCategory []string `json:"supportedDataDiskCategory"`
	} `json:"DataDiskCategories"`
	InstanceGenerations struct {
		SupportedInstanceGeneration []string `json:"supportedInstanceGeneration"`
	} `json:"InstanceGenerations"`
	InstanceTypeFamilies struct {
		SupportedInstanceTypeFamily []string `json:"supportedInstanceTypeFamily"`
	} `json:"InstanceTypeFamilies"`
	InstanceTypes struct {
		SupportedInstanceType []string `json:"supportedInstanceType"`
	} `json:"InstanceTypes"`
	IoOptimized  bool `json:"IoOptimized"`
	NetworkTypes struct {
		SupportedNetworkCategory []string `json:"supportedNetworkCategory"`
	} `json:"NetworkTypes"`
	SystemDiskCategories struct {
		SupportedSystemDiskCategory []string `json:"supportedSystemDiskCategory"`
	} `json:"SystemDiskCategories"`
}

type describeZonesResp struct {
	respBase
	Zones struct {
		Zone []zoneJSON `json:"Zone"`
	} `json:"Zones"`
}

var diskCategories = []string{"cloud_efficiency", "cloud_ssd", "cloud_essd", "cloud_auto", "cloud"}

func (s *Server) describeZones(c *call) (response, error) {
	r := &describeZonesResp{}
	r.Zones.Zone = []zoneJSON{}
	types := make([]string, len(instanceTypes))
	var families []string
	for i, t := range instanceTypes {
		types[i] = t.id
		if !contains(families, t.family) {
			families = append(families, t.family)
		}
	}
	for _, z := range c.region.zones {
		zj := zoneJSON{ZoneId: z, LocalName: z, ZoneType: "AvZone"}
		zj.AvailableResourceCreation.ResourceTypes = []string{"VSwitch", "IoOptimized", "Instance", "Disk", "DedicatedHost"}
		zj.AvailableInstanceTypes.InstanceTypes = types
		zj.AvailableDiskCategories.DiskCategories = diskCategories
		zj.AvailableDedicatedHostTypes.DedicatedHostType = []string{}
		zj.AvailableVolumeCategories.VolumeCategories = []string{}
		zj.DedicatedHostGenerations.DedicatedHostGeneration = []string{}
		var ri resourcesInfoJSON
		ri.IoOptimized = true
		ri.DataDiskCategories.SupportedDataDiskCategory = diskCategories
		ri.SystemDiskCategories.SupportedSystemDiskCategory = diskCategories
		// The catalog does not model instance generations.
		ri.InstanceGenerations.SupportedInstanceGeneration = []string{}
		ri.InstanceTypeFamilies.SupportedInstanceTypeFamily = families
		ri.InstanceTypes.SupportedInstanceType = types
		ri.NetworkTypes.SupportedNetworkCategory = []string{"vpc"}
		zj.AvailableResources.ResourcesInfo = []resourcesInfoJSON{ri}
		r.Zones.Zone = append(r.Zones.Zone, zj)
	}
	return r, nil
}

type instanceTypeJSON struct {
	Attributes struct {
		Attribute []typeAttributeJSON `json:"Attribute"`
	} `json:"Attributes"`
	BaselineCredit int `json:"BaselineCredit"`
	Clock          struct {
		PtpSupport string `json:"PtpSupport"`
	} `json:"Clock"`
	CpuArchitecture string `json:"CpuArchitecture"`
	CpuCoreCount    int    `json:"CpuCoreCount"`
	CpuOptions      struct {
		Core                     int  `json:"Core"`
		CoreFactor               int  `json:"CoreFactor"`
		HyperThreadingAdjustable bool `json:"HyperThreadingAdjustable"`
		SupportedTopologyTypes   struct {
			SupportedTopologyType []string `json:"SupportedTopologyType"`
		} `json:"SupportedTopologyTypes"`
		ThreadsPerCore int `json:"ThreadsPerCore"`
	} `json:"CpuOptions"`
	CpuSpeedFrequency float64 `json:"CpuSpeedFrequency"`
	CpuTurboFrequency float64 `json:"CpuTurboFrequency"`
	DiskQuantity      int     `json:"DiskQuantity"`
	EnhancedNetwork   struct {
		RssSupport          bool `json:"RssSupport"`
		SriovSupport        bool `json:"SriovSupport"`
		VfQueueNumberPerEni int  `json:"VfQueueNumberPerEni"`
	} `json:"EnhancedNetwork"`
	EniIpv6AddressQuantity      int     `json:"EniIpv6AddressQuantity"`
	EniPrivateIpAddressQuantity int     `json:"EniPrivateIpAddressQuantity"`
	EniQuantity                 int     `json:"EniQuantity"`
	EniTotalQuantity            int     `json:"EniTotalQuantity"`
	EniTrunkSupported           bool    `json:"EniTrunkSupported"`
	EriQuantity                 int     `json:"EriQuantity"`
	GPUAmount                   int     `json:"GPUAmount"`
	GPUMemorySize               float64 `json:"GPUMemorySize"`
	GPUSpec                     string  `json:"GPUSpec"`
	InitialCredit               int     `json:"InitialCredit"`
	InstanceBandwidthRx         int     `json:"InstanceBandwidthRx"`
	InstanceBandwidthTx         int     `json:"InstanceBandwidthTx"`
	InstanceCategory            string  `json:"InstanceCategory"`
	InstanceFamilyLevel         string  `json:"InstanceFamilyLevel"`
	InstancePpsRx               int64   `json:"InstancePpsRx"`
	InstancePpsTx               int64   `json:"InstancePpsTx"`
	InstanceTypeFamily          string  `json:"InstanceTypeFamily"`
	InstanceTypeId              string  `json:"InstanceTypeId"`
	JumboFrameSupport           bool    `json:"JumboFrameSupport"`
	LocalStorageAmount          int     `json:"LocalStorageAmount"`
	LocalStorageCapacity        int64   `json:"LocalStorageCapacity"`
	LocalStorageCategory        string  `json:"LocalStorageCategory"`
	MaximumQueueNumberPerEni    int     `json:"MaximumQueueNumberPerEni"`
	MemorySize                  float64 `json:"MemorySize"`
	NetworkCardQuantity         int     `json:"NetworkCardQuantity"`
	NetworkCards                struct {
		NetworkCardInfo []networkCardJSON `json:"NetworkCardInfo"`
	} `json:"NetworkCards"`
	NetworkEncryptionSupport bool `json:"NetworkEncryptionSupport"`
	NetworkInfo              struct {
		BandwidthWeighting struct {
			WeightingInfos struct {
				WeightingInfo []weightingInfoJSON `json:"WeightingInfo"`
			} `json:"WeightingInfos"`
		} `json:"BandwidthWeighting"`
	} `json:"NetworkInfo"`
	NvmeSupport             string `json:"NvmeSupport"`
	PhysicalProcessorModel  string `json:"PhysicalProcessorModel"`
	PrimaryEniQueueNumber   int    `json:"PrimaryEniQueueNumber"`
	QueuePairNumber         int    `json:"QueuePairNumber"`
	SecondaryEniQueueNumber int    `json:"SecondaryEniQueueNumber"`
	SupportedBootModes      struct {
		SupportedBootMode []string `json:"SupportedBootMode"`
	} `json:"SupportedBootModes"`
	TotalEniQueueQuantity int `json:"TotalEniQueueQuantity"`
}

type typeAttributeJSON struct {
	Name  string `json:"Name"`
	Value string `json:"Value"`
}

type networkCardJSON struct {
	NetworkCardIndex int `json:"NetworkCardIndex"`
}

type weightingInfoJSON struct {
	EbsBandwidth      int64  `json:"EbsBandwidth"`
	EbsBurstBandwidth int64  `json:"EbsBurstBandwidth"`
	Name              string `json:"Name"`
	VpcBandwidth      int64  `json:"VpcBandwidth"`
	VpcBurstBandwidth int64  `json:"VpcBurstBandwidth"`
}

type describeInstanceTypesResp struct {
	respBase
	NextToken     string `json:"NextToken"`
	InstanceTypes struct {
		InstanceType []instanceTypeJSON `json:"InstanceType"`
	} `json:"InstanceTypes"`
}

func (t *instanceType) json() instanceTypeJSON {
	cat := "General-purpose"
	if t.gpus > 0 {
		cat = "GPU-accelerated"
	}
	// Fields the catalog does not model (bandwidth, PPS, queue counts,
	// processor model and frequencies) are reported as zero values.
	j := instanceTypeJSON{
		InstanceTypeId: t.id, InstanceTypeFamily: t.family, CpuCoreCount: t.cpu, MemorySize: t.memGiB,
		GPUAmount: t.gpus, GPUSpec: t.gpuSpec, GPUMemorySize: t.gpuMemGiB, CpuArchitecture: "X86",
		InstanceCategory: cat, InstanceFamilyLevel: "EnterpriseLevel", EniQuantity: t.eni,
		EniTotalQuantity: t.eni, NetworkCardQuantity: 1, DiskQuantity: 17, NvmeSupport: "unsupported",
	}
	j.Attributes.Attribute = []typeAttributeJSON{}
	j.CpuOptions.Core = max(1, t.cpu/2)
	j.CpuOptions.ThreadsPerCore = min(2, t.cpu)
	j.CpuOptions.CoreFactor = 1
	j.CpuOptions.SupportedTopologyTypes.SupportedTopologyType = []string{}
	j.NetworkCards.NetworkCardInfo = []networkCardJSON{{NetworkCardIndex: 0}}
	j.NetworkInfo.BandwidthWeighting.WeightingInfos.WeightingInfo = []weightingInfoJSON{}
	j.SupportedBootModes.SupportedBootMode = []string{"BIOS", "UEFI"}
	return j
}

func (s *Server) describeInstanceTypes(c *call) (response, error) {
	want := c.p.list("InstanceTypes")
	families := c.p.list("InstanceTypeFamilies")
	if f := c.p.str("InstanceTypeFamily"); f != "" {
		families = append(families, f)
	}
	gpuSpec := c.p.str("GPUSpec")
	minGPU, err := c.p.intv("MinimumGPUAmount", 0)
	if err != nil {
		return nil, err
	}
	maxGPU, err := c.p.intv("MaximumGPUAmount", 1<<30)
	if err != nil {
		return nil, err
	}
	// MaxResults: 1 to 100, default 100. The documentation moved the
	// maximum from 1600 to 100 on 2023-11-15; without NextToken only the
	// first page (up to 100 entries) comes back, and a longer listing
	// carries a NextToken to continue it.
	pageSize, err := c.p.intRange("MaxResults", 100, 1, 100)
	if err != nil {
		return nil, err
	}
	token := c.p.str("NextToken")
	var matching []*instanceType
	for _, t := range instanceTypes {
		if len(want) > 0 && !contains(want, t.id) ||
			len(families) > 0 && !contains(families, t.family) ||
			gpuSpec != "" && !strings.EqualFold(gpuSpec, t.gpuSpec) ||
			t.gpus < minGPU || t.gpus > maxGPU {
			continue
		}
		matching = append(matching, t)
	}
	start := 0
	if token != "" {
		// The token names the last type of the previous page; its format
		// is opaque to callers in the documentation.
		start = -1
		for i, t := range matching {
			if t.id == token {
				start = i + 1
				break
			}
		}
		if start < 0 {
			return nil, errCode(400, "InvalidParameter.NextToken", "The specified NextToken is not valid.")
		}
	}
	end := min(start+pageSize, len(matching))
	r := &describeInstanceTypesResp{}
	r.InstanceTypes.InstanceType = []instanceTypeJSON{}
	for _, t := range matching[start:end] {
		r.InstanceTypes.InstanceType = append(r.InstanceTypes.InstanceType, t.json())
	}
	if end < len(matching) {
		r.NextToken = matching[end-1].id
	}
	return r, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

type imageJSON struct {
	Architecture     string `json:"Architecture"`
	BootMode         string `json:"BootMode"`
	CreationTime     string `json:"CreationTime"`
	Description      string `json:"Description"`
	DetectionOptions struct {
		Items struct {
			Item []detectionItemJSON `json:"Item"`
		} `json:"Items"`
		Status string `json:"Status"`
	} `json:"DetectionOptions"`
	DiskDeviceMappings struct {
		DiskDeviceMapping []diskDeviceMappingJSON `json:"DiskDeviceMapping"`
	} `json:"DiskDeviceMappings"`
	Features struct {
		CpuOnlineDowngrade    string `json:"CpuOnlineDowngrade"`
		CpuOnlineUpgrade      string `json:"CpuOnlineUpgrade"`
		ImdsSupport           string `json:"ImdsSupport"`
		MemoryOnlineDowngrade string `json:"MemoryOnlineDowngrade"`
		MemoryOnlineUpgrade   string `json:"MemoryOnlineUpgrade"`
		NvmeSupport           string `json:"NvmeSupport"`
	} `json:"Features"`
	ImageFamily             string  `json:"ImageFamily"`
	ImageId                 string  `json:"ImageId"`
	ImageName               string  `json:"ImageName"`
	ImageOwnerAlias         string  `json:"ImageOwnerAlias"`
	ImageOwnerId            int64   `json:"ImageOwnerId"`
	ImageVersion            string  `json:"ImageVersion"`
	IsCopied                bool    `json:"IsCopied"`
	IsPublic                bool    `json:"IsPublic"`
	IsSelfShared            string  `json:"IsSelfShared"`
	IsSubscribed            bool    `json:"IsSubscribed"`
	IsSupportCloudinit      bool    `json:"IsSupportCloudinit"`
	IsSupportIoOptimized    bool    `json:"IsSupportIoOptimized"`
	LicenseType             string  `json:"LicenseType"`
	LoginAsNonRootSupported bool    `json:"LoginAsNonRootSupported"`
	OSName                  string  `json:"OSName"`
	OSNameEn                string  `json:"OSNameEn"`
	OSType                  string  `json:"OSType"`
	Platform                string  `json:"Platform"`
	ProductCode             string  `json:"ProductCode"`
	Progress                string  `json:"Progress"`
	ResourceGroupId         string  `json:"ResourceGroupId"`
	Size                    int     `json:"Size"`
	Status                  string  `json:"Status"`
	SupplierName            string  `json:"SupplierName"`
	Tags                    ecsTags `json:"Tags"`
	Usage                   string  `json:"Usage"`
}

type detectionItemJSON struct {
	Name      string `json:"Name"`
	RiskCode  string `json:"RiskCode"`
	RiskLevel string `json:"RiskLevel"`
	Value     string `json:"Value"`
}

type diskDeviceMappingJSON struct {
	Device          string `json:"Device"`
	Encrypted       bool   `json:"Encrypted"`
	Format          string `json:"Format"`
	ImportOSSBucket string `json:"ImportOSSBucket"`
	ImportOSSObject string `json:"ImportOSSObject"`
	Progress        string `json:"Progress"`
	RemainTime      int    `json:"RemainTime"`
	Size            string `json:"Size"`
	SnapshotId      string `json:"SnapshotId"`
	Type            string `json:"Type"`
}

// imageJSON renders a system image of the catalog.
func (im *image) json() imageJSON {
	j := imageJSON{
		ImageId: im.id, ImageName: im.id, ImageFamily: im.family, ImageVersion: im.id[strings.LastIndex(im.id, "_")+1 : len(im.id)-4],
		OSName: im.osName, OSNameEn: im.osNameEn, OSType: "linux", Platform: im.platform, Architecture: "x86_64",
		Size: im.sizeGiB, Status: "Available", ImageOwnerAlias: "system", IsPublic: true, IsSupportCloudinit: true,
		IsSupportIoOptimized: true, Usage: "instance", CreationTime: imageCreationTime, Description: im.osNameEn,
		BootMode: "BIOS", LicenseType: "Auto", LoginAsNonRootSupported: true, Progress: "100%",
		Tags: ecsTagsJSON(nil),
	}
	j.DetectionOptions.Items.Item = []detectionItemJSON{}
	j.DetectionOptions.Status = "Finished"
	j.DiskDeviceMappings.DiskDeviceMapping = []diskDeviceMappingJSON{{Device: "/dev/xvda", Format: "", Progress: "100%",
		Size: strconv.Itoa(im.sizeGiB), Type: "system"}}
	j.Features.ImdsSupport = "v2"
	j.Features.NvmeSupport = "unsupported"
	return j
}

type describeImagesResp struct {
	respBase
	RegionId   string `json:"RegionId"`
	TotalCount int    `json:"TotalCount"`
	PageNumber int    `json:"PageNumber"`
	PageSize   int    `json:"PageSize"`
	Images     struct {
		Image []imageJSON `json:"Image"`
	} `json:"Images"`
}

func (s *Server) describeImages(c *call) (response, error) {
	pg, err := c.p.pageParams(100)
	if err != nil {
		return nil, err
	}
	owner := c.p.str("ImageOwnerAlias")
	switch owner {
	case "", "system", "self", "others", "marketplace":
	default:
		return nil, errInvalid("ImageOwnerAlias", owner)
	}
	ids := c.p.commaList("ImageId")
	name, family := c.p.str("ImageName"), c.p.str("ImageFamily")
	osType, arch := c.p.str("OSType"), c.p.str("Architecture")
	var match []imageJSON
	for _, im := range images {
		if !s.imageIn(c.region.id, im.id) ||
			owner != "" && owner != "system" ||
			len(ids) > 0 && !contains(ids, im.id) ||
			name != "" && !wildcard(name, im.id) ||
			family != "" && family != im.family ||
			osType != "" && osType != "linux" ||
			arch != "" && arch != "x86_64" {
			continue
		}
		match = append(match, im.json())
	}
	r := &describeImagesResp{RegionId: c.region.id, TotalCount: len(match), PageNumber: pg.number, PageSize: pg.size}
	r.Images.Image = append([]imageJSON{}, paginate(match, pg)...)
	return r, nil
}
