package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/multicloud-ecs/multicloud/inventory/httpapi"
)

// TestBadInput sends malformed, mistyped, oversized and hostile input to
// every route: each gets its 4xx envelope, and none reaches the store.
func TestBadInput(t *testing.T) {
	s := newServer(t)
	const api = "/api/v1/cam"
	acct := api + "/cloud-accounts/acc-0123456789abcdef"
	long := strings.Repeat("x", 300)
	inj := url.QueryEscape("x' OR '1'='1; DROP TABLE assets;--")
	tests := []struct {
		name, method, path, body string
		header                   []string
		status, code             int
	}{
		{"malformed json", "POST", api + "/cloud-accounts", `{"name":`, nil, 400, httpapi.CodeBadRequest},
		{"wrong type", "POST", api + "/cloud-accounts", `{"name":1}`, nil, 400, httpapi.CodeBadRequest},
		{"unknown field", "POST", api + "/cloud-accounts", `{"nam":"x"}`, nil, 400, httpapi.CodeBadRequest},
		{"array body", "POST", api + "/cloud-accounts", `[]`, nil, 400, httpapi.CodeBadRequest},
		{"null body", "POST", api + "/cloud-accounts", `null`, nil, 400, httpapi.CodeBadRequest},
		{"trailing data", "POST", api + "/cloud-accounts", `{} {}`, nil, 400, httpapi.CodeBadRequest},
		{"empty body", "POST", api + "/cloud-accounts", ``, nil, 400, httpapi.CodeBadRequest},
		{"invalid utf-8", "POST", api + "/cloud-accounts", "{\"name\":\"\xff\"}", nil, 400, httpapi.CodeBadRequest},
		{"negative interval", "POST", api + "/cloud-accounts", `{"config":{"sync_interval":-1}}`, nil, 400, httpapi.CodeBadRequest},
		{"interval as string", "POST", api + "/cloud-accounts", `{"config":{"sync_interval":"1h"}}`, nil, 400, httpapi.CodeBadRequest},
		{"huge interval", "POST", api + "/cloud-accounts", `{"config":{"sync_interval":1e300}}`, nil, 400, httpapi.CodeBadRequest},
		{"injection region", "POST", api + "/cloud-accounts", `{"config":{"supported_regions":["cn'; DROP TABLE assets;--"]}}`, nil, 400, httpapi.CodeBadRequest},
		{"unknown config field", "POST", api + "/cloud-accounts", `{"config":{"interval":1}}`, nil, 400, httpapi.CodeBadRequest},
		{"body over 1 MiB", "POST", api + "/cloud-accounts", `{"description":"` + strings.Repeat("d", 1<<20) + `"}`, nil, 413, httpapi.CodeTooLarge},
		{"put malformed", "PUT", acct, `{"name":`, nil, 400, httpapi.CodeBadRequest},
		{"put unknown field", "PUT", acct, `{"secret":"x"}`, nil, 400, httpapi.CodeBadRequest},
		{"hostile account id", "GET", api + "/cloud-accounts/" + url.PathEscape("' OR 1=1 --"), ``, nil, 404, httpapi.CodeNotFound},
		{"long account id", "DELETE", api + "/cloud-accounts/" + long, ``, nil, 404, httpapi.CodeNotFound},
		{"test-connection body", "POST", acct + "/test-connection", `{"x":1}`, nil, 400, httpapi.CodeBadRequest},
		{"account sync bad mode", "POST", acct + "/sync", `{"mode":"partial"}`, nil, 400, httpapi.CodeBadRequest},
		{"limit above 1000", "GET", api + "/assets?limit=1001", ``, nil, 400, httpapi.CodeBadRequest},
		{"negative limit", "GET", api + "/assets?limit=-1", ``, nil, 400, httpapi.CodeBadRequest},
		{"limit not a number", "GET", api + "/assets?limit=ten", ``, nil, 400, httpapi.CodeBadRequest},
		{"negative offset", "GET", api + "/assets?offset=-5", ``, nil, 400, httpapi.CodeBadRequest},
		{"bad sort", "GET", api + "/assets?sort=access_key_secret", ``, nil, 400, httpapi.CodeBadRequest},
		{"injection sort", "GET", api + "/assets?sort=" + inj, ``, nil, 400, httpapi.CodeBadRequest},
		{"bad boolean", "GET", api + "/assets?include_deleted=maybe", ``, nil, 400, httpapi.CodeBadRequest},
		{"unknown parameter", "GET", api + "/assets?asset_types=ecs", ``, nil, 400, httpapi.CodeBadRequest},
		{"repeated parameter", "GET", api + "/assets?region=a&region=b", ``, nil, 400, httpapi.CodeBadRequest},
		{"nul in name", "GET", api + "/assets?name=a%00b", ``, nil, 400, httpapi.CodeBadRequest},
		{"filter too long", "GET", api + "/assets?name=" + long, ``, nil, 400, httpapi.CodeBadRequest},
		{"tag value without key", "GET", api + "/assets?tag_value=x", ``, nil, 400, httpapi.CodeBadRequest},
		{"empty tag key", "GET", api + "/assets?tag==x", ``, nil, 400, httpapi.CodeBadRequest},
		{"too many tags", "GET", api + "/assets?" + strings.Repeat("tag=k&", 17), ``, nil, 400, httpapi.CodeBadRequest},
		{"account and account_id", "GET", api + "/assets?account=a&account_id=b", ``, nil, 400, httpapi.CodeBadRequest},
		{"statistics unknown parameter", "GET", api + "/assets/statistics?region=x", ``, nil, 400, httpapi.CodeBadRequest},
		{"statistics invalid utf-8", "GET", api + "/assets/statistics?provider=%ff", ``, nil, 400, httpapi.CodeBadRequest},
		{"discover without region", "POST", api + "/assets/discover", `{"provider":"aliyun"}`, nil, 400, httpapi.CodeBadRequest},
		{"discover injection region", "POST", api + "/assets/discover", `{"provider":"aliyun","region":"cn' OR 1=1"}`, nil, 400, httpapi.CodeBadRequest},
		{"discover unknown provider", "POST", api + "/assets/discover", `{"provider":"gcp","region":"r"}`, nil, 400, httpapi.CodeBadRequest},
		{"discover region as number", "POST", api + "/assets/discover", `{"provider":"aliyun","region":5}`, nil, 400, httpapi.CodeBadRequest},
		{"discover unknown field", "POST", api + "/assets/discover", `{"provider":"aliyun","region":"r","x":1}`, nil, 400, httpapi.CodeBadRequest},
		{"sync bad mode", "POST", api + "/assets/sync", `{"provider":"aliyun","mode":"partial"}`, nil, 400, httpapi.CodeBadRequest},
		{"sync path region", "POST", api + "/assets/sync", `{"provider":"aliyun","regions":["../etc"]}`, nil, 400, httpapi.CodeBadRequest},
		{"sync regions as string", "POST", api + "/assets/sync", `{"provider":"aliyun","regions":"cn-hangzhou"}`, nil, 400, httpapi.CodeBadRequest},
		{"sync bad async", "POST", api + "/assets/sync?async=maybe", `{"provider":"aliyun"}`, nil, 400, httpapi.CodeBadRequest},
		{"sync without provider", "POST", api + "/assets/sync", `{}`, nil, 400, httpapi.CodeBadRequest},
		{"events negative since", "GET", api + "/asset-events?since=-1", ``, nil, 400, httpapi.CodeBadRequest},
		{"events zero limit", "GET", api + "/asset-events?limit=0", ``, nil, 400, httpapi.CodeBadRequest},
		{"events limit above 1000", "GET", api + "/asset-events?limit=5000", ``, nil, 400, httpapi.CodeBadRequest},
		{"events since not a number", "GET", api + "/asset-events?since=abc", ``, nil, 400, httpapi.CodeBadRequest},
		{"stream bad last id", "GET", api + "/asset-events/stream", ``, []string{"Last-Event-ID", "x"}, 400, httpapi.CodeBadRequest},
		{"unknown route", "GET", api + "/assets/123/secrets", ``, nil, 404, httpapi.CodeNotFound},
		{"outside the prefix", "GET", "/admin", ``, nil, 404, httpapi.CodeNotFound},
		{"unknown method", "DELETE", api + "/assets", ``, nil, 405, httpapi.CodeMethodNotAllowed},
		{"post to a list", "POST", api + "/asset-events", `{}`, nil, 405, httpapi.CodeMethodNotAllowed},
	}
	before := s.store.calls.Load()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, e := s.do(tc.method, tc.path, tc.body, tc.header...)
			want(t, tc.name, status, e, tc.status, tc.code)
		})
	}
	if n := s.store.calls.Load() - before; n != 0 {
		t.Errorf("bad input reached the store %d times, want 0", n)
	}
	t.Run("openapi", func(t *testing.T) { validateExchanges(t, s.exchanges, 10) })
}

