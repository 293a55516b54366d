package aliyuntest

import "strings"

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

// stockModeKey is one cell of the stock matrix: (region, zone, type,
// charge mode).
type stockModeKey struct{ region, zone, instanceType, mode string }

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
	switch chargeMode {
	case ChargePostPaid, ChargePrePaid, ChargeSpot:
	default:
		panic("aliyuntest: unknown charge mode " + chargeMode)
	}
	k := stockModeKey{region, zone, instanceType, chargeMode}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch category {
	case "":
		delete(s.st.stockCat, k)
	case WithStock, ClosedWithStock, WithoutStock, ClosedWithoutStock:
		s.st.stockCat[k] = category
	default:
		panic("aliyuntest: unknown stock category " + category)
	}
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

// stockCategory is the stock category of a cell: its SetStockCategory
// setting, else WithoutStock when its count is 0 and WithStock otherwise.
func (st *state) stockCategory(region, zone, typ, mode string) string {
	if c, ok := st.stockCat[stockModeKey{region, zone, typ, mode}]; ok {
		return c
	}
	if st.stockOf(region, zone, typ) == 0 {
		return WithoutStock
	}
	return WithStock
}

// stockStatus is DescribeAvailableResource's Status of a category.
func stockStatus(category string) string {
	if strings.HasSuffix(category, "WithoutStock") {
		return "SoldOut"
	}
	return "Available"
}
