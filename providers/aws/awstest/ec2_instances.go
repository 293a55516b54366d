package awstest

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/multicloud-ecs/multicloud/providers/sim"
)

// launch is what RunInstances knew of an instance that the model does not
// keep: its reservation, key pair, launch index and requester.
type launch struct {
	reservation string
	keyName     string
	index       int
	spot        bool
	publicIP    bool
}

// reservation is RunInstances' stored result for its client token.
type reservation struct {
	ID          string
	InstanceIDs []string
}

// stateOf maps the model's states to EC2's name and code (MODEL
// InstanceState.Code): a start passes through pending, a terminate through
// shutting-down.
func stateOf(st sim.InstanceState) instanceState {
	switch st {
	case sim.StatePending, sim.StateStarting:
		return instanceState{0, "pending"}
	case sim.StateRunning:
		return instanceState{16, "running"}
	case sim.StateDeleting:
		return instanceState{32, "shutting-down"}
	case sim.StateDeleted:
		return instanceState{48, "terminated"}
	case sim.StateStopping:
		return instanceState{64, "stopping"}
	}
	return instanceState{80, "stopped"}
}

type instanceState struct {
	Code int    `xml:"code"`
	Name string `xml:"name"`
}

type groupRef struct {
	GroupID   string `xml:"groupId"`
	GroupName string `xml:"groupName"`
}

type placement struct {
	AvailabilityZone   string `xml:"availabilityZone"`
	AvailabilityZoneID string `xml:"availabilityZoneId"`
	GroupName          string `xml:"groupName"`
	Tenancy            string `xml:"tenancy"`
}

type ebsInstanceBlock struct {
	VolumeID            string `xml:"volumeId"`
	Status              string `xml:"status"`
	AttachTime          string `xml:"attachTime"`
	DeleteOnTermination bool   `xml:"deleteOnTermination"`
}

type instanceBlockMapping struct {
	DeviceName string           `xml:"deviceName"`
	EBS        ebsInstanceBlock `xml:"ebs"`
}

type stateReason struct {
	Code    string `xml:"code"`
	Message string `xml:"message"`
}

type eniAssociation struct {
	PublicIP      string `xml:"publicIp"`
	PublicDNSName string `xml:"publicDnsName"`
	IPOwnerID     string `xml:"ipOwnerId"`
}

type eniAttachment struct {
	AttachmentID        string `xml:"attachmentId"`
	DeviceIndex         int    `xml:"deviceIndex"`
	Status              string `xml:"status"`
	AttachTime          string `xml:"attachTime"`
	DeleteOnTermination bool   `xml:"deleteOnTermination"`
}

type instanceENI struct {
	NetworkInterfaceID string          `xml:"networkInterfaceId"`
	SubnetID           string          `xml:"subnetId"`
	VpcID              string          `xml:"vpcId"`
	OwnerID            string          `xml:"ownerId"`
	Status             string          `xml:"status"`
	MacAddress         string          `xml:"macAddress"`
	PrivateIPAddress   string          `xml:"privateIpAddress"`
	SourceDestCheck    bool            `xml:"sourceDestCheck"`
	GroupSet           set[groupRef]   `xml:"groupSet"`
	Attachment         eniAttachment   `xml:"attachment"`
	Association        *eniAssociation `xml:"association"`
	InterfaceType      string          `xml:"interfaceType"`
}

type instanceItem struct {
	InstanceID            string                    `xml:"instanceId"`
	ImageID               string                    `xml:"imageId"`
	InstanceState         instanceState             `xml:"instanceState"`
	PrivateDNSName        string                    `xml:"privateDnsName"`
	DNSName               string                    `xml:"dnsName"`
	Reason                string                    `xml:"reason"`
	KeyName               string                    `xml:"keyName,omitempty"`
	AmiLaunchIndex        int                       `xml:"amiLaunchIndex"`
	ProductCodes          set[struct{}]             `xml:"productCodes"`
	InstanceType          string                    `xml:"instanceType"`
	LaunchTime            string                    `xml:"launchTime"`
	Placement             placement                 `xml:"placement"`
	Monitoring            stateField                `xml:"monitoring"`
	SubnetID              string                    `xml:"subnetId,omitempty"`
	VpcID                 string                    `xml:"vpcId,omitempty"`
	PrivateIPAddress      string                    `xml:"privateIpAddress,omitempty"`
	IPAddress             string                    `xml:"ipAddress,omitempty"`
	SourceDestCheck       bool                      `xml:"sourceDestCheck"`
	GroupSet              set[groupRef]             `xml:"groupSet"`
	StateReason           *stateReason              `xml:"stateReason"`
	Architecture          string                    `xml:"architecture"`
	RootDeviceType        string                    `xml:"rootDeviceType"`
	RootDeviceName        string                    `xml:"rootDeviceName"`
	BlockDeviceMapping    set[instanceBlockMapping] `xml:"blockDeviceMapping"`
	InstanceLifecycle     string                    `xml:"instanceLifecycle,omitempty"`
	VirtualizationType    string                    `xml:"virtualizationType"`
	ClientToken           string                    `xml:"clientToken"`
	TagSet                set[Tag]                  `xml:"tagSet"`
	Hypervisor            string                    `xml:"hypervisor"`
	NetworkInterfaceSet   set[instanceENI]          `xml:"networkInterfaceSet"`
	EBSOptimized          bool                      `xml:"ebsOptimized"`
	ENASupport            bool                      `xml:"enaSupport"`
	CPUOptions            cpuOptions                `xml:"cpuOptions"`
	HibernationOptions    configured                `xml:"hibernationOptions"`
	MetadataOptions       metadataOptions           `xml:"metadataOptions"`
	EnclaveOptions        enabled                   `xml:"enclaveOptions"`
	BootMode              string                    `xml:"bootMode"`
	PlatformDetails       string                    `xml:"platformDetails"`
	UsageOperation        string                    `xml:"usageOperation"`
	CurrentInstanceBootMd string                    `xml:"currentInstanceBootMode"`
}

