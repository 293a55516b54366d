package fake

import "github.com/multicloud-ecs/multicloud"

// modeStockKey is one cell of the stock matrix per charge mode.
type modeStockKey struct {
	stockKey
	mode multicloud.ChargeMode
}

// SetStockCategory sets the stock category Offerings reports for
// instanceType in zone in charge mode (OnDemand when empty), as a cloud
// answers its stock per charge mode: WithStock, ClosedWithStock,
// WithoutStock or ClosedWithoutStock. WithoutStock and ClosedWithoutStock
// also make creates in that mode fail with ErrNoStock, and Resolve and
// Candidates skip the zone for requests in that mode; other modes keep
// their answers. The count from SetStock still bounds every mode: a cell
// set to a category with stock while its count is 0 is a wrong answer
// (Offerings says in stock, the create fails). StockUnknown removes the
// setting, and the cell follows SetStock, SetClosed and SetWrongStockRate
// again. A region or zone the provider does not serve is accepted and
// never used.
func (p *Provider) SetStockCategory(region, zone, instanceType string, mode multicloud.ChargeMode, category multicloud.StockStatus) {
	k := modeStockKey{stockKey{region, zone, instanceType}, chargeModeOrDefault(mode)}
	p.mu.Lock()
	defer p.mu.Unlock()
	if category == multicloud.StockUnknown {
		delete(p.modeStock, k)
		return
	}
	p.modeStock[k] = category
}

func chargeModeOrDefault(mode multicloud.ChargeMode) multicloud.ChargeMode {
	if mode == "" {
		return multicloud.OnDemand
	}
	return mode
}

// modeCategoryLocked returns the SetStockCategory setting of k in mode.
func (p *Provider) modeCategoryLocked(k stockKey, mode multicloud.ChargeMode) (multicloud.StockStatus, bool) {
	c, ok := p.modeStock[modeStockKey{k, chargeModeOrDefault(mode)}]
	return c, ok
}

// availLocked is how many instances of k a create in mode can take: 0
// where SetStockCategory says the mode has no stock, else the count.
func (p *Provider) availLocked(k stockKey, mode multicloud.ChargeMode) int {
	if c, ok := p.modeCategoryLocked(k, mode); ok && (c == multicloud.WithoutStock || c == multicloud.ClosedWithoutStock) {
		return 0
	}
	return p.stockLocked(k)
}
