// Package mapping holds a provider's catalogs: portable image keys mapped to
// image IDs, and instance types with their specs (vCPU, memory, GPU model and
// count) from which Select picks the types that meet a request.
//
// Catalogs ship embedded (Load) and can be overridden by the caller (SetImage,
// SetType) or refreshed from the provider's own API (Refresh). A Catalog is a
// value the caller owns: there is no package-level registry, and two Loads
// return independent catalogs.
package mapping

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/multicloud-ecs/multicloud"
)

// InstanceType is one provider instance type and its specs. It is plain data;
// the zero value of a GPU field means the type has no GPU.
type InstanceType struct {
	ID           string  `json:"id"`                       // provider type ID, e.g. "ecs.gn7i-c8g1.2xlarge"
	Family       string  `json:"family"`                   // provider family, e.g. "ecs.gn7i"
	VCPU         int     `json:"vcpu"`                     // virtual CPUs
	MemoryGiB    float64 `json:"memory_gib"`               // memory in GiB
	GPUModel     string  `json:"gpu_model,omitempty"`      // canonical GPU model (see NormalizeGPUModel); empty without GPU
	GPUCount     int     `json:"gpu_count,omitempty"`      // GPUs per instance
	GPUMemoryGiB float64 `json:"gpu_memory_gib,omitempty"` // memory of one GPU in GiB
	// HourlyPrice is a reference pay-as-you-go price per hour, in the
	// currency of the provider's catalog (CNY for aliyun). It only orders
	// candidates in Select; what a user pays comes from the provider's live
	// quote. Zero means unknown.
	HourlyPrice float64 `json:"hourly_price,omitempty"`
}

// HasGPU reports whether t has at least one GPU.
func (t InstanceType) HasGPU() bool { return t.GPUCount > 0 }

// Image is a portable image key and the provider image it stands for.
type Image struct {
	Key         string            `json:"key"`                   // portable key, e.g. "ubuntu-22.04"; case-insensitive
	ID          string            `json:"id"`                    // image ID used in every region without an override
	OS          string            `json:"os,omitempty"`          // operating system, e.g. "Ubuntu 22.04"
	Description string            `json:"description,omitempty"` // what the image holds and what user data must install
	Regions     map[string]string `json:"regions,omitempty"`     // region ID -> image ID where it differs from ID
}

func (img Image) clone() Image {
	img.Regions = maps.Clone(img.Regions)
	return img
}

// Catalog maps image keys to image IDs and holds the instance types of one
// provider. It is safe for concurrent use: lookups take a read lock and are
// map accesses; Select scans the types (a few dozen) under the read lock.
// Values returned are copies the caller may keep and modify.
type Catalog struct {
	mu     sync.RWMutex
	types  map[string]InstanceType // by ID
	images map[string]Image        // by lower-case key
}

//go:embed data/*.json
var dataFS embed.FS

// dataFile names the embedded catalog of a provider code.
func dataFile(provider string) (string, bool) {
	switch provider {
	case "aliyun", "fake": // the fake provider models Aliyun's catalog
		return "data/aliyun.json", true
	case "aws":
		return "data/aws.json", true
	}
	return "", false
}

// Providers returns the provider codes that Load knows, sorted.
func Providers() []string { return []string{"aliyun", "aws", "fake"} }

// catalogFile is the layout of an embedded catalog file.
type catalogFile struct {
	Provider      string         `json:"provider"`
	Notes         []string       `json:"notes"`
	Images        []Image        `json:"images"`
	InstanceTypes []InstanceType `json:"instance_types"`
}

// Load returns a new catalog holding the embedded data of provider ("aliyun",
// or "fake", which shares Aliyun's catalog). Each call returns an
// independent catalog, so overrides made on one never show in another. An
// unknown provider is an error matching multicloud.ErrInvalidArgument that
// names the known ones.
func Load(provider string) (*Catalog, error) {
	name, ok := dataFile(strings.ToLower(strings.TrimSpace(provider)))
	if !ok {
		return nil, multicloud.Errorf(multicloud.CodeInvalidArgument,
			"no catalog for provider %q; known providers: %s", provider, strings.Join(Providers(), ", "))
	}
	data, err := dataFS.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("read embedded catalog %s: %w", name, err)
	}
	f, err := decodeCatalogFile(data)
	if err != nil {
		return nil, fmt.Errorf("embedded catalog %s: %w", name, err)
	}
	return New(f.InstanceTypes, f.Images)
}

