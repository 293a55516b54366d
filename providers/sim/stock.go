package sim

import (
	"hash/fnv"
	"strconv"
	"time"
)

// ChargeMode is how instances are paid for; stock is answered per mode.
type ChargeMode string

// The charge modes. Faces map their own names (Aliyun PostPaid, PrePaid
// and a PostPaid spot strategy; AWS on-demand and spot) to these.
const (
	OnDemand ChargeMode = "OnDemand"
	Prepaid  ChargeMode = "Prepaid"
	Spot     ChargeMode = "Spot"
)

func modeOrDefault(m ChargeMode) ChargeMode {
	if m == "" {
		return OnDemand
	}
	return m
}

// StockCategory is a stock answer, as Aliyun's DescribeAvailableResource
// documents its StatusCategory.
type StockCategory string

// The stock categories.
const (
	// WithStock: on sale, in stock.
	WithStock StockCategory = "WithStock"
	// ClosedWithStock: in stock, closed to new buyers soon.
	ClosedWithStock StockCategory = "ClosedWithStock"
	// WithoutStock: sold out, to be replenished.
	WithoutStock StockCategory = "WithoutStock"
	// ClosedWithoutStock: sold out, not replenished.
	ClosedWithoutStock StockCategory = "ClosedWithoutStock"
)

// InStock reports whether the category says the cell can be bought.
func (s StockCategory) InStock() bool { return s == WithStock || s == ClosedWithStock }

// StockKey is one (region, zone, instance type) of the stock table.
type StockKey struct{ Region, Zone, Type string }

type modeKey struct {
	StockKey
	mode ChargeMode
}

// stockTable holds stock counts, categories, closings and the seeded
// answers; guarded by Cloud.mu.
type stockTable struct {
	def        int
	counts     map[StockKey]int
	categories map[modeKey]StockCategory
	closed     map[StockKey]bool
	wrongRate  float64
	episodes   struct {
		fraction float64
		period   time.Duration
	}
}

func (t *stockTable) init(def int) {
	switch {
	case def == 0:
		def = Unlimited
	case def < 0:
		def = 0
	}
	t.def = def
	t.counts = make(map[StockKey]int)
	t.categories = make(map[modeKey]StockCategory)
	t.closed = make(map[StockKey]bool)
}

// SetStock sets how many more instances of instanceType zone can take;
// 0 sells out the cell in every charge mode, Unlimited (any negative n)
// restores the default. Creating instances takes from it, deleting gives
// back. A region or zone the Cloud does not serve is accepted and never
// used.
func (c *Cloud) SetStock(region, zone, instanceType string, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := StockKey{region, zone, instanceType}
	if n < 0 {
		delete(c.stock.counts, k)
		return
	}
	c.stock.counts[k] = n
}

// Stock returns how many more instances of instanceType zone can take
// now, in any charge mode (Unlimited for no bound): 0 during a sold-out
// episode.
func (c *Cloud) Stock(region, zone, instanceType string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.countLocked(StockKey{region, zone, instanceType}, c.Now())
}

func (c *Cloud) countLocked(k StockKey, now time.Time) int {
	if c.episodeLocked(k, now) {
		return 0
	}
	if n, ok := c.stock.counts[k]; ok {
		return n
	}
	return c.stock.def
}

// SetStockCategory sets the stock category of instanceType in zone in
// mode (OnDemand when empty): what StockCategory answers there.
// WithoutStock and ClosedWithoutStock also make creates in that mode
// fail with ClassNoStock; other modes keep their answers. The count of
// SetStock still bounds every mode: a cell set to a category with stock
// while its count is 0 is a wrong answer (the answer says in stock, the
// create fails). An empty category removes the setting.
func (c *Cloud) SetStockCategory(region, zone, instanceType string, mode ChargeMode, category StockCategory) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := modeKey{StockKey{region, zone, instanceType}, modeOrDefault(mode)}
	if category == "" {
		delete(c.stock.categories, k)
		return
	}
	c.stock.categories[k] = category
}

// SetClosed closes (or reopens) instanceType in zone to new buyers, as a
// cloud retires a type: a closed cell with stock answers ClosedWithStock
// and still sells; one without stock answers ClosedWithoutStock.
func (c *Cloud) SetClosed(region, zone, instanceType string, closed bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := StockKey{region, zone, instanceType}
	if closed {
		c.stock.closed[k] = true
	} else {
		delete(c.stock.closed, k)
	}
}

// SetWrongStockRate makes StockCategory answer in stock for that fraction
// of sold-out cells, chosen by a hash of the cell and the seed, as a
// cloud's stock answer is sometimes wrong: the create then fails with
// ClassNoStock. 0 (the default) answers truly.
func (c *Cloud) SetWrongStockRate(rate float64) {
	c.mu.Lock()
	c.stock.wrongRate = rate
	c.mu.Unlock()
}

