package aliyun_test

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/providers/aliyun"
	"github.com/multicloud-ecs/multicloud/providers/aliyun/aliyuntest"
)

func TestGetBatch(t *testing.T) {
	srv := newServer(t)
	rec := newRecorder()
	p := newProvider(t, srv, func(o *aliyun.Options) { o.Transport = rec })
	c := newClient(t, p)
	insts, err := c.CreateInstance(testCtx(t), request("t1", "u1", multicloud.WithQuantity(3)))
	if err != nil {
		t.Fatalf("CreateInstance: %v", err)
	}
	ids := []string{"i-missing000000000000"}
	for _, in := range insts {
		ids = append(ids, in.ID)
	}
	rec.reset()
	got, err := p.GetBatch(testCtx(t), "cn-hangzhou", ids)
	if err != nil {
		t.Fatalf("GetBatch: %v", err)
	}
	for _, in := range insts {
		if g, ok := got[in.ID]; !ok || g.Status != multicloud.StatusRunning || g.UserID != "u1" {
			t.Errorf("GetBatch[%s]: got %+v, want the Running instance of u1", in.ID, g)
		}
	}
	if _, ok := got["i-missing000000000000"]; ok || len(got) != 3 {
		t.Errorf("GetBatch: got %d instances, want the 3 that exist", len(got))
	}
	var actions []string
	for _, call := range rec.calls() {
		actions = append(actions, call.action)
	}
	if !slices.Equal(actions, []string{"DescribeInstances"}) {
		t.Errorf("calls: got %v, want one DescribeInstances", actions)
	}

	// With WaitForRunning, a create of several instances waits with one
	// DescribeInstances of all of them per round, never one per instance.
	srv2 := newServer(t, aliyuntest.WithTransitionDelay(30*time.Millisecond))
	rec2 := newRecorder()
	p2 := newProvider(t, srv2, func(o *aliyun.Options) { o.Transport = rec2 })
	if _, err := newClient(t, p2).CreateInstance(testCtx(t), request("t1", "u2", multicloud.WithQuantity(4))); err != nil {
		t.Fatalf("CreateInstance: %v", err)
	}
	polls := 0
	for _, call := range rec2.calls() {
		if call.action != "DescribeInstances" || call.query.Get("InstanceIds") == "" {
			continue
		}
		var asked []string
		if err := json.Unmarshal([]byte(call.query.Get("InstanceIds")), &asked); err != nil {
			t.Fatalf("InstanceIds %q: %v", call.query.Get("InstanceIds"), err)
		}
		if len(asked) != 4 || call.query.Get("PageSize") != "100" {
			t.Errorf("DescribeInstances: got %d ids with PageSize %q, want all 4 with PageSize 100", len(asked), call.query.Get("PageSize"))
		}
		polls++
	}
	if polls == 0 {
		t.Errorf("DescribeInstances polls: got none, want the wait for Running to poll")
	}
	if _, err := p.GetBatch(testCtx(t), "cn-hangzhou", make([]string, aliyun.MaxBatch+1)); err == nil {
		t.Errorf("GetBatch of %d ids: got nil error, want ErrInvalidArgument", aliyun.MaxBatch+1)
	}
}
