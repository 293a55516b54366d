package aliyuntest

import (
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/google/go-cmp/cmp"
)

// availability returns type → "Status/StatusCategory" in zone for a charge
// mode, as DescribeAvailableResource answers it.
func availability(t *testing.T, c *clients, zone, chargeType, spot string) map[string]string {
	t.Helper()
	ar := ecs.CreateDescribeAvailableResourceRequest()
	ar.DestinationResource = "InstanceType"
	ar.ZoneId = zone
	ar.InstanceChargeType = chargeType
	ar.SpotStrategy = spot
	resp, err := c.ecs.DescribeAvailableResource(ar)
	must(t, err)
	got := map[string]string{}
	for _, z := range resp.AvailableZones.AvailableZone {
		got["zone"] = z.Status + "/" + z.StatusCategory
		for _, r := range z.AvailableResources.AvailableResource {
			for _, s := range r.SupportedResources.SupportedResource {
				got[s.Value] = s.Status + "/" + s.StatusCategory
			}
		}
	}
	return got
}

func TestStockMatrixPerChargeMode(t *testing.T) {
	c := newClients(t)
	n := c.network(t, testRegion)
	const typ = "ecs.g7.large"
	c.srv.SetStockCategory(testRegion, n.zone, typ, ChargePostPaid, ClosedWithStock)
	c.srv.SetStockCategory(testRegion, n.zone, typ, ChargePrePaid, WithoutStock)
	c.srv.SetStockCategory(testRegion, n.zone, typ, ChargeSpot, ClosedWithoutStock)

	tests := []struct {
		name, chargeType, spot, want string
	}{
		{"default is PostPaid", "", "", "Available/ClosedWithStock"},
		{"PostPaid", "PostPaid", "NoSpot", "Available/ClosedWithStock"},
		{"PrePaid", "PrePaid", "", "SoldOut/WithoutStock"},
		{"spot", "PostPaid", "SpotAsPriceGo", "SoldOut/ClosedWithoutStock"},
		{"spot with limit", "", "SpotWithPriceLimit", "SoldOut/ClosedWithoutStock"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := availability(t, c, n.zone, tt.chargeType, tt.spot)
			if got[typ] != tt.want {
				t.Errorf("got %s, want %s", got[typ], tt.want)
			}
			if got["ecs.g7.xlarge"] != "Available/WithStock" {
				t.Errorf("other type: got %s, want Available/WithStock", got["ecs.g7.xlarge"])
			}
			if got["zone"] != "Available/WithStock" {
				t.Errorf("zone: got %s, want Available/WithStock (other types have stock)", got["zone"])
			}
		})
	}

	// RunInstances honours the matrix per charge mode.
	if ids := c.run(t, n, 1); len(ids) != 1 {
		t.Fatalf("PostPaid ClosedWithStock: got %d instances, want 1", len(ids))
	}
	r := runRequest(n, 1)
	r.InstanceChargeType = "PrePaid"
	r.Period = requests.NewInteger(1)
	_, err := c.ecs.RunInstances(r)
	wantCode(t, err, "OperationDenied.NoStock", 403)
	r = runRequest(n, 1)
	r.SpotStrategy = "SpotAsPriceGo"
	_, err = c.ecs.RunInstances(r)
	wantCode(t, err, "OperationDenied.NoStock", 403)

	// An empty category falls back to the count.
	c.srv.SetStockCategory(testRegion, n.zone, typ, ChargePrePaid, "")
	c.srv.SetStock(testRegion, n.zone, typ, 0)
	want := map[string]string{typ: "SoldOut/WithoutStock"}
	got := availability(t, c, n.zone, "PrePaid", "")
	if diff := cmp.Diff(want[typ], got[typ]); diff != "" {
		t.Errorf("count 0 (-want +got):\n%s", diff)
	}
	// A count of 0 refuses even where the answer says WithStock (a wrong answer).
	_, err = c.ecs.RunInstances(runRequest(n, 1))
	wantCode(t, err, "OperationDenied.NoStock", 403)
}

func TestStockZoneCategory(t *testing.T) {
	c := newClients(t)
	zone := c.srv.st.regions[testRegion].zones[1]
	for _, typ := range instanceTypes {
		c.srv.SetStockCategory(testRegion, zone, typ.id, ChargePostPaid, ClosedWithoutStock)
	}
	c.srv.SetStockCategory(testRegion, zone, instanceTypes[0].id, ChargePostPaid, ClosedWithStock)
	if got := availability(t, c, zone, "PostPaid", "")["zone"]; got != "Available/ClosedWithStock" {
		t.Errorf("got %s, want Available/ClosedWithStock (the best of its types)", got)
	}
	c.srv.SetStockCategory(testRegion, zone, instanceTypes[0].id, ChargePostPaid, ClosedWithoutStock)
	if got := availability(t, c, zone, "PostPaid", "")["zone"]; got != "SoldOut/ClosedWithoutStock" {
		t.Errorf("got %s, want SoldOut/ClosedWithoutStock", got)
	}
	ar := ecs.CreateDescribeAvailableResourceRequest()
	ar.DestinationResource = "InstanceType"
	ar.InstanceChargeType = "Free"
	_, err := c.ecs.DescribeAvailableResource(ar)
	wantCode(t, err, "InvalidParameter", 400)
}