type cpuOptions struct {
	CoreCount      int `xml:"coreCount"`
	ThreadsPerCore int `xml:"threadsPerCore"`
}

type configured struct {
	Configured bool `xml:"configured"`
}

type enabled struct {
	Enabled bool `xml:"enabled"`
}

type metadataOptions struct {
	State                   string `xml:"state"`
	HTTPTokens              string `xml:"httpTokens"`
	HTTPPutResponseHopLimit int    `xml:"httpPutResponseHopLimit"`
	HTTPEndpoint            string `xml:"httpEndpoint"`
}

func (s *Server) launchOf(id string) launch {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.launches[id]
}

func (s *Server) instanceItem(c *call, in sim.Instance) instanceItem {
	l := s.launchOf(in.ID)
	z := s.simZone(c, in.Zone)
	st := stateOf(in.State)
	privDNS := "ip-" + strings.ReplaceAll(in.PrivateIP.String(), ".", "-") + "." + c.region + ".compute.internal"
	it := instanceItem{
		InstanceID: in.ID, ImageID: in.ImageID, InstanceState: st, PrivateDNSName: privDNS, KeyName: l.keyName,
		AmiLaunchIndex: l.index, InstanceType: in.Type, LaunchTime: isoTime(in.Started),
		Placement:  placement{AvailabilityZone: zoneName(c.account, z), AvailabilityZoneID: z.ID, Tenancy: "default"},
		Monitoring: stateField{"disabled"}, SubnetID: in.SubnetID, VpcID: in.VPCID, PrivateIPAddress: in.PrivateIP.String(),
		SourceDestCheck: true, Architecture: "x86_64", RootDeviceType: "ebs", RootDeviceName: "/dev/sda1",
		VirtualizationType: "hvm", ClientToken: in.Token, TagSet: newSet(tagList(in.Tags)), Hypervisor: "xen",
		EBSOptimized: true, ENASupport: true, CPUOptions: cpuOptions{CoreCount: max(1, in.VCPU/2), ThreadsPerCore: 2},
		MetadataOptions: metadataOptions{State: "applied", HTTPTokens: "required", HTTPPutResponseHopLimit: 2, HTTPEndpoint: "enabled"},
		BootMode:        "uefi", PlatformDetails: "Linux/UNIX", UsageOperation: "RunInstances", CurrentInstanceBootMd: "uefi",
	}
	if in.State == sim.StateDeleted || in.State == sim.StateDeleting {
		it.PrivateDNSName, it.PrivateIPAddress, it.SubnetID, it.VpcID = "", "", "", ""
	}
	if l.spot || in.ChargeMode == sim.Spot {
		it.InstanceLifecycle = "spot"
	}
	public := in.PublicIP
	if in.State == sim.StateStopped || in.State == sim.StateStopping {
		// A stopped instance gives its auto-assigned public address back
		// (EC2 user guide, public IPv4 addressing); an Elastic IP stays.
		public = netip.Addr{}
	}
	if in.AddressID != "" {
		if a, err := s.cloud.GetAddress(c.region, in.AddressID); err == nil {
			public = a.IP
		}
	}
	if public.IsValid() && in.State != sim.StateDeleted {
		it.IPAddress = public.String()
		it.DNSName = "ec2-" + strings.ReplaceAll(public.String(), ".", "-") + ".compute-1.amazonaws.com"
	}
	var groups []groupRef
	for _, gid := range in.SecurityGroupIDs {
		g, _ := s.cloud.GetSecurityGroup(c.region, gid)
		groups = append(groups, groupRef{GroupID: gid, GroupName: g.Name})
	}
	it.GroupSet = newSet(groups)
	switch in.State {
	case sim.StateStopped, sim.StateStopping:
		it.StateReason = &stateReason{"Client.UserInitiatedShutdown", "Client.UserInitiatedShutdown: User initiated shutdown"}
		it.Reason = "User initiated (" + in.StateSince.UTC().Format("2006-01-02 15:04:05 MST") + ")"
	case sim.StateDeleted, sim.StateDeleting:
		it.StateReason = &stateReason{"Client.UserInitiatedShutdown", "Client.UserInitiatedShutdown: User initiated shutdown"}
	case sim.StatePending:
		it.StateReason = &stateReason{"pending", "pending"}
	}
	var bdm []instanceBlockMapping
	dev := 'f'
	for _, d := range in.Disks {
		name := "/dev/sda1"
		if !d.System {
			name = "/dev/sd" + string(dev)
			dev++
		}
		bdm = append(bdm, instanceBlockMapping{DeviceName: name, EBS: ebsInstanceBlock{VolumeID: d.ID, Status: "attached",
			AttachTime: isoTime(in.Created), DeleteOnTermination: d.DeleteWithInstance}})
	}
	it.BlockDeviceMapping = newSet(bdm)
	if in.State != sim.StateDeleted && in.SubnetID != "" {
		eni := instanceENI{NetworkInterfaceID: eniOf(in.ID), SubnetID: in.SubnetID, VpcID: in.VPCID, OwnerID: c.account.ID,
			Status: "in-use", MacAddress: "0a:00:00:00:00:01", PrivateIPAddress: in.PrivateIP.String(), SourceDestCheck: true,
			GroupSet: newSet(groups), InterfaceType: "interface",
			Attachment: eniAttachment{AttachmentID: "eni-attach-" + strings.TrimPrefix(in.ID, "i-"), Status: "attached",
				AttachTime: isoTime(in.Created), DeleteOnTermination: true}}
		if it.IPAddress != "" {
			eni.Association = &eniAssociation{PublicIP: it.IPAddress, PublicDNSName: it.DNSName, IPOwnerID: "amazon"}
			if in.AddressID != "" {
				eni.Association.IPOwnerID = c.account.ID
			}
		}
		it.NetworkInterfaceSet = newSet([]instanceENI{eni})
	}
	return it
}

