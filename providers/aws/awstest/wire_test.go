package awstest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/pricing"
	ptypes "github.com/aws/aws-sdk-go-v2/service/pricing/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/multicloud-ecs/multicloud/providers/sim"
)

const testRegion = "us-east-1"

// sdk holds real SDK clients pointed at a server, retries off.
type sdk struct {
	ec2     *ec2.Client
	pricing *pricing.Client
	sts     *sts.Client
}

func newSDK(srv *Server, region, key, secret, token string) sdk {
	creds := credentials.NewStaticCredentialsProvider(key, secret, token)
	return sdk{
		ec2: ec2.New(ec2.Options{Region: region, Credentials: creds, BaseEndpoint: aws.String(srv.URL()), Retryer: aws.NopRetryer{},
			HTTPClient: srv.HTTPClient()}),
		pricing: pricing.New(pricing.Options{Region: region, Credentials: creds, BaseEndpoint: aws.String(srv.URL()),
			Retryer: aws.NopRetryer{}, HTTPClient: srv.HTTPClient()}),
		sts: sts.New(sts.Options{Region: region, Credentials: creds, BaseEndpoint: aws.String(srv.URL()), Retryer: aws.NopRetryer{},
			HTTPClient: srv.HTTPClient()}),
	}
}

func defaultSDK(srv *Server) sdk {
	return newSDK(srv, testRegion, DefaultAccessKeyID, DefaultSecretAccessKey, "")
}

// apiCode is the error code and HTTP status the SDK surfaces.
func apiCode(t *testing.T, err error) (string, int) {
	t.Helper()
	if err == nil {
		return "", 0
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v is not a smithy.APIError", err)
	}
	status := 0
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	return ae.ErrorCode(), status
}

// clock is a settable clock for Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func twoAccounts(o *Options) {
	o.Accounts = []Account{
		{ID: "111111111111", AccessKeyID: "AKIAAAAAAAAAAAAAAAAA", SecretAccessKey: "secret-a", UserName: "alice"},
		{ID: "222222222222", AccessKeyID: "AKIABBBBBBBBBBBBBBBB", SecretAccessKey: "secret-b", UserName: "bob"},
	}
}

func TestSTSCallerIdentity(t *testing.T) {
	srv := New(twoAccounts)
	t.Cleanup(srv.Close)
	ctx := context.Background()
	for _, c := range []struct{ key, secret, account, arn string }{
		{"AKIAAAAAAAAAAAAAAAAA", "secret-a", "111111111111", "arn:aws:iam::111111111111:user/alice"},
		{"AKIABBBBBBBBBBBBBBBB", "secret-b", "222222222222", "arn:aws:iam::222222222222:user/bob"},
	} {
		out, err := newSDK(srv, testRegion, c.key, c.secret, "").sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(out.Account) != c.account || aws.ToString(out.Arn) != c.arn || aws.ToString(out.UserId) == "" {
			t.Errorf("got account %q arn %q user %q, want %s %s", aws.ToString(out.Account), aws.ToString(out.Arn), aws.ToString(out.UserId), c.account, c.arn)
		}
	}
}

