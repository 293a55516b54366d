package aliyuntest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestSignatureV3Vector checks the V3 signature against one computed by the
// official Node SDK (@alicloud/openapi-util 0.3 getAuthorization) for the
// same request, including a query value that needs RFC 3986 encoding.
func TestSignatureV3Vector(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:8480/?RegionId=cn-hangzhou&PageSize=10&Tag.1.Key="+url.QueryEscape("a b*~"), nil)
	for k, v := range map[string]string{
		"x-acs-action": "DescribeInstances", "x-acs-version": "2014-05-26", "x-acs-date": "2026-12-06T08:00:00Z",
		"x-acs-signature-nonce": "nonce-1", "x-acs-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"accept": "application/json", "user-agent": "x",
	} {
		r.Header.Set(k, v)
	}
	signed := strings.Split("host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version", ";")
	_, got := v3Signature(r, signed, "testsecret")
	if want := "87627b203775f397fa20ec2fe5081ecfd82e61ad045bb5ea8e40e9ece4b9468e"; got != want {
		t.Errorf("got signature %s, want %s (the Node SDK's)", got, want)
	}
}

// TestRequestSyntaxV3 serves calls made as the current official SDKs make
// them (x-acs-action/x-acs-version headers, ACS3-HMAC-SHA256): the
// @alicloud/ecs20140526 client failed with MissingParameter Action before.
func TestRequestSyntaxV3(t *testing.T) {
	srv := newServer(t)
	nonce := 0
	send := func(method, action, version string, q, form url.Values, mutate func(*http.Request)) (int, map[string]any) {
		t.Helper()
		var body []byte
		if form != nil {
			body = []byte(form.Encode())
		}
		r, err := http.NewRequest(method, srv.URL()+"/?"+q.Encode(), strings.NewReader(string(body)))
		must(t, err)
		if form != nil {
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		nonce++
		SignV3(r, body, action, version, DefaultAccessKeyID, DefaultAccessKeySecret, "v3-nonce-"+strconv.Itoa(nonce), time.Now())
		if mutate != nil {
			mutate(r)
		}
		resp, err := http.DefaultClient.Do(r)
		must(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		must(t, err)
		var out map[string]any
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("%s: %v: %s", action, err, b)
		}
		return resp.StatusCode, out
	}
	status, out := send(http.MethodGet, "DescribeRegions", ECSVersion, url.Values{}, nil, nil)
	if status != 200 || out["Regions"] == nil {
		t.Fatalf("GET DescribeRegions: got %d %v", status, out)
	}
	status, out = send(http.MethodPost, "CreateVpc", VPCVersion, url.Values{"RegionId": {"cn-hangzhou"}}, url.Values{"CidrBlock": {"172.16.0.0/12"}, "VpcName": {"v3-name"}}, nil)
	if status != 200 || !strings.HasPrefix(out["VpcId"].(string), "vpc-") {
		t.Fatalf("POST CreateVpc with a form body: got %d %v", status, out)
	}
	status, out = send(http.MethodGet, "DescribeVpcs", VPCVersion, url.Values{"RegionId": {"cn-hangzhou"}, "VpcName": {"v3-name"}}, nil, nil)
	if status != 200 || out["TotalCount"].(float64) != 1 {
		t.Errorf("DescribeVpcs by the name sent in the body: got %d %v", status, out)
	}

	for _, tc := range []struct {
		name   string
		mutate func(*http.Request)
		code   string
	}{
		{"wrong secret", func(r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(strings.NewReader(string(body)))
			SignV3(r, body, "DescribeRegions", ECSVersion, DefaultAccessKeyID, "not-the-secret", "v3-other", time.Now())
		}, "SignatureDoesNotMatch"},
		{"query changed after signing", func(r *http.Request) { r.URL.RawQuery = "RegionId=cn-shanghai" }, "SignatureDoesNotMatch"},
		{"unsigned x-acs header", func(r *http.Request) { r.Header.Set("x-acs-extra", "1") }, "IncompleteSignature"},
		{"unknown key", func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "Credential="+DefaultAccessKeyID, "Credential=nosuchkey", 1))
		}, "InvalidAccessKeyId.NotFound"},
	} {
		status, out := send(http.MethodGet, "DescribeRegions", ECSVersion, url.Values{"RegionId": {"cn-hangzhou"}}, nil, tc.mutate)
		if status < 400 || out["Code"] != tc.code {
			t.Errorf("%s: got %d %v, want %s", tc.name, status, out, tc.code)
		}
		if msg, _ := out["Message"].(string); strings.Contains(msg, DefaultAccessKeySecret) || strings.Contains(msg, "not-the-secret") {
			t.Errorf("%s: the message shows a secret: %s", tc.name, msg)
		}
	}
	// A body that does not match x-acs-content-sha256 is refused.
	status, out = send(http.MethodPost, "CreateVpc", VPCVersion, url.Values{"RegionId": {"cn-hangzhou"}}, url.Values{"CidrBlock": {"10.0.0.0/8"}}, func(r *http.Request) {
		r.Body = io.NopCloser(strings.NewReader("CidrBlock=192.168.0.0%2F16"))
		r.ContentLength = int64(len("CidrBlock=192.168.0.0%2F16"))
	})
	if status != 400 || out["Code"] != "SignatureDoesNotMatch" {
		t.Errorf("tampered body: got %d %v", status, out)
	}
}