type reservationItem struct {
	ReservationID string            `xml:"reservationId"`
	OwnerID       string            `xml:"ownerId"`
	GroupSet      set[groupRef]     `xml:"groupSet"`
	InstancesSet  set[instanceItem] `xml:"instancesSet"`
}

type runInstancesResponse struct {
	ec2Meta
	ReservationID string            `xml:"reservationId"`
	OwnerID       string            `xml:"ownerId"`
	GroupSet      set[groupRef]     `xml:"groupSet"`
	InstancesSet  set[instanceItem] `xml:"instancesSet"`
}

// runInstances launches between MinCount and MaxCount instances in a
// subnet. A ClientToken makes the call idempotent: the same token with the
// same parameters answers the first reservation again (instance states may
// have moved on); with other parameters it is IdempotentParameterMismatch.
func (s *Server) runInstances(c *call) (withRequestID, *apiError) {
	token := c.params.str("ClientToken")
	if len(token) > 64 {
		return nil, errInvalidParameterValue("The client token must be 64 ASCII characters or fewer")
	}
	fp := sim.Fingerprint(c.params, "ClientToken", "DryRun", "Action", "Version")
	key := sim.TokenKey{Action: c.action, Region: c.region, Token: ""}
	if token != "" {
		key.Token = c.account.ID + "/" + token // tokens are per account and Region
	}
	var fresh bool
	res, replay, err := s.cloud.Idempotent(key, fp, func() (any, error) {
		r, e := s.launch(c, token)
		if e != nil {
			return nil, e
		}
		fresh = true
		return r, nil
	})
	if err != nil {
		if ae, ok := err.(*apiError); ok {
			return nil, ae
		}
		return nil, s.simError(c, err)
	}
	r := res.(reservation)
	var items []instanceItem
	terminated := 0
	for _, id := range r.InstanceIDs {
		in, err := s.cloud.Instance(c.region, id)
		if err != nil {
			terminated++
			continue
		}
		if in.State == sim.StateDeleted || in.State == sim.StateDeleting {
			terminated++
		}
		it := s.instanceItem(c, in)
		if fresh {
			// A launch answers pending (code 0), whatever the model's
			// transition delay made of the state since.
			it.InstanceState = stateOf(sim.StatePending)
			it.StateReason = &stateReason{"pending", "pending"}
		}
		items = append(items, it)
	}
	if replay && !fresh && terminated == len(r.InstanceIDs) {
		return nil, &apiError{Status: 400, Code: "IdempotentInstanceTerminated", Message: "The client token " + token + " was used for an instance that has been terminated."}
	}
	var groups []groupRef
	if len(items) > 0 {
		groups = items[0].GroupSet.Items
	}
	c.targets, c.resourceType = r.InstanceIDs, "AWS::EC2::Instance"
	return &runInstancesResponse{ReservationID: r.ID, OwnerID: c.account.ID, GroupSet: newSet(groups), InstancesSet: newSet(items)}, nil
}