// FuzzRequest sends arbitrary paths, queries and bodies to every method:
// the API never answers 5xx, and always answers an envelope.
func FuzzRequest(f *testing.F) {
	for _, seed := range []struct {
		method uint8
		target string
		body   string
	}{
		{0, "/api/v1/cam/assets?limit=5&sort=-cost&tag=env=prod", ""},
		{1, "/api/v1/cam/cloud-accounts", `{"name":"a","provider":"aliyun","access_key_id":"k","access_key_secret":"s"}`},
		{1, "/api/v1/cam/assets/discover", `{"provider":"aliyun","region":"cn-hangzhou"}`},
		{1, "/api/v1/cam/assets/sync?async=1", `{"provider":"aliyun","regions":["x"]}`},
		{2, "/api/v1/cam/cloud-accounts/acc-1", `{"config":{"sync_interval":9e18}}`},
		{0, "/api/v1/cam/asset-events?since=9223372036854775807", ""},
		{0, "/api/v1/cam/assets/statistics?provider=%00", ""},
	} {
		f.Add(seed.method, seed.target, seed.body)
	}
	f.Fuzz(func(t *testing.T, method uint8, target, body string) {
		s := newServer(t)
		m := []string{"GET", "POST", "PUT", "DELETE", "PATCH"}[int(method)%5]
		if !strings.HasPrefix(target, "/") || strings.Contains(target, "/stream") {
			return
		}
		req, err := http.NewRequest(m, "http://api.test"+target, strings.NewReader(body))
		if err != nil {
			return
		}
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		s.h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s %q: got %d %s, want no 5xx", m, target, body, rec.Code, rec.Body)
		}
		if strings.HasSuffix(req.URL.Path, "/openapi.json") && rec.Code == 200 {
			return
		}
		var e env
		if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
			t.Fatalf("%s %s: body %q is not an envelope", m, target, rec.Body)
		}
		if (e.Code == 0) != (rec.Code < 300) || e.Code != 0 && string(e.Data) != "null" {
			t.Fatalf("%s %s: status %d with envelope %+v", m, target, rec.Code, e)
		}
	})
}
