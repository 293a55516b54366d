package multicloud

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Registry maps provider codes to Providers. It is a value the caller
// builds and hands to New; there is no global registry. Codes compare
// case-insensitively ("aliyun" and "ALIYUN" are one provider). A Registry
// is safe for concurrent use.
type Registry struct {
	mu        sync.RWMutex
	providers map[string]Provider
	order     []string // registration order, lower-case codes
}

// NewRegistry returns a registry holding providers, or an error for a nil
// provider or a duplicate code.
func NewRegistry(providers ...Provider) (*Registry, error) {
	r := &Registry{}
	for _, p := range providers {
		if err := r.Register(p); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Register adds p under p.Code(). A nil provider, an empty code or a code
// already registered is ErrInvalidArgument.
func (r *Registry) Register(p Provider) error {
	if p == nil {
		return &Error{Op: "Register", Code: CodeInvalidArgument, Message: "nil provider"}
	}
	code := strings.ToLower(strings.TrimSpace(p.Code()))
	if code == "" {
		return &Error{Op: "Register", Code: CodeInvalidArgument, Message: "provider has an empty code"}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.providers[code]; dup {
		return &Error{Op: "Register", Provider: code, Code: CodeInvalidArgument, Message: "provider already registered"}
	}
	if r.providers == nil {
		r.providers = map[string]Provider{}
	}
	r.providers[code] = p
	r.order = append(r.order, code)
	return nil
}

// Get returns the provider registered under code. An unknown code is
// ErrProviderUnknown naming the known codes; it is never ErrNotFound, so
// that a reconciler cannot mistake a configuration error for instances
// that are gone.
func (r *Registry) Get(code string) (Provider, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if p, ok := r.providers[strings.ToLower(strings.TrimSpace(code))]; ok {
		return p, nil
	}
	return nil, &Error{Op: "Registry.Get", Provider: code, Code: CodeProviderUnknown,
		Message: fmt.Sprintf("unknown provider %q; registered: %s", code, r.knownLocked())}
}

// Codes returns the registered codes in registration order.
func (r *Registry) Codes() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return slices.Clone(r.order)
}

func (r *Registry) knownLocked() string {
	if len(r.order) == 0 {
		return "none"
	}
	return strings.Join(r.order, ", ")
}

// Check reports whether the provider under code is registered and, when it
// implements HealthChecker, reachable. Failures are ErrProviderUnavailable
// with the cause attached.
func (r *Registry) Check(ctx context.Context, code string) error {
	p, err := r.Get(code)
	if err != nil {
		return err
	}
	hc, ok := p.(HealthChecker)
	if !ok {
		return nil
	}
	if err := hc.CheckHealth(ctx); err != nil {
		return &Error{Op: "Registry.Check", Provider: p.Code(), Code: CodeProviderUnavail, Message: "health check failed", Err: err}
	}
	return nil
}