// launch validates a RunInstances call and creates its instances.
func (s *Server) launch(c *call, token string) (reservation, error) {
	p := c.params
	image := p.str("ImageId")
	if image == "" {
		return reservation{}, errMissingParameter("ImageId")
	}
	if !strings.HasPrefix(image, "ami-") {
		return reservation{}, &apiError{Status: 400, Code: "InvalidAMIID.Malformed", Message: "Invalid id: \"" + image + "\" (expecting \"ami-...\")"}
	}
	im, ok := s.findImage(c.region, image)
	if !ok {
		return reservation{}, &apiError{Status: 400, Code: "InvalidAMIID.NotFound", Message: "The image id '[" + image + "]' does not exist"}
	}
	typeName := p.str("InstanceType")
	t, ok := s.types[typeName]
	if !ok {
		return reservation{}, errInvalidParameterValue("Invalid value '" + typeName + "' for InstanceType.")
	}
	minN, hasMin, e := p.integer("MinCount")
	if e != nil {
		return reservation{}, e
	}
	maxN, hasMax, e := p.integer("MaxCount")
	if e != nil {
		return reservation{}, e
	}
	if !hasMin {
		return reservation{}, errMissingParameter("MinCount")
	}
	if !hasMax {
		return reservation{}, errMissingParameter("MaxCount")
	}
	if minN < 1 || maxN < minN {
		return reservation{}, errInvalidParameterValue("MinCount must be at least 1 and MaxCount at least MinCount")
	}
	subnetID, groupIDs := p.str("SubnetId"), p.list("SecurityGroupId")
	publicIP := false
	if idx := p.indexes("NetworkInterface"); len(idx) > 0 {
		if subnetID != "" || len(groupIDs) > 0 {
			return reservation{}, &apiError{Status: 400, Code: "InvalidParameterCombination", Message: "Network interfaces and an instance-level subnet ID or security groups may not be specified on the same request"}
		}
		ni := p.sub("NetworkInterface", idx[0])
		subnetID, groupIDs = ni.str("SubnetId"), ni.list("SecurityGroupId")
		if publicIP, e = ni.boolean("AssociatePublicIpAddress"); e != nil {
			return reservation{}, e
		}
	}
	if len(p.list("SecurityGroup")) > 0 {
		return reservation{}, errInvalidParameterValue("Security group names may only be used in a default VPC, which the emulator does not have; give SecurityGroupId")
	}
	if subnetID == "" {
		return reservation{}, &apiError{Status: 400, Code: "VPCIdNotSpecified", Message: "No default VPC for this user. GroupName is only supported for EC2-Classic and default VPC."}
	}
	sn, err := s.cloud.GetSubnet(c.region, subnetID)
	if err != nil || !s.owns(c, subnetID) {
		return reservation{}, errNotFound(sim.KindSubnet, subnetID)
	}
	for _, gid := range groupIDs {
		g, err := s.cloud.GetSecurityGroup(c.region, gid)
		if err != nil || !s.owns(c, gid) {
			return reservation{}, errNotFound(sim.KindSecurityGroup, gid)
		}
		if g.VPCID != sn.VPCID {
			return reservation{}, &apiError{Status: 400, Code: "InvalidParameter", Message: "Security group " + gid + " and subnet " + subnetID + " belong to different networks."}
		}
	}
	if len(groupIDs) == 0 {
		for _, g := range s.cloud.SecurityGroups(c.region, sn.VPCID) {
			if g.Name == "default" {
				groupIDs = []string{g.ID}
			}
		}
	}
	zone := s.simZone(c, sn.Zone)
	if az := p.struc("Placement").str("AvailabilityZone"); az != "" && az != zoneName(c.account, zone) {
		return reservation{}, errInvalidParameterValue("Value (" + az + ") for parameter availabilityZone is invalid. Subnet " + subnetID + " is in " + zoneName(c.account, zone) + ".")
	}
	zi := slices.IndexFunc(s.region(c).Zones, func(z sim.Zone) bool { return z.ID == zone.ID })
	if !s.isOffered(c.region, zi, zone, t) {
		return reservation{}, &apiError{Status: 400, Code: "Unsupported", Message: "Your requested instance type (" + t.Name + ") is not supported in your requested Availability Zone (" + zoneName(c.account, zone) + "). Please retry your request by not specifying an Availability Zone or choosing another one."}
	}
	mode := sim.OnDemand
	spot := p.struc("InstanceMarketOptions").str("MarketType") == "spot"
	if spot {
		mode = sim.Spot
	}
	specs, e := p.tagSpecs("instance", "volume", "network-interface", "spot-instances-request")
	if e != nil {
		return reservation{}, e
	}
	disks, e := blockDevices(p, im)
	if e != nil {
		return reservation{}, e
	}

	// Partial quantity: launch the most that quota and stock allow, at
	// least MinCount (MODEL); quota first, then capacity.
	n := maxN
	if q := s.cloud.Quota(c.region, sim.QuotaInstances); q != sim.Unlimited {
		if room := q - s.cloud.Usage(c.region, sim.QuotaInstances); room < n {
			n = room
		}
		if n < minN {
			return reservation{}, &apiError{Status: 400, Code: "InstanceLimitExceeded", Message: "Your quota allows for " + strconv.Itoa(max(0, n)) + " more running instance(s). You requested at least " + strconv.Itoa(minN)}
		}
	}
	if q := s.cloud.Quota(c.region, sim.QuotaVCPUs); q != sim.Unlimited {
		if room := (q - s.cloud.Usage(c.region, sim.QuotaVCPUs)) / max(1, t.VCPU); room < n {
			n = room
		}
		if n < minN {
			return reservation{}, &apiError{Status: 400, Code: "VcpuLimitExceeded", Message: "You have requested more vCPU capacity than your current vCPU limit of " + strconv.Itoa(q) + " allows for the instance bucket that the specified instance type belongs to."}
		}
	}
	if avail := s.cloud.Available(c.region, zone.Name, t.Name, mode); avail != sim.Unlimited && avail < n {
		n = avail
		if n < minN {
			return reservation{}, &apiError{Status: 500, Code: "InsufficientInstanceCapacity", Message: "We currently do not have sufficient " + t.Name + " capacity in the Availability Zone you requested (" + zoneName(c.account, zone) + "). Our system will be working on provisioning additional capacity."}
		}
	}
	ins, err := s.cloud.CreateInstances(sim.InstanceSpec{
		Region: c.region, Zone: zone.Name, Type: t.Name, VCPU: t.VCPU, ChargeMode: mode, ImageID: image,
		SubnetID: subnetID, SecurityGroupIDs: groupIDs, PublicIP: publicIP, Disks: disks,
		Tags: tagMap(specs["instance"]), Token: token, Count: n,
	})
	if err != nil {
		return reservation{}, err
	}
	r := reservation{ID: s.cloud.NewID(kindReservation, c.region)}
	s.mu.Lock()
	for i, in := range ins {
		r.InstanceIDs = append(r.InstanceIDs, in.ID)
		s.owners[in.ID] = c.account.ID
		s.launches[in.ID] = launch{reservation: r.ID, keyName: p.str("KeyName"), index: i, spot: spot, publicIP: publicIP}
		for _, d := range in.Disks {
			s.owners[d.ID] = c.account.ID
			if vt := tagMap(specs["volume"]); vt != nil {
				s.volumeTags[d.ID] = vt
			}
		}
	}
	s.mu.Unlock()
	return r, nil
}

