package fake

import (
	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/providers/sim"
)

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
	p.cloud.SetStockCategory(region, zone, instanceType, simMode(mode), sim.StockCategory(category))
}

// available reports whether a create of instanceType in zone and mode can
// take at least one instance now.
func (p *Provider) available(region, zone, instanceType string, mode multicloud.ChargeMode) bool {
	return p.cloud.Available(region, zone, instanceType, simMode(mode)) != 0
}
