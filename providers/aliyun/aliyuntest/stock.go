package aliyuntest

import (
	"strings"
	"time"

	"github.com/multicloud-ecs/multicloud/providers/sim"
)

// The stock categories of DescribeAvailableResource's StatusCategory, as
// documented: WithStock (sufficient), ClosedWithStock (low stock; prefer
// other resources), WithoutStock (sold out, to be replenished) and
// ClosedWithoutStock (sold out, not replenished). Status is Available for
// the first two and SoldOut for the others.
const (
	WithStock          = "WithStock"
	ClosedWithStock    = "ClosedWithStock"
	WithoutStock       = "WithoutStock"
	ClosedWithoutStock = "ClosedWithoutStock"
)

// The charge modes of the stock matrix. DescribeAvailableResource and
// RunInstances read PostPaid and PrePaid from InstanceChargeType (PostPaid
// when absent) and Spot from a PostPaid request whose SpotStrategy is
// SpotWithPriceLimit or SpotAsPriceGo.
const (
	ChargePostPaid = "PostPaid"
	ChargePrePaid  = "PrePaid"
	ChargeSpot     = "Spot"
)

// SetStockCategory sets what DescribeAvailableResource answers for
// instanceType in zone when asked for chargeMode (ChargePostPaid,
// ChargePrePaid or ChargeSpot): one of WithStock, ClosedWithStock,
// WithoutStock or ClosedWithoutStock. WithoutStock and ClosedWithoutStock
// also make RunInstances in that charge mode fail with
// OperationDenied.NoStock; the other modes keep their own answers. An
// empty category removes the setting, and the cell follows SetStock again
// (WithStock, or WithoutStock once its count is 0). A count of 0 from
// SetStock still refuses every mode, whatever the category says, as a
// cloud's stock answer can be wrong. Other values panic, as a test bug.
func (s *Server) SetStockCategory(region, zone, instanceType, chargeMode, category string) {
	mode := simMode(chargeMode)
	switch category {
	case "", WithStock, ClosedWithStock, WithoutStock, ClosedWithoutStock:
	default:
		panic("aliyuntest: unknown stock category " + category)
	}
	s.cloud.SetStockCategory(region, zone, instanceType, mode, sim.StockCategory(category))
}

// SetSoldOutEpisodes makes fraction of the (region, zone, instance type)
// cells sold out during each period of the clock, chosen anew every period
// from the seed (sim.Cloud.SetSoldOutEpisodes): DescribeAvailableResource
// answers WithoutStock and RunInstances fails with OperationDenied.NoStock
// while a cell's episode lasts.
func (s *Server) SetSoldOutEpisodes(fraction float64, period time.Duration) {
	s.cloud.SetSoldOutEpisodes(fraction, period)
}

// SetWrongStockRate makes DescribeAvailableResource answer WithStock for
// that fraction of sold-out cells, chosen from the seed
// (sim.Cloud.SetWrongStockRate), as the cloud's stock answer is sometimes
// wrong: RunInstances still fails with OperationDenied.NoStock.
func (s *Server) SetWrongStockRate(rate float64) { s.cloud.SetWrongStockRate(rate) }

// simMode is the simulated cloud's charge mode of a stock-matrix mode; an
// unknown one panics, as a test bug.
func simMode(chargeMode string) sim.ChargeMode {
	switch chargeMode {
	case ChargePostPaid:
		return sim.OnDemand
	case ChargePrePaid:
		return sim.Prepaid
	case ChargeSpot:
		return sim.Spot
	}
	panic("aliyuntest: unknown charge mode " + chargeMode)
}

// chargeModeOf reads the stock matrix's charge mode from a request's
// InstanceChargeType and SpotStrategy; an unknown InstanceChargeType is
// InvalidParameter (not confirmed by the reference for
// DescribeAvailableResource).
func chargeModeOf(p params) (string, error) {
	ct := p.str("InstanceChargeType")
	switch ct {
	case "", ChargePostPaid:
		switch p.str("SpotStrategy") {
		case "SpotWithPriceLimit", "SpotAsPriceGo":
			return ChargeSpot, nil
		}
		return ChargePostPaid, nil
	case ChargePrePaid:
		return ChargePrePaid, nil
	}
	return "", errInvalid("InstanceChargeType", ct)
}

// stockCategory is the stock category DescribeAvailableResource answers
// for a cell (sim.Cloud.StockCategory): its SetStockCategory setting, else
// WithoutStock when its count is 0 (or its sold-out episode lasts) and
// WithStock otherwise, in their Closed forms after sim.Cloud.SetClosed, and
// WithStock where SetWrongStockRate makes the answer wrong.
func (st *state) stockCategory(region, zone, typ, mode string) string {
	return string(st.cloud.StockCategory(region, zone, typ, simMode(mode)))
}

// stockStatus is DescribeAvailableResource's Status of a category.
func stockStatus(category string) string {
	if strings.HasSuffix(category, "WithoutStock") {
		return "SoldOut"
	}
	return "Available"
}