// blockDevices reads BlockDeviceMapping.N: the root device (/dev/sda1 or
// /dev/xvda) resizes the image's root volume, others add data volumes.
func blockDevices(p params, im Image) ([]sim.Disk, *apiError) {
	root := sim.Disk{Category: "gp3", SizeGiB: im.RootGiB, System: true, DeleteWithInstance: true}
	var data []sim.Disk
	for _, n := range p.indexes("BlockDeviceMapping") {
		m := p.sub("BlockDeviceMapping", n)
		ebs := m.struc("Ebs")
		d := sim.Disk{Category: "gp3", DeleteWithInstance: true}
		if v := ebs.str("VolumeType"); v != "" {
			switch v {
			case "standard", "io1", "io2", "gp2", "sc1", "st1", "gp3":
				d.Category = v
			default:
				return nil, errInvalidParameterValue("Value (" + v + ") for parameter volumeType is invalid.")
			}
		}
		size, ok, e := ebs.integer("VolumeSize")
		if e != nil {
			return nil, e
		}
		if ok {
			if size < 1 || size > 16384 {
				return nil, errInvalidParameterValue("Volume size " + strconv.Itoa(size) + " is out of range")
			}
			d.SizeGiB = size
		}
		if del, e := ebs.boolean("DeleteOnTermination"); e != nil {
			return nil, e
		} else if ebs.has("DeleteOnTermination") {
			d.DeleteWithInstance = del
		}
		switch dev := m.str("DeviceName"); dev {
		case "/dev/sda1", "/dev/xvda":
			if ok && size < im.RootGiB {
				return nil, errInvalidParameterValue("Volume of size " + strconv.Itoa(size) + "GB is smaller than snapshot, expect size >= " + strconv.Itoa(im.RootGiB) + "GB")
			}
			d.System = true
			if !ok {
				d.SizeGiB = im.RootGiB
			}
			root = d
		case "":
			return nil, errMissingParameter("BlockDeviceMapping." + strconv.Itoa(n) + ".DeviceName")
		default:
			if !ok {
				return nil, errMissingParameter("BlockDeviceMapping." + strconv.Itoa(n) + ".Ebs.VolumeSize")
			}
			data = append(data, d)
		}
	}
	return append([]sim.Disk{root}, data...), nil
}

// visible reports whether DescribeInstances shows an instance yet: a new
// instance is hidden for Options.DescribeDelay (eventual consistency).
func (s *Server) visible(in sim.Instance) bool {
	return s.opts.DescribeDelay <= 0 || !s.cloud.Now().Before(in.Created.Add(s.opts.DescribeDelay))
}