func TestSTSAssumeRole(t *testing.T) {
	// The server's clock starts 14 minutes behind the SDK's so that it can
	// pass the 15-minute credentials' expiry while staying inside the
	// signature's allowed skew.
	clk := &clock{t: time.Now().Add(-14 * time.Minute)}
	srv := New(twoAccounts, func(o *Options) { o.Now = clk.now })
	t.Cleanup(srv.Close)
	ctx := context.Background()
	alice := newSDK(srv, testRegion, "AKIAAAAAAAAAAAAAAAAA", "secret-a", "")

	out, err := alice.sts.AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::222222222222:role/deploy"), RoleSessionName: aws.String("sync-1"), DurationSeconds: aws.Int32(900),
	})
	if err != nil {
		t.Fatal(err)
	}
	cr := out.Credentials
	if !strings.HasPrefix(aws.ToString(cr.AccessKeyId), "ASIA") || aws.ToString(cr.SessionToken) == "" || cr.Expiration == nil {
		t.Fatalf("got credentials key %q token set %v expiration %v", aws.ToString(cr.AccessKeyId), aws.ToString(cr.SessionToken) != "", cr.Expiration)
	}
	if got, want := aws.ToString(out.AssumedRoleUser.Arn), "arn:aws:sts::222222222222:assumed-role/deploy/sync-1"; got != want {
		t.Errorf("got assumed role ARN %q, want %q", got, want)
	}
	role := newSDK(srv, testRegion, *cr.AccessKeyId, *cr.SecretAccessKey, *cr.SessionToken)
	id, err := role.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(id.Account) != "222222222222" || aws.ToString(id.Arn) != aws.ToString(out.AssumedRoleUser.Arn) {
		t.Errorf("got identity %q %q, want the role in 222222222222", aws.ToString(id.Account), aws.ToString(id.Arn))
	}

	noToken := newSDK(srv, testRegion, *cr.AccessKeyId, *cr.SecretAccessKey, "")
	_, err = noToken.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if code, status := apiCode(t, err); code != "InvalidClientTokenId" || status != 403 {
		t.Errorf("temporary key without token: got %s %d, want InvalidClientTokenId 403", code, status)
	}

	clk.add(28 * time.Minute)
	_, err = role.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if code, _ := apiCode(t, err); code != "InvalidClientTokenId" {
		t.Errorf("expired credentials: got %q, want InvalidClientTokenId", code)
	}
	clk.add(-14 * time.Minute)

	_, err = alice.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::999999999999:role/x"), RoleSessionName: aws.String("s1")})
	if code, status := apiCode(t, err); code != "AccessDenied" || status != 403 {
		t.Errorf("unknown account: got %s %d, want AccessDenied 403", code, status)
	}
	_, err = alice.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("not-an-arn"), RoleSessionName: aws.String("s1")})
	if code, _ := apiCode(t, err); code != "ValidationError" {
		t.Errorf("malformed ARN: got %q, want ValidationError", code)
	}
}

// TestSignatureFailuresThroughSDK sends real SDK calls that AWS would refuse
// and checks the code and status each client surfaces, and that no error
// text holds the secret.
func TestSignatureFailuresThroughSDK(t *testing.T) {
	clk := &clock{t: time.Now()}
	srv := New(func(o *Options) { o.Now = clk.now })
	t.Cleanup(srv.Close)
	const wrongSecret = "wrong-secret-value-0123456789"
	cases := []struct {
		name       string
		cl         sdk
		skew       time.Duration
		call       func(sdk) error
		code       string
		status     int
		secretSeen string
	}{
		{name: "ec2 wrong secret", cl: newSDK(srv, testRegion, DefaultAccessKeyID, wrongSecret, ""),
			call: describeRegions, code: "SignatureDoesNotMatch", status: 403, secretSeen: wrongSecret},
		{name: "ec2 unknown key", cl: newSDK(srv, testRegion, "AKIAUNKNOWNUNKNOWN00", wrongSecret, ""),
			call: describeRegions, code: "AuthFailure", status: 401},
		{name: "ec2 clock 20 minutes behind", cl: defaultSDK(srv), skew: 20 * time.Minute,
			call: describeRegions, code: "RequestExpired", status: 400},
		{name: "ec2 no region", cl: newSDK(srv, "", DefaultAccessKeyID, DefaultSecretAccessKey, ""),
			call: describeRegions, code: "SignatureDoesNotMatch", status: 403},
		{name: "sts unknown key", cl: newSDK(srv, testRegion, "AKIAUNKNOWNUNKNOWN00", wrongSecret, ""),
			call: getCallerIdentity, code: "InvalidClientTokenId", status: 403},
		{name: "sts wrong secret", cl: newSDK(srv, testRegion, DefaultAccessKeyID, wrongSecret, ""),
			call: getCallerIdentity, code: "SignatureDoesNotMatch", status: 403},
		{name: "pricing wrong secret", cl: newSDK(srv, testRegion, DefaultAccessKeyID, wrongSecret, ""),
			call: getProducts, code: "InvalidSignatureException", status: 400},
		{name: "pricing unknown key", cl: newSDK(srv, testRegion, "AKIAUNKNOWNUNKNOWN00", wrongSecret, ""),
			call: getProducts, code: "UnrecognizedClientException", status: 400},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clk.add(c.skew)
			t.Cleanup(func() { clk.add(-c.skew) })
			err := c.call(c.cl)
			code, status := apiCode(t, err)
			if code != c.code || status != c.status {
				t.Errorf("got %s %d, want %s %d (%v)", code, status, c.code, c.status, err)
			}
			for _, secret := range []string{wrongSecret, DefaultSecretAccessKey} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q reveals a secret", err)
				}
			}
		})
	}
}

