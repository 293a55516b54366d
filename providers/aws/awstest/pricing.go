package awstest

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// onDemandTermCode is the offer term code of on-demand terms in the Price
// List API's documented example product.
const onDemandTermCode = "JRTCKXETXF"

// onDemandRateCode is the rate code suffix of an hourly price dimension (the
// code of the documented example; rate codes are opaque to clients).
const onDemandRateCode = "6YS6EN2CT7"

// regionLocations are the Price List "location" names of the Regions.
var regionLocations = map[string]string{
	"us-east-1": "US East (N. Virginia)", "us-east-2": "US East (Ohio)",
	"us-west-1": "US West (N. California)", "us-west-2": "US West (Oregon)",
	"eu-west-1": "EU (Ireland)", "eu-west-2": "EU (London)", "eu-west-3": "EU (Paris)",
	"eu-central-1": "EU (Frankfurt)", "eu-north-1": "EU (Stockholm)",
	"ap-south-1": "Asia Pacific (Mumbai)", "ap-northeast-1": "Asia Pacific (Tokyo)",
	"ap-northeast-2": "Asia Pacific (Seoul)", "ap-southeast-1": "Asia Pacific (Singapore)",
	"ap-southeast-2": "Asia Pacific (Sydney)", "ca-central-1": "Canada (Central)",
	"sa-east-1": "South America (Sao Paulo)",
}

// priceItem is the on-demand Linux price of one instance type in one Region
// with the type's facts, as the simulated cloud holds them.
type priceItem struct {
	RegionCode   string
	InstanceType string
	VCPU         int
	MemoryMiB    int
	GPUs         int
	USDPerHour   float64
}

// priceVariant is one of the several products the Price List has per type
// and Region. Only the first is the plain on-demand Linux price; the others
// exist so that a client that does not filter on operatingSystem, tenancy,
// capacitystatus and preInstalledSw sees more than one product, as on AWS.
// Their prices are the base price scaled by factor, an emulator choice.
type priceVariant struct {
	os, tenancy, capacity, software, license string
	factor                                   float64
}

var priceVariants = []priceVariant{
	{"Linux", "Shared", "Used", "NA", "No License required", 1},
	{"Linux", "Shared", "UnusedCapacityReservation", "NA", "No License required", 1},
	{"Linux", "Dedicated", "Used", "NA", "No License required", 1.1},
	{"Windows", "Shared", "Used", "NA", "License Included", 1.4},
	{"Linux", "Shared", "Used", "SQL Std", "License Included", 2.2},
}

// pricingFilter is one GetProducts filter.
type pricingFilter struct {
	Field string `json:"Field"`
	Type  string `json:"Type"`
	Value string `json:"Value"`
}

type getProductsInput struct {
	ServiceCode   string          `json:"ServiceCode"`
	Filters       []pricingFilter `json:"Filters"`
	FormatVersion string          `json:"FormatVersion"`
	NextToken     string          `json:"NextToken"`
	MaxResults    *int            `json:"MaxResults"`
}

type getProductsOutput struct {
	FormatVersion string   `json:"FormatVersion"`
	PriceList     []string `json:"PriceList"`
	NextToken     string   `json:"NextToken,omitempty"`
}

