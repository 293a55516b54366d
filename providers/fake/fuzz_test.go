package fake_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/providers/fake"
)

// FuzzCreateFromJSON reads a request from JSON as an order system would
// store it, validates it, and quotes and creates it on the fake. Whatever
// the input: nothing panics; an invalid request is ErrInvalidArgument and
// creates nothing; every other failure is classified; every instance
// created carries the request's tenant and owner in the reserved tags and
// no look-alike of them; and no error shows the password.
func FuzzCreateFromJSON(f *testing.F) {
	for _, seed := range []string{
		`{"provider":"fake","region":"cn-hangzhou","tenantId":"t1","userId":"u1","instanceName":"vm","imageKey":"pytorch-1.12","gpuModel":"A10"}`,
		`{"provider":"fake","region":"cn-hangzhou","tenantId":"t1","userId":"u1","instanceName":"vm","imageKey":"ubuntu-22.04","cpu":2,"memory":4,"quantity":3,"allocatePublicIp":true,"openPorts":[22,80]}`,
		`{"provider":"fake","region":"cn-hangzhou","tenantId":"t1","userId":"u1","instanceName":"vm","imageKey":"ubuntu-22.04","cpu":2,"tags":{"Owner\u200b":"u2","team":"ml"}}`,
		`{"provider":"fake","region":"cn-hangzhou","tenantId":"t1","userId":"u1","instanceName":"vm","imageKey":"ubuntu-22.04","instanceType":"ecs.g7.large","instanceChargeMode":"PREPAID","duration":12}`,
		`{"provider":"fake","region":"nowhere","tenantId":"","userId":"u1","quantity":1000,"systemDiskSize":-1}`,
		`{}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var req multicloud.CreateInstanceRequest
		if err := json.Unmarshal(data, &req); err != nil {
			return
		}
		const password = "Fuzz-Pa55word!"
		req.Password = password
		p := fake.New()
		c := newClient(t, p, multicloud.UseWaitForRunning(false, 0))
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		r := req.Clone()
		r.Normalize()
		verr := r.Validate()
		_, qerr := c.Quote(ctx, &req)
		insts, cerr := c.CreateInstance(ctx, &req)
		for _, err := range []error{verr, qerr, cerr} {
			if err != nil && strings.Contains(err.Error(), password) {
				t.Fatalf("error shows the password: %v", err)
			}
		}
		if verr != nil {
			if !errors.Is(cerr, multicloud.ErrInvalidArgument) || len(insts) != 0 {
				t.Fatalf("invalid request (%v): create got %d instances and %v, want ErrInvalidArgument", verr, len(insts), cerr)
			}
			if a := p.Audit(); len(a.Instances) != 0 {
				t.Fatalf("invalid request created instances: %v", a.Instances)
			}
			return
		}
		if cerr != nil && multicloud.CodeOf(cerr) == multicloud.CodeUnknown {
			t.Fatalf("unclassified create error: %v", cerr)
		}
		for _, in := range insts {
			if in.Tags[multicloud.TagTenant] != r.TenantID || in.Tags[multicloud.TagOwner] != r.UserID || len(in.Tags[multicloud.TagToken]) != 64 {
				t.Fatalf("instance tags %v, want tenant %q, owner %q and the create's token", in.Tags, r.TenantID, r.UserID)
			}
			for k := range in.Tags {
				if multicloud.IsReservedTag(k) && !slices.Contains(multicloud.ReservedTags(), k) {
					t.Fatalf("instance carries the look-alike reserved key %q", k)
				}
			}
		}
	})
}
