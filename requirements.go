package multicloud

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// Constraints bound where a request may go when a price-aware scheduler
// places it rather than the request naming a type in a region. The zero
// value allows every provider and region at any price.
type Constraints struct {
	// Providers are the provider codes allowed; empty allows every
	// registered provider.
	Providers []string `json:"providers,omitempty"`
	// Regions are the region IDs allowed; empty allows every region a
	// provider lists. A request's own Region, when set, is allowed too.
	Regions []string `json:"regions,omitempty"`
	// MaxHourlyPrice is the most one instance may cost per hour, in
	// MaxPriceCurrency; 0 means no limit.
	MaxHourlyPrice float64 `json:"maxHourlyPrice,omitempty"`
	// MaxPriceCurrency is the currency of MaxHourlyPrice, e.g. "CNY";
	// required with it.
	MaxPriceCurrency string `json:"maxPriceCurrency,omitempty"`
}

func (c *Constraints) clone() *Constraints {
	if c == nil {
		return nil
	}
	cp := *c
	cp.Providers, cp.Regions = slices.Clone(c.Providers), slices.Clone(c.Regions)
	return &cp
}

// TypeSpec is what placement knows of an instance type: its specs, with
// the GPU model in canonical form (ParseGPUModel).
type TypeSpec struct {
	ID           string  `json:"id"`
	Family       string  `json:"family,omitempty"`
	VCPU         int     `json:"vcpu"`
	MemoryGiB    float64 `json:"memoryGiB"`
	GPUModel     string  `json:"gpuModel,omitempty"`
	GPUCount     int     `json:"gpuCount,omitempty"`
	GPUMemoryGiB float64 `json:"gpuMemoryGiB,omitempty"`
}

// Requirements is what a request asks of an instance type, normalized:
// the GPU model canonical, the GPU count defaulted (1 with a model), the
// minimum vCPUs and memory. Build it with RequirementsOf.
type Requirements struct {
	InstanceType string  // an explicit type wins over the rest
	GPUModel     string  // canonical; "" for any model (with GPUCount) or none
	GPUCount     int     // exact; 0 for no GPU
	GPUMemoryGiB float64 // minimum per GPU, from a model such as "A100-80G"
	VCPU         int     // minimum
	MemoryGiB    float64 // minimum
}

// RequirementsOf returns the requirements of r. It is a pure function.
func RequirementsOf(r *CreateInstanceRequest) Requirements {
	q := Requirements{InstanceType: strings.TrimSpace(r.InstanceType), GPUCount: r.GPUCount, VCPU: r.CPU, MemoryGiB: float64(r.Memory)}
	if strings.TrimSpace(r.GPUModel) != "" {
		q.GPUModel, q.GPUMemoryGiB = ParseGPUModel(r.GPUModel)
		if q.GPUCount == 0 {
			q.GPUCount = 1
		}
	}
	return q
}

// Misfit says why t does not meet q: RejectNoGPUMatch, RejectBelowVCPU or
// RejectBelowMemory, or "" when it fits. GPU model and count are exact:
// a job asking for one GPU is never placed on an eight-GPU machine.
func (q Requirements) Misfit(t TypeSpec) Reason { return q.misfit(&t) }

func (q *Requirements) misfit(t *TypeSpec) Reason {
	if q.InstanceType != "" {
		if t.ID != q.InstanceType {
			return RejectNoTypeMatch
		}
		return ""
	}
	if t.GPUCount != q.GPUCount || (q.GPUModel != "" && t.GPUModel != q.GPUModel) || t.GPUMemoryGiB < q.GPUMemoryGiB {
		return RejectNoGPUMatch
	}
	if t.VCPU < q.VCPU {
		return RejectBelowVCPU
	}
	if t.MemoryGiB < q.MemoryGiB {
		return RejectBelowMemory
	}
	return ""
}

// excess scores how much more than asked t gives, for ranking equal
// prices: the relative surplus of vCPUs and memory.
func (q *Requirements) excess(t *TypeSpec) float64 {
	var s float64
	if q.VCPU > 0 {
		s += float64(t.VCPU-q.VCPU) / float64(q.VCPU)
	} else {
		s += float64(t.VCPU)
	}
	if q.MemoryGiB > 0 {
		s += (t.MemoryGiB - q.MemoryGiB) / q.MemoryGiB
	} else {
		s += t.MemoryGiB / 4
	}
	return s
}

// constraints checks a request's Constraints: codes of providers and
// regions, a non-negative maximum price with its currency.
func (v *validator) constraints(c *Constraints) {
	if c == nil {
		return
	}
	for _, p := range c.Providers {
		v.identifier("constraints.providers", p)
	}
	for _, r := range c.Regions {
		v.identifier("constraints.regions", r)
	}
	switch {
	case c.MaxHourlyPrice < 0 || math.IsNaN(c.MaxHourlyPrice) || math.IsInf(c.MaxHourlyPrice, 0):
		v.add("constraints.maxHourlyPrice", fmt.Sprintf("must be a positive amount or 0 for none, got %v", c.MaxHourlyPrice))
	case c.MaxHourlyPrice > 0 && c.MaxPriceCurrency == "":
		v.add("constraints.maxPriceCurrency", "is required with maxHourlyPrice")
	}
}
