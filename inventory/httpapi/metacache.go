package httpapi

import (
	"sync"

	"github.com/multicloud-ecs/multicloud/inventory"
)

// maxMetaCache bounds the converted metadata kept; a full cache is
// emptied and refilled, which costs one conversion per asset served.
const maxMetaCache = 20000

// metaCache keeps the API form of stored assets' metadata by content
// hash: the hash covers the stored metadata bytes, so equal hashes
// convert to equal strings. Converting (decode, re-encode) is a fifth of
// the CPU of a page of assets.
type metaCache struct {
	mu sync.Mutex
	m  map[string]string
}

// asset converts a with NewAsset, reusing the metadata string of an
// asset with the same content hash.
func (c *metaCache) asset(a *inventory.Asset) Asset {
	if a.Hash == "" || a.AssetType != inventory.AssetTypeECS {
		return NewAsset(a)
	}
	c.mu.Lock()
	meta, ok := c.m[a.Hash]
	c.mu.Unlock()
	if ok {
		md := a.Metadata
		a.Metadata = nil // skip the conversion
		out := NewAsset(a)
		a.Metadata = md
		out.Metadata = meta
		return out
	}
	out := NewAsset(a)
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxMetaCache {
		c.m = make(map[string]string, 1024)
	}
	c.m[a.Hash] = out.Metadata
	c.mu.Unlock()
	return out
}