// visibleInstance returns an instance of the caller's account that
// describes can see, or InvalidInstanceID.NotFound.
func (s *Server) visibleInstance(c *call, id string) (sim.Instance, *apiError) {
	if !strings.HasPrefix(id, "i-") {
		return sim.Instance{}, &apiError{Status: 400, Code: "InvalidInstanceID.Malformed", Message: "Invalid id: \"" + id + "\""}
	}
	in, err := s.cloud.Instance(c.region, id)
	if err != nil || !s.owns(c, id) || !s.visible(in) {
		return sim.Instance{}, errNotFound(sim.KindInstance, id)
	}
	return in, nil
}

type describeInstancesResponse struct {
	ec2Meta
	ReservationSet set[reservationItem] `xml:"reservationSet"`
	NextToken      string               `xml:"nextToken,omitempty"`
}

// describeInstances lists reservations with their instances, terminated ones
// included while the model keeps them. An unknown or not yet visible ID in
// InstanceId.N fails the call with InvalidInstanceID.NotFound. MaxResults
// 5 to 1000 (older docs; not confirmed), not with InstanceId.N; a page holds
// MaxResults instances.
func (s *Server) describeInstances(c *call) (withRequestID, *apiError) {
	fs, e := c.params.filters()
	if e != nil {
		return nil, e
	}
	ids, e := s.requestedInstances(c)
	if e != nil {
		return nil, e
	}
	var matched []instanceItem
	for _, in := range s.cloud.Instances(c.region) {
		if !s.owns(c, in.ID) || !s.visible(in) || (len(ids) > 0 && !slices.Contains(ids, in.ID)) {
			continue
		}
		it := s.instanceItem(c, in)
		ok, e := matchFilters(fs, it.TagSet.Items, instanceAttrs(it, s.launchOf(in.ID)))
		if e != nil {
			return nil, e
		}
		if ok {
			matched = append(matched, it)
		}
	}
	pg, e := paginate(c.params, c.action, len(matched), 5, 1000)
	if e != nil {
		return nil, e
	}
	var out []reservationItem
	byRes := map[string]int{}
	for _, it := range matched[pg.start:pg.end] {
		rid := s.launchOf(it.InstanceID).reservation
		if rid == "" {
			rid = "r-" + strings.TrimPrefix(it.InstanceID, "i-")
		}
		i, ok := byRes[rid]
		if !ok {
			i = len(out)
			byRes[rid] = i
			out = append(out, reservationItem{ReservationID: rid, OwnerID: c.account.ID, GroupSet: newSet([]groupRef{})})
		}
		out[i].InstancesSet.Items = append(out[i].InstancesSet.Items, it)
	}
	return &describeInstancesResponse{ReservationSet: newSet(out), NextToken: pg.next}, nil
}

// instanceAttrs answers DescribeInstances' filters.
func instanceAttrs(it instanceItem, l launch) attrs {
	return func(n string) ([]string, bool) {
		one := func(v string) ([]string, bool) {
			if v == "" {
				return nil, true
			}
			return []string{v}, true
		}
		switch n {
		case "instance-id":
			return one(it.InstanceID)
		case "instance-state-name":
			return one(it.InstanceState.Name)
		case "instance-state-code":
			return one(strconv.Itoa(it.InstanceState.Code))
		case "instance-type":
			return one(it.InstanceType)
		case "vpc-id":
			return one(it.VpcID)
		case "subnet-id":
			return one(it.SubnetID)
		case "availability-zone":
			return one(it.Placement.AvailabilityZone)
		case "image-id":
			return one(it.ImageID)
		case "key-name":
			return one(it.KeyName)
		case "client-token":
			return one(it.ClientToken)
		case "ip-address":
			return one(it.IPAddress)
		case "private-ip-address":
			return one(it.PrivateIPAddress)
		case "instance-lifecycle":
			return one(it.InstanceLifecycle)
		case "reservation-id":
			return one(l.reservation)
		case "launch-time":
			return one(it.LaunchTime)
		case "instance.group-id", "group-id":
			var out []string
			for _, g := range it.GroupSet.Items {
				out = append(out, g.GroupID)
			}
			return out, true
		}
		return nil, false
	}
}

type stateChange struct {
	InstanceID    string        `xml:"instanceId"`
	CurrentState  instanceState `xml:"currentState"`
	PreviousState instanceState `xml:"previousState"`
}

type stateChangeResponse struct {
	ec2Meta
	InstancesSet set[stateChange] `xml:"instancesSet"`
}

