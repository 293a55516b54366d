package inventory

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/multicloud-ecs/multicloud"
)

// Account statuses.
const (
	AccountActive   = "active"   // synced and tested normally
	AccountDisabled = "disabled" // kept, but skipped by RunAutoSync
)

// CloudAccount is a set of credentials for one provider account and how
// the inventory syncs it.
//
// AccessKeySecret is write-only: CreateAccount and UpdateAccount read it,
// and every account the Service returns carries MaskSecret's mask in its
// place, never the secret. UpdateAccount keeps the stored secret when the
// field is empty or holds the mask.
type CloudAccount struct {
	ID              string            `json:"id"`
	Name            string            `json:"name"`
	Provider        string            `json:"provider"`
	Environment     string            `json:"environment"` // free-form, e.g. "production"
	AccessKeyID     string            `json:"access_key_id"`
	AccessKeySecret multicloud.Secret `json:"access_key_secret"`
	Region          string            `json:"region"` // the default region, for API calls that need one
	Description     string            `json:"description"`
	Config          AccountConfig     `json:"config"`
	Status          string            `json:"status"` // AccountActive (the default) or AccountDisabled

	LastSyncTime   *time.Time `json:"last_sync_time"`   // nil until the first sync
	LastSyncStatus string     `json:"last_sync_status"` // "success", "partial" or "failed"
	LastSyncError  string     `json:"last_sync_error,omitempty"`
	LastTestTime   *time.Time `json:"last_test_time"` // nil until the first connection test
	LastTestOK     bool       `json:"last_test_ok"`
	LastTestError  string     `json:"last_test_error,omitempty"`

	CreateTime time.Time `json:"create_time"`
	UpdateTime time.Time `json:"update_time"`
}

// MarshalJSON writes the account with access_key_secret set to
// MaskSecret's mask of its key ID, whatever the field holds, so a secret
// can never leave through JSON; "****" plus the key ID's last four
// characters tells which key is stored.
func (a CloudAccount) MarshalJSON() ([]byte, error) {
	type plain CloudAccount // without this method
	return json.Marshal(struct {
		plain
		AccessKeySecret string `json:"access_key_secret"`
	}{plain(a), MaskSecret(a.AccessKeyID).Reveal()})
}

// AccountConfig says how an account is synced.
type AccountConfig struct {
	EnableAutoSync bool
	// SyncInterval is the RunAutoSync period; it must be positive when
	// EnableAutoSync is set. JSON carries it as whole seconds.
	SyncInterval time.Duration
	// SupportedRegions limits syncs to these regions; empty means every
	// region the provider lists.
	SupportedRegions []string
	// SupportedAssetTypes limits syncs to these asset types; empty means
	// the provider's default (AssetTypeECS, AssetTypeEC2 for AWS).
	SupportedAssetTypes []string
}

type accountConfigJSON struct {
	EnableAutoSync      bool     `json:"enable_auto_sync"`
	SyncInterval        int64    `json:"sync_interval"`
	SupportedRegions    []string `json:"supported_regions"`
	SupportedAssetTypes []string `json:"supported_asset_types"`
}

// MarshalJSON writes the config with sync_interval in seconds.
func (c AccountConfig) MarshalJSON() ([]byte, error) {
	return json.Marshal(accountConfigJSON{c.EnableAutoSync, int64(c.SyncInterval / time.Second), c.SupportedRegions, c.SupportedAssetTypes})
}

// UnmarshalJSON reads a config with sync_interval in seconds.
func (c *AccountConfig) UnmarshalJSON(b []byte) error {
	var j accountConfigJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	const maxSeconds = int64(1<<63-1) / int64(time.Second)
	if j.SyncInterval > maxSeconds || j.SyncInterval < -maxSeconds {
		return fmt.Errorf("sync_interval %d is out of range", j.SyncInterval)
	}
	*c = AccountConfig{j.EnableAutoSync, time.Duration(j.SyncInterval) * time.Second, j.SupportedRegions, j.SupportedAssetTypes}
	return nil
}