func decodeCatalogFile(data []byte) (*catalogFile, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f catalogFile
	if err := dec.Decode(&f); err != nil {
		return nil, err
	}
	return &f, nil
}

// New returns a catalog of types and images. Each entry is validated:
// non-empty and unique IDs and keys, no negative or non-finite specs, a GPU
// model exactly when the GPU count is positive. GPU models are stored in
// their canonical form (NormalizeGPUModel) and an empty Family is derived
// from an Aliyun-style ID ("ecs.gn7i-c8g1.2xlarge" -> "ecs.gn7i"). Every
// problem is reported at once, in one error matching
// multicloud.ErrInvalidArgument. New keeps copies of its arguments.
func New(types []InstanceType, images []Image) (*Catalog, error) {
	c := &Catalog{
		types:  make(map[string]InstanceType, len(types)),
		images: make(map[string]Image, len(images)),
	}
	var errs []error
	for _, t := range types {
		t, err := normalizeType(t)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if _, dup := c.types[t.ID]; dup {
			errs = append(errs, fmt.Errorf("duplicate instance type %q", t.ID))
			continue
		}
		c.types[t.ID] = t
	}
	for _, img := range images {
		img, err := normalizeImage(img)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if _, dup := c.images[img.Key]; dup {
			errs = append(errs, fmt.Errorf("duplicate image key %q", img.Key))
			continue
		}
		c.images[img.Key] = img
	}
	if len(errs) > 0 {
		return nil, multicloud.Errorf(multicloud.CodeInvalidArgument, "invalid catalog: %w", errors.Join(errs...))
	}
	return c, nil
}

// normalizeType validates t and returns it in canonical form.
func normalizeType(t InstanceType) (InstanceType, error) {
	t.ID = strings.TrimSpace(t.ID)
	if t.ID == "" {
		return t, errors.New("instance type with an empty id")
	}
	t.GPUModel = NormalizeGPUModel(t.GPUModel)
	if t.Family == "" {
		t.Family = familyOf(t.ID)
	}
	var bad []string
	if t.VCPU < 0 {
		bad = append(bad, fmt.Sprintf("vcpu %d", t.VCPU))
	}
	if t.GPUCount < 0 {
		bad = append(bad, fmt.Sprintf("gpu_count %d", t.GPUCount))
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"memory_gib", t.MemoryGiB}, {"gpu_memory_gib", t.GPUMemoryGiB}, {"hourly_price", t.HourlyPrice}} {
		if f.v < 0 || math.IsNaN(f.v) || math.IsInf(f.v, 0) {
			bad = append(bad, fmt.Sprintf("%s %v", f.name, f.v))
		}
	}
	if t.GPUCount > 0 && t.GPUModel == "" {
		bad = append(bad, fmt.Sprintf("gpu_count %d without gpu_model", t.GPUCount))
	}
	if t.GPUCount == 0 && t.GPUModel != "" {
		bad = append(bad, fmt.Sprintf("gpu_model %q without gpu_count", t.GPUModel))
	}
	if len(bad) > 0 {
		return t, fmt.Errorf("instance type %q: invalid %s", t.ID, strings.Join(bad, ", "))
	}
	return t, nil
}

// familyOf derives the family from an Aliyun-style type ID:
// "ecs.gn7i-c8g1.2xlarge" -> "ecs.gn7i", "ecs.g7.large" -> "ecs.g7".
// IDs of another shape give "".
func familyOf(id string) string {
	i := strings.LastIndexByte(id, '.')
	if i <= 0 || strings.IndexByte(id[:i], '.') < 0 {
		return ""
	}
	fam := id[:i]
	if j := strings.IndexByte(fam, '-'); j > 0 {
		fam = fam[:j]
	}
	return fam
}