// changeStates checks every instance of InstanceId.N first (an unknown one
// fails the call and changes nothing), then applies op to each.
func (s *Server) changeStates(c *call, allowed func(sim.InstanceState) (apply, ok bool), op func(id string) (sim.Instance, error)) (withRequestID, *apiError) {
	ids := c.params.list("InstanceId")
	if len(ids) == 0 {
		return nil, errMissingParameter("InstanceId")
	}
	var ins []sim.Instance
	var missing []string
	for _, id := range ids {
		in, e := s.visibleInstance(c, id)
		if e != nil {
			if e.Code == "InvalidInstanceID.Malformed" {
				return nil, e
			}
			missing = append(missing, id)
			continue
		}
		ins = append(ins, in)
	}
	if len(missing) > 0 {
		return nil, &apiError{Status: 400, Code: "InvalidInstanceID.NotFound", Message: "The instance IDs '" + strings.Join(missing, ", ") + "' do not exist"}
	}
	for _, in := range ins {
		if _, ok := allowed(in.State); !ok {
			return nil, &apiError{Status: 400, Code: "IncorrectInstanceState", Message: "The instance '" + in.ID + "' is not in a state from which it can be " + verbOf(c.action) + "."}
		}
	}
	var out []stateChange
	for _, in := range ins {
		prev := stateOf(in.State)
		cur := in
		if apply, _ := allowed(in.State); apply {
			var err error
			if cur, err = op(in.ID); err != nil {
				return nil, s.simError(c, err)
			}
		}
		out = append(out, stateChange{InstanceID: in.ID, CurrentState: stateOf(cur.State), PreviousState: prev})
	}
	c.targets, c.resourceType = ids, "AWS::EC2::Instance"
	return &stateChangeResponse{InstancesSet: newSet(out)}, nil
}

func verbOf(action string) string {
	switch action {
	case "StartInstances":
		return "started"
	case "StopInstances":
		return "stopped"
	case "RebootInstances":
		return "rebooted"
	}
	return "terminated"
}

// startInstances starts stopped instances; a running or pending one is left
// as is, a stopping or terminated one is IncorrectInstanceState.
func (s *Server) startInstances(c *call) (withRequestID, *apiError) {
	return s.changeStates(c, func(st sim.InstanceState) (bool, bool) {
		switch st {
		case sim.StateStopped:
			return true, true
		case sim.StateRunning, sim.StatePending, sim.StateStarting:
			return false, true
		}
		return false, false
	}, func(id string) (sim.Instance, error) { return s.cloud.StartInstance(c.region, id) })
}

// stopInstances stops running instances; a stopped or stopping one is left
// as is, a pending or terminated one is IncorrectInstanceState.
func (s *Server) stopInstances(c *call) (withRequestID, *apiError) {
	return s.changeStates(c, func(st sim.InstanceState) (bool, bool) {
		switch st {
		case sim.StateRunning:
			return true, true
		case sim.StateStopped, sim.StateStopping:
			return false, true
		}
		return false, false
	}, func(id string) (sim.Instance, error) { return s.cloud.StopInstance(c.region, id) })
}

type rebootResponse struct {
	ec2Meta
	Return bool `xml:"return"`
}

// rebootInstances reboots running instances (IncorrectInstanceState for any
// other state).
func (s *Server) rebootInstances(c *call) (withRequestID, *apiError) {
	_, e := s.changeStates(c, func(st sim.InstanceState) (bool, bool) {
		return st == sim.StateRunning, st == sim.StateRunning
	}, func(id string) (sim.Instance, error) { return s.cloud.RebootInstance(c.region, id) })
	if e != nil {
		return nil, e
	}
	return &rebootResponse{Return: true}, nil
}

// terminateInstances terminates instances in any state but terminated
// (idempotent, IDEM); their Elastic IP addresses are disassociated, not
// released. A pending instance the model refuses to delete yet is removed
// outright.
func (s *Server) terminateInstances(c *call) (withRequestID, *apiError) {
	return s.changeStates(c, func(st sim.InstanceState) (bool, bool) {
		return st != sim.StateDeleted && st != sim.StateDeleting, true
	}, func(id string) (sim.Instance, error) {
		if before, err := s.cloud.Instance(c.region, id); err == nil && before.AddressID != "" {
			s.mu.Lock()
			delete(s.associations, before.AddressID) // the address is disassociated, not released
			s.mu.Unlock()
		}
		in, err := s.cloud.DeleteInstance(c.region, id, sim.DeleteOptions{Force: true, IgnoreProtection: true})
		if sim.ClassOf(err) == sim.ClassIncorrectState {
			// The model refuses to delete a Pending instance; AWS terminates
			// it. It is removed, and its answer shows shutting-down.
			if rerr := s.cloud.RemoveInstance(id); rerr != nil {
				return sim.Instance{}, rerr
			}
			in, _ = s.cloud.Instance(c.region, id)
			in.ID, in.State = id, sim.StateDeleting
			return in, nil
		}
		return in, err
	})
}

type volumeAttachment struct {
	VolumeID            string `xml:"volumeId"`
	InstanceID          string `xml:"instanceId"`
	Device              string `xml:"device"`
	Status              string `xml:"status"`
	AttachTime          string `xml:"attachTime"`
	DeleteOnTermination bool   `xml:"deleteOnTermination"`
}

