package aws_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/providers/aws"
	"github.com/multicloud-ecs/multicloud/providers/sim"
)

// TestNetworkRaceTwoProcesses races two provider instances (two
// processes, no shared cache or singleflight) on one user's network in
// one emulator. CreateVpc takes no client token, so both create a VPC;
// the flow must end with one VPC and one security group for the user,
// every instance in it, and the loser's VPC and gateway deleted.
func TestNetworkRaceTwoProcesses(t *testing.T) {
	for round := range 3 {
		t.Run(fmt.Sprint("round", round), func(t *testing.T) {
			srv := newServer(t)
			srv.Cloud().SetQuota(region, sim.QuotaAddresses, 100)
			// Each process's first CreateVpc waits for the other's, so
			// that both have found no VPC: the race happens every round.
			g := &vpcGate{n: 2, open: make(chan struct{})}
			gated := func(o *aws.Options) { o.HTTPClient = &gateClient{g: g} }
			a, b := newProvider(t, srv, gated), newProvider(t, srv, gated)
			ca, cb := newClient(t, nil, a), newClient(t, nil, b)
			const perProcess = 3
			var (
				wg   sync.WaitGroup
				mu   sync.Mutex
				errs []error
				vpcs = map[string]bool{}
				all  []*multicloud.Instance
			)
			for i := range 2 * perProcess {
				c := ca
				if i%2 == 1 {
					c = cb
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					insts, err := c.CreateInstance(testCtx(t), request("tenant-r", "user-race", multicloud.WithName(fmt.Sprintf("vm-%d", i)),
						multicloud.WithPublicIP(5, multicloud.Traffic)))
					mu.Lock()
					defer mu.Unlock()
					if err != nil {
						errs = append(errs, err)
					}
					for _, in := range insts {
						vpcs[in.Network.VPCID] = true
						all = append(all, in)
					}
				}()
			}
			wg.Wait()
			for _, err := range errs {
				t.Errorf("create: %v", err)
			}
			if n := srv.Cloud().CallCount("CreateVpc"); n < 2 {
				t.Errorf("%d CreateVpc calls: the processes did not race, want 2", n)
			}
			if n := srv.Cloud().CallCount("DeleteVpc"); n != 1 {
				t.Errorf("%d DeleteVpc calls, want 1: the loser deletes its duplicate", n)
			}
			v, groups, _ := owned(srv, "user-race")
			if len(v) != 1 || len(groups) != 1 {
				t.Errorf("after the race: %d VPCs and %d security groups of the user, want 1 and 1", len(v), len(groups))
			}
			if len(vpcs) != 1 {
				t.Errorf("instances span VPCs %v, want one", vpcs)
			}
			for _, in := range all {
				if in.PublicIP == "" {
					t.Errorf("instance %s has no public address: %v", in.ID, in.Warnings)
				}
			}
		})
	}
}

// vpcGate holds CreateVpc requests until n have arrived (or ten seconds
// have passed, so that a process that found a VPC does not hang the test).
type vpcGate struct {
	mu   sync.Mutex
	n    int
	seen int
	open chan struct{}
}

func (g *vpcGate) wait() {
	g.mu.Lock()
	g.seen++
	if g.seen == g.n {
		close(g.open)
	}
	g.mu.Unlock()
	select {
	case <-g.open:
	case <-time.After(10 * time.Second):
	}
}

// gateClient sends requests, holding CreateVpc at its gate.
type gateClient struct{ g *vpcGate }

func (c *gateClient) Do(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		b, err := io.ReadAll(r.Body)
		_ = r.Body.Close()
		if err != nil {
			return nil, err
		}
		r.Body = io.NopCloser(bytes.NewReader(b))
		if form, _ := url.ParseQuery(string(b)); form.Get("Action") == "CreateVpc" {
			c.g.wait()
		}
	}
	return http.DefaultTransport.RoundTrip(r)
}
