package aws

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/multicloud-ecs/multicloud"
)

// ImageQuery is how DescribeImages finds the AMI of an image key in a
// region: images of Owners whose name matches Name (with * and ?
// wildcards), available, x86_64; the newest by creation date wins.
type ImageQuery struct {
	Owners []string
	Name   string
}

// DefaultImages returns the DescribeImages queries of the catalog's image
// keys, a new map on each call. The name patterns follow public usage and
// are not confirmed against AWS documentation; a key whose query finds
// nothing falls back
// to the catalog's image ID (a "resolve:ssm:" public parameter that
// RunInstances resolves at launch).
func DefaultImages() map[string]ImageQuery {
	return map[string]ImageQuery{
		"ubuntu-22.04":      {Owners: []string{"099720109477"}, Name: "ubuntu/images/hvm-ssd*/ubuntu-jammy-22.04-amd64-server-*"},
		"ubuntu-20.04":      {Owners: []string{"099720109477"}, Name: "ubuntu/images/hvm-ssd*/ubuntu-focal-20.04-amd64-server-*"},
		"amazon-linux-2023": {Owners: []string{"amazon"}, Name: "al2023-ami-2023.*-kernel-*-x86_64"},
		"dlami-base":        {Owners: []string{"amazon"}, Name: "Deep Learning Base OSS Nvidia Driver GPU AMI (Ubuntu 22.04) *"},
		"pytorch-2.7":       {Owners: []string{"amazon"}, Name: "Deep Learning OSS Nvidia Driver AMI GPU PyTorch 2.7* (Ubuntu 22.04) *"},
	}
}

type imageKey struct{ region, key string }

type imageHit struct {
	id      string
	root    string // root device name
	expires time.Time
}

// imageID returns the AMI of an image key in region: an AMI ID or a
// "resolve:ssm:" parameter given as the key is used as is; otherwise the
// newest image DescribeImages finds with the key's ImageQuery (cached per
// region and key for Options.ImageTTL), else the catalog's image ID. An
// unknown key is ErrInvalidArgument naming the known ones.
func (p *Provider) imageID(ctx context.Context, region, key string) (string, error) {
	if strings.HasPrefix(key, "ami-") || strings.HasPrefix(key, "resolve:ssm:") {
		return key, nil
	}
	k := imageKey{region, strings.ToLower(strings.TrimSpace(key))}
	p.mu.Lock()
	hit, ok := p.images[k]
	p.mu.Unlock()
	if ok && time.Now().Before(hit.expires) {
		return hit.id, nil
	}
	fallback, ferr := p.catalog.ImageID(region, key)
	q, known := p.opts.Images[k.key]
	if !known {
		if ferr != nil {
			return "", wrapErr("Resolve", region, ferr)
		}
		return fallback, nil
	}
	out, err := call(ctx, p, region, "DescribeImages", func(ctx context.Context, c *ec2.Client) (*ec2.DescribeImagesOutput, error) {
		return c.DescribeImages(ctx, &ec2.DescribeImagesInput{Owners: q.Owners, Filters: []types.Filter{
			filter("name", q.Name), filter("state", "available"), filter("architecture", "x86_64")}})
	})
	id, root := "", ""
	switch {
	case err == nil:
		id, root = newestImage(out.Images)
	case errors.Is(err, multicloud.ErrCanceled):
		return "", err
	default:
		p.log.Warn("DescribeImages failed; using the catalog's image", "region", region, "key", key, "err", err)
	}
	if id == "" {
		if ferr != nil {
			return "", wrapErr("Resolve", region, ferr)
		}
		return fallback, nil
	}
	p.mu.Lock()
	p.images[k] = imageHit{id: id, root: root, expires: time.Now().Add(p.opts.ImageTTL)}
	p.mu.Unlock()
	return id, nil
}

// newestImage returns the ID and root device name of the image with the
// latest CreationDate (ISO 8601 strings compare in time order), or "".
func newestImage(imgs []types.Image) (id, root string) {
	if len(imgs) == 0 {
		return "", ""
	}
	best := slices.MaxFunc(imgs, func(a, b types.Image) int {
		if c := strings.Compare(aws.ToString(a.CreationDate), aws.ToString(b.CreationDate)); c != 0 {
			return c
		}
		return strings.Compare(aws.ToString(a.ImageId), aws.ToString(b.ImageId))
	})
	return aws.ToString(best.ImageId), aws.ToString(best.RootDeviceName)
}

// wrapErr gives an error of the catalog the provider's context.
func wrapErr(op, region string, err error) error {
	var e *multicloud.Error
	if errors.As(err, &e) && e == err {
		cp := *e
		cp.Op, cp.Provider, cp.Region = op, ProviderCode, region
		return &cp
	}
	return &multicloud.Error{Op: op, Provider: ProviderCode, Region: region, Code: multicloud.CodeOf(err), Err: err}
}
