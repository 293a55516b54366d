package aliyuntest

import (
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
	ZoneId                    string `json:"ZoneId"`
	LocalName                 string `json:"LocalName"`
	ZoneType                  string `json:"ZoneType"`
	AvailableResourceCreation struct {
		ResourceTypes []string `json:"ResourceTypes"`
	} `json:"AvailableResourceCreation"`
	AvailableInstanceTypes struct {
		InstanceTypes []string `json:"InstanceTypes"`
	} `json:"AvailableInstanceTypes"`
	AvailableDiskCategories struct {
		DiskCategories []string `json:"DiskCategories"`
	} `json:"AvailableDiskCategories"`
	NetworkTypes struct {
		NetworkType []string `json:"NetworkType"`
	} `json:"NetworkTypes"`
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
	for i, t := range instanceTypes {
		types[i] = t.id
	}
	for _, z := range c.region.zones {
		zj := zoneJSON{ZoneId: z, LocalName: z, ZoneType: "AvZone"}
		zj.AvailableResourceCreation.ResourceTypes = []string{"VSwitch", "IoOptimized", "Instance", "Disk", "DedicatedHost"}
		zj.AvailableInstanceTypes.InstanceTypes = types
		zj.AvailableDiskCategories.DiskCategories = diskCategories
		zj.NetworkTypes.NetworkType = []string{"vpc"}
		r.Zones.Zone = append(r.Zones.Zone, zj)
	}
	return r, nil
}

type instanceTypeJSON struct {
	InstanceTypeId       string  `json:"InstanceTypeId"`
	InstanceTypeFamily   string  `json:"InstanceTypeFamily"`
	CpuCoreCount         int     `json:"CpuCoreCount"`
	MemorySize           float64 `json:"MemorySize"`
	GPUAmount            int     `json:"GPUAmount"`
	GPUSpec              string  `json:"GPUSpec"`
	GPUMemorySize        float64 `json:"GPUMemorySize"`
	CpuArchitecture      string  `json:"CpuArchitecture"`
	InstanceCategory     string  `json:"InstanceCategory"`
	InstanceFamilyLevel  string  `json:"InstanceFamilyLevel"`
	EniQuantity          int     `json:"EniQuantity"`
	LocalStorageCapacity int64   `json:"LocalStorageCapacity"`
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
	return instanceTypeJSON{
		InstanceTypeId: t.id, InstanceTypeFamily: t.family, CpuCoreCount: t.cpu, MemorySize: t.memGiB,
		GPUAmount: t.gpus, GPUSpec: t.gpuSpec, GPUMemorySize: t.gpuMemGiB, CpuArchitecture: "X86",
		InstanceCategory: cat, InstanceFamilyLevel: "EnterpriseLevel", EniQuantity: t.eni,
	}
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
	if _, err := c.p.intRange("MaxResults", 1600, 1, 1600); err != nil {
		return nil, err
	}
	r := &describeInstanceTypesResp{}
	r.InstanceTypes.InstanceType = []instanceTypeJSON{}
	for _, t := range instanceTypes {
		if len(want) > 0 && !contains(want, t.id) ||
			len(families) > 0 && !contains(families, t.family) ||
			gpuSpec != "" && !strings.EqualFold(gpuSpec, t.gpuSpec) ||
			t.gpus < minGPU || t.gpus > maxGPU {
			continue
		}
		r.InstanceTypes.InstanceType = append(r.InstanceTypes.InstanceType, t.json())
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
	ImageId              string `json:"ImageId"`
	ImageName            string `json:"ImageName"`
	ImageFamily          string `json:"ImageFamily"`
	ImageVersion         string `json:"ImageVersion"`
	OSName               string `json:"OSName"`
	OSNameEn             string `json:"OSNameEn"`
	OSType               string `json:"OSType"`
	Platform             string `json:"Platform"`
	Architecture         string `json:"Architecture"`
	Size                 int    `json:"Size"`
	Status               string `json:"Status"`
	ImageOwnerAlias      string `json:"ImageOwnerAlias"`
	IsPublic             bool   `json:"IsPublic"`
	IsSupportCloudinit   bool   `json:"IsSupportCloudinit"`
	IsSupportIoOptimized bool   `json:"IsSupportIoOptimized"`
	Usage                string `json:"Usage"`
	CreationTime         string `json:"CreationTime"`
	Description          string `json:"Description"`
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
		if owner != "" && owner != "system" ||
			len(ids) > 0 && !contains(ids, im.id) ||
			name != "" && !wildcard(name, im.id) ||
			family != "" && family != im.family ||
			osType != "" && osType != "linux" ||
			arch != "" && arch != "x86_64" {
			continue
		}
		match = append(match, imageJSON{
			ImageId: im.id, ImageName: im.id, ImageFamily: im.family, ImageVersion: im.id[strings.LastIndex(im.id, "_")+1 : len(im.id)-4],
			OSName: im.osName, OSNameEn: im.osNameEn, OSType: "linux", Platform: im.platform, Architecture: "x86_64",
			Size: im.sizeGiB, Status: "Available", ImageOwnerAlias: "system", IsPublic: true, IsSupportCloudinit: true,
			IsSupportIoOptimized: true, Usage: "instance", CreationTime: imageCreationTime, Description: im.osNameEn,
		})
	}
	r := &describeImagesResp{RegionId: c.region.id, TotalCount: len(match), PageNumber: pg.number, PageSize: pg.size}
	r.Images.Image = append([]imageJSON{}, paginate(match, pg)...)
	return r, nil
}
