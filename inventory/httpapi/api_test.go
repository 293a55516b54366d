package httpapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/multicloud-ecs/multicloud/inventory"
	"github.com/multicloud-ecs/multicloud/inventory/httpapi"
)

// TestAPI walks every route through its answers, then checks every
// answer against the OpenAPI document and that none holds the secret.
func TestAPI(t *testing.T) {
	s := newServer(t)
	const api = "/api/v1/cam"

	t.Run("auth", func(t *testing.T) {
		status, e := s.do("GET", api+"/assets", "", "Authorization", "")
		want(t, "no token", status, e, 401, httpapi.CodeUnauthenticated)
		status, e = s.do("GET", api+"/assets", "", "Authorization", "Bearer wrong")
		want(t, "wrong token", status, e, 401, httpapi.CodeUnauthenticated)
		status, b, _ := s.raw("GET", api+"/openapi.json", "", "Authorization", "")
		if status != 200 || !json.Valid(b) {
			t.Fatalf("openapi.json without a token: got %d, want 200 and JSON", status)
		}
	})

	var id string
	t.Run("accounts", func(t *testing.T) {
		id = s.createAccount()
		status, e := s.do("POST", api+"/cloud-accounts", accountBody)
		want(t, "duplicate name", status, e, 409, httpapi.CodeConflict)
		status, e = s.do("POST", api+"/cloud-accounts", `{"provider":"aliyun"}`)
		want(t, "missing fields", status, e, 400, httpapi.CodeBadRequest)
		status, e = s.do("POST", api+"/cloud-accounts", strings.Replace(accountBody, `"aliyun"`, `"gcp"`, 1))
		want(t, "unknown provider", status, e, 400, httpapi.CodeBadRequest)

		status, e = s.do("GET", api+"/cloud-accounts", "")
		want(t, "list", status, e, 200, 0)
		list := data[struct {
			Accounts []inventory.CloudAccount `json:"accounts"`
			Total    int                      `json:"total"`
		}](t, e)
		if list.Total != 1 || len(list.Accounts) != 1 || list.Accounts[0].ID != id {
			t.Fatalf("list: got %+v, want the one account %s", list, id)
		}
		if got := list.Accounts[0].AccessKeySecret.Reveal(); got != "****eyID" {
			t.Errorf("listed secret: got %q, want the mask ****eyID", got)
		}
		status, e = s.do("GET", api+"/cloud-accounts/"+id, "")
		want(t, "get", status, e, 200, 0)
		status, e = s.do("GET", api+"/cloud-accounts/acc-missing", "")
		want(t, "get unknown", status, e, 404, httpapi.CodeNotFound)

		upd := strings.Replace(strings.Replace(accountBody, `"main account"`, `"edited"`, 1), goodSecret, "****eyID", 1)
		status, e = s.do("PUT", api+"/cloud-accounts/"+id, upd)
		want(t, "update", status, e, 200, 0)
		if got := data[inventory.CloudAccount](t, e).Description; got != "edited" {
			t.Errorf("updated description: got %q, want edited", got)
		}
		status, e = s.do("PUT", api+"/cloud-accounts/acc-missing", upd)
		want(t, "update unknown", status, e, 404, httpapi.CodeNotFound)

		status, e = s.do("POST", api+"/cloud-accounts/"+id+"/test-connection", "")
		want(t, "test connection", status, e, 200, 0)
		if res := data[map[string]any](t, e); res["ok"] != true {
			t.Errorf("test connection: got %v, want ok (the masked update kept the secret)", res)
		}
		status, e = s.do("POST", api+"/cloud-accounts/acc-missing/test-connection", "")
		want(t, "test unknown", status, e, 404, httpapi.CodeNotFound)
	})

	t.Run("discover", func(t *testing.T) {
		status, e := s.do("POST", api+"/assets/discover", `{"provider":"aliyun","region":"cn-shenzhen"}`)
		want(t, "discover", status, e, 200, 0)
		res := data[struct {
			Assets []httpapi.Asset `json:"assets"`
			Count  int             `json:"count"`
		}](t, e)
		if res.Count != 5 || len(res.Assets) != 5 {
			t.Fatalf("discover: got %d (%d assets), want 5", res.Count, len(res.Assets))
		}
		status, e = s.do("GET", api+"/assets", "")
		want(t, "query after discover", status, e, 200, 0)
		if total := data[httpapi.AssetList](t, e).Total; total != 0 {
			t.Errorf("after discover: %d stored assets, want 0 (discover stores nothing)", total)
		}
		status, e = s.do("POST", api+"/assets/discover", `{"provider":"gcp","region":"cn-shenzhen"}`)
		want(t, "discover unknown provider", status, e, 400, httpapi.CodeBadRequest)
		status, e = s.do("POST", api+"/assets/discover", `{"provider":"aliyun","region":"bad-region"}`)
		want(t, "discover cloud error", status, e, 502, httpapi.CodeCloudFailed)
		status, e = s.do("POST", api+"/assets/discover", `{"provider":"aliyun","region":"throttled-region"}`)
		want(t, "discover throttled", status, e, 429, httpapi.CodeThrottled)
		status, e = s.do("POST", api+"/assets/discover", `{"provider":"aliyun","region":"down-region"}`)
		want(t, "discover unreachable", status, e, 503, httpapi.CodeCloudUnavailable)
		status, e = s.do("POST", api+"/assets/discover", `{"provider":"aliyun","region":"cn-shenzhen","account_id":"acc-none"}`)
		want(t, "discover unknown account", status, e, 404, httpapi.CodeNotFound)
	})

	t.Run("sync and query", func(t *testing.T) {
		status, e := s.do("POST", api+"/assets/sync", `{"provider":"aliyun"}`)
		want(t, "sync", status, e, 200, 0)
		status, e = s.do("GET", api+"/assets?provider=aliyun&asset_type=ecs&region=cn-shenzhen&limit=2&offset=0", "")
		want(t, "query", status, e, 200, 0)
		page := data[httpapi.AssetList](t, e)
		if page.Total != 5 || len(page.Assets) != 2 {
			t.Fatalf("query: got total %d, %d assets; want 5 and 2", page.Total, len(page.Assets))
		}
		a := page.Assets[0]
		if a.Cost != 0.5 || a.Account != id || a.Region != "cn-shenzhen" || len(a.Tags) != 1 {
			t.Errorf("asset: got %+v, want cost 0.5 in cn-shenzhen with one tag", a)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(a.Metadata), &m); err != nil {
			t.Fatalf("metadata %q is not a JSON object string: %v", a.Metadata, err)
		}
		for k, v := range map[string]any{"instance_type_family": "ecs.g6", "expired_time": "",
			"tags": map[string]any{"env": "prod"}, "creation_time": "2024-05-06T07:08:09Z"} {
			if diff := cmp.Diff(v, m[k]); diff != "" {
				t.Errorf("metadata %s (-want +got):\n%s", k, diff)
			}
		}
		if ip, _ := m["public_ip"].(string); !strings.HasPrefix(ip, "47.1.2.") {
			t.Errorf("metadata public_ip: got %v, want the first address as a string", m["public_ip"])
		}
		if io := m["io_optimized"]; io != "optimized" && io != "none" {
			t.Errorf("metadata io_optimized: got %v, want optimized or none", io)
		}
		status, e = s.do("GET", api+"/assets?status=Running&sort=-asset_name&tag=env=prod&name=web&include_deleted=false", "")
		want(t, "query filters", status, e, 200, 0)
		if got := data[httpapi.AssetList](t, e).Total; got != 6 {
			t.Errorf("running prod web assets: got %d, want 6", got)
		}
		status, e = s.do("GET", api+"/assets/statistics", "")
		want(t, "statistics", status, e, 200, 0)
		st := data[inventory.Statistics](t, e)
		if st.TotalAssets != 10 || st.TotalCost != 5 || st.RegionStats["cn-hangzhou"] != 5 || st.LastDiscoverTime == nil {
			t.Errorf("statistics: got %+v, want 10 assets costing 5 an hour", st)
		}
		status, e = s.do("POST", api+"/assets/sync", `{"provider":"aliyun","regions":["bad-region"]}`)
		want(t, "sync cloud error", status, e, 502, httpapi.CodeCloudFailed)
	})

	t.Run("async jobs and conflicts", func(t *testing.T) {
		release := s.cloud.hold()
		status, e := s.do("POST", api+"/assets/sync?async=true", `{"provider":"aliyun","mode":"full"}`)
		want(t, "async sync", status, e, 202, 0)
		jobID := data[map[string]string](t, e)["job_id"]
		status, e = s.do("POST", api+"/cloud-accounts/"+id+"/sync", "", "Prefer", "respond-async")
		want(t, "second sync of the account", status, e, 409, httpapi.CodeConflict)
		if !strings.Contains(e.Msg, jobID) {
			t.Errorf("conflict message %q does not name job %s", e.Msg, jobID)
		}
		status, e = s.do("GET", api+"/sync-jobs/"+jobID, "")
		want(t, "running job", status, e, 200, 0)
		release()
		j := s.waitJob(jobID)
		if j.Status != httpapi.JobSucceeded || len(j.Reports) != 1 || len(j.Progress) != 2 {
			t.Errorf("job: got status %s, %d reports, %d progress rows; want succeeded, 1, 2", j.Status, len(j.Reports), len(j.Progress))
		}
		status, e = s.do("POST", api+"/cloud-accounts/"+id+"/sync", `{"regions":["cn-hangzhou"],"mode":"incremental"}`)
		want(t, "account sync", status, e, 200, 0)
		status, e = s.do("GET", api+"/sync-jobs", "")
		want(t, "list jobs", status, e, 200, 0)
		status, e = s.do("GET", api+"/sync-jobs/job-missing", "")
		want(t, "unknown job", status, e, 404, httpapi.CodeNotFound)
	})

	t.Run("events", func(t *testing.T) {
		status, e := s.do("GET", api+"/asset-events?since=0&limit=1000", "")
		want(t, "events", status, e, 200, 0)
		page := data[struct {
			Events []inventory.AssetEvent `json:"events"`
			LastID int64                  `json:"last_id"`
		}](t, e)
		if len(page.Events) != 10 || page.Events[0].Type != inventory.EventAdded {
			t.Fatalf("events: got %d, want 10 added", len(page.Events))
		}
		status, e = s.do("GET", api+"/asset-events?since="+itoa(page.Events[7].ID), "")
		want(t, "events since", status, e, 200, 0)
		if rest := data[struct {
			Events []inventory.AssetEvent `json:"events"`
		}](t, e); len(rest.Events) != 2 {
			t.Errorf("events after the 8th: got %d, want 2", len(rest.Events))
		}

		// The stream replays after Last-Event-ID, then follows new events.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", s.url+api+"/asset-events/stream", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Last-Event-ID", itoa(page.Events[8].ID))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || ct != "text/event-stream" {
			t.Fatalf("stream: got %d %q, want 200 text/event-stream", resp.StatusCode, ct)
		}
		s.cloud.mu.Lock()
		s.cloud.regions["cn-hangzhou"][0].Status = "Stopped"
		s.cloud.mu.Unlock()
		if status, e := s.do("POST", api+"/cloud-accounts/"+id+"/sync", `{"regions":["cn-hangzhou"]}`); status != 200 {
			t.Fatalf("sync: %d %s", status, e.Msg)
		}
		var got []inventory.AssetEvent
		sc := bufio.NewScanner(resp.Body)
		for len(got) < 2 && sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var ev inventory.AssetEvent
				if err := json.Unmarshal([]byte(d), &ev); err != nil {
					t.Fatalf("stream data %q: %v", d, err)
				}
				got = append(got, ev)
			}
		}
		if len(got) != 2 || got[0].ID != page.Events[9].ID || got[1].Type != inventory.EventStatusChanged ||
			got[1].OldStatus != "Running" || got[1].NewStatus != "Stopped" {
			t.Errorf("stream: got %+v, want the 10th event, then a status change Running -> Stopped", got)
		}
	})

	t.Run("delete", func(t *testing.T) {
		status, e := s.do("DELETE", api+"/cloud-accounts/"+id, "")
		want(t, "delete", status, e, 200, 0)
		status, e = s.do("DELETE", api+"/cloud-accounts/"+id, "")
		want(t, "delete again", status, e, 404, httpapi.CodeNotFound)
		status, e = s.do("POST", api+"/assets/sync", `{"provider":"aliyun"}`)
		want(t, "sync without accounts", status, e, 404, httpapi.CodeNotFound)
	})

	t.Run("request ids", func(t *testing.T) {
		_, _, h := s.raw("GET", api+"/assets", "", "X-Request-Id", "trace-42")
		if got := h.Get("X-Request-Id"); got != "trace-42" {
			t.Errorf("given request id: got %q back, want trace-42", got)
		}
		_, _, h = s.raw("GET", api+"/assets", "", "X-Request-Id", "bad id\twith spaces")
		if got := h.Get("X-Request-Id"); len(got) != 24 {
			t.Errorf("unusable request id: got %q back, want a new 24-character id", got)
		}
	})

	t.Run("routes", func(t *testing.T) {
		status, e := s.do("GET", api+"/nothing", "")
		want(t, "unknown route", status, e, 404, httpapi.CodeNotFound)
		status, e = s.do("PATCH", api+"/assets", "")
		want(t, "unknown method", status, e, 405, httpapi.CodeMethodNotAllowed)
		status, e = s.do("POST", api+"/cloud-accounts", `{"name":"`+strings.Repeat("x", 2<<20)+`"}`)
		want(t, "huge body", status, e, 413, httpapi.CodeTooLarge)
	})

	t.Run("openapi", func(t *testing.T) { validateExchanges(t, s.exchanges, 15) })

	t.Run("secret never answered", func(t *testing.T) {
		for _, x := range s.exchanges {
			if strings.Contains(string(x.body), goodSecret) {
				t.Errorf("%s %s answered the secret: %s", x.method, x.path, x.body)
			}
			for k, v := range x.header {
				if strings.Contains(strings.Join(v, " "), goodSecret) {
					t.Errorf("%s %s: header %s holds the secret", x.method, x.path, k)
				}
			}
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
