package httpapi

import (
	"net/http"
	"time"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/inventory"
)

// accountRequest is the body of POST /cloud-accounts and PUT
// /cloud-accounts/{id}: the design's fields, and status. On PUT an empty
// or masked access_key_secret keeps the stored one.
type accountRequest struct {
	Name            string         `json:"name"`
	Provider        string         `json:"provider"`
	Environment     string         `json:"environment"`
	AccessKeyID     string         `json:"access_key_id"`
	AccessKeySecret string         `json:"access_key_secret"`
	Region          string         `json:"region"`
	Description     string         `json:"description"`
	Config          *configRequest `json:"config"`
	Status          string         `json:"status"`
}

// configRequest is the account's config; sync_interval is in seconds.
type configRequest struct {
	EnableAutoSync      bool     `json:"enable_auto_sync"`
	SyncInterval        int64    `json:"sync_interval"`
	SupportedRegions    []string `json:"supported_regions"`
	SupportedAssetTypes []string `json:"supported_asset_types"`
}

// maxSyncInterval bounds sync_interval (a year), far inside
// time.Duration's range.
const maxSyncInterval = 366 * 24 * 3600

// account returns the CloudAccount the request describes.
func (req *accountRequest) account() (inventory.CloudAccount, error) {
	a := inventory.CloudAccount{Name: req.Name, Provider: req.Provider, Environment: req.Environment,
		AccessKeyID: req.AccessKeyID, AccessKeySecret: multicloud.Secret(req.AccessKeySecret), Region: req.Region,
		Description: req.Description, Status: req.Status}
	if c := req.Config; c != nil {
		if c.SyncInterval < 0 || c.SyncInterval > maxSyncInterval {
			return a, badRequest("config.sync_interval %d is not within 0..%d seconds", c.SyncInterval, maxSyncInterval)
		}
		if len(c.SupportedRegions) > 100 || len(c.SupportedAssetTypes) > 20 {
			return a, badRequest("config lists more than 100 regions or 20 asset types")
		}
		for _, r := range c.SupportedRegions {
			if err := checkName("config.supported_regions entry", r); err != nil {
				return a, err
			}
		}
		for _, t := range c.SupportedAssetTypes {
			if err := checkName("config.supported_asset_types entry", t); err != nil {
				return a, err
			}
		}
		a.Config = inventory.AccountConfig{EnableAutoSync: c.EnableAutoSync, SyncInterval: time.Duration(c.SyncInterval) * time.Second,
			SupportedRegions: c.SupportedRegions, SupportedAssetTypes: c.SupportedAssetTypes}
	}
	return a, nil
}

// pathID returns the {id} of the route, checked.
func pathID(r *http.Request) (string, error) {
	id := r.PathValue("id")
	if err := checkName("id", id); err != nil {
		return "", notFound("no resource with id %q", truncate(id))
	}
	return id, nil
}

func (h *Handler) createAccount(w http.ResponseWriter, r *http.Request) error {
	var req accountRequest
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	a, err := req.account()
	if err != nil {
		return err
	}
	created, err := h.svc.CreateAccount(r.Context(), a)
	if err != nil {
		return err
	}
	w.Header().Set("Location", Prefix+"/cloud-accounts/"+created.ID)
	ok(w, http.StatusCreated, created)
	return nil
}

func (h *Handler) listAccounts(w http.ResponseWriter, r *http.Request) error {
	if err := checkQuery(r.URL.Query(), nil, nil); err != nil {
		return err
	}
	list, err := h.svc.ListAccounts(r.Context())
	if err != nil {
		return err
	}
	if list == nil {
		list = []inventory.CloudAccount{}
	}
	ok(w, http.StatusOK, map[string]any{"accounts": list, "total": len(list)})
	return nil
}

func (h *Handler) getAccount(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	a, err := h.svc.GetAccount(r.Context(), id)
	if err != nil {
		return err
	}
	ok(w, http.StatusOK, a)
	return nil
}

func (h *Handler) updateAccount(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req accountRequest
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	a, err := req.account()
	if err != nil {
		return err
	}
	a.ID = id
	updated, err := h.svc.UpdateAccount(r.Context(), a)
	if err != nil {
		return err
	}
	ok(w, http.StatusOK, updated)
	return nil
}

func (h *Handler) deleteAccount(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := h.svc.DeleteAccount(r.Context(), id); err != nil {
		return err
	}
	ok(w, http.StatusOK, nil)
	return nil
}

// connectionResult is the data of POST /cloud-accounts/{id}/test-connection.
type connectionResult struct {
	OK        bool    `json:"ok"`
	LatencyMS float64 `json:"latency_ms"`
	ErrorKind string  `json:"error_kind"`
	Error     string  `json:"error"`
}

func (h *Handler) testConnection(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var empty struct{}
	if err := decodeBody(r, &empty, true); err != nil {
		return err
	}
	res, err := h.svc.TestConnection(r.Context(), id)
	if err != nil {
		return err
	}
	ok(w, http.StatusOK, connectionResult{OK: res.OK, LatencyMS: float64(res.Latency.Microseconds()) / 1000,
		ErrorKind: string(res.ErrorKind), Error: oneLine(res.Error)})
	return nil
}
