package inventory

import "time"

// AssetTypeEC2 is the asset type of an AWS EC2 instance.
const AssetTypeEC2 = "ec2"

// AssetTyper is an optional interface of a Discoverer: the asset types it
// lists when neither the sync's options nor the account name any (an AWS
// Discoverer lists AssetTypeEC2). Without it the default is AssetTypeECS.
type AssetTyper interface {
	AssetTypes() []string
}

// defaultAssetTypes returns d's default asset types.
func defaultAssetTypes(d Discoverer) []string {
	if t, ok := d.(AssetTyper); ok {
		if ts := t.AssetTypes(); len(ts) > 0 {
			return ts
		}
	}
	return []string{AssetTypeECS}
}

// EC2Metadata is the metadata of an AssetTypeEC2 asset, in the spirit of
// ECSMetadata: DescribeInstances' facts of an instance, with its EBS
// volumes from DescribeVolumes. Field names are the inventory API's JSON
// names.
type EC2Metadata struct {
	InstanceID         string      `json:"instance_id"`
	InstanceName       string      `json:"instance_name"` // the Name tag
	State              string      `json:"state"`         // pending, running, stopping, stopped, shutting-down
	Region             string      `json:"region"`
	AvailabilityZone   string      `json:"availability_zone"`
	AvailabilityZoneID string      `json:"availability_zone_id,omitempty"`
	InstanceType       string      `json:"instance_type"`
	VCPU               int         `json:"vcpu"`
	Architecture       string      `json:"architecture"`
	PlatformDetails    string      `json:"platform_details"`
	ImageID            string      `json:"image_id"`
	PublicIP           []string    `json:"public_ip"`
	PrivateIP          []string    `json:"private_ip"`
	VPCID              string      `json:"vpc_id"`
	SubnetID           string      `json:"subnet_id"`
	SecurityGroups     []string    `json:"security_groups"`
	KeyName            string      `json:"key_name"`
	IAMProfileARN      string      `json:"iam_instance_profile_arn,omitempty"`
	Lifecycle          string      `json:"lifecycle"` // on-demand (empty in the API), spot, scheduled, capacity-block
	Tenancy            string      `json:"tenancy"`
	RootDeviceName     string      `json:"root_device_name"`
	RootDeviceType     string      `json:"root_device_type"`
	Volumes            []EBSVolume `json:"volumes"`
	LaunchTime         time.Time   `json:"launch_time,omitzero"`
	Tags               []Tag       `json:"tags"`
	Provider           string      `json:"provider"`
}

// EBSVolume is an EBS volume attached to an EC2 instance.
type EBSVolume struct {
	VolumeID            string `json:"volume_id"`
	Device              string `json:"device"`
	VolumeType          string `json:"volume_type"` // gp3, gp2, io1, io2, st1, sc1, standard
	Size                int    `json:"size"`        // GiB
	IOPS                int    `json:"iops,omitempty"`
	Throughput          int    `json:"throughput,omitempty"` // MiB/s
	Encrypted           bool   `json:"encrypted"`
	DeleteOnTermination bool   `json:"delete_on_termination"`
	Root                bool   `json:"root"`
}

// withLists returns m with every list present, as ECSMetadata's.
func (m EC2Metadata) withLists() EC2Metadata {
	for _, l := range []*[]string{&m.PublicIP, &m.PrivateIP, &m.SecurityGroups} {
		if *l == nil {
			*l = []string{}
		}
	}
	if m.Volumes == nil {
		m.Volumes = []EBSVolume{}
	}
	if m.Tags == nil {
		m.Tags = []Tag{}
	}
	return m
}
