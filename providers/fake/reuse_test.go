package fake_test

import (
	"testing"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/providers/fake"
)

// TestCreateDeleteLoop: a user's switch takes new instances for good
// while old ones are deleted, as a test loop of creates and deletes needs.
func TestCreateDeleteLoop(t *testing.T) {
	t.Parallel()
	p := fake.New()
	c := newClient(t, p)
	for i := range 300 { // more than a /24 switch's 250 addresses
		in := createOne(t, c, gpuRequest("u1"))
		if err := c.Delete(testCtx(t), in.Ref(), multicloud.Force()); err != nil {
			t.Fatalf("delete %d: %v", i, err)
		}
	}
}
