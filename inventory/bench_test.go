package inventory_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/multicloud-ecs/multicloud/inventory"
	"github.com/multicloud-ecs/multicloud/inventory/sqlstore"
	"golang.org/x/time/rate"
)

// apiInstance is the wire shape a provider returns for an instance, in
// the style of ECS DescribeInstances.
type apiInstance struct {
	InstanceID   string `json:"InstanceId"`
	InstanceName string `json:"InstanceName"`
	Status       string `json:"Status"`
	RegionID     string `json:"RegionId"`
	ZoneID       string `json:"ZoneId"`
	InstanceType string `json:"InstanceType"`
	Family       string `json:"InstanceTypeFamily"`
	CPU          int    `json:"Cpu"`
	Memory       int    `json:"Memory"`
	OSName       string `json:"OSName"`
	ImageID      string `json:"ImageId"`
	PublicIP     struct {
		IPAddress []string `json:"IpAddress"`
	} `json:"PublicIpAddress"`
	VpcAttributes struct {
		VpcID     string `json:"VpcId"`
		VSwitchID string `json:"VSwitchId"`
	} `json:"VpcAttributes"`
	SecurityGroupIDs struct {
		SecurityGroupID []string `json:"SecurityGroupId"`
	} `json:"SecurityGroupIds"`
	CreationTime string `json:"CreationTime"`
	ChargeType   string `json:"InstanceChargeType"`
	Tags         struct {
		Tag []struct{ TagKey, TagValue string } `json:"Tag"`
	} `json:"Tags"`
}

// wireCloud serves JSON pages per region with no latency, so a sync
// measures decoding, mapping, hashing and storing. Up to 40,000 assets
// the pages are encoded beforehand; beyond, each page is encoded when
// listed, so the fixture does not dominate the process's memory.
type wireCloud struct {
	perRegion int
	pages     map[string][][]byte // nil when encoded on demand
	regions   []string
}

const wirePage = 100

func newWireCloud(regions, perRegion int) *wireCloud {
	w := &wireCloud{perRegion: perRegion}
	for r := range regions {
		w.regions = append(w.regions, fmt.Sprintf("bench-%02d", r))
	}
	if regions*perRegion <= 40000 {
		w.pages = map[string][][]byte{}
		for _, region := range w.regions {
			for p := 0; p*wirePage < perRegion; p++ {
				w.pages[region] = append(w.pages[region], w.encode(region, p))
			}
		}
	}
	return w
}

// encode returns page p of region as DescribeInstances would.
func (w *wireCloud) encode(region string, p int) []byte {
	var page []apiInstance
	for i := p * wirePage; i < min((p+1)*wirePage, w.perRegion); i++ {
		var in apiInstance
		in.InstanceID = fmt.Sprintf("i-%s-%07d", region, i)
		in.InstanceName = fmt.Sprintf("web-%07d", i)
		in.Status = []string{"Running", "Stopped"}[i%2]
		in.RegionID, in.ZoneID = region, region+"-a"
		in.InstanceType, in.Family, in.CPU, in.Memory = "ecs.g7.large", "ecs.g7", 2, 8192
		in.OSName, in.ImageID = "Ubuntu 22.04 64 bit", "ubuntu_22_04_x64"
		in.PublicIP.IPAddress = []string{"47.0.0.1"}
		in.VpcAttributes.VpcID, in.VpcAttributes.VSwitchID = "vpc-1", "vsw-1"
		in.SecurityGroupIDs.SecurityGroupID = []string{"sg-1"}
		in.CreationTime, in.ChargeType = "2024-01-02T03:04Z", "PostPaid"
		in.Tags.Tag = []struct{ TagKey, TagValue string }{{"env", "prod"}, {"team", "t" + strconv.Itoa(i%50)}}
		page = append(page, in)
	}
	b, err := json.Marshal(map[string]any{"Instances": map[string]any{"Instance": page}})
	if err != nil {
		panic(err) // fixed types always encode
	}
	return b
}

func (w *wireCloud) Regions(ctx context.Context, call inventory.CallFunc) ([]string, error) {
	return w.regions, nil
}

