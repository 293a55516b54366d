package multicloud

import (
	"sync"
	"time"
)

// StockKey names what a no-stock answer is about: one instance type in one
// zone of one account, for one charge mode. ZoneID is the cloud's stable
// zone identifier: on Aliyun it is the zone name; on clouds where zone
// names differ per account (AWS: "us-east-1a" of one account is another's
// "us-east-1c"), it is the zone ID ("use1-az2"), so that a no-stock seen by
// one account blocks the same physical zone for every account.
//
// AnyAccount says the no-stock of the key holds for every account: the
// zone ID names a physical zone whose capacity all accounts share (AWS),
// so a no-stock seen by one account blocks the type in that zone ID for
// all of them, and the no-stock entry is kept without Account. Account
// still keys the quota and credentials blocks, which are an account's
// own. Without AnyAccount (Aliyun, the fake) a no-stock is the account's.
type StockKey struct {
	Provider     string
	Account      string
	Region       string
	ZoneID       string
	InstanceType string
	ChargeMode   ChargeMode
	AnyAccount   bool
}

// stockEntry is the key of k's no-stock entry: without Account when the
// zone's capacity is shared by every account (AnyAccount).
func (k StockKey) stockEntry() StockKey {
	if k.AnyAccount {
		k.Account = ""
	}
	return k
}

// Block is why and until when a placement is skipped.
type Block struct {
	Reason  Reason    // RejectNoStockCached, RejectQuota or RejectUnhealthy
	Until   time.Time // when the block ends
	Strikes int       // no-stock answers in a row, for RejectNoStockCached
	Since   time.Time // when the block began
}

// NegativeCache remembers placements that cannot take requests now, so
// that no scheduler sends a request there again until the block ends. A
// service backs it with its database to share blocks between processes;
// MemNegativeCache is the in-process one. Implementations must be safe for
// concurrent use and must not block on the network for long: Blocked is
// called on every candidate of every decision. A no-stock entry of a key
// with AnyAccount is the same for every account: key it without Account
// (issue 12 asked for the account in the key; capacity is physical, so
// for AWS zone IDs it is left out, and one account's no-stock blocks the
// zone ID for all).
type NegativeCache interface {
	// Blocked reports the block covering k (of instance type family
	// family), if any: a no-stock of k itself, a quota of (provider,
	// account, region, family), bad credentials of (provider, account).
	Blocked(k StockKey, family string) (Block, bool)
	// NoStock records a no-stock answer for k and returns the block it
	// starts or extends.
	NoStock(k StockKey) Block
	// InStock records a success or a fresh in-stock answer for k: its
	// no-stock block and strikes are cleared.
	InStock(k StockKey)
	// QuotaExceeded blocks family in (provider, account, region).
	QuotaExceeded(provider, account, region, family string) Block
	// BadCredentials blocks (provider, account) altogether.
	BadCredentials(provider, account string) Block
}

// NegativeCacheOptions configure a MemNegativeCache; zero fields take the
// default in their comment.
type NegativeCacheOptions struct {
	// NoStockTTL is the block after the first no-stock; it doubles on each
	// repeat up to MaxNoStockTTL. Default 3 minutes.
	NoStockTTL time.Duration
	// MaxNoStockTTL caps a no-stock block; default 30 minutes.
	MaxNoStockTTL time.Duration
	// QuotaTTL is the block of a quota error; default 10 minutes.
	QuotaTTL time.Duration
	// CredentialsTTL is the block of bad credentials; default 5 minutes.
	CredentialsTTL time.Duration
	// Now tells the time; default time.Now. Tests inject a clock.
	Now func() time.Time
}

// The NegativeCacheOptions defaults.
const (
	DefaultNoStockTTL     = 3 * time.Minute
	DefaultMaxNoStockTTL  = 30 * time.Minute
	DefaultQuotaTTL       = 10 * time.Minute
	DefaultCredentialsTTL = 5 * time.Minute
)

// MemNegativeCache is a NegativeCache in memory, for one process. It is
// safe for concurrent use. Build it with NewMemNegativeCache.
type MemNegativeCache struct {
	opts NegativeCacheOptions

	mu     sync.RWMutex
	stock  map[StockKey]Block
	quota  map[[4]string]Block
	creds  map[[2]string]Block
	writes int
}