// servePricing answers the Price List Query API (awsJson1_1).
func (s *Server) servePricing(w http.ResponseWriter, c *call) {
	fail := func(e *apiError) { writeJSONError(w, c.reqID, e) }
	if c.action != "GetProducts" {
		fail(&apiError{Status: 400, Code: "UnknownOperationException", Message: "Unknown operation " + c.action})
		return
	}
	var in getProductsInput
	if err := json.Unmarshal(c.body, &in); err != nil {
		fail(&apiError{Status: 400, Code: "SerializationException", Message: "The request body is not valid JSON"})
		return
	}
	if in.ServiceCode == "" {
		fail(&apiError{Status: 400, Code: "InvalidParameterException", Message: "ServiceCode is required"})
		return
	}
	if in.FormatVersion != "" && in.FormatVersion != "aws_v1" {
		fail(&apiError{Status: 400, Code: "InvalidParameterException", Message: "FormatVersion must be aws_v1"})
		return
	}
	size := 100
	if in.MaxResults != nil {
		// MODEL: MaxResults 1 to 100.
		if *in.MaxResults < 1 || *in.MaxResults > 100 {
			fail(&apiError{Status: 400, Code: "InvalidParameterException", Message: "MaxResults must be between 1 and 100"})
			return
		}
		size = *in.MaxResults
	}
	for _, f := range in.Filters {
		switch f.Type {
		case "TERM_MATCH", "EQUALS", "CONTAINS", "ANY_OF", "NONE_OF":
		default:
			fail(&apiError{Status: 400, Code: "InvalidParameterException", Message: "Invalid filter type " + f.Type})
			return
		}
		if f.Field == "" {
			fail(&apiError{Status: 400, Code: "InvalidParameterException", Message: "Filter Field is required"})
			return
		}
	}
	var docs []string
	if in.ServiceCode == "AmazonEC2" {
		for _, it := range s.priceList() {
			for _, v := range priceVariants {
				p := ec2Product(it, v)
				if matchPricing(in.Filters, p.Product.Attributes) {
					b, _ := json.Marshal(p)
					docs = append(docs, string(b))
				}
			}
		}
	} else {
		fail(&apiError{Status: 400, Code: "NotFoundException", Message: "Service code " + in.ServiceCode + " is not served"})
		return
	}
	sort.Strings(docs) // a stable order across pages
	start := 0
	if in.NextToken != "" {
		raw, err := base64.RawURLEncoding.DecodeString(in.NextToken)
		n, cerr := strconv.Atoi(strings.TrimPrefix(string(raw), "GetProducts:"))
		if err != nil || cerr != nil || n < 0 || n > len(docs) || !strings.HasPrefix(string(raw), "GetProducts:") {
			fail(&apiError{Status: 400, Code: "InvalidNextTokenException", Message: "The pagination token is invalid"})
			return
		}
		start = n
	}
	end := min(len(docs), start+size)
	out := getProductsOutput{FormatVersion: "aws_v1", PriceList: docs[start:end]}
	if out.PriceList == nil {
		out.PriceList = []string{}
	}
	if end < len(docs) {
		out.NextToken = base64.RawURLEncoding.EncodeToString([]byte("GetProducts:" + strconv.Itoa(end)))
	}
	writeJSON(w, c.reqID, out)
}

// matchPricing applies GetProducts filters to a product's attributes. Values
// compare case-insensitively (TERM_MATCH's case rule is not documented; AWS
// matches "linux" to "Linux" in practice, not confirmed). ANY_OF and NONE_OF
// take comma-separated values.
func matchPricing(fs []pricingFilter, attrs map[string]string) bool {
	for _, f := range fs {
		have, ok := attrs[f.Field]
		if !ok && f.Type != "NONE_OF" {
			return false
		}
		switch f.Type {
		case "TERM_MATCH", "EQUALS":
			if !strings.EqualFold(have, f.Value) {
				return false
			}
		case "CONTAINS":
			if !strings.Contains(strings.ToLower(have), strings.ToLower(f.Value)) {
				return false
			}
		case "ANY_OF", "NONE_OF":
			hit := false
			for v := range strings.SplitSeq(f.Value, ",") {
				if strings.EqualFold(strings.TrimSpace(v), have) {
					hit = true
				}
			}
			if hit != (f.Type == "ANY_OF") {
				return false
			}
		}
	}
	return true
}

// priceDocument is one PriceList entry: the product and its terms.
type priceDocument struct {
	Product struct {
		ProductFamily string            `json:"productFamily"`
		Attributes    map[string]string `json:"attributes"`
		SKU           string            `json:"sku"`
	} `json:"product"`
	ServiceCode     string                          `json:"serviceCode"`
	Terms           map[string]map[string]priceTerm `json:"terms"`
	Version         string                          `json:"version"`
	PublicationDate string                          `json:"publicationDate"`
}