func describeRegions(c sdk) error {
	_, err := c.ec2.DescribeRegions(context.Background(), &ec2.DescribeRegionsInput{})
	return err
}

func getCallerIdentity(c sdk) error {
	_, err := c.sts.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	return err
}

func getProducts(c sdk) error {
	_, err := c.pricing.GetProducts(context.Background(), &pricing.GetProductsInput{ServiceCode: aws.String("AmazonEC2")})
	return err
}

func termMatch(field, value string) ptypes.Filter {
	return ptypes.Filter{Field: aws.String(field), Type: ptypes.FilterTypeTermMatch, Value: aws.String(value)}
}

// onDemandUSD reads the hourly USD price of a PriceList document the way a
// client does: decode the string, walk terms.OnDemand.*.priceDimensions.*.
func onDemandUSD(t *testing.T, doc string) (map[string]string, string) {
	t.Helper()
	var d struct {
		Product struct {
			Attributes map[string]string `json:"attributes"`
		} `json:"product"`
		Terms struct {
			OnDemand map[string]struct {
				PriceDimensions map[string]struct {
					Unit         string            `json:"unit"`
					PricePerUnit map[string]string `json:"pricePerUnit"`
				} `json:"priceDimensions"`
			} `json:"OnDemand"`
		} `json:"terms"`
	}
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		t.Fatal(err)
	}
	for _, term := range d.Terms.OnDemand {
		for _, dim := range term.PriceDimensions {
			if dim.Unit != "Hrs" {
				t.Errorf("got unit %q, want Hrs", dim.Unit)
			}
			return d.Product.Attributes, dim.PricePerUnit["USD"]
		}
	}
	t.Fatalf("no on-demand price in %s", doc)
	return nil, ""
}

