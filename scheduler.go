package multicloud

import (
	"context"
	"errors"
	"fmt"
)

// Scheduler chooses where a request's instances go. Schedule returns
// placements in order of preference; the Client tries them in that order,
// moving to the next when one lacks capacity (ErrNoStock, ErrQuotaExceeded).
// A Scheduler must be safe for concurrent use and must return the same
// placements for the same request, so that a retried request reaches the
// same placement and its idempotency token.
type Scheduler interface {
	Schedule(ctx context.Context, req *CreateInstanceRequest, reg *Registry) ([]Placement, error)
}

// RequestChecker is an optional Scheduler capability: fields the scheduler
// needs in a request, reported with the request's own validation errors.
type RequestChecker interface {
	CheckRequest(req *CreateInstanceRequest) []*FieldError
}

// FixedScheduler places a request exactly where it says: its provider
// (required), region, zone and instance type. It is the default Scheduler.
type FixedScheduler struct{}

// CheckRequest requires the provider field.
func (FixedScheduler) CheckRequest(req *CreateInstanceRequest) []*FieldError {
	if req.Provider == "" {
		return []*FieldError{{Field: "provider", Reason: "is required by the fixed scheduler"}}
	}
	return nil
}

// Schedule returns the request's own placement. A provider that is not
// registered is ErrProviderUnknown.
func (FixedScheduler) Schedule(ctx context.Context, req *CreateInstanceRequest, reg *Registry) ([]Placement, error) {
	if req.Provider == "" {
		return nil, &Error{Op: "Schedule", Code: CodeInvalidArgument, Message: "provider is required by the fixed scheduler"}
	}
	p, err := reg.Get(req.Provider)
	if err != nil {
		return nil, err
	}
	return []Placement{{Provider: p.Code(), Region: req.Region, Zone: req.Zone, InstanceType: req.InstanceType}}, nil
}

// FailoverScheduler tries the caller's placements in order. Fields a
// placement leaves empty are taken from the request (region, zone,
// instance type), so a list of zones or of instance types is enough.
// Placements naming unregistered providers are skipped; when none is left
// the result is ErrNoPlacement.
type FailoverScheduler struct {
	Placements []Placement
}

// Schedule returns the configured placements, completed from the request.
func (s FailoverScheduler) Schedule(ctx context.Context, req *CreateInstanceRequest, reg *Registry) ([]Placement, error) {
	out := make([]Placement, 0, len(s.Placements))
	var skipped []error
	for _, p := range s.Placements {
		if p.Provider == "" {
			p.Provider = req.Provider
		}
		prov, err := reg.Get(p.Provider)
		if err != nil {
			skipped = append(skipped, err)
			continue
		}
		p.Provider = prov.Code()
		if p.Region == "" {
			p.Region = req.Region
		}
		if p.Zone == "" {
			p.Zone = req.Zone
		}
		if p.InstanceType == "" {
			p.InstanceType = req.InstanceType
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		return nil, &Error{Op: "Schedule", Code: CodeNoPlacement,
			Message: fmt.Sprintf("none of %d placements is usable", len(s.Placements)), Err: errors.Join(skipped...)}
	}
	return out, nil
}
