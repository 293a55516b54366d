package inventory

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/multicloud-ecs/multicloud"
)

// Query limits.
const (
	// DefaultLimit is the page size of a Filter whose Limit is zero.
	DefaultLimit = 20
	// MaxLimit is the largest page size a Filter may ask for; a larger
	// Limit is rejected, not clamped, so a client learns its request was
	// not served as written.
	MaxLimit = 1000
	// MaxFilterValueLen is the longest filter string, in bytes.
	MaxFilterValueLen = 256
	// MaxFilterTags is the most tag conditions one Filter may hold.
	MaxFilterTags = 16
)

// SortKeys are the columns a Filter may sort by. Prefix one with "-" in
// Filter.Sort for descending order.
var SortKeys = []string{"id", "asset_id", "asset_name", "asset_type", "provider", "account",
	"region", "zone", "status", "cost", "create_time", "update_time", "discover_time"}

// DefaultSort is the order of a Filter whose Sort is empty: newest first.
const DefaultSort = "-create_time"

// Filter selects assets. Empty string fields match everything; set fields
// must all match (AND). Name matches a case-sensitive substring of
// asset_name; every other string field matches exactly.
type Filter struct {
	Provider  string
	Account   string
	AssetType string
	Region    string
	Zone      string
	Status    string
	// Tags lists key/value pairs the asset must all carry. Keys may not
	// be empty or contain "=" (the query-string form is "key=value").
	Tags []Tag
	// TagKeys lists tag keys the asset must carry, with any value.
	TagKeys []string
	// Name is a substring of asset_name; "%", "_" and "\" match literally.
	Name string
	// IncludeDeleted also returns assets whose DeletedAt is set.
	IncludeDeleted bool
	// Limit is the page size: 0 means DefaultLimit, above MaxLimit is an
	// error.
	Limit int
	// Offset skips that many matching assets; negative is an error.
	Offset int
	// Sort is one of SortKeys, optionally prefixed with "-" for descending;
	// empty means DefaultSort. Ties are broken by ID, in the same
	// direction.
	Sort string
}

// QueryResult is a page of assets and the number of assets matching the
// filter across all pages.
type QueryResult struct {
	Assets []Asset `json:"assets"`
	Total  int     `json:"total"`
	Limit  int     `json:"limit"`
	Offset int     `json:"offset"`
}

// Normalize validates f and returns it with defaults applied (Limit,
// Sort). Every problem is reported at once, as an error matching
// multicloud.ErrInvalidArgument. Stores call it before building a query.
func (f Filter) Normalize() (Filter, error) {
	var errs []error
	for _, v := range []struct{ name, value string }{
		{"provider", f.Provider}, {"account", f.Account}, {"asset_type", f.AssetType},
		{"region", f.Region}, {"zone", f.Zone}, {"status", f.Status}, {"name", f.Name},
	} {
		if err := checkValue(v.name, v.value); err != nil {
			errs = append(errs, err)
		}
	}
	if len(f.Tags)+len(f.TagKeys) > MaxFilterTags {
		errs = append(errs, fmt.Errorf("at most %d tag conditions, got %d", MaxFilterTags, len(f.Tags)+len(f.TagKeys)))
	}
	for _, t := range f.Tags {
		if t.Key == "" {
			errs = append(errs, errors.New("tag key is empty"))
		}
		if strings.Contains(t.Key, "=") {
			errs = append(errs, errors.New(`tag key contains "="`))
		}
		if err := checkValue("tag key", t.Key); err != nil {
			errs = append(errs, err)
		}
		if err := checkValue("tag value", t.Value); err != nil {
			errs = append(errs, err)
		}
	}
	for _, k := range f.TagKeys {
		if k == "" {
			errs = append(errs, errors.New("tag key is empty"))
		}
		if strings.Contains(k, "=") {
			errs = append(errs, errors.New(`tag key contains "="`))
		}
		if err := checkValue("tag key", k); err != nil {
			errs = append(errs, err)
		}
	}
	switch {
	case f.Limit < 0:
		errs = append(errs, fmt.Errorf("limit %d is negative", f.Limit))
	case f.Limit > MaxLimit:
		errs = append(errs, fmt.Errorf("limit %d is above the maximum %d", f.Limit, MaxLimit))
	case f.Limit == 0:
		f.Limit = DefaultLimit
	}
	if f.Offset < 0 {
		errs = append(errs, fmt.Errorf("offset %d is negative", f.Offset))
	}
	if f.Sort == "" {
		f.Sort = DefaultSort
	}
	if _, _, ok := ParseSort(f.Sort); !ok {
		errs = append(errs, fmt.Errorf("sort %q is not one of %s, optionally prefixed with -", truncate(f.Sort), strings.Join(SortKeys, ", ")))
	}
	if len(errs) > 0 {
		return f, &multicloud.Error{Op: "inventory.Filter", Code: multicloud.CodeInvalidArgument,
			Message: "invalid filter", Err: errors.Join(errs...)}
	}
	return f, nil
}

// ParseSort splits a sort expression into a column of SortKeys and its
// direction. ok is false when the column is not in SortKeys.
func ParseSort(s string) (column string, desc, ok bool) {
	column, desc = strings.CutPrefix(s, "-")
	for _, k := range SortKeys {
		if k == column {
			return column, desc, true
		}
	}
	return "", false, false
}