// MaskSecret returns the form of the access key secret that get and list
// results carry: "****" and the last four characters of the access key ID.
// It derives nothing from the secret.
func MaskSecret(accessKeyID string) multicloud.Secret {
	r := []rune(accessKeyID)
	if len(r) > 4 {
		r = r[len(r)-4:]
	}
	return multicloud.Secret("****" + string(r))
}

// validate reports every problem of a, as an error matching
// multicloud.ErrInvalidArgument. known reports whether a provider code has
// a Connector; requireSecret is set on creation.
func (a *CloudAccount) validate(known func(string) bool, requireSecret bool) error {
	var errs []error
	if a.Name == "" {
		errs = append(errs, errors.New("name is required"))
	}
	if a.Provider == "" {
		errs = append(errs, errors.New("provider is required"))
	} else if !known(a.Provider) {
		errs = append(errs, fmt.Errorf("provider %q is unknown", truncate(a.Provider)))
	}
	if a.AccessKeyID == "" {
		errs = append(errs, errors.New("access_key_id is required"))
	}
	if requireSecret && a.AccessKeySecret.IsZero() {
		errs = append(errs, errors.New("access_key_secret is required"))
	}
	for _, v := range []struct{ name, value string }{
		{"name", a.Name}, {"provider", a.Provider}, {"environment", a.Environment},
		{"access_key_id", a.AccessKeyID}, {"region", a.Region},
	} {
		if err := checkValue(v.name, v.value); err != nil {
			errs = append(errs, err)
		}
	}
	if len(a.Description) > 4096 {
		errs = append(errs, errors.New("description is longer than 4096 bytes"))
	}
	switch a.Status {
	case "", AccountActive, AccountDisabled:
	default:
		errs = append(errs, fmt.Errorf("status %q is not %q or %q", truncate(a.Status), AccountActive, AccountDisabled))
	}
	if a.Config.SyncInterval < 0 {
		errs = append(errs, fmt.Errorf("sync_interval %v is negative", a.Config.SyncInterval))
	} else if a.Config.EnableAutoSync && a.Config.SyncInterval == 0 {
		errs = append(errs, errors.New("sync_interval is required when enable_auto_sync is set"))
	}
	for _, r := range a.Config.SupportedRegions {
		if r == "" {
			errs = append(errs, errors.New("supported_regions holds an empty region"))
		} else if err := checkValue("supported region", r); err != nil {
			errs = append(errs, err)
		}
	}
	for _, t := range a.Config.SupportedAssetTypes {
		if t == "" {
			errs = append(errs, errors.New("supported_asset_types holds an empty type"))
		} else if err := checkValue("supported asset type", t); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return &multicloud.Error{Op: "inventory.CloudAccount", Provider: a.Provider, Code: multicloud.CodeInvalidArgument,
			Message: "invalid account", Err: errors.Join(errs...)}
	}
	return nil
}

// StoredAccount is a CloudAccount as a Store keeps it: the secret sealed
// by a KeyProvider. Its AccessKeySecret is always empty; a Store must not
// persist that field.
type StoredAccount struct {
	CloudAccount
	// SecretCiphertext is the access key secret sealed by KeyProvider.Encrypt.
	SecretCiphertext []byte
	// SecretKeyID names the key that sealed it, for rotation.
	SecretKeyID string
}

// ConnectionResult is the outcome of Service.TestConnection.
type ConnectionResult struct {
	OK        bool                `json:"ok"`
	Latency   time.Duration       `json:"latency"`
	ErrorKind ConnectionErrorKind `json:"error_kind,omitempty"` // empty when OK
	Error     string              `json:"error,omitempty"`      // the failure, without credentials
}

// ConnectionErrorKind classifies why a connection test failed.
type ConnectionErrorKind string

// The connection error kinds.
const (
	ErrorUnknownAccessKey  ConnectionErrorKind = "unknown_access_key" // the access key ID does not exist or is disabled
	ErrorSignatureMismatch ConnectionErrorKind = "signature_mismatch" // the secret is wrong
	ErrorPermissionDenied  ConnectionErrorKind = "permission_denied"  // valid credentials without the permission
	ErrorUnreachable       ConnectionErrorKind = "unreachable"        // network failure, timeout or server unavailable
	ErrorThrottled         ConnectionErrorKind = "throttled"
	ErrorUnknown           ConnectionErrorKind = "unknown"
)
