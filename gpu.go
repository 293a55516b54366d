package multicloud

import (
	"strconv"
	"strings"
)

// ParseGPUModel splits a GPU model as users, consoles and provider APIs
// write it into its canonical name and the memory size it names in GiB (0
// when it names none). The canonical name is upper case, without the
// vendor or product line ("NVIDIA", "Tesla", "GeForce"), form factor
// ("SXM4", "PCIe") or memory size ("80GB"), with the remaining words joined
// by one space: "NVIDIA A100" -> "A100", "A100-SXM4-80GB" -> ("A100", 80),
// "GeForce RTX 4090" -> "RTX 4090". It returns "" when nothing but such
// words is left. It is a pure function; mapping.NormalizeGPUModel and the
// placement requirements both use it, so a catalog and a request agree.
func ParseGPUModel(s string) (model string, memGiB float64) {
	fields := strings.FieldsFunc(strings.ToUpper(s), func(r rune) bool {
		return r == ' ' || r == '-' || r == '_' || r == '/' || r == '\t'
	})
	var kept []string
	for _, f := range fields {
		switch f {
		case "NVIDIA", "TESLA", "GEFORCE", "SXM", "SXM2", "SXM3", "SXM4", "SXM5", "PCIE", "GPU":
			continue
		}
		if m, ok := gpuMemorySize(f); ok {
			memGiB = m
			continue
		}
		kept = append(kept, f)
	}
	return strings.Join(kept, " "), memGiB
}

// gpuMemorySize parses "80G", "80GB" or "80GIB" into 80.
func gpuMemorySize(f string) (float64, bool) {
	for _, suffix := range []string{"GIB", "GB", "G"} {
		if n, ok := strings.CutSuffix(f, suffix); ok && n != "" {
			v, err := strconv.ParseFloat(n, 64)
			return v, err == nil && v > 0
		}
	}
	return 0, false
}
