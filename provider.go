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

// BatchGetter is an optional Provider capability: the state of many
// instances of one region in one call (Aliyun's DescribeInstances takes up
// to 100 IDs). Client.WaitAll polls through it, one call per region and
// round for up to BatchSize instances; without it, it falls back on Get.
type BatchGetter interface {
	// GetBatch returns the instances among ids (at most BatchSize) that
	// exist in region, keyed by ID; an ID missing from the map does not
	// exist. It fails only as a whole.
	GetBatch(ctx context.Context, region string, ids []string) (map[string]*Instance, error)
	// BatchSize is the most IDs one GetBatch call takes.
	BatchSize() int
}

// RequestValidator is an optional Provider capability: the provider's own
// defaults and rules for a request, beyond the portable ones of
// CreateInstanceRequest.Validate (disk categories, name, password and tag
// character sets, bandwidth caps, billing periods). The Client calls both
// methods on its own copy of a normalized, portably valid request, with no
// call to the cloud in between: for the request's Provider before it
// schedules, so that the provider's problems come in the same
// ErrInvalidArgument report as the portable ones, and for every
// placement's provider before it resolves there (a placement whose provider
// refuses the request is skipped like one without capacity).
//
// Implementations must be safe for concurrent use and must not call the
// cloud.
type RequestValidator interface {
	// DefaultRequest fills the provider's defaults into fields r leaves
	// zero, such as the system disk category. It changes nothing set.
	DefaultRequest(r *CreateInstanceRequest)
	// ValidateRequest returns one *FieldError per problem of r under the
	// provider's rules, in field order; nil when r is valid. It never
	// puts the password in a reason.
	ValidateRequest(r *CreateInstanceRequest) []*FieldError
}

// Candidater is an optional Provider capability: every placement in region
// that can take the request (each zone and fitting instance type), so that
// they can be quoted and compared. No scheduler of this module calls it
// yet: it is the interface the price-aware placement work builds on, and
// the fake and Aliyun providers implement it so that such a scheduler can
// be written outside this module today.
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