// SetSoldOutEpisodes makes fraction of the (region, zone, type) cells sold
// out during each period of the Cloud's clock, chosen anew every period
// by a hash of the cell, the period's index and the seed, so that a run
// sees the same episodes every time: a cell's stock is 0 while its episode
// lasts, whatever SetStock gave it, and comes back after. A fraction of 0
// ends the schedule; periods under a second count as a second.
func (c *Cloud) SetSoldOutEpisodes(fraction float64, period time.Duration) {
	c.mu.Lock()
	c.stock.episodes.fraction = fraction
	c.stock.episodes.period = max(period, time.Second)
	c.mu.Unlock()
}

func (c *Cloud) episodeLocked(k StockKey, now time.Time) bool {
	e := c.stock.episodes
	if e.fraction <= 0 {
		return false
	}
	idx := now.UnixNano() / int64(e.period)
	return c.hashFraction(strconv.FormatInt(idx, 10), k) < e.fraction
}

// hashFraction is a seeded hash of k and salt in [0, 1).
func (c *Cloud) hashFraction(salt string, k StockKey) float64 {
	h := fnv.New64a()
	h.Write([]byte(strconv.FormatUint(c.opts.Seed, 10) + "|" + salt + "|" + k.Region + "|" + k.Zone + "|" + k.Type))
	return float64(h.Sum64()%10000) / 10000
}

func (c *Cloud) wrongLocked(k StockKey, now time.Time) bool {
	if c.stock.wrongRate <= 0 || c.countLocked(k, now) != 0 {
		return false
	}
	// The salt keeps the historical hash of the fake's wrong answers.
	h := fnv.New64a()
	h.Write([]byte(strconv.FormatUint(c.opts.Seed, 10) + "|" + k.Region + "|" + k.Zone + "|" + k.Type))
	return float64(h.Sum64()%10000)/10000 < c.stock.wrongRate
}

// StockCategory returns the stock answer for instanceType in zone in mode
// (OnDemand when empty): the SetStockCategory setting when there is one;
// else, from the count, WithStock or WithoutStock, in their Closed forms
// after SetClosed; a sold-out cell answers in stock where
// SetWrongStockRate makes its answer wrong.
func (c *Cloud) StockCategory(region, zone, instanceType string, mode ChargeMode) StockCategory {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.categoryLocked(StockKey{region, zone, instanceType}, modeOrDefault(mode), c.Now())
}

func (c *Cloud) categoryLocked(k StockKey, mode ChargeMode, now time.Time) StockCategory {
	if cat, ok := c.stock.categories[modeKey{k, mode}]; ok {
		return cat
	}
	in := c.countLocked(k, now) != 0 || c.wrongLocked(k, now)
	switch closed := c.stock.closed[k]; {
	case closed && in:
		return ClosedWithStock
	case closed:
		return ClosedWithoutStock
	case in:
		return WithStock
	}
	return WithoutStock
}

// Available returns how many instances a create of instanceType in zone
// and mode can take now (Unlimited for no bound): 0 where the mode's
// SetStockCategory setting says it has no stock, else the count.
func (c *Cloud) Available(region, zone, instanceType string, mode ChargeMode) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.availableLocked(StockKey{region, zone, instanceType}, modeOrDefault(mode), c.Now())
}

func (c *Cloud) availableLocked(k StockKey, mode ChargeMode, now time.Time) int {
	if cat, ok := c.stock.categories[modeKey{k, mode}]; ok && !cat.InStock() {
		return 0
	}
	return c.countLocked(k, now)
}

// takeLocked takes n from the cell's count, or fails with ClassNoStock.
func (c *Cloud) takeLocked(k StockKey, mode ChargeMode, n int, now time.Time) error {
	avail := c.availableLocked(k, mode, now)
	if avail != Unlimited && avail < n {
		return &Error{Class: ClassNoStock, Resource: KindInstanceType, ID: k.Type,
			Message: "no stock in zone " + k.Zone + " for " + string(mode) + " instances"}
	}
	if cnt, ok := c.stock.counts[k]; ok {
		c.stock.counts[k] = cnt - n
	} else if c.stock.def != Unlimited {
		c.stock.counts[k] = c.stock.def - n
	}
	return nil
}

// giveBackLocked returns n to a cell whose count is bounded.
func (c *Cloud) giveBackLocked(k StockKey, n int) {
	if cnt, ok := c.stock.counts[k]; ok {
		c.stock.counts[k] = cnt + n
	}
}

// TakeStock takes n instances of instanceType in zone and mode from the
// stock, for faces that create instances they keep themselves; it fails
// with ClassNoStock, taking nothing, when Available is below n.
func (c *Cloud) TakeStock(region, zone, instanceType string, mode ChargeMode, n int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.takeLocked(StockKey{region, zone, instanceType}, modeOrDefault(mode), n, c.Now())
}

// ReturnStock gives n instances of instanceType back to zone's stock, as
// deleting instances does; an unbounded cell stays unbounded.
func (c *Cloud) ReturnStock(region, zone, instanceType string, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.giveBackLocked(StockKey{region, zone, instanceType}, n)
}
