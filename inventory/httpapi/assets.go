package httpapi

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/multicloud-ecs/multicloud/inventory"
)

// Asset is an asset as the API shows it, in the asset-sync design's
// shape. Where it differs from inventory.Asset, and why:
//
//   - Tags is always a list, [] when there are none (never null).
//   - Metadata is a JSON string holding the metadata object (the
//     design's clients parse it a second time); for ECS it is an
//     ECSMetadata, not an inventory.ECSMetadata.
//   - Account and DeletedAt are extra fields: the owning account's ID,
//     and when a full sync first missed the asset (null while it
//     exists).
//   - An asset POST /assets/discover lists is not stored: its id is 0,
//     and its create_time and update_time are its discover_time.
//   - Cost is the hourly price in the quoter's currency (CNY for Aliyun),
//     0 when no quoter priced it.
type Asset struct {
	ID           int64           `json:"id"`
	AssetID      string          `json:"asset_id"`
	AssetName    string          `json:"asset_name"`
	AssetType    string          `json:"asset_type"`
	Provider     string          `json:"provider"`
	Account      string          `json:"account"`
	Region       string          `json:"region"`
	Zone         string          `json:"zone"`
	Status       string          `json:"status"`
	Tags         []inventory.Tag `json:"tags"`
	Metadata     string          `json:"metadata"`
	Cost         float64         `json:"cost"`
	CreateTime   time.Time       `json:"create_time"`
	UpdateTime   time.Time       `json:"update_time"`
	DiscoverTime time.Time       `json:"discover_time"`
	DeletedAt    *time.Time      `json:"deleted_at"`
}

// ECSMetadata is the metadata string of an ECS asset, in the design's
// field names and types. Where it differs from inventory.ECSMetadata, and
// why:
//
//   - public_ip and private_ip are the first address as a string ("" for
//     none), as the design shows them; public_ips and private_ips are
//     extra fields with every address.
//   - tags is an object of key to value, as the design shows it.
//   - io_optimized is "optimized" or "none", the cloud API's words,
//     instead of a boolean.
//   - instance_type_family is the cloud's family (e.g. "ecs.g6"); when the
//     cloud left it empty, it is the instance type without its size
//     ("ecs.g6.large" gives "ecs.g6").
//   - creation_time and expired_time are RFC 3339 strings, "" when there
//     is none (pay-as-you-go instances have no expiry).
type ECSMetadata struct {
	InstanceID              string               `json:"instance_id"`
	InstanceName            string               `json:"instance_name"`
	Status                  string               `json:"status"`
	Region                  string               `json:"region"`
	Zone                    string               `json:"zone"`
	InstanceType            string               `json:"instance_type"`
	InstanceTypeFamily      string               `json:"instance_type_family"`
	CPU                     int                  `json:"cpu"`
	Memory                  int                  `json:"memory"`
	OSType                  string               `json:"os_type"`
	OSName                  string               `json:"os_name"`
	ImageID                 string               `json:"image_id"`
	PublicIP                string               `json:"public_ip"`
	PrivateIP               string               `json:"private_ip"`
	PublicIPs               []string             `json:"public_ips"`
	PrivateIPs              []string             `json:"private_ips"`
	VPCID                   string               `json:"vpc_id"`
	VSwitchID               string               `json:"vswitch_id"`
	SecurityGroups          []string             `json:"security_groups"`
	InternetMaxBandwidthIn  int                  `json:"internet_max_bandwidth_in"`
	InternetMaxBandwidthOut int                  `json:"internet_max_bandwidth_out"`
	SystemDiskCategory      string               `json:"system_disk_category"`
	SystemDiskSize          int                  `json:"system_disk_size"`
	DataDisks               []inventory.DataDisk `json:"data_disks"`
	ChargeType              string               `json:"charge_type"`
	CreationTime            string               `json:"creation_time"`
	ExpiredTime             string               `json:"expired_time"`
	AutoRenew               bool                 `json:"auto_renew"`
	AutoRenewPeriod         int                  `json:"auto_renew_period"`
	IOOptimized             string               `json:"io_optimized"`
	NetworkType             string               `json:"network_type"`
	InstanceNetworkType     string               `json:"instance_network_type"`
	Tags                    map[string]string    `json:"tags"`
	Description             string               `json:"description"`
	Provider                string               `json:"provider"`
	HostName                string               `json:"host_name"`
	KeyPairName             string               `json:"key_pair_name"`
}