func (w *wireCloud) Discover(ctx context.Context, region, assetType string, call inventory.CallFunc, emit func(context.Context, []inventory.Asset) error) error {
	for p := 0; p*wirePage < w.perRegion; p++ {
		var raw []byte
		if w.pages != nil {
			raw = w.pages[region][p]
		} else {
			raw = w.encode(region, p)
		}
		var resp struct {
			Instances struct{ Instance []apiInstance }
		}
		if err := call(ctx, "DescribeInstances", func(context.Context) error { return json.Unmarshal(raw, &resp) }); err != nil {
			return err
		}
		page := make([]inventory.Asset, 0, len(resp.Instances.Instance))
		for _, in := range resp.Instances.Instance {
			created, _ := time.Parse("2006-01-02T15:04Z", in.CreationTime)
			m := inventory.ECSMetadata{InstanceID: in.InstanceID, InstanceName: in.InstanceName, Status: in.Status,
				Region: in.RegionID, Zone: in.ZoneID, InstanceType: in.InstanceType, InstanceTypeFamily: in.Family,
				CPU: in.CPU, Memory: in.Memory, OSType: "linux", OSName: in.OSName, ImageID: in.ImageID,
				PublicIP: in.PublicIP.IPAddress, VPCID: in.VpcAttributes.VpcID, VSwitchID: in.VpcAttributes.VSwitchID,
				SecurityGroups: in.SecurityGroupIDs.SecurityGroupID, ChargeType: in.ChargeType, CreationTime: created,
				Provider: "bench"}
			a := inventory.Asset{AssetID: in.InstanceID, AssetName: in.InstanceName, Zone: in.ZoneID, Status: in.Status}
			for _, t := range in.Tags.Tag {
				a.Tags = append(a.Tags, inventory.Tag{Key: t.TagKey, Value: t.TagValue})
			}
			m.Tags = a.Tags
			if err := a.SetMetadata(m); err != nil {
				return err
			}
			page = append(page, a)
		}
		if err := emit(ctx, page); err != nil {
			return err
		}
	}
	return nil
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// BenchmarkIngestSQLite syncs MULTICLOUD_BENCH_INGEST assets (default
// 20,000, in 8 regions) into a fresh SQLite file per iteration through the
// whole path: decode, map, hash, batched upsert. It reports assets/s and
// the process's peak RSS, which includes the encoded pages the fake
// cloud holds (about 1 KB per asset).
func BenchmarkIngestSQLite(b *testing.B) {
	n := envInt("MULTICLOUD_BENCH_INGEST", 20000)
	const regions = 8
	cloud := newWireCloud(regions, n/regions)
	ctx := context.Background()
	var elapsed time.Duration
	for i := 0; b.Loop(); i++ {
		store, err := sqlstore.Open(ctx, filepath.Join(b.TempDir(), fmt.Sprintf("ingest-%d.db", i)))
		if err != nil {
			b.Fatal(err)
		}
		svc, err := inventory.New(store, inventory.WithRateLimit(rate.Inf, 1))
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		r, err := svc.Sync(ctx, inventory.SyncTarget{Discoverer: cloud, Provider: "bench", Account: "bench"}, inventory.SyncOptions{})
		elapsed += time.Since(start)
		if err != nil || r.Added != regions*(n/regions) {
			b.Fatalf("sync: %v, added %d", err, r.Added)
		}
		// An unchanged re-sync writes nothing.
		if i == 0 {
			r, err = svc.Sync(ctx, inventory.SyncTarget{Discoverer: cloud, Provider: "bench", Account: "bench"}, inventory.SyncOptions{})
			if err != nil || r.Unchanged != r.Added+r.Unchanged || r.Added+r.Updated+r.Deleted != 0 {
				b.Fatalf("re-sync: %v, %+v", err, r)
			}
		}
		store.Close()
	}
	b.ReportMetric(float64(b.N*regions*(n/regions))/elapsed.Seconds(), "assets/s")
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.Sys)/(1<<20), "MB-sys")
	if kb := peakRSSKiB(); kb > 0 {
		b.ReportMetric(float64(kb)/1024, "MB-peak-rss")
	}
}

// peakRSSKiB reads the process's peak resident set (VmHWM) on Linux; 0
// elsewhere.
func peakRSSKiB() int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return n
		}
	}
	return 0
}
