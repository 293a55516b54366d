package mapping

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/multicloud-ecs/multicloud"
)

// Requirements is what a request asks of an instance type.
type Requirements struct {
	// InstanceType, when set, wins over every other field: Select returns
	// that type alone.
	InstanceType string
	// GPUModel asks for GPUs of a model, matched as NormalizeGPUModel
	// canonicalizes it ("a100", "NVIDIA A100" and "A100-SXM4-40GB" all mean
	// A100). A memory suffix ("A100-80G", "A100 80GB") also asks for at
	// least that much memory per GPU.
	GPUModel string
	// GPUCount is the exact number of GPUs per instance: a job asking for
	// one GPU is never placed on an eight-GPU machine. 0 with a GPUModel
	// means 1; 0 without one means no GPU.
	GPUCount int
	// GPUMemoryGiB is the minimum memory of one GPU; with neither GPUModel
	// nor GPUCount it asks for one GPU of any model.
	GPUMemoryGiB float64
	// VCPU is the minimum number of vCPUs.
	VCPU int
	// MemoryGiB is the minimum memory.
	MemoryGiB float64
}

// Select returns the catalog's instance types that satisfy req, cheapest
// first: by reference HourlyPrice (types of unknown price last), then fewer
// vCPUs, then ID. Types with GPUs are only returned when req asks for GPUs.
//
// An explicit req.InstanceType wins over everything else and is returned
// alone: its catalog entry when known, else InstanceType{ID:
// req.InstanceType}, since catalogs lag providers and the provider is the
// judge of a type it sells.
//
// Errors match multicloud.ErrInvalidArgument: negative requirements, an
// unknown GPU model (the error names the known models), and a request that
// no type meets (the error says what was asked and names the closest
// candidates). Select never returns an empty list without an error.
func (c *Catalog) Select(req Requirements) ([]InstanceType, error) {
	if id := strings.TrimSpace(req.InstanceType); id != "" {
		if t, ok := c.Type(id); ok {
			return []InstanceType{t}, nil
		}
		return []InstanceType{{ID: id}}, nil
	}
	if req.GPUCount < 0 || req.VCPU < 0 || !nonNegative(req.MemoryGiB) || !nonNegative(req.GPUMemoryGiB) {
		return nil, multicloud.Errorf(multicloud.CodeInvalidArgument,
			"negative instance requirement: %d vCPUs, %g GiB memory, %d GPUs, %g GiB GPU memory",
			req.VCPU, req.MemoryGiB, req.GPUCount, req.GPUMemoryGiB)
	}

	c.mu.RLock()
	defer c.mu.RUnlock()

	model, gpuMem := "", req.GPUMemoryGiB
	if strings.TrimSpace(req.GPUModel) != "" {
		m, mem := parseGPUModel(req.GPUModel)
		if m == "" || !c.hasGPUModelLocked(m) {
			return nil, multicloud.Errorf(multicloud.CodeInvalidArgument,
				"unknown gpu model %q; known models: %s", req.GPUModel, strings.Join(c.gpuModelsLocked(), ", "))
		}
		model, gpuMem = m, max(gpuMem, mem)
	}
	count := req.GPUCount
	if count == 0 && (model != "" || gpuMem > 0) {
		count = 1
	}
	want := want{model: model, count: count, gpuMem: gpuMem, vcpu: req.VCPU, mem: req.MemoryGiB}

	var out []InstanceType
	for _, t := range c.types {
		if want.fits(t) {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		return nil, multicloud.Errorf(multicloud.CodeInvalidArgument,
			"no instance type matches %s; closest: %s", want, c.closestLocked(want, 3))
	}
	slices.SortFunc(out, cheaper)
	return out, nil
}

func nonNegative(f float64) bool { return f >= 0 && !math.IsInf(f, 0) }

// want is a Requirements after defaults and GPU model parsing.
type want struct {
	model  string  // canonical GPU model; "" for any
	count  int     // exact GPU count; 0 for no GPU
	gpuMem float64 // minimum memory per GPU
	vcpu   int
	mem    float64
}

func (w want) fits(t InstanceType) bool {
	if t.GPUCount != w.count || t.VCPU < w.vcpu || t.MemoryGiB < w.mem {
		return false
	}
	if w.count == 0 {
		return true
	}
	return (w.model == "" || t.GPUModel == w.model) && t.GPUMemoryGiB >= w.gpuMem
}

// String says what was asked, for error messages.
func (w want) String() string {
	var parts []string
	if w.count > 0 {
		g := fmt.Sprintf("%d %s GPU", w.count, cmp.Or(w.model, "(any model)"))
		if w.count > 1 {
			g += "s"
		}
		if w.gpuMem > 0 {
			g += fmt.Sprintf(" of at least %g GiB", w.gpuMem)
		}
		parts = append(parts, g)
	} else {
		parts = append(parts, "no GPU")
	}
	if w.vcpu > 0 {
		parts = append(parts, fmt.Sprintf("at least %d vCPUs", w.vcpu))
	}
	if w.mem > 0 {
		parts = append(parts, fmt.Sprintf("at least %g GiB memory", w.mem))
	}
	return strings.Join(parts, ", ")
}

// shortfall scores how far t is from w: 0 fits, larger is further.
func (w want) shortfall(t InstanceType) float64 {
	var s float64
	short := func(have, need float64) {
		if need > 0 && have < need {
			s += (need - have) / need
		}
	}
	short(float64(t.VCPU), float64(w.vcpu))
	short(t.MemoryGiB, w.mem)
	if w.count > 0 {
		s += math.Abs(float64(t.GPUCount-w.count)) / float64(w.count)
		short(t.GPUMemoryGiB, w.gpuMem)
		if w.model != "" && t.GPUModel != w.model {
			s += 10
		}
	}
	return s
}

// closestLocked names up to n types nearest to w, for an error message.
// Types with GPUs are candidates only when w asks for GPUs, and the other
// way round. c.mu must be held.
func (c *Catalog) closestLocked(w want, n int) string {
	type cand struct {
		t     InstanceType
		score float64
	}
	var cands []cand
	for _, t := range c.types {
		if t.HasGPU() == (w.count > 0) {
			cands = append(cands, cand{t, w.shortfall(t)})
		}
	}
	if len(cands) == 0 {
		return "none"
	}
	slices.SortFunc(cands, func(a, b cand) int {
		return cmp.Or(cmp.Compare(a.score, b.score), cheaper(a.t, b.t))
	})
	var names []string
	for _, cd := range cands[:min(n, len(cands))] {
		names = append(names, describe(cd.t))
	}
	return strings.Join(names, "; ")
}

// describe formats a type with its specs, for messages.
func describe(t InstanceType) string {
	s := fmt.Sprintf("%s (%d vCPUs, %g GiB", t.ID, t.VCPU, t.MemoryGiB)
	if t.HasGPU() {
		s += fmt.Sprintf(", %dx %s %g GiB", t.GPUCount, t.GPUModel, t.GPUMemoryGiB)
	}
	return s + ")"
}

// cheaper orders types by reference price (unknown prices last), then
// vCPUs, then ID.
func cheaper(a, b InstanceType) int {
	if (a.HourlyPrice > 0) != (b.HourlyPrice > 0) {
		if a.HourlyPrice > 0 {
			return -1
		}
		return 1
	}
	return cmp.Or(
		cmp.Compare(a.HourlyPrice, b.HourlyPrice),
		cmp.Compare(a.VCPU, b.VCPU),
		strings.Compare(a.ID, b.ID),
	)
}

// NormalizeGPUModel returns the canonical name of a GPU model as written by
// users, consoles and provider APIs: upper case, without the vendor or
// product line ("NVIDIA", "Tesla", "GeForce"), form factor ("SXM4", "PCIe")
// or memory size ("80GB"), with the remaining words joined by one space.
// "NVIDIA A100" -> "A100", "nvidia a10" -> "A10", "Tesla T4" -> "T4",
// "A100-SXM4-80GB" -> "A100", "GeForce RTX 4090" -> "RTX 4090". It returns ""
// when nothing but such words is left. It is a pure function.
func NormalizeGPUModel(s string) string {
	m, _ := parseGPUModel(s)
	return m
}

// parseGPUModel splits s into the canonical model and the memory size it
// names, in GiB (0 when it names none); see multicloud.ParseGPUModel.
func parseGPUModel(s string) (model string, memGiB float64) { return multicloud.ParseGPUModel(s) }
