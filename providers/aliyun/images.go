package aliyun

import (
	"context"
	"sync"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"golang.org/x/sync/singleflight"
)

// maxImagePages bounds one region's image listing (100 per page, the
// documented maximum of DescribeImages).
const maxImagePages = 50

// imageCache holds the image IDs of each region (DescribeImages) for
// Options.ImagesTTL, with one listing in flight per region whatever the
// number of callers.
type imageCache struct {
	mu      sync.Mutex
	entries map[string]imageEntry
	flight  singleflight.Group
}

type imageEntry struct {
	ids     map[string]bool
	expires time.Time
}

func (c *imageCache) cached(region string, now time.Time) (map[string]bool, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[region]
	if !ok || !now.Before(e.expires) {
		return nil, false
	}
	return e.ids, true
}

// CachedImageAvailable implements multicloud.CachedImageChecker: whether
// region has the image of key, while the region's image listing is
// younger than Options.ImagesTTL, without a call. A key the catalog does
// not know has no image anywhere.
func (p *Provider) CachedImageAvailable(region, key string) (available, known bool) {
	id, err := p.catalog.ImageID(region, key)
	if err != nil {
		return false, true
	}
	ids, ok := p.imgs.cached(region, time.Now())
	if !ok {
		return false, false
	}
	return ids[id], true
}

// ImageAvailable implements multicloud.ImageChecker: whether the image the
// catalog gives key in region (mapping.Catalog.ImageID) is among the
// region's images, listed with DescribeImages (system, own and shared
// images; pages of 100) and cached for Options.ImagesTTL, one listing for
// any number of concurrent callers. A key the catalog does not know has no
// image anywhere. Errors are the calls', classified.
func (p *Provider) ImageAvailable(ctx context.Context, region, key string) (bool, error) {
	if avail, known := p.CachedImageAvailable(region, key); known {
		return avail, nil
	}
	id, _ := p.catalog.ImageID(region, key)
	ch := p.imgs.flight.DoChan(region, func() (any, error) {
		if ids, ok := p.imgs.cached(region, time.Now()); ok {
			return ids, nil
		}
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		ids := map[string]bool{}
		for page := 1; page <= maxImagePages; page++ {
			req := ecs.CreateDescribeImagesRequest()
			req.PageSize, req.PageNumber = requests.NewInteger(100), requests.NewInteger(page)
			resp := ecs.CreateDescribeImagesResponse()
			if err := p.do(cctx, region, productECS, req, resp); err != nil {
				return nil, err
			}
			for _, im := range resp.Images.Image {
				ids[im.ImageId] = true
			}
			if len(resp.Images.Image) == 0 || page*100 >= resp.TotalCount {
				break
			}
		}
		p.imgs.mu.Lock()
		if p.imgs.entries == nil {
			p.imgs.entries = map[string]imageEntry{}
		}
		p.imgs.entries[region] = imageEntry{ids: ids, expires: time.Now().Add(p.opts.ImagesTTL)}
		p.imgs.mu.Unlock()
		return ids, nil
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			return false, res.Err
		}
		return res.Val.(map[string]bool)[id], nil
	case <-ctx.Done():
		return false, canceled("DescribeImages", region, ctx.Err())
	}
}
