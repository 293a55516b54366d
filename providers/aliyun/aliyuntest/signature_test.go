package aliyuntest

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	vpcapi "github.com/aliyun/alibaba-cloud-sdk-go/services/vpc"
	"github.com/google/go-cmp/cmp"
)

func TestSignatureTestVector(t *testing.T) {
	params := url.Values{
		"AccessKeyId":      {"testid"},
		"Action":           {"DescribeRegions"},
		"Format":           {"XML"},
		"SignatureMethod":  {"HMAC-SHA1"},
		"SignatureNonce":   {"3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"},
		"SignatureVersion": {"1.0"},
		"Timestamp":        {"2016-02-23T12:46:24Z"},
		"Version":          {"2014-05-26"},
		"Signature":        {"ignored"},
	}
	wantSTS := "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26"
	sts := StringToSign("GET", params)
	if diff := cmp.Diff(wantSTS, sts); diff != "" {
		t.Errorf("StringToSign mismatch (-want +got):\n%s", diff)
	}
	if got, want := Sign("testsecret", sts), "OLeaidS1JvxuMvnyHOwuJ+uX5qY="; got != want {
		t.Errorf("got signature %s, want %s", got, want)
	}
}

func TestPercentEncode(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"v w*~", "v%20w%2A~"},
		{"a/b:c", "a%2Fb%3Ac"},
		{"A-Z_a.z~0", "A-Z_a.z~0"},
		{"中", "%E4%B8%AD"},
	} {
		if got := percentEncode(tc.in); got != tc.want {
			t.Errorf("percentEncode(%q): got %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestSDKSignsSpecialCharacters proves the server canonicalizes decoded values
// the way the SDK does, with characters that are escaped differently by
// url.Values.Encode and RFC 3986.
func TestSDKSignsSpecialCharacters(t *testing.T) {
	c := newClients(t)
	r := ecs.CreateDescribeInstancesRequest()
	r.InstanceName = "a b*~c"
	r.Tag = &[]ecs.DescribeInstancesTag{{Key: "k", Value: "v+w*~ /"}}
	if _, err := c.ecs.DescribeInstances(r); err != nil {
		t.Fatalf("got %v, want success", err)
	}
}

func TestAuthenticationErrors(t *testing.T) {
	srv := newServer(t, WithAccessKey("other", "othersecret"))
	now := time.Now()

	t.Run("wrong secret", func(t *testing.T) {
		_, err := newECS(t, srv, DefaultAccessKeyID, "wrong").DescribeRegions(ecs.CreateDescribeRegionsRequest())
		wantCode(t, err, "SignatureDoesNotMatch", 400)
		se := serverError(t, err)
		if !strings.Contains(se.Message(), "server string to sign is:POST&%2F&") {
			t.Errorf("got message %q, want the server string to sign", se.Message())
		}
		if !strings.Contains(se.Recommend(), "InvalidAccessKeySecret") {
			t.Errorf("got recommend %q, want the SDK's InvalidAccessKeySecret hint", se.Recommend())
		}
	})
	t.Run("unknown key", func(t *testing.T) {
		_, err := newECS(t, srv, "nobody", "x").DescribeRegions(ecs.CreateDescribeRegionsRequest())
		wantCode(t, err, "InvalidAccessKeyId.NotFound", 404)
	})
	t.Run("added key", func(t *testing.T) {
		if _, err := newECS(t, srv, "other", "othersecret").DescribeRegions(ecs.CreateDescribeRegionsRequest()); err != nil {
			t.Fatalf("got %v, want success", err)
		}
	})

	for _, tc := range []struct {
		name   string
		params func() url.Values
		code   string
		status int
	}{
		{"fresh", func() url.Values {
			return signedParams("DescribeRegions", ECSVersion, now, newNonce(), DefaultAccessKeySecret)
		}, "", 200},
		{"stale timestamp", func() url.Values {
			return signedParams("DescribeRegions", ECSVersion, now.Add(-16*time.Minute), newNonce(), DefaultAccessKeySecret)
		}, "InvalidTimeStamp.Expired", 400},
		{"future timestamp", func() url.Values {
			return signedParams("DescribeRegions", ECSVersion, now.Add(16*time.Minute), newNonce(), DefaultAccessKeySecret)
		}, "InvalidTimeStamp.Expired", 400},
		{"missing signature", func() url.Values {
			v := signedParams("DescribeRegions", ECSVersion, now, newNonce(), DefaultAccessKeySecret)
			v.Del("Signature")
			return v
		}, "IncompleteSignature", 400},
		{"missing nonce", func() url.Values {
			v := url.Values{"Action": {"DescribeRegions"}, "Version": {ECSVersion}, "Timestamp": {now.UTC().Format(timestampLayout)}}
			SignParams(http.MethodPost, v, DefaultAccessKeyID, DefaultAccessKeySecret)
			return v
		}, "MissingParameter", 400},
		{"tampered parameter", func() url.Values {
			v := signedParams("DescribeRegions", ECSVersion, now, newNonce(), DefaultAccessKeySecret)
			v.Set("RegionId", "cn-beijing")
			return v
		}, "SignatureDoesNotMatch", 400},
		{"unknown action", func() url.Values {
			return signedParams("DescribeUnicorns", ECSVersion, now, newNonce(), DefaultAccessKeySecret)
		}, "InvalidAction.NotFound", 404},
		{"unknown version", func() url.Values {
			return signedParams("DescribeRegions", "2020-01-01", now, newNonce(), DefaultAccessKeySecret)
		}, "InvalidAction.NotFound", 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := rawCall(t, srv.Client(), srv.URL(), tc.params())
			code, _ := body["Code"].(string)
			if status != tc.status || code != tc.code {
				t.Fatalf("got %d %q (%v), want %d %q", status, code, body["Message"], tc.status, tc.code)
			}
			if status == 200 {
				return
			}
			for _, k := range []string{"RequestId", "HostId", "Code", "Message", "Recommend"} {
				if s, ok := body[k].(string); !ok || s == "" {
					t.Errorf("error body field %s = %v, want a non-empty string", k, body[k])
				}
			}
		})
	}

	t.Run("reused nonce", func(t *testing.T) {
		v := signedParams("DescribeRegions", ECSVersion, now, newNonce(), DefaultAccessKeySecret)
		if status, body := rawCall(t, srv.Client(), srv.URL(), v); status != 200 {
			t.Fatalf("first call: got %d %v, want 200", status, body)
		}
		status, body := rawCall(t, srv.Client(), srv.URL(), v)
		if status != 400 || body["Code"] != "SignatureNonceUsed" {
			t.Fatalf("second call: got %d %v, want 400 SignatureNonceUsed", status, body["Code"])
		}
	})
}

func TestNonceCacheBounded(t *testing.T) {
	c := newNonceCache()
	start := time.Now()
	if !c.add("a", start) {
		t.Fatal("first add of a: got false, want true")
	}
	if c.add("a", start.Add(time.Minute)) {
		t.Fatal("second add of a within window: got true, want false")
	}
	for i := 0; i < 5000; i++ {
		c.add(newNonce(), start.Add(time.Duration(i)*time.Second))
	}
	// After the window, a is forgotten and old entries are compacted away.
	if !c.add("a", start.Add(2*signatureWindow)) {
		t.Error("add of a after the window: got false, want true")
	}
	if got := len(c.queue) - c.head; got > 5001 {
		t.Errorf("got %d live entries, want at most 5001", got)
	}
	if len(c.seen) != len(c.queue)-c.head {
		t.Errorf("got %d map entries and %d queued, want equal", len(c.seen), len(c.queue)-c.head)
	}
}

// TestProxyAbsoluteForm sends requests through the server acting as an HTTP
// proxy, as when HTTP_PROXY points at it and the client uses real hostnames.
func TestProxyAbsoluteForm(t *testing.T) {
	srv := newServer(t)
	proxyURL, err := url.Parse(srv.URL())
	must(t, err)
	client := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxyURL)}}
	for _, target := range []string{"http://ecs.cn-hangzhou.aliyuncs.com", "http://ecs-cn-hangzhou.aliyuncs.com", "http://vpcapi.aliyuncs.com"} {
		version := ECSVersion
		if strings.Contains(target, "vpc") {
			version = VPCVersion
		}
		v := signedParams("DescribeRegions", version, time.Now(), newNonce(), DefaultAccessKeySecret)
		status, body := rawCall(t, client, target, v)
		if status != 200 || body["Regions"] == nil {
			t.Errorf("%s: got %d %v, want 200 with Regions", target, status, body)
		}
	}

	// The SDK itself, configured with real endpoints and the proxy.
	t.Setenv("HTTP_PROXY", srv.URL())
	t.Setenv("NO_PROXY", "")
	ec2 := newECS(t, srv, DefaultAccessKeyID, DefaultAccessKeySecret)
	ec2.Domain = "" // resolve ecs-cn-hangzhou.aliyuncs.com from the SDK's endpoint map
	resp, err := ec2.DescribeRegions(ecs.CreateDescribeRegionsRequest())
	if err != nil {
		t.Fatalf("SDK through proxy: %v", err)
	}
	if len(resp.Regions.Region) == 0 {
		t.Error("SDK through proxy: got no regions, want some")
	}
	vc := newVPC(t, srv)
	vc.Domain = ""
	vr := vpcapi.CreateDescribeVpcsRequest()
	if _, err := vc.DescribeVpcs(vr); err != nil {
		t.Fatalf("VPC SDK through proxy: %v", err)
	}
}