// NewECSMetadata converts the inventory's ECS metadata to the API's.
func NewECSMetadata(m *inventory.ECSMetadata) ECSMetadata {
	out := ECSMetadata{
		InstanceID: m.InstanceID, InstanceName: m.InstanceName, Status: m.Status, Region: m.Region, Zone: m.Zone,
		InstanceType: m.InstanceType, InstanceTypeFamily: m.InstanceTypeFamily, CPU: m.CPU, Memory: m.Memory,
		OSType: m.OSType, OSName: m.OSName, ImageID: m.ImageID,
		PublicIPs: nonNil(m.PublicIP), PrivateIPs: nonNil(m.PrivateIP),
		VPCID: m.VPCID, VSwitchID: m.VSwitchID, SecurityGroups: nonNil(m.SecurityGroups),
		InternetMaxBandwidthIn: m.InternetMaxBandwidthIn, InternetMaxBandwidthOut: m.InternetMaxBandwidthOut,
		SystemDiskCategory: m.SystemDiskCategory, SystemDiskSize: m.SystemDiskSize, DataDisks: m.DataDisks,
		ChargeType: m.ChargeType, CreationTime: rfc3339(m.CreationTime), ExpiredTime: rfc3339(m.ExpiredTime),
		AutoRenew: m.AutoRenew, AutoRenewPeriod: m.AutoRenewPeriod, IOOptimized: "none",
		NetworkType: m.NetworkType, InstanceNetworkType: m.InstanceNetworkType, Tags: map[string]string{},
		Description: m.Description, Provider: m.Provider, HostName: m.HostName, KeyPairName: m.KeyPairName,
	}
	if len(m.PublicIP) > 0 {
		out.PublicIP = m.PublicIP[0]
	}
	if len(m.PrivateIP) > 0 {
		out.PrivateIP = m.PrivateIP[0]
	}
	if m.IOOptimized {
		out.IOOptimized = "optimized"
	}
	if out.InstanceTypeFamily == "" && strings.Count(m.InstanceType, ".") >= 2 {
		out.InstanceTypeFamily = m.InstanceType[:strings.LastIndexByte(m.InstanceType, '.')]
	}
	if out.DataDisks == nil {
		out.DataDisks = []inventory.DataDisk{}
	}
	for _, t := range m.Tags {
		out.Tags[t.Key] = t.Value
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// NewAsset converts an inventory asset to the API's. ECS metadata that
// does not decode is passed through as stored.
func NewAsset(a *inventory.Asset) Asset {
	out := Asset{ID: a.ID, AssetID: a.AssetID, AssetName: a.AssetName, AssetType: a.AssetType, Provider: a.Provider,
		Account: a.Account, Region: a.Region, Zone: a.Zone, Status: a.Status, Tags: a.Tags, Cost: a.Cost,
		DiscoverTime: a.DiscoverTime.UTC(), DeletedAt: a.DeletedAt, Metadata: "{}"}
	if out.Tags == nil {
		out.Tags = []inventory.Tag{}
	}
	out.CreateTime, out.UpdateTime = a.CreateTime.UTC(), a.UpdateTime.UTC()
	if a.CreateTime.IsZero() {
		out.CreateTime = out.DiscoverTime
	}
	if a.UpdateTime.IsZero() {
		out.UpdateTime = out.DiscoverTime
	}
	if len(a.Metadata) > 0 {
		out.Metadata = string(a.Metadata)
	}
	if a.AssetType == inventory.AssetTypeECS && len(a.Metadata) > 0 {
		var m inventory.ECSMetadata
		if err := a.DecodeMetadata(&m); err == nil {
			if b, err := json.Marshal(NewECSMetadata(&m)); err == nil {
				out.Metadata = string(b)
			}
		}
	}
	return out
}

func newAssets(list []inventory.Asset) []Asset {
	out := make([]Asset, len(list))
	for i := range list {
		out[i] = NewAsset(&list[i])
	}
	return out
}

// AssetList is the data of GET /assets: a page of assets and the number
// of assets the filter matches across all pages.
type AssetList struct {
	Assets []Asset `json:"assets"`
	Total  int     `json:"total"`
	Limit  int     `json:"limit"`
	Offset int     `json:"offset"`
}

// assetQueryParams are the parameters of GET /assets.
var assetQueryParams = []string{"provider", "account", "account_id", "asset_type", "region", "zone", "status", "tag",
	"tag_key", "tag_value", "name", "sort", "include_deleted", "limit", "offset"}

// listAssets answers GET /assets with {"assets", "total", "limit",
// "offset"}.
func (h *Handler) listAssets(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if err := checkQuery(q, assetQueryParams, []string{"tag"}); err != nil {
		return err
	}
	if id := q.Get("account_id"); id != "" {
		if q.Has("account") && q.Get("account") != id {
			return badRequest("account and account_id differ")
		}
		q.Set("account", id)
		q.Del("account_id")
	}
	f, err := inventory.ParseFilter(q)
	if err != nil {
		return err
	}
	res, err := h.svc.Query(r.Context(), f)
	if err != nil {
		return err
	}
	list := make([]Asset, len(res.Assets))
	for i := range res.Assets {
		list[i] = h.meta.asset(&res.Assets[i])
	}
	ok(w, http.StatusOK, AssetList{Assets: list, Total: res.Total, Limit: res.Limit, Offset: res.Offset})
	return nil
}

// statistics answers GET /assets/statistics with inventory.Statistics.
func (h *Handler) statistics(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if err := checkQuery(q, []string{"provider", "account_id", "asset_type"}, nil); err != nil {
		return err
	}
	f := inventory.StatsFilter{Provider: q.Get("provider"), Account: q.Get("account_id"), AssetType: q.Get("asset_type")}
	st, err := h.svc.Statistics(r.Context(), f)
	if err != nil {
		return err
	}
	ok(w, http.StatusOK, st)
	return nil
}

// discoverRequest is the body of POST /assets/discover.
type discoverRequest struct {
	Provider  string `json:"provider"`
	Region    string `json:"region"`
	AccountID string `json:"account_id"`
	AssetType string `json:"asset_type"`
}

// discover answers POST /assets/discover: the provider's assets in the
// region, listed for each active account of the provider (or the one
// named), not stored.
func (h *Handler) discover(w http.ResponseWriter, r *http.Request) error {
	var req discoverRequest
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	if err := checkName("region", req.Region); err != nil {
		return err
	}
	if req.AssetType != "" {
		if err := checkName("asset_type", req.AssetType); err != nil {
			return err
		}
	}
	accounts, err := h.accountsOf(r, req.Provider, req.AccountID)
	if err != nil {
		return err
	}
	assets := []Asset{}
	for _, a := range accounts {
		found, err := h.svc.Discover(r.Context(), inventory.SyncTarget{AccountID: a.ID}, req.Region, req.AssetType)
		if err != nil {
			return err
		}
		assets = append(assets, newAssets(found)...)
	}
	ok(w, http.StatusOK, map[string]any{"assets": assets, "count": len(assets)})
	return nil
}

// accountsOf returns the account id of provider (which must be
// configured) when id is set, else every active account of provider.
func (h *Handler) accountsOf(r *http.Request, provider, id string) ([]inventory.CloudAccount, error) {
	if err := checkName("provider", provider); err != nil {
		return nil, err
	}
	if !contains(h.svc.Providers(), provider) {
		return nil, badRequest("provider %q is not configured; configured: %s", provider, strings.Join(h.svc.Providers(), ", "))
	}
	if id != "" {
		if err := checkName("account_id", id); err != nil {
			return nil, err
		}
		a, err := h.svc.GetAccount(r.Context(), id)
		if err != nil {
			return nil, err
		}
		if a.Provider != provider {
			return nil, badRequest("account %s is of provider %q, not %q", id, a.Provider, provider)
		}
		return []inventory.CloudAccount{a}, nil
	}
	all, err := h.svc.ListAccounts(r.Context())
	if err != nil {
		return nil, err
	}
	var out []inventory.CloudAccount
	for _, a := range all {
		if a.Provider == provider && a.Status != inventory.AccountDisabled {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		return nil, notFound("no active account of provider %q", provider)
	}
	return out, nil
}
