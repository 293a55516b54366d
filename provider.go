package multicloud

//go:generate go run go.uber.org/mock/mockgen@v0.6.0 -destination=multicloudmock/provider.go -package=multicloudmock -typed . Provider,Scheduler

import (
	"context"

	"github.com/multicloud-ecs/multicloud/pricing"
)

// Provider is the driver interface a cloud implements; the Client is what
// applications call. A Provider does provider work only: the Client has
// already validated and normalized the request, injected the reserved tags,
// chosen the placement and derived the idempotency token, and it retries
// what is retryable. Providers classify every error they return as an
// *Error (see Code) and keep the provider's own error as its cause.
//
// Implementations must be safe for concurrent use.
type Provider interface {
	// Code returns the provider's code, e.g. "aliyun".
	Code() string

	// Resolve completes a placement for a request without creating
	// anything: the zone when p leaves it empty (one that can take the
	// type), the instance type (explicit, else from the GPU model or the
	// CPU and memory minimums, cheapest fitting first) and the image ID for
	// the request's image key. Unknown image keys or GPU models are
	// ErrInvalidArgument naming the known ones. Resolving should be stable
	// for a request and placement; the Client also remembers each plan for
	// its retries, and its token does not depend on the plan, so Create
	// must refuse a known token with other parameters (ErrIdempotencyMismatch).
	Resolve(ctx context.Context, req *CreateInstanceRequest, p Placement) (*Plan, error)

	// Quote prices a resolved plan before anything is created.
	Quote(ctx context.Context, req pricing.Request) (*pricing.Quote, error)

	// Create creates spec.Request.Quantity instances as planned, with the
	// user's network provisioned on the way. It is idempotent on
	// spec.Token: a repeated call returns the instances of the first
	// instead of creating more. When only some instances could be created
	// it returns them together with an error; it never drops the ID of an
	// instance that exists. Failed post-create steps (ports, public
	// address) are Warnings on the instances, not errors. A call that
	// creates something billable and was sent before ctx ended must be
	// settled (its outcome learned, detached from ctx) and what it created
	// returned, so that the Client can release it for a caller that has
	// gone. Create does not retry throttling or server errors: the Client
	// does.
	Create(ctx context.Context, spec *CreateSpec) ([]*Instance, error)

	// Get returns one instance; a missing one is ErrNotFound.
	Get(ctx context.Context, region, id string) (*Instance, error)

	// List returns one page of the instances in q.Region that match q.
	List(ctx context.Context, q ListQuery) (*InstancePage, error)

	// Start starts a stopped instance. An instance in a state that does
	// not allow it is ErrConflict.
	Start(ctx context.Context, region, id string) error
	// Stop stops a running instance; force skips the guest shutdown.
	Stop(ctx context.Context, region, id string, force bool) error
	// Reboot restarts a running instance; force skips the guest shutdown.
	Reboot(ctx context.Context, region, id string, force bool) error
	// Delete releases an instance and the public address allocated for it.
	// force releases a running instance; without it a running instance is
	// ErrConflict. Deleting a missing instance is ErrNotFound. The address
	// is found before the instance is deleted and released even when the
	// delete's response was lost; one that cannot be released is an
	// ErrConflict naming it (not retryable: a retry would find no
	// instance).
	Delete(ctx context.Context, region, id string, force bool) error
}

// RegionLister is an optional Provider capability: the regions it serves.
// The Client uses it to list instances across regions.
type RegionLister interface {
	Regions(ctx context.Context) ([]string, error)
}

// HealthChecker is an optional Provider capability: a cheap call that
// proves the provider is reachable with its credentials. Registry.Check
// uses it.
type HealthChecker interface {
	CheckHealth(ctx context.Context) error
}

// Candidater is an optional Provider capability used by price-aware
// schedulers: every placement in region that can take the request (each
// zone and fitting instance type), so they can be quoted and compared.
type Candidater interface {
	Candidates(ctx context.Context, req *CreateInstanceRequest, region string) ([]Placement, error)
}

// Placement is where an instance is to be created. A scheduler may leave
// Zone and InstanceType empty for the provider to resolve.
type Placement struct {
	Provider     string `json:"provider"`
	Region       string `json:"region"`
	Zone         string `json:"zone,omitempty"`
	InstanceType string `json:"instanceType,omitempty"`
}

// String returns "provider/region/zone/type" with "-" for empty parts.
func (p Placement) String() string {
	dash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	return dash(p.Provider) + "/" + dash(p.Region) + "/" + dash(p.Zone) + "/" + dash(p.InstanceType)
}

// Plan is a resolved placement: every field set.
type Plan struct {
	Placement
	ImageID string `json:"imageId"`
}

// CreateSpec is what the Client hands a Provider's Create: the normalized
// request with its reserved tags in Tags, the resolved plan, and the
// idempotency token for this placement (at most 64 ASCII characters).
type CreateSpec struct {
	Request *CreateInstanceRequest
	Plan    Plan
	// Tags are the tags to put on every created resource: the request's
	// own and the reserved ones.
	Tags  map[string]string
	Token string
}

// ListQuery selects instances in one region of one provider.
type ListQuery struct {
	Region string
	// Tags must all match (exact key and value).
	Tags map[string]string
	// Status, when set, keeps only instances in that state.
	Status Status
	// PageToken continues a listing; empty starts it.
	PageToken string
	// PageSize is a hint; providers cap it (Aliyun at 100).
	PageSize int
}

// InstancePage is one page of a listing.
type InstancePage struct {
	Instances []*Instance
	// NextToken continues the listing; empty on the last page.
	NextToken string
}