// normalizeImage validates img and returns a copy in canonical form.
func normalizeImage(img Image) (Image, error) {
	img = img.clone()
	img.Key = normalizeKey(img.Key)
	img.ID = strings.TrimSpace(img.ID)
	if img.Key == "" {
		return img, fmt.Errorf("image %q with an empty key", img.ID)
	}
	if img.ID == "" {
		return img, fmt.Errorf("image %q with an empty id", img.Key)
	}
	for region, id := range img.Regions {
		if strings.TrimSpace(region) == "" || strings.TrimSpace(id) == "" {
			return img, fmt.Errorf("image %q: empty region override %q: %q", img.Key, region, id)
		}
	}
	return img, nil
}

func normalizeKey(k string) string { return strings.ToLower(strings.TrimSpace(k)) }

// ImageID returns the image ID of key in region: the region's override when
// the image has one, else its default ID. Keys are case-insensitive. An
// unknown key is an error matching multicloud.ErrInvalidArgument that names
// the known keys, sorted; there is never a silent default image.
func (c *Catalog) ImageID(region, key string) (string, error) {
	c.mu.RLock()
	img, ok := c.images[normalizeKey(key)]
	c.mu.RUnlock()
	if !ok {
		return "", multicloud.Errorf(multicloud.CodeInvalidArgument,
			"unknown image key %q; known keys: %s", key, strings.Join(c.ImageKeys(), ", "))
	}
	if id, ok := img.Regions[region]; ok {
		return id, nil
	}
	return img.ID, nil
}

// Image returns the image of key (case-insensitive) and whether it is known.
func (c *Catalog) Image(key string) (Image, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	img, ok := c.images[normalizeKey(key)]
	return img.clone(), ok
}

// ImageKeys returns the known image keys, sorted.
func (c *Catalog) ImageKeys() []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return slices.Sorted(maps.Keys(c.images))
}

// GPUModels returns the canonical GPU models of the catalog's types, sorted
// and without duplicates.
func (c *Catalog) GPUModels() []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gpuModelsLocked()
}

// hasGPUModelLocked reports whether some type carries model, without
// building the sorted list (Select runs on every create).
func (c *Catalog) hasGPUModelLocked(model string) bool {
	for _, t := range c.types {
		if t.GPUModel == model {
			return true
		}
	}
	return false
}

func (c *Catalog) gpuModelsLocked() []string {
	seen := make(map[string]bool)
	for _, t := range c.types {
		if t.GPUModel != "" {
			seen[t.GPUModel] = true
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// Type returns the instance type id and whether the catalog knows it.
func (c *Catalog) Type(id string) (InstanceType, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	t, ok := c.types[strings.TrimSpace(id)]
	return t, ok
}

// Types returns every instance type, sorted by ID.
func (c *Catalog) Types() []InstanceType {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := slices.Collect(maps.Values(c.types))
	slices.SortFunc(out, func(a, b InstanceType) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// SetImage adds img or replaces the image of the same key, for instance to
// point "pytorch-1.12" at a marketplace or custom image. An invalid image
// (empty key or ID, empty region override) is an error matching
// multicloud.ErrInvalidArgument and changes nothing. The catalog keeps a
// copy of img.
func (c *Catalog) SetImage(img Image) error {
	img, err := normalizeImage(img)
	if err != nil {
		return multicloud.Errorf(multicloud.CodeInvalidArgument, "%w", err)
	}
	c.mu.Lock()
	c.images[img.Key] = img
	c.mu.Unlock()
	return nil
}

// RemoveImage removes the image of key and reports whether there was one.
func (c *Catalog) RemoveImage(key string) bool {
	key = normalizeKey(key)
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.images[key]
	delete(c.images, key)
	return ok
}

// SetType adds t or replaces the type of the same ID, validated and
// normalized as in New. An invalid type is an error matching
// multicloud.ErrInvalidArgument and changes nothing.
func (c *Catalog) SetType(t InstanceType) error {
	t, err := normalizeType(t)
	if err != nil {
		return multicloud.Errorf(multicloud.CodeInvalidArgument, "%w", err)
	}
	c.mu.Lock()
	c.types[t.ID] = t
	c.mu.Unlock()
	return nil
}

// RemoveType removes the instance type id and reports whether there was one.
func (c *Catalog) RemoveType(id string) bool {
	id = strings.TrimSpace(id)
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.types[id]
	delete(c.types, id)
	return ok
}