type priceTerm struct {
	PriceDimensions map[string]priceDimension `json:"priceDimensions"`
	SKU             string                    `json:"sku"`
	EffectiveDate   string                    `json:"effectiveDate"`
	OfferTermCode   string                    `json:"offerTermCode"`
	TermAttributes  map[string]string         `json:"termAttributes"`
}

type priceDimension struct {
	Unit         string            `json:"unit"`
	EndRange     string            `json:"endRange"`
	Description  string            `json:"description"`
	AppliesTo    []string          `json:"appliesTo"`
	RateCode     string            `json:"rateCode"`
	BeginRange   string            `json:"beginRange"`
	PricePerUnit map[string]string `json:"pricePerUnit"`
}

// ec2Product builds the Price List document of one variant of a price item,
// in the shape of the API's documented example.
func ec2Product(it priceItem, v priceVariant) priceDocument {
	var d priceDocument
	attrs := map[string]string{
		"servicecode":     "AmazonEC2",
		"servicename":     "Amazon Elastic Compute Cloud",
		"instanceType":    it.InstanceType,
		"instanceFamily":  instanceFamily(it),
		"regionCode":      it.RegionCode,
		"location":        regionLocations[it.RegionCode],
		"locationType":    "AWS Region",
		"operatingSystem": v.os,
		"tenancy":         v.tenancy,
		"capacitystatus":  v.capacity,
		"preInstalledSw":  v.software,
		"licenseModel":    v.license,
		"marketoption":    "OnDemand",
		"vcpu":            strconv.Itoa(it.VCPU),
		"memory":          strconv.FormatFloat(float64(it.MemoryMiB)/1024, 'f', -1, 64) + " GiB",
		"operation":       "RunInstances",
		"usagetype":       "BoxUsage:" + it.InstanceType,
	}
	if it.GPUs > 0 {
		attrs["gpu"] = strconv.Itoa(it.GPUs)
	}
	if attrs["location"] == "" {
		attrs["location"] = it.RegionCode
	}
	sku := skuOf(attrs)
	d.Product.ProductFamily = "Compute Instance"
	d.Product.Attributes = attrs
	d.Product.SKU = sku
	d.ServiceCode = "AmazonEC2"
	d.Version = "20261101000000"
	d.PublicationDate = "2026-11-01T00:00:00Z"
	term := sku + "." + onDemandTermCode
	dim := term + "." + onDemandRateCode
	price := it.USDPerHour * v.factor
	d.Terms = map[string]map[string]priceTerm{"OnDemand": {term: {
		SKU: sku, OfferTermCode: onDemandTermCode, EffectiveDate: "2026-11-01T00:00:00Z",
		TermAttributes: map[string]string{},
		PriceDimensions: map[string]priceDimension{dim: {
			Unit: "Hrs", BeginRange: "0", EndRange: "Inf", RateCode: dim, AppliesTo: []string{},
			Description:  "$" + strconv.FormatFloat(price, 'f', 3, 64) + " per On Demand " + v.os + " " + it.InstanceType + " Instance Hour",
			PricePerUnit: map[string]string{"USD": strconv.FormatFloat(price, 'f', 10, 64)},
		}},
	}}}
	return d
}

func instanceFamily(it priceItem) string {
	if it.GPUs > 0 {
		return "GPU instance"
	}
	return "General purpose"
}

// skuOf is a stable 16-character SKU for a product's attributes.
func skuOf(attrs map[string]string) string {
	keys := make([]string, 0, len(attrs))
	for k := range attrs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	for _, k := range keys {
		h.Write([]byte(k + "=" + attrs[k] + ";"))
	}
	return base32.StdEncoding.EncodeToString(h.Sum(nil))[:16]
}
