package mongostore

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/inventory"
)

// accountDoc is a document of AccountsCollection. It has no field for the
// plaintext secret: only the ciphertext the KeyProvider sealed is stored.
type accountDoc struct {
	ID               string     `bson:"_id"`
	Name             string     `bson:"name"`
	Provider         string     `bson:"provider"`
	Environment      string     `bson:"environment"`
	AccessKeyID      string     `bson:"access_key_id"`
	SecretCiphertext []byte     `bson:"secret_ciphertext"`
	SecretKeyID      string     `bson:"secret_key_id"`
	Region           string     `bson:"region"`
	Description      string     `bson:"description"`
	Config           configDoc  `bson:"config"`
	Status           string     `bson:"status"`
	LastSyncTime     *time.Time `bson:"last_sync_time"`
	LastSyncStatus   string     `bson:"last_sync_status"`
	LastSyncError    string     `bson:"last_sync_error"`
	LastTestTime     *time.Time `bson:"last_test_time"`
	LastTestOK       bool       `bson:"last_test_ok"`
	LastTestError    string     `bson:"last_test_error"`
	CreateTime       time.Time  `bson:"create_time"`
	UpdateTime       time.Time  `bson:"update_time"`
}

// configDoc is AccountConfig with the interval in nanoseconds, so no
// precision is lost.
type configDoc struct {
	EnableAutoSync      bool     `bson:"enable_auto_sync"`
	SyncIntervalNanos   int64    `bson:"sync_interval_ns"`
	SupportedRegions    []string `bson:"supported_regions"`
	SupportedAssetTypes []string `bson:"supported_asset_types"`
}

func toAccountDoc(a *inventory.StoredAccount) *accountDoc {
	ct := a.SecretCiphertext
	if ct == nil {
		ct = []byte{}
	}
	return &accountDoc{
		ID: a.ID, Name: a.Name, Provider: a.Provider, Environment: a.Environment, AccessKeyID: a.AccessKeyID,
		SecretCiphertext: ct, SecretKeyID: a.SecretKeyID, Region: a.Region, Description: a.Description,
		Config: configDoc{a.Config.EnableAutoSync, int64(a.Config.SyncInterval), a.Config.SupportedRegions,
			a.Config.SupportedAssetTypes},
		Status: a.Status, LastSyncTime: utcPtr(a.LastSyncTime), LastSyncStatus: a.LastSyncStatus,
		LastSyncError: a.LastSyncError, LastTestTime: utcPtr(a.LastTestTime), LastTestOK: a.LastTestOK,
		LastTestError: a.LastTestError, CreateTime: a.CreateTime.UTC(), UpdateTime: a.UpdateTime.UTC(),
	}
}

func (d *accountDoc) account() *inventory.StoredAccount {
	return &inventory.StoredAccount{
		CloudAccount: inventory.CloudAccount{
			ID: d.ID, Name: d.Name, Provider: d.Provider, Environment: d.Environment, AccessKeyID: d.AccessKeyID,
			Region: d.Region, Description: d.Description,
			Config: inventory.AccountConfig{EnableAutoSync: d.Config.EnableAutoSync,
				SyncInterval: time.Duration(d.Config.SyncIntervalNanos), SupportedRegions: d.Config.SupportedRegions,
				SupportedAssetTypes: d.Config.SupportedAssetTypes},
			Status: d.Status, LastSyncTime: utcPtr(d.LastSyncTime), LastSyncStatus: d.LastSyncStatus,
			LastSyncError: d.LastSyncError, LastTestTime: utcPtr(d.LastTestTime), LastTestOK: d.LastTestOK,
			LastTestError: d.LastTestError, CreateTime: d.CreateTime.UTC(), UpdateTime: d.UpdateTime.UTC(),
		},
		SecretCiphertext: d.SecretCiphertext,
		SecretKeyID:      d.SecretKeyID,
	}
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// CreateAccount implements inventory.Store.
func (s *Store) CreateAccount(ctx context.Context, a *inventory.StoredAccount) error {
	_, err := s.accounts.InsertOne(ctx, toAccountDoc(a))
	if mongo.IsDuplicateKeyError(err) {
		if n, cerr := s.accounts.CountDocuments(ctx, idFilter(a.ID)); cerr == nil && n > 0 {
			return multicloud.Errorf(multicloud.CodeAlreadyExists, "account %q already exists", a.ID)
		}
		return multicloud.Errorf(multicloud.CodeAlreadyExists, "account name %q already exists", a.Name)
	}
	return wrap("create account", err)
}

// GetAccount implements inventory.Store.
func (s *Store) GetAccount(ctx context.Context, id string) (*inventory.StoredAccount, error) {
	var d accountDoc
	err := s.accounts.FindOne(ctx, idFilter(id)).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, multicloud.Errorf(multicloud.CodeNotFound, "account %q not found", id)
	}
	if err != nil {
		return nil, wrap("get account", err)
	}
	return d.account(), nil
}

// ListAccounts implements inventory.Store.
func (s *Store) ListAccounts(ctx context.Context) ([]inventory.StoredAccount, error) {
	cur, err := s.accounts.Find(ctx, bson.D{}, options.Find().SetSort(bson.D{{Key: "name", Value: 1}, {Key: "_id", Value: 1}}))
	if err != nil {
		return nil, wrap("list accounts", err)
	}
	var docs []accountDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, wrap("list accounts", err)
	}
	out := make([]inventory.StoredAccount, len(docs))
	for i := range docs {
		out[i] = *docs[i].account()
	}
	return out, nil
}

// UpdateAccount implements inventory.Store.
func (s *Store) UpdateAccount(ctx context.Context, a *inventory.StoredAccount) error {
	res, err := s.accounts.ReplaceOne(ctx, idFilter(a.ID), toAccountDoc(a))
	if err != nil && (mongo.IsDuplicateKeyError(err) || s.nameTaken(ctx, a.Name, a.ID)) {
		// FerretDB reports this unique index violation as an internal
		// error, not as a duplicate key: ask the index's question.
		return multicloud.Errorf(multicloud.CodeAlreadyExists, "account name %q already exists", a.Name)
	}
	if err != nil {
		return wrap("update account", err)
	}
	if res.MatchedCount == 0 {
		return multicloud.Errorf(multicloud.CodeNotFound, "account %q not found", a.ID)
	}
	return nil
}

// nameTaken reports whether an account other than id is named name.
func (s *Store) nameTaken(ctx context.Context, name, id string) bool {
	n, err := s.accounts.CountDocuments(ctx, bson.D{{Key: "name", Value: name}, {Key: "_id", Value: bson.D{{Key: "$ne", Value: id}}}})
	return err == nil && n > 0
}

// DeleteAccount implements inventory.Store.
func (s *Store) DeleteAccount(ctx context.Context, id string) error {
	res, err := s.accounts.DeleteOne(ctx, idFilter(id))
	if err != nil {
		return wrap("delete account", err)
	}
	if res.DeletedCount == 0 {
		return multicloud.Errorf(multicloud.CodeNotFound, "account %q not found", id)
	}
	return nil
}
