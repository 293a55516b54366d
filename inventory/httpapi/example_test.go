package httpapi_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/multicloud-ecs/multicloud/inventory"
	"github.com/multicloud-ecs/multicloud/inventory/httpapi"
)

// A service mounts the API beside its own routes, with its own
// authentication.
func ExampleNew() {
	svc, err := inventory.New(inventory.NewMemStore())
	if err != nil {
		panic(err)
	}
	api, err := httpapi.New(svc, httpapi.WithAuth(httpapi.BearerToken("s3cret-token")))
	if err != nil {
		panic(err)
	}
	defer api.Close()
	mux := http.NewServeMux()
	mux.Handle(httpapi.Prefix+"/", api)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	req, _ := http.NewRequest("GET", srv.URL+httpapi.Prefix+"/assets?provider=aliyun&limit=20", nil)
	req.Header.Set("Authorization", "Bearer s3cret-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Print(resp.StatusCode, " ", string(body))
	// Output:
	// 200 {"code":0,"msg":"success","data":{"assets":[],"total":0,"limit":20,"offset":0}}
}
