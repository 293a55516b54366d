package inventory

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"math"
	"slices"
	"strings"
	"time"
)

// AssetTypeECS is the asset type of an elastic compute instance.
const AssetTypeECS = "ecs"

// Tag is a key/value label of an asset.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Asset is one cloud resource as the inventory knows it. Its identity is
// (Provider, Account, AssetType, AssetID); ID is the store's own key and is
// zero until the asset was stored.
type Asset struct {
	ID        int64  `json:"id"`
	AssetID   string `json:"asset_id"`   // the provider's ID, e.g. "i-bp1..."
	AssetName string `json:"asset_name"` // display name, may be empty
	AssetType string `json:"asset_type"` // e.g. AssetTypeECS
	Provider  string `json:"provider"`   // provider code, e.g. "aliyun"
	Account   string `json:"account"`    // the CloudAccount ID, or a caller-chosen label
	Region    string `json:"region"`
	Zone      string `json:"zone"`
	Status    string `json:"status"`
	Tags      []Tag  `json:"tags"`
	// Metadata is the provider-specific description as JSON; for ECS it is
	// an ECSMetadata. Nil means none.
	Metadata json.RawMessage `json:"metadata,omitempty"`
	Cost     float64         `json:"cost"`
	// CreateTime is when the inventory first recorded the asset.
	CreateTime time.Time `json:"create_time"`
	// UpdateTime is when the stored content last changed.
	UpdateTime time.Time `json:"update_time"`
	// DiscoverTime is when a sync last wrote the asset: it was new, changed
	// or reappeared. Unchanged assets are not rewritten; the account's
	// LastSyncTime says when they were last confirmed.
	DiscoverTime time.Time `json:"discover_time"`
	// DeletedAt is when a completed listing of the asset's scope first
	// missed it; nil while the asset exists.
	DeletedAt *time.Time `json:"deleted_at"`
	// Hash is the ContentHash the sync engine computed when it wrote the
	// asset. Stores persist it; it is not part of the API.
	Hash string `json:"-"`
}

// Scope returns the reconcile scope the asset belongs to.
func (a *Asset) Scope() Scope {
	return Scope{Provider: a.Provider, Account: a.Account, AssetType: a.AssetType, Region: a.Region}
}

