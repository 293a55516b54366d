package fake

import (
	"fmt"
	"slices"
	"strings"

	"github.com/multicloud-ecs/multicloud"
)

// DefaultSystemDiskType is the system disk category the fake gives a
// request that names none.
const DefaultSystemDiskType = "cloud_essd"

// diskCategories are the system disk categories the fake sells, as the
// cloud it simulates names them.
var diskCategories = []string{"cloud", "cloud_auto", "cloud_efficiency", "cloud_essd", "cloud_essd_entry", "cloud_ssd"}

var _ multicloud.RequestValidator = (*Provider)(nil)

// DefaultRequest gives a request without a system disk category the
// fake's default, DefaultSystemDiskType.
func (p *Provider) DefaultRequest(r *multicloud.CreateInstanceRequest) {
	if r.SystemDiskType == "" {
		r.SystemDiskType = DefaultSystemDiskType
	}
}

// ValidateRequest refuses a system disk category the fake does not sell.
// The fake holds no other rules beyond the portable ones, so that users'
// tests fail on what every cloud refuses. It is safe for concurrent use.
func (p *Provider) ValidateRequest(r *multicloud.CreateInstanceRequest) []*multicloud.FieldError {
	if !slices.Contains(diskCategories, r.SystemDiskType) {
		return []*multicloud.FieldError{{Field: "systemDiskType",
			Reason: fmt.Sprintf("unknown category %q; known: %s", r.SystemDiskType, strings.Join(diskCategories, ", "))}}
	}
	return nil
}
