package conformance_test

import (
	"context"
	"testing"
	"time"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/network"
	"github.com/multicloud-ecs/multicloud/providers/aliyun"
	"github.com/multicloud-ecs/multicloud/providers/aliyun/aliyuntest"
	"github.com/multicloud-ecs/multicloud/providers/fake"
	"github.com/multicloud-ecs/multicloud/providers/sim"
)

// TestOneCloudTwoFaces serves one simulated cloud through the fake and
// the Aliyun emulator at once: what one face does, the other sees.
func TestOneCloudTwoFaces(t *testing.T) {
	t.Parallel()
	const region, zone, typ = "cn-hangzhou", "cn-hangzhou-h", "ecs.g7.large"
	cloud := sim.New(func(o *sim.Options) {
		o.IDs = aliyuntest.CloudIDs
		o.TransitionDelay = 2 * time.Millisecond
	})
	fp := fake.New(func(o *fake.Options) {
		o.Cloud = cloud
		o.Network = []func(*network.Options){func(n *network.Options) { n.PollInterval = time.Millisecond }}
	})
	srv := aliyuntest.NewServer(aliyuntest.WithCloud(cloud))
	t.Cleanup(srv.Close)
	ap, err := aliyun.New(func(o *aliyun.Options) {
		o.Endpoint, o.Scheme = srv.Host(), "HTTP"
		o.AccessKeyID, o.AccessKeySecret = aliyuntest.DefaultAccessKeyID, aliyuntest.DefaultAccessKeySecret
		o.Network = []func(*network.Options){func(n *network.Options) { n.PollInterval = time.Millisecond }}
	})
	if err != nil {
		t.Fatalf("aliyun.New: %v", err)
	}
	reg, err := multicloud.NewRegistry(fp, ap)
	if err != nil {
		t.Fatalf("NewRegistry: %v", err)
	}
	c, err := multicloud.New(reg, multicloud.UsePollInterval(time.Millisecond), multicloud.UseWaitForRunning(true, 20*time.Second))
	if err != nil {
		t.Fatalf("multicloud.New: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	ins, err := c.CreateInstance(ctx, multicloud.NewCreateInstanceRequest(
		multicloud.WithProvider(fp.Code()), multicloud.WithPlacement(region, zone),
		multicloud.WithOwner("t1", "alice"), multicloud.WithName("vm"),
		multicloud.WithImage("ubuntu-22.04"), multicloud.WithInstanceType(typ)))
	if err != nil || len(ins) != 1 {
		t.Fatalf("create through the fake: %d instances, %v", len(ins), err)
	}
	viaFake := ins[0].Ref()
	viaAliyun := multicloud.InstanceRef{Provider: ap.Code(), Region: viaFake.Region, ID: viaFake.ID}

	steps := []struct {
		name string
		act  func() error
		ref  multicloud.InstanceRef // the face that looks
		want multicloud.Status
	}{
		{"created by the fake, seen by aliyun", nil, viaAliyun, multicloud.StatusRunning},
		{"stopped by aliyun, seen by the fake", func() error { return c.Stop(ctx, viaAliyun) }, viaFake, multicloud.StatusStopped},
		{"started by the fake, seen by aliyun", func() error { return c.Start(ctx, viaFake) }, viaAliyun, multicloud.StatusRunning},
	}
	for _, st := range steps {
		if st.act != nil {
			if err := st.act(); err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
		}
		in, err := c.Wait(ctx, st.ref, st.want, 20*time.Second)
		if err != nil || in.Status != st.want {
			t.Fatalf("%s: got %v, %v; want %s", st.name, in, err, st.want)
		}
	}
	if err := c.Delete(ctx, viaAliyun, multicloud.Force()); err != nil {
		t.Fatalf("delete through aliyun: %v", err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, err := c.Get(ctx, viaFake)
		if multicloud.CodeOf(err) == multicloud.CodeNotFound {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the fake still sees the instance aliyun deleted: %v", err)
		}
		time.Sleep(time.Millisecond)
	}
}