// SetMetadata stores v (for instance an ECSMetadata) as the asset's JSON
// metadata. It returns the json.Marshal error, if any.
func (a *Asset) SetMetadata(v any) error {
	switch m := v.(type) {
	case ECSMetadata:
		v = m.withLists()
	case *ECSMetadata:
		if m != nil {
			v = m.withLists()
		}
	case EC2Metadata:
		v = m.withLists()
	case *EC2Metadata:
		if m != nil {
			v = m.withLists()
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	a.Metadata = b
	return nil
}

// DecodeMetadata unmarshals the asset's metadata into v, which must be a
// pointer (for instance *ECSMetadata). Empty metadata leaves v unchanged.
func (a *Asset) DecodeMetadata(v any) error {
	if len(a.Metadata) == 0 {
		return nil
	}
	return json.Unmarshal(a.Metadata, v)
}

// Scope is the unit of reconciliation: the assets of one type that one
// account has in one region. A completed listing of a scope is
// authoritative for it.
type Scope struct {
	Provider  string
	Account   string
	AssetType string
	Region    string
}

// AssetState is what the sync engine needs of a stored asset to decide
// whether a discovered one must be written.
type AssetState struct {
	Hash    string // the stored ContentHash
	Deleted bool   // whether DeletedAt is set
	// Status is the stored status, for status_changed events. A store
	// that leaves it empty makes the sync report status changes as
	// plain updates.
	Status string
}

// ContentHash returns a hex SHA-256 over a canonical encoding of the fields
// that describe the asset: identity, name, region, zone, status, tags
// (sorted), metadata and cost. Store keys and timestamps are excluded, so
// rediscovering an unchanged asset yields the same hash. Metadata is
// hashed as the bytes given: a Discoverer must encode it deterministically,
// as json.Marshal of a struct (or a map, whose keys it sorts) does.
func ContentHash(a *Asset) string {
	h := sha256.New()
	var n [8]byte
	field := func(s string) {
		binary.LittleEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	field(a.Provider)
	field(a.Account)
	field(a.AssetType)
	field(a.AssetID)
	field(a.AssetName)
	field(a.Region)
	field(a.Zone)
	field(a.Status)
	tags := a.Tags
	if !slices.IsSortedFunc(tags, compareTags) {
		tags = slices.SortedFunc(slices.Values(tags), compareTags)
	}
	binary.LittleEndian.PutUint64(n[:], uint64(len(tags)))
	h.Write(n[:])
	for _, t := range tags {
		field(t.Key)
		field(t.Value)
	}
	field(string(a.Metadata))
	binary.LittleEndian.PutUint64(n[:], math.Float64bits(a.Cost))
	h.Write(n[:])
	return hex.EncodeToString(h.Sum(nil))
}

func compareTags(a, b Tag) int {
	if c := strings.Compare(a.Key, b.Key); c != 0 {
		return c
	}
	return strings.Compare(a.Value, b.Value)
}

// ECSMetadata is the metadata of an AssetTypeECS asset. Field names are
// the inventory API's JSON names.
type ECSMetadata struct {
	InstanceID              string     `json:"instance_id"`
	InstanceName            string     `json:"instance_name"`
	Status                  string     `json:"status"`
	Region                  string     `json:"region"`
	Zone                    string     `json:"zone"`
	InstanceType            string     `json:"instance_type"`
	InstanceTypeFamily      string     `json:"instance_type_family"`
	CPU                     int        `json:"cpu"`
	Memory                  int        `json:"memory"` // MiB
	OSType                  string     `json:"os_type"`
	OSName                  string     `json:"os_name"`
	ImageID                 string     `json:"image_id"`
	PublicIP                []string   `json:"public_ip"`
	PrivateIP               []string   `json:"private_ip"`
	VPCID                   string     `json:"vpc_id"`
	VSwitchID               string     `json:"vswitch_id"`
	SecurityGroups          []string   `json:"security_groups"`
	InternetMaxBandwidthIn  int        `json:"internet_max_bandwidth_in"`  // Mbit/s
	InternetMaxBandwidthOut int        `json:"internet_max_bandwidth_out"` // Mbit/s
	SystemDiskCategory      string     `json:"system_disk_category"`
	SystemDiskSize          int        `json:"system_disk_size"` // GiB
	DataDisks               []DataDisk `json:"data_disks"`
	ChargeType              string     `json:"charge_type"`
	CreationTime            time.Time  `json:"creation_time,omitzero"`
	ExpiredTime             time.Time  `json:"expired_time,omitzero"`
	AutoRenew               bool       `json:"auto_renew"`
	AutoRenewPeriod         int        `json:"auto_renew_period"` // months
	IOOptimized             bool       `json:"io_optimized"`
	NetworkType             string     `json:"network_type"`
	InstanceNetworkType     string     `json:"instance_network_type"`
	Tags                    []Tag      `json:"tags"`
	Description             string     `json:"description"`
	Provider                string     `json:"provider"`
	HostName                string     `json:"host_name"`
	KeyPairName             string     `json:"key_pair_name"`
}

// withLists returns m with every list present: an instance without a
// public IP, security group, data disk or tag shows [], not null, so
// readers of the metadata need no null checks.
func (m ECSMetadata) withLists() ECSMetadata {
	for _, l := range []*[]string{&m.PublicIP, &m.PrivateIP, &m.SecurityGroups} {
		if *l == nil {
			*l = []string{}
		}
	}
	if m.DataDisks == nil {
		m.DataDisks = []DataDisk{}
	}
	if m.Tags == nil {
		m.Tags = []Tag{}
	}
	return m
}

// DataDisk is a data disk attached to an ECS instance.
type DataDisk struct {
	DiskID             string `json:"disk_id"`
	Category           string `json:"category"`
	Size               int    `json:"size"` // GiB
	Device             string `json:"device,omitempty"`
	DeleteWithInstance bool   `json:"delete_with_instance"`
	Encrypted          bool   `json:"encrypted"`
}
