package fake_test

import (
	"context"
	"testing"
	"time"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/providers/fake"
)

// newClient returns a Client over p with fast polling and retries.
func newClient(t testing.TB, p *fake.Provider, opts ...multicloud.ClientOption) *multicloud.Client {
	t.Helper()
	reg, err := multicloud.NewRegistry(p)
	if err != nil {
		t.Fatalf("NewRegistry: %v", err)
	}
	c, err := multicloud.New(reg, append([]multicloud.ClientOption{
		multicloud.UsePollInterval(time.Millisecond),
		multicloud.UseRetryPolicy(multicloud.RetryPolicy{MaxAttempts: 4, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}),
	}, opts...)...)
	if err != nil {
		t.Fatalf("multicloud.New: %v", err)
	}
	return c
}

// gpuRequest asks for one A10 instance in cn-hangzhou for user.
func gpuRequest(user string, opts ...multicloud.RequestOption) *multicloud.CreateInstanceRequest {
	return multicloud.NewCreateInstanceRequest(append([]multicloud.RequestOption{
		multicloud.WithProvider("fake"),
		multicloud.WithPlacement("cn-hangzhou", ""),
		multicloud.WithOwner("tenant-1", user),
		multicloud.WithName("train-job"),
		multicloud.WithImage("pytorch-1.12"),
		multicloud.WithGPU("A10", 1),
	}, opts...)...)
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// createOne creates one instance through c and fails t on error.
func createOne(t testing.TB, c *multicloud.Client, req *multicloud.CreateInstanceRequest) *multicloud.Instance {
	t.Helper()
	insts, err := c.CreateInstance(testCtx(t), req)
	if err != nil || len(insts) != 1 {
		t.Fatalf("CreateInstance: got %d instances, %v; want 1, nil", len(insts), err)
	}
	return insts[0]
}