func checkValue(name, v string) error {
	switch {
	case len(v) > MaxFilterValueLen:
		return fmt.Errorf("%s is longer than %d bytes", name, MaxFilterValueLen)
	case !utf8.ValidString(v):
		return fmt.Errorf("%s is not valid UTF-8", name)
	case strings.IndexByte(v, 0) >= 0:
		return fmt.Errorf("%s contains a NUL byte", name)
	}
	return nil
}

func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// ParseFilter reads a Filter from query-string values: provider, account,
// asset_type, region, zone, status, name, include_deleted (a strconv
// boolean), limit, offset, sort (e.g. "-create_time"), tag (repeatable:
// "key=value", or "key" for any value) and tag_key with an optional
// tag_value. The result is normalized as by Filter.Normalize; errors match
// multicloud.ErrInvalidArgument.
func ParseFilter(v url.Values) (Filter, error) {
	f := Filter{
		Provider:  v.Get("provider"),
		Account:   v.Get("account"),
		AssetType: v.Get("asset_type"),
		Region:    v.Get("region"),
		Zone:      v.Get("zone"),
		Status:    v.Get("status"),
		Name:      v.Get("name"),
		Sort:      v.Get("sort"),
	}
	var errs []error
	for _, t := range v["tag"] {
		if k, val, ok := strings.Cut(t, "="); ok {
			f.Tags = append(f.Tags, Tag{Key: k, Value: val})
		} else {
			f.TagKeys = append(f.TagKeys, t)
		}
	}
	if k := v.Get("tag_key"); k != "" {
		if v.Has("tag_value") {
			f.Tags = append(f.Tags, Tag{Key: k, Value: v.Get("tag_value")})
		} else {
			f.TagKeys = append(f.TagKeys, k)
		}
	} else if v.Has("tag_value") {
		errs = append(errs, errors.New("tag_value without tag_key"))
	}
	if s := v.Get("include_deleted"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("include_deleted %q is not a boolean", truncate(s)))
		}
		f.IncludeDeleted = b
	}
	for _, p := range []struct {
		name string
		dst  *int
	}{{"limit", &f.Limit}, {"offset", &f.Offset}} {
		s := v.Get(p.name)
		if s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s %q is not an integer", p.name, truncate(s)))
			continue
		}
		*p.dst = n
	}
	nf, err := f.Normalize()
	if err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return Filter{}, &multicloud.Error{Op: "inventory.ParseFilter", Code: multicloud.CodeInvalidArgument,
			Message: "invalid query", Err: errors.Join(errs...)}
	}
	return nf, nil
}

// Values encodes f as query-string values that ParseFilter reads back to
// the same Filter.
func (f Filter) Values() url.Values {
	v := url.Values{}
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	set("provider", f.Provider)
	set("account", f.Account)
	set("asset_type", f.AssetType)
	set("region", f.Region)
	set("zone", f.Zone)
	set("status", f.Status)
	set("name", f.Name)
	set("sort", f.Sort)
	for _, t := range f.Tags {
		v.Add("tag", t.Key+"="+t.Value)
	}
	for _, k := range f.TagKeys {
		v.Add("tag", k)
	}
	if f.IncludeDeleted {
		v.Set("include_deleted", "true")
	}
	if f.Limit != 0 {
		v.Set("limit", strconv.Itoa(f.Limit))
	}
	if f.Offset != 0 {
		v.Set("offset", strconv.Itoa(f.Offset))
	}
	return v
}

// StatsFilter narrows Statistics. Empty fields match everything.
type StatsFilter struct {
	Provider  string
	Account   string
	AssetType string
}

// Validate reports a filter value that no store should receive, as an
// error matching multicloud.ErrInvalidArgument.
func (f StatsFilter) Validate() error {
	var errs []error
	for _, v := range []struct{ name, value string }{
		{"provider", f.Provider}, {"account", f.Account}, {"asset_type", f.AssetType},
	} {
		if err := checkValue(v.name, v.value); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return &multicloud.Error{Op: "inventory.StatsFilter", Code: multicloud.CodeInvalidArgument,
			Message: "invalid filter", Err: errors.Join(errs...)}
	}
	return nil
}

// Statistics summarizes the live (not deleted) assets a StatsFilter
// selects. The maps are never nil.
type Statistics struct {
	TotalAssets      int            `json:"total_assets"`
	ProviderStats    map[string]int `json:"provider_stats"`
	AssetTypeStats   map[string]int `json:"asset_type_stats"`
	RegionStats      map[string]int `json:"region_stats"`
	StatusStats      map[string]int `json:"status_stats"`
	TotalCost        float64        `json:"total_cost"`
	LastDiscoverTime *time.Time     `json:"last_discover_time"` // nil when there are no assets
}

// NewStatistics returns empty Statistics with its maps allocated.
func NewStatistics() *Statistics {
	return &Statistics{ProviderStats: map[string]int{}, AssetTypeStats: map[string]int{},
		RegionStats: map[string]int{}, StatusStats: map[string]int{}}
}

// AddGroup adds count assets of one (provider, asset type, region,
// status) group, with their summed cost and latest discover time, to s.
// Stores that aggregate with GROUP BY fold each result row in with it.
func (s *Statistics) AddGroup(provider, assetType, region, status string, count int, cost float64, lastDiscover time.Time) {
	s.TotalAssets += count
	s.ProviderStats[provider] += count
	s.AssetTypeStats[assetType] += count
	s.RegionStats[region] += count
	s.StatusStats[status] += count
	s.TotalCost += cost
	if !lastDiscover.IsZero() && (s.LastDiscoverTime == nil || lastDiscover.After(*s.LastDiscoverTime)) {
		t := lastDiscover
		s.LastDiscoverTime = &t
	}
}
