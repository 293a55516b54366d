package aliyun

import (
	"context"
	"strings"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"

	"github.com/multicloud-ecs/multicloud/inventory"
)

// renewal is an instance's auto-renewal attribute.
type renewal struct {
	enabled bool
	months  int // the auto-renew period in months; weeks round up to a month
}

// autoRenewals returns the auto-renewal attributes of the subscription
// (PrePaid) instances of page with one DescribeInstanceAutoRenewAttribute
// call (InstanceId takes a comma-separated list; that it takes up to
// 100 IDs, a DescribeInstances page, is not confirmed). Pay-as-you-go
// instances have none: the documentation says asking for one is an error.
func (d *Discoverer) autoRenewals(ctx context.Context, region string, call inventory.CallFunc, page []listedInstance) (map[string]renewal, error) {
	var ids []string
	for i := range page {
		if page[i].InstanceChargeType == "PrePaid" {
			ids = append(ids, page[i].InstanceId)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	req := ecs.CreateDescribeInstanceAutoRenewAttributeRequest()
	req.InstanceId, req.PageSize = strings.Join(ids, ","), "100"
	var resp *ecs.DescribeInstanceAutoRenewAttributeResponse
	err := call(ctx, "DescribeInstanceAutoRenewAttribute", func(ctx context.Context) error {
		resp = ecs.CreateDescribeInstanceAutoRenewAttributeResponse()
		return d.p.do(ctx, region, productECS, req, resp)
	})
	if err != nil {
		return nil, err
	}
	out := make(map[string]renewal, len(ids))
	for _, a := range resp.InstanceRenewAttributes.InstanceRenewAttribute {
		r := renewal{enabled: a.AutoRenewEnabled || a.RenewalStatus == "AutoRenewal"}
		if r.enabled {
			switch a.PeriodUnit {
			case "Year":
				r.months = a.Duration * 12
			case "Week":
				r.months = (a.Duration*7 + 29) / 30
			default: // Month
				r.months = a.Duration
			}
		}
		out[a.InstanceId] = r
	}
	return out, nil
}
