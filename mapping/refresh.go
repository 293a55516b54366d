package mapping

import (
	"context"
	"errors"
	"fmt"

	"github.com/multicloud-ecs/multicloud"
)

// Source lists a provider's instance types with their current specs, for
// instance from Aliyun's DescribeInstanceTypes (InstanceTypeId,
// InstanceTypeFamily, CpuCoreCount, MemorySize, GPUSpec, GPUAmount,
// GPUMemorySize). GPUModel may be spelled as the provider does ("NVIDIA
// A10"); Refresh normalizes it. Sources rarely know prices and leave
// HourlyPrice zero.
type Source interface {
	InstanceTypes(ctx context.Context) ([]InstanceType, error)
}

// Refresh merges the instance types of src into the catalog. For a type the
// catalog knows, the provider's specs (family, vCPU, memory, GPU model,
// count and memory) replace the catalog's, and the catalog's reference
// price is kept unless the source gives a positive one. Unknown types are
// added, with an unknown price unless the source gives one; types the
// source does not list are kept, since a source may cover only some
// families or regions. Images are not touched.
//
// Refresh is all or nothing: when src fails, or returns an invalid or
// duplicated type (an error matching multicloud.ErrInvalidArgument), the
// catalog is unchanged. Readers see either the old or the new catalog,
// never a half-merged one. src is called without holding the catalog's
// lock.
func (c *Catalog) Refresh(ctx context.Context, src Source) error {
	got, err := src.InstanceTypes(ctx)
	if err != nil {
		return fmt.Errorf("refresh instance types: %w", err)
	}
	fresh := make(map[string]InstanceType, len(got))
	var errs []error
	for _, t := range got {
		t, err := normalizeType(t)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if _, dup := fresh[t.ID]; dup {
			errs = append(errs, fmt.Errorf("duplicate instance type %q", t.ID))
			continue
		}
		fresh[t.ID] = t
	}
	if len(errs) > 0 {
		return multicloud.Errorf(multicloud.CodeInvalidArgument, "refresh instance types: %w", errors.Join(errs...))
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	for id, t := range fresh {
		if old, ok := c.types[id]; ok && t.HourlyPrice == 0 {
			t.HourlyPrice = old.HourlyPrice
		}
		c.types[id] = t
	}
	return nil
}