type volumeItem struct {
	VolumeID           string                `xml:"volumeId"`
	Size               int                   `xml:"size"`
	SnapshotID         string                `xml:"snapshotId"`
	AvailabilityZone   string                `xml:"availabilityZone"`
	Status             string                `xml:"status"`
	CreateTime         string                `xml:"createTime"`
	AttachmentSet      set[volumeAttachment] `xml:"attachmentSet"`
	VolumeType         string                `xml:"volumeType"`
	Iops               int                   `xml:"iops"`
	Throughput         int                   `xml:"throughput"`
	Encrypted          bool                  `xml:"encrypted"`
	MultiAttachEnabled bool                  `xml:"multiAttachEnabled"`
	TagSet             set[Tag]              `xml:"tagSet"`
}

type describeVolumesResponse struct {
	ec2Meta
	VolumeSet set[volumeItem] `xml:"volumeSet"`
	NextToken string          `xml:"nextToken,omitempty"`
}

// describeVolumes lists the instances' volumes (the model keeps disks as
// facts of instances). MaxResults 5 to 500 (older docs; not confirmed).
func (s *Server) describeVolumes(c *call) (withRequestID, *apiError) {
	fs, e := c.params.filters()
	if e != nil {
		return nil, e
	}
	ids := c.params.list("VolumeId")
	if len(ids) > 0 && c.params.has("MaxResults") {
		return nil, &apiError{Status: 400, Code: "InvalidParameterCombination", Message: "The parameter volumeSet cannot be used with the parameter maxResults"}
	}
	var items []volumeItem
	found := map[string]bool{}
	for _, in := range s.cloud.Instances(c.region) {
		if !s.owns(c, in.ID) || in.State == sim.StateDeleted {
			continue
		}
		it := s.instanceItem(c, in)
		for i, d := range in.Disks {
			if len(ids) > 0 && !slices.Contains(ids, d.ID) {
				continue
			}
			found[d.ID] = true
			s.mu.Lock()
			tags := tagList(s.volumeTags[d.ID])
			s.mu.Unlock()
			iops, thr := 3000, 125
			if d.Category != "gp3" {
				iops, thr = max(100, 3*d.SizeGiB), 0
			}
			v := volumeItem{VolumeID: d.ID, Size: d.SizeGiB, SnapshotID: "", AvailabilityZone: it.Placement.AvailabilityZone,
				Status: "in-use", CreateTime: isoTime(in.Created), VolumeType: d.Category, Iops: iops, Throughput: thr, TagSet: newSet(tags),
				AttachmentSet: newSet([]volumeAttachment{{VolumeID: d.ID, InstanceID: in.ID, Device: it.BlockDeviceMapping.Items[i].DeviceName,
					Status: "attached", AttachTime: isoTime(in.Created), DeleteOnTermination: d.DeleteWithInstance}})}
			ok, e := matchFilters(fs, v.TagSet.Items, func(n string) ([]string, bool) {
				switch n {
				case "volume-id":
					return []string{v.VolumeID}, true
				case "attachment.instance-id":
					return []string{in.ID}, true
				case "attachment.status":
					return []string{"attached"}, true
				case "attachment.delete-on-termination":
					return []string{boolStr(d.DeleteWithInstance)}, true
				case "status":
					return []string{v.Status}, true
				case "volume-type":
					return []string{v.VolumeType}, true
				case "availability-zone":
					return []string{v.AvailabilityZone}, true
				case "size":
					return []string{strconv.Itoa(v.Size)}, true
				case "encrypted":
					return []string{"false"}, true
				}
				return nil, false
			})
			if e != nil {
				return nil, e
			}
			if ok {
				items = append(items, v)
			}
		}
	}
	for _, id := range ids {
		if !found[id] {
			return nil, errNotFound(sim.KindDisk, id)
		}
	}
	pg, e := paginateCapped(c.params, c.action, len(items), 5, 500)
	if e != nil {
		return nil, e
	}
	return &describeVolumesResponse{VolumeSet: newSet(items[pg.start:pg.end]), NextToken: pg.next}, nil
}

// requestedInstances returns the IDs of InstanceId.N, which the describe
// calls take instead of MaxResults: a malformed ID fails the call with
// its error, unknown or not yet visible ones with one
// InvalidInstanceID.NotFound naming them all.
func (s *Server) requestedInstances(c *call) ([]string, *apiError) {
	ids := c.params.list("InstanceId")
	if len(ids) > 0 && c.params.has("MaxResults") {
		return nil, &apiError{Status: 400, Code: "InvalidParameterCombination", Message: "The parameter instancesSet cannot be used with the parameter maxResults"}
	}
	var missing []string
	for _, id := range ids {
		if _, e := s.visibleInstance(c, id); e != nil {
			if e.Code == "InvalidInstanceID.Malformed" {
				return nil, e
			}
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		return nil, &apiError{Status: 400, Code: "InvalidInstanceID.NotFound", Message: "The instance IDs '" + strings.Join(missing, ", ") + "' do not exist"}
	}
	return ids, nil
}
