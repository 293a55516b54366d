package aliyun

import (
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/responses"
)

// The listing responses below decode only what the inventory takes of
// DescribeInstances and DescribeDisks, with the SDK's own JSON names and
// its parser (responses.Unmarshal, with the SDK's fuzzy number and bool
// decoding), through the same signed call. The SDK's full types
// (ecs.Instance: some ninety fields; ecs.Disk: some forty strings) made
// decoding the largest CPU cost and allocation of a full sync: every
// field of every listed instance and disk was decoded, then most thrown
// away.

// listedInstance is what the inventory takes of an instance in a
// DescribeInstances response (the fields toAsset maps, with the SDK's
// JSON names: the API answers CPU or Cpu, OSType or OsType depending on
// the version, as ecs.Instance has both).
type listedInstance struct {
	InstanceId              string `json:"InstanceId"`
	InstanceName            string `json:"InstanceName"`
	Status                  string `json:"Status"`
	RegionId                string `json:"RegionId"`
	ZoneId                  string `json:"ZoneId"`
	InstanceType            string `json:"InstanceType"`
	InstanceTypeFamily      string `json:"InstanceTypeFamily"`
	CPU                     int    `json:"CPU"`
	Cpu                     int    `json:"Cpu"`
	Memory                  int    `json:"Memory"`
	OSType                  string `json:"OSType"`
	OsType                  string `json:"OsType"`
	OSName                  string `json:"OSName"`
	OSNameEn                string `json:"OSNameEn"`
	ImageId                 string `json:"ImageId"`
	InternetMaxBandwidthIn  int    `json:"InternetMaxBandwidthIn"`
	InternetMaxBandwidthOut int    `json:"InternetMaxBandwidthOut"`
	InstanceChargeType      string `json:"InstanceChargeType"`
	InstanceNetworkType     string `json:"InstanceNetworkType"`
	CreationTime            string `json:"CreationTime"`
	ExpiredTime             string `json:"ExpiredTime"`
	IoOptimized             bool   `json:"IoOptimized"`
	Description             string `json:"Description"`
	HostName                string `json:"HostName"`
	KeyPairName             string `json:"KeyPairName"`
	PublicIpAddress         struct {
		IpAddress []string `json:"IpAddress"`
	} `json:"PublicIpAddress"`
	InnerIpAddress struct {
		IpAddress []string `json:"IpAddress"`
	} `json:"InnerIpAddress"`
	EipAddress struct {
		IpAddress string `json:"IpAddress"`
	} `json:"EipAddress"`
	VpcAttributes struct {
		VpcId            string `json:"VpcId"`
		VSwitchId        string `json:"VSwitchId"`
		PrivateIpAddress struct {
			IpAddress []string `json:"IpAddress"`
		} `json:"PrivateIpAddress"`
	} `json:"VpcAttributes"`
	SecurityGroupIds struct {
		SecurityGroupId []string `json:"SecurityGroupId"`
	} `json:"SecurityGroupIds"`
	Tags struct {
		Tag []listedTag `json:"Tag"`
	} `json:"Tags"`
}

// listedTag is a tag of a listed instance: the API names its fields
// TagKey and TagValue, older versions Key and Value (as ecs.Tag has
// both).
type listedTag struct {
	TagKey   string `json:"TagKey"`
	TagValue string `json:"TagValue"`
	Key      string `json:"Key"`
	Value    string `json:"Value"`
}

// instancesPage is a DescribeInstances response as the inventory reads it.
type instancesPage struct {
	*responses.BaseResponse
	NextToken string `json:"NextToken"`
	Instances struct {
		Instance []listedInstance `json:"Instance"`
	} `json:"Instances"`
}

func newInstancesPage() *instancesPage {
	return &instancesPage{BaseResponse: &responses.BaseResponse{}}
}

// listedDisk is what the inventory takes of a disk in a DescribeDisks
// response.
type listedDisk struct {
	DiskId             string `json:"DiskId"`
	InstanceId         string `json:"InstanceId"`
	Category           string `json:"Category"`
	Device             string `json:"Device"`
	Type               string `json:"Type"`
	Size               int    `json:"Size"`
	DeleteWithInstance bool   `json:"DeleteWithInstance"`
	Encrypted          bool   `json:"Encrypted"`
}

// disksPage is a DescribeDisks response as the inventory reads it.
type disksPage struct {
	*responses.BaseResponse
	NextToken string `json:"NextToken"`
	Disks     struct {
		Disk []listedDisk `json:"Disk"`
	} `json:"Disks"`
}

func newDisksPage() *disksPage { return &disksPage{BaseResponse: &responses.BaseResponse{}} }
