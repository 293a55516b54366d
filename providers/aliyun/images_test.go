package aliyun_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/multicloud-ecs/multicloud"
)

// TestCheapestImageUnavailable: where the request's image is withdrawn
// from a region, every fitting candidate there is rejected as
// image_unavailable and the placements stay in the other region; the
// images are listed once per region for any number of concurrent
// decisions, then read from the cache.
func TestCheapestImageUnavailable(t *testing.T) {
	srv := newServer(t)
	srv.WithdrawImage("cn-shanghai", "ubuntu_22_04_x64_20G_alibase_20230815.vhd")
	p := newProvider(t, srv)
	reg, err := multicloud.NewRegistry(p)
	if err != nil {
		t.Fatal(err)
	}
	s := multicloud.NewCheapestScheduler()
	req := multicloud.NewCreateInstanceRequest(multicloud.WithGPU("A100", 1), multicloud.WithImage("ubuntu-22.04"))
	req.CPU, req.Memory = 12, 90
	req.Constraints = &multicloud.Constraints{Regions: []string{"cn-hangzhou", "cn-shanghai"}}
	req.Normalize()

	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if _, err := s.Schedule(testCtx(t), req, reg); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got := srv.CallCount("DescribeImages"); got != 2 {
		t.Errorf("DescribeImages calls: got %d, want 2 (one per region)", got)
	}

	e, err := s.Explain(testCtx(t), req, reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range e.Chosen {
		if c.Region != "cn-hangzhou" {
			t.Errorf("chosen %s, want only cn-hangzhou", c.Placement)
		}
	}
	unavailable := 0
	for _, c := range e.Rejected {
		fits := c.InstanceType == gn7 || c.InstanceType == gn7e // the 1×A100 types
		switch {
		case c.Region == "cn-shanghai" && fits && c.Reason != multicloud.RejectImageUnavailable:
			t.Errorf("%s: rejected as %s, want %s", c.Placement, c.Reason, multicloud.RejectImageUnavailable)
		case c.Reason == multicloud.RejectImageUnavailable:
			unavailable++
			if c.Region != "cn-shanghai" || !fits || !strings.Contains(c.Detail, "ubuntu-22.04") {
				t.Errorf("%s (%s): image_unavailable, want only fitting cn-shanghai candidates naming the key", c.Placement, c.Detail)
			}
		}
	}
	if unavailable == 0 {
		t.Error("no candidate rejected as image_unavailable")
	}
	if got := srv.CallCount("DescribeImages"); got != 2 {
		t.Errorf("DescribeImages calls after a warm decision: got %d, want 2", got)
	}

	// The same request with an image every region has places in both.
	req.ImageKey = "ubuntu-20.04"
	e, err = s.Explain(testCtx(t), req, reg)
	if err != nil {
		t.Fatal(err)
	}
	regions := map[string]bool{}
	for _, c := range e.Chosen {
		regions[c.Region] = true
	}
	if !regions["cn-shanghai"] {
		t.Errorf("chosen regions %v, want cn-shanghai among them", regions)
	}
}