// NewMemNegativeCache returns an empty cache configured by opts.
func NewMemNegativeCache(opts ...func(*NegativeCacheOptions)) *MemNegativeCache {
	var o NegativeCacheOptions
	for _, f := range opts {
		f(&o)
	}
	if o.NoStockTTL <= 0 {
		o.NoStockTTL = DefaultNoStockTTL
	}
	if o.MaxNoStockTTL <= 0 {
		o.MaxNoStockTTL = DefaultMaxNoStockTTL
	}
	if o.QuotaTTL <= 0 {
		o.QuotaTTL = DefaultQuotaTTL
	}
	if o.CredentialsTTL <= 0 {
		o.CredentialsTTL = DefaultCredentialsTTL
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &MemNegativeCache{opts: o, stock: map[StockKey]Block{}, quota: map[[4]string]Block{}, creds: map[[2]string]Block{}}
}

// Blocked implements NegativeCache.
func (c *MemNegativeCache) Blocked(k StockKey, family string) (Block, bool) {
	now := c.opts.Now()
	c.mu.RLock()
	defer c.mu.RUnlock()
	if b, ok := c.creds[[2]string{k.Provider, k.Account}]; ok && now.Before(b.Until) {
		return b, true
	}
	if family != "" {
		if b, ok := c.quota[[4]string{k.Provider, k.Account, k.Region, family}]; ok && now.Before(b.Until) {
			return b, true
		}
	}
	if b, ok := c.stock[k.stockEntry()]; ok && now.Before(b.Until) {
		return b, true
	}
	return Block{}, false
}

// NoStock implements NegativeCache. A no-stock answer while k is already
// blocked belongs to the same episode (requests that were under way when
// the first answer came) and does not extend the block; one after the
// block ended doubles it.
func (c *MemNegativeCache) NoStock(k StockKey) Block {
	k = k.stockEntry()
	now := c.opts.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.stock[k]
	if ok && now.Before(b.Until) {
		return b
	}
	ttl := c.opts.NoStockTTL
	b.Strikes++
	for i := 1; i < b.Strikes && ttl < c.opts.MaxNoStockTTL; i++ {
		ttl *= 2
	}
	ttl = min(ttl, c.opts.MaxNoStockTTL)
	b.Reason, b.Since, b.Until = RejectNoStockCached, now, now.Add(ttl)
	c.stock[k] = b
	c.pruneLocked(now)
	return b
}

// InStock implements NegativeCache.
func (c *MemNegativeCache) InStock(k StockKey) {
	k = k.stockEntry()
	c.mu.RLock()
	_, ok := c.stock[k]
	c.mu.RUnlock()
	if !ok {
		return
	}
	c.mu.Lock()
	delete(c.stock, k)
	c.mu.Unlock()
}

// QuotaExceeded implements NegativeCache.
func (c *MemNegativeCache) QuotaExceeded(provider, account, region, family string) Block {
	now := c.opts.Now()
	b := Block{Reason: RejectQuota, Since: now, Until: now.Add(c.opts.QuotaTTL)}
	c.mu.Lock()
	c.quota[[4]string{provider, account, region, family}] = b
	c.mu.Unlock()
	return b
}

// BadCredentials implements NegativeCache.
func (c *MemNegativeCache) BadCredentials(provider, account string) Block {
	now := c.opts.Now()
	b := Block{Reason: RejectUnhealthy, Since: now, Until: now.Add(c.opts.CredentialsTTL)}
	c.mu.Lock()
	c.creds[[2]string{provider, account}] = b
	c.mu.Unlock()
	return b
}

// pruneLocked drops, every 1024 writes, the no-stock entries whose block
// ended longer ago than the longest block: their strikes no longer
// describe the zone. c.mu must be held.
func (c *MemNegativeCache) pruneLocked(now time.Time) {
	c.writes++
	if c.writes%1024 != 0 {
		return
	}
	for k, b := range c.stock {
		if now.Sub(b.Until) > c.opts.MaxNoStockTTL {
			delete(c.stock, k)
		}
	}
}
