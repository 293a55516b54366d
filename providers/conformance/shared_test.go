package conformance_test

import (
	"context"
	"testing"
	"time"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/network"
	"github.com/multicloud-ecs/multicloud/providers/aliyun"
	"github.com/multicloud-ecs/multicloud/providers/aliyun/aliyuntest"
	"github.com/multicloud-ecs/multicloud/providers/aws"
	"github.com/multicloud-ecs/multicloud/providers/aws/awstest"
	"github.com/multicloud-ecs/multicloud/providers/fake"
	"github.com/multicloud-ecs/multicloud/providers/sim"
)

// TestOneCloudTwoFaces serves one simulated cloud through the fake and
// the Aliyun emulator at once: what one face does, the other sees.
func TestOneCloudTwoFaces(t *testing.T) {
	t.Parallel()
	cloud := sim.New(func(o *sim.Options) {
		o.IDs = aliyuntest.CloudIDs
		o.TransitionDelay = 2 * time.Millisecond
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
	twoFaces(t, cloud, ap, "aliyun", "cn-hangzhou", "cn-hangzhou-h", "ecs.g7.large")
}

// TestOneCloudFakeAndAWS serves one simulated cloud, set up as AWS
// (awstest.NewCloud: its regions, zone IDs and instance IDs), through the
// fake and the AWS emulator at once. The Aliyun and AWS emulators cannot
// share one cloud: their regions and zones have different names and each
// wants its own ID shape (aliyuntest.CloudIDs, "i-" and 17 hex digits).
func TestOneCloudFakeAndAWS(t *testing.T) {
	t.Parallel()
	cloud := awstest.NewCloud(func(o *sim.Options) { o.TransitionDelay = 2 * time.Millisecond })
	srv := awstest.New(func(o *awstest.Options) { o.Cloud = cloud })
	t.Cleanup(srv.Close)
	wp, err := aws.New(context.Background(), func(o *aws.Options) {
		o.BaseEndpoint, o.HomeRegion, o.HTTPClient = srv.URL(), "us-east-1", srv.HTTPClient()
		o.AccessKeyID, o.SecretAccessKey = awstest.DefaultAccessKeyID, multicloud.Secret(awstest.DefaultSecretAccessKey)
		o.Network = []func(*network.Options){func(n *network.Options) { n.PollInterval = time.Millisecond }}
	})
	if err != nil {
		t.Fatalf("aws.New: %v", err)
	}
	twoFaces(t, cloud, wp, "aws", "us-east-1", "us-east-1a", "m5.large")
}

// twoFaces creates an instance through the fake over cloud and checks
// that other, a provider over another face of cloud, sees it and what it
// does to it, and the other way round, until it is deleted.
func twoFaces(t *testing.T, cloud *sim.Cloud, other multicloud.Provider, name, region, zone, typ string) {
	fp := fake.New(func(o *fake.Options) {
		o.Cloud = cloud
		o.Network = []func(*network.Options){func(n *network.Options) { n.PollInterval = time.Millisecond }}
	})
	// The fake sells typ there (its catalog is Aliyun's; AWS types are
	// sold once named to SetStock).
	fp.SetStock(region, zone, typ, 100)
	reg, err := multicloud.NewRegistry(fp, other)
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
	viaOther := multicloud.InstanceRef{Provider: other.Code(), Region: viaFake.Region, ID: viaFake.ID}

	steps := []struct {
		name string
		act  func() error
		ref  multicloud.InstanceRef // the face that looks
		want multicloud.Status
	}{
		{"created by the fake, seen by " + name, nil, viaOther, multicloud.StatusRunning},
		{"stopped by " + name + ", seen by the fake", func() error { return c.Stop(ctx, viaOther) }, viaFake, multicloud.StatusStopped},
		{"started by the fake, seen by " + name, func() error { return c.Start(ctx, viaFake) }, viaOther, multicloud.StatusRunning},
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
	if err := c.Delete(ctx, viaOther, multicloud.Force()); err != nil {
		t.Fatalf("delete through %s: %v", name, err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, err := c.Get(ctx, viaFake)
		if multicloud.CodeOf(err) == multicloud.CodeNotFound {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the fake still sees the instance %s deleted: %v", name, err)
		}
		time.Sleep(time.Millisecond)
	}
}