func TestPricingGetProducts(t *testing.T) {
	srv := New()
	t.Cleanup(srv.Close)
	// The simulated cloud's USD price wins over the catalog's.
	srv.Cloud().SetPrice("g5.xlarge", 1.1)
	ctx := context.Background()
	c := defaultSDK(srv)

	exact := []ptypes.Filter{
		termMatch("instanceType", "g5.xlarge"), termMatch("regionCode", "us-east-1"),
		termMatch("operatingSystem", "Linux"), termMatch("tenancy", "Shared"),
		termMatch("capacitystatus", "Used"), termMatch("preInstalledSw", "NA"),
	}
	out, err := c.pricing.GetProducts(ctx, &pricing.GetProductsInput{ServiceCode: aws.String("AmazonEC2"), Filters: exact, FormatVersion: aws.String("aws_v1")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.PriceList) != 1 {
		t.Fatalf("got %d products, want 1", len(out.PriceList))
	}
	attrs, usd := onDemandUSD(t, out.PriceList[0])
	if usd != "1.1000000000" || attrs["location"] != "US East (N. Virginia)" || attrs["gpu"] != "1" || attrs["memory"] != "16 GiB" {
		t.Errorf("got USD %q attributes %v", usd, attrs)
	}

	// By location name instead of region code, lower-case OS.
	byLoc := []ptypes.Filter{termMatch("instanceType", "g5.xlarge"), termMatch("location", "US West (Oregon)"),
		termMatch("operatingSystem", "linux"), termMatch("tenancy", "Shared"), termMatch("capacitystatus", "Used"), termMatch("preInstalledSw", "NA")}
	out, err = c.pricing.GetProducts(ctx, &pricing.GetProductsInput{ServiceCode: aws.String("AmazonEC2"), Filters: byLoc})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.PriceList) != 1 {
		t.Fatalf("by location: got %d products, want 1", len(out.PriceList))
	}
	if _, usd := onDemandUSD(t, out.PriceList[0]); usd != "1.1000000000" {
		t.Errorf("us-west-2 price: got %q, want 1.1000000000", usd)
	}

	// A type without a simulated price has the catalog's.
	out, err = c.pricing.GetProducts(ctx, &pricing.GetProductsInput{ServiceCode: aws.String("AmazonEC2"), Filters: append([]ptypes.Filter{
		termMatch("instanceType", "m5.large")}, exact[1:]...)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.PriceList) != 1 {
		t.Fatalf("m5.large: got %d products, want 1", len(out.PriceList))
	}
	if _, usd := onDemandUSD(t, out.PriceList[0]); usd != "0.0960000000" {
		t.Errorf("m5.large price: got %q, want the catalog's 0.0960000000", usd)
	}

	// Only type and region: every variant comes back, two per page.
	p := pricing.NewGetProductsPaginator(c.pricing, &pricing.GetProductsInput{ServiceCode: aws.String("AmazonEC2"),
		Filters: exact[:2], MaxResults: aws.Int32(2)})
	var docs, pages int
	for p.HasMorePages() {
		pg, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		docs += len(pg.PriceList)
	}
	if docs != len(priceVariants) || pages != (len(priceVariants)+1)/2 {
		t.Errorf("got %d products on %d pages, want %d on %d", docs, pages, len(priceVariants), (len(priceVariants)+1)/2)
	}

	for _, bad := range []struct {
		name string
		in   pricing.GetProductsInput
		code string
	}{
		{"MaxResults 101", pricing.GetProductsInput{ServiceCode: aws.String("AmazonEC2"), MaxResults: aws.Int32(101)}, "InvalidParameterException"},
		{"bad token", pricing.GetProductsInput{ServiceCode: aws.String("AmazonEC2"), NextToken: aws.String("garbage")}, "InvalidNextTokenException"},
		{"unknown service", pricing.GetProductsInput{ServiceCode: aws.String("AmazonS4")}, "NotFoundException"},
	} {
		_, err := c.pricing.GetProducts(ctx, &bad.in)
		if code, _ := apiCode(t, err); code != bad.code {
			t.Errorf("%s: got %q, want %s", bad.name, code, bad.code)
		}
	}
	// The SDK's modelled error type is what callers match on.
	_, err = c.pricing.GetProducts(ctx, &pricing.GetProductsInput{ServiceCode: aws.String("AmazonEC2"), NextToken: aws.String("garbage")})
	var tokErr *ptypes.InvalidNextTokenException
	if !errors.As(err, &tokErr) {
		t.Errorf("got %T, want *types.InvalidNextTokenException", err)
	}
}

func TestPricingAndSTSFaults(t *testing.T) {
	srv := New()
	t.Cleanup(srv.Close)
	ctx := context.Background()
	c := defaultSDK(srv)
	srv.Cloud().InjectFault(sim.Fault{Action: "GetProducts", Class: sim.ClassThrottled, Count: 1})
	_, err := c.pricing.GetProducts(ctx, &pricing.GetProductsInput{ServiceCode: aws.String("AmazonEC2")})
	var thr *ptypes.ThrottlingException
	if !errors.As(err, &thr) {
		t.Errorf("throttled GetProducts: got %v, want *types.ThrottlingException", err)
	}
	srv.Cloud().InjectFault(sim.Fault{Action: "GetCallerIdentity", Class: sim.ClassInternal, Count: 1})
	_, err = c.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if code, status := apiCode(t, err); code != "InternalFailure" || status != 500 {
		t.Errorf("failing GetCallerIdentity: got %s %d, want InternalFailure 500", code, status)
	}
	if n := srv.Cloud().CallCount("GetProducts"); n != 1 {
		t.Errorf("call log: got %d GetProducts, want 1", n)
	}
}

// TestSecretsNotPrinted formats an account every way a log line might and
// finds no secret.
func TestSecretsNotPrinted(t *testing.T) {
	a := Account{ID: "111111111111", AccessKeyID: "AKIAAAAAAAAAAAAAAAAA", SecretAccessKey: "very-secret-value"}
	for _, f := range []string{"%v", "%+v", "%#v", "%s"} {
		if s := fmt.Sprintf(f, a); strings.Contains(s, "very-secret-value") {
			t.Errorf("%s prints the secret: %s", f, s)
		}
	}
	b, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "very-secret-value") {
		t.Errorf("JSON holds the secret: %s", b)
	}
}

// TestUnauthorizedOperation shows a denied call through a fault that names
// EC2's own code and status.
func TestUnauthorizedOperation(t *testing.T) {
	srv := New()
	t.Cleanup(srv.Close)
	srv.Cloud().InjectFault(sim.Fault{Action: "RunInstances", Code: "UnauthorizedOperation", Status: 403,
		Message: "You are not authorized to perform this operation.", Count: 1})
	_, err := defaultSDK(srv).ec2.RunInstances(context.Background(), &ec2.RunInstancesInput{ImageId: aws.String("ami-1"),
		InstanceType: "t3.micro", MinCount: aws.Int32(1), MaxCount: aws.Int32(1)})
	if code, status := apiCode(t, err); code != "UnauthorizedOperation" || status != 403 {
		t.Errorf("got %s %d, want UnauthorizedOperation 403", code, status)
	}
}
