package inventory

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/multicloud-ecs/multicloud"
	"golang.org/x/time/rate"
)

// Defaults of Options.
const (
	// DefaultConcurrency is the scopes one Sync lists at once: each
	// region has rate limits of its own, so regions are listed side by
	// side; 16 keeps a 28-region sync under 100 MB (see BENCHMARKS.md).
	DefaultConcurrency = 16
	// DefaultBatchSize is the changed assets per write: small enough
	// that concurrent scopes hold little before writing.
	DefaultBatchSize = 200
	// DefaultMemEvents is how many change events a Service whose Store
	// keeps none (EventLog) holds in memory: a full sync of a large
	// account yields one per asset, so the log keeps only the latest.
	DefaultMemEvents = 10_000
)

// Options configure a Service. New applies the Option functions to a
// zero Options and then fills in defaults.
type Options struct {
	// Connectors build Discoverers, keyed by provider code. An account's
	// provider must have one.
	Connectors map[string]Connector
	// KeyProvider seals account secrets. Without one, creating an account
	// or using a stored one fails.
	KeyProvider KeyProvider
	// Concurrency bounds the scopes (region x asset type) one Sync lists
	// at once; 0 means DefaultConcurrency.
	Concurrency int
	// RateLimit and RateBurst are the starting rate and burst of the API
	// calls per (account, region, action), as Aliyun throttles, shared
	// by every sync of the Service. The rate adapts: a throttled call
	// halves it, a quiet RateProbe raises it by a tenth up to
	// RateCeiling. 0 means DefaultRateLimit and DefaultRateBurst;
	// rate.Inf disables the limit.
	RateLimit rate.Limit
	RateBurst int
	// RateCeiling is the most the rate probes up to; 0 means five
	// times RateLimit.
	RateCeiling rate.Limit
	// RateProbe is the quiet period before each raise; 0 means
	// DefaultRateProbe.
	RateProbe time.Duration
	// AccountRateLimit and AccountRateBurst optionally cap every call of
	// an account, whatever its region and action, for accounts whose
	// API budget is shared with other tools; 0 means no cap.
	AccountRateLimit rate.Limit
	AccountRateBurst int
	// BatchSize is how many changed assets are written per UpsertAssets;
	// 0 means DefaultBatchSize.
	BatchSize int
	// Retry is the policy of CallFunc: throttled and unavailable calls are
	// retried with backoff; zero fields take multicloud.DefaultRetryPolicy's.
	Retry multicloud.RetryPolicy
	// Logger receives sync and account events, never secrets; nil
	// discards them.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// FullSyncEvery is how often an incremental sync runs a scope in
	// full all the same, to catch what no change feed reports; 0 means
	// DefaultFullSyncEvery.
	FullSyncEvery time.Duration
	// AutoSyncPoll is how often RunAutoSync looks for due accounts at
	// most; 0 means a minute.
	AutoSyncPoll time.Duration
	// Quoters price assets during Sync, keyed by provider code (see
	// WithQuoter); none means Cost stays as the Discoverer set it.
	Quoters map[string]Quoter
	// CostTTL is how long a price is reused; 0 means DefaultCostTTL.
	CostTTL time.Duration
	// EventPoll is how often Subscribe reads the event log when no event
	// of this Service woke it, to see events other processes recorded in
	// a shared Store; 0 means a second.
	EventPoll time.Duration
	// MemEvents is how many of the latest change events the Service
	// keeps in memory when its Store is no EventLog (older ones are
	// dropped, and a subscriber that falls further behind skips them);
	// 0 means DefaultMemEvents. A Store that is an EventLog keeps them
	// itself.
	MemEvents int
}

// Option edits Options.
type Option func(*Options)

// WithConnector registers c for provider code provider.
func WithConnector(provider string, c Connector) Option {
	return func(o *Options) {
		if o.Connectors == nil {
			o.Connectors = map[string]Connector{}
		}
		o.Connectors[provider] = c
	}
}

// WithKeyProvider sets Options.KeyProvider.
func WithKeyProvider(k KeyProvider) Option { return func(o *Options) { o.KeyProvider = k } }

// WithConcurrency sets Options.Concurrency.
func WithConcurrency(n int) Option { return func(o *Options) { o.Concurrency = n } }

// WithRateLimit sets Options.RateLimit and RateBurst.
func WithRateLimit(l rate.Limit, burst int) Option {
	return func(o *Options) { o.RateLimit, o.RateBurst = l, burst }
}

// WithAccountRateLimit sets Options.AccountRateLimit and AccountRateBurst.
func WithAccountRateLimit(l rate.Limit, burst int) Option {
	return func(o *Options) { o.AccountRateLimit, o.AccountRateBurst = l, burst }
}

// WithBatchSize sets Options.BatchSize.
func WithBatchSize(n int) Option { return func(o *Options) { o.BatchSize = n } }

// WithRetry sets Options.Retry.
func WithRetry(p multicloud.RetryPolicy) Option { return func(o *Options) { o.Retry = p } }

// WithLogger sets Options.Logger.
func WithLogger(l *slog.Logger) Option { return func(o *Options) { o.Logger = l } }

// WithFullSyncEvery sets Options.FullSyncEvery.
func WithFullSyncEvery(d time.Duration) Option { return func(o *Options) { o.FullSyncEvery = d } }

// WithMemEvents sets Options.MemEvents.
func WithMemEvents(n int) Option { return func(o *Options) { o.MemEvents = n } }

// WithClock sets Options.Now.
func WithClock(now func() time.Time) Option { return func(o *Options) { o.Now = now } }

// Service is the inventory: accounts, discovery, sync, query and
// statistics over a Store. It is safe for concurrent use.
type Service struct {
	store Store
	opts  Options
	log   *slog.Logger

	limits *rateLimiters

	events   EventLog // the Store's, else a bounded MemEventLog
	evMu     sync.Mutex
	evNotify chan struct{} // closed and replaced at every append
	costs    costCache
	syncing  syncing // accounts with a Sync running
}

// New returns a Service over store. It fails with an error matching
// multicloud.ErrInvalidArgument when store is nil or an option is out of
// range (negative sizes).
func New(store Store, opts ...Option) (*Service, error) {
	var o Options
	for _, opt := range opts {
		opt(&o)
	}
	if store == nil {
		return nil, multicloud.Errorf(multicloud.CodeInvalidArgument, "inventory: nil store")
	}
	if o.Concurrency < 0 || o.BatchSize < 0 || o.RateBurst < 0 || o.RateLimit < 0 || o.AutoSyncPoll < 0 || o.CostTTL < 0 || o.EventPoll < 0 || o.MemEvents < 0 ||
		o.RateCeiling < 0 || o.RateProbe < 0 || o.FullSyncEvery < 0 || o.AccountRateLimit < 0 || o.AccountRateBurst < 0 {
		return nil, multicloud.Errorf(multicloud.CodeInvalidArgument, "inventory: negative option")
	}
	if o.Concurrency == 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.BatchSize == 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.RateLimit == 0 {
		o.RateLimit, o.RateBurst = DefaultRateLimit, DefaultRateBurst
	}
	if o.RateBurst == 0 {
		o.RateBurst = 1
	}
	if o.RateCeiling == 0 {
		o.RateCeiling = 5 * o.RateLimit
	}
	if o.RateProbe == 0 {
		o.RateProbe = DefaultRateProbe
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.FullSyncEvery == 0 {
		o.FullSyncEvery = DefaultFullSyncEvery
	}
	if o.AutoSyncPoll == 0 {
		o.AutoSyncPoll = time.Minute
	}
	if o.CostTTL == 0 {
		o.CostTTL = DefaultCostTTL
	}
	if o.EventPoll == 0 {
		o.EventPoll = time.Second
	}
	if o.MemEvents == 0 {
		o.MemEvents = DefaultMemEvents
	}
	events, ok := store.(EventLog)
	if !ok {
		events = &MemEventLog{Max: o.MemEvents}
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Service{store: store, opts: o, log: log, limits: newRateLimiters(o),
		events: events, evNotify: make(chan struct{})}, nil
}

func (s *Service) now() time.Time { return s.opts.Now().UTC() }

func (s *Service) knownProvider(p string) bool {
	_, ok := s.opts.Connectors[p]
	return ok
}

// public returns the account as the API shows it: the secret masked.
func public(a *StoredAccount) CloudAccount {
	c := a.CloudAccount
	c.AccessKeySecret = MaskSecret(c.AccessKeyID)
	return c
}

func newAccountID() string {
	var b [8]byte
	rand.Read(b[:])
	return "acc-" + hex.EncodeToString(b[:])
}

func (s *Service) seal(ctx context.Context, secret multicloud.Secret) ([]byte, string, error) {
	if s.opts.KeyProvider == nil {
		return nil, "", multicloud.Errorf(multicloud.CodeInvalidArgument, "inventory: no key provider configured")
	}
	ct, keyID, err := s.opts.KeyProvider.Encrypt(ctx, []byte(secret.Reveal()))
	if err != nil {
		return nil, "", &multicloud.Error{Op: "inventory.Encrypt", Code: multicloud.CodeUnknown, Message: "seal secret", Err: err}
	}
	return ct, keyID, nil
}

func (s *Service) open(ctx context.Context, a *StoredAccount) (multicloud.Secret, error) {
	if s.opts.KeyProvider == nil {
		return "", multicloud.Errorf(multicloud.CodeInvalidArgument, "inventory: no key provider configured")
	}
	pt, err := s.opts.KeyProvider.Decrypt(ctx, a.SecretCiphertext, a.SecretKeyID)
	if err != nil {
		return "", &multicloud.Error{Op: "inventory.Decrypt", Provider: a.Provider, Code: multicloud.CodeUnknown,
			Message: "open secret of account " + a.ID, Err: err}
	}
	return multicloud.Secret(pt), nil
}

// CreateAccount validates a, seals its secret and stores it under a new
// ID. It returns the stored account with the secret masked. Errors match
// multicloud.ErrInvalidArgument (every problem listed) or
// multicloud.ErrAlreadyExists (the name is taken).
func (s *Service) CreateAccount(ctx context.Context, a CloudAccount) (CloudAccount, error) {
	if err := a.validate(s.knownProvider, true); err != nil {
		return CloudAccount{}, err
	}
	ct, keyID, err := s.seal(ctx, a.AccessKeySecret)
	if err != nil {
		return CloudAccount{}, err
	}
	now := s.now()
	a.ID, a.AccessKeySecret = newAccountID(), ""
	if a.Status == "" {
		a.Status = AccountActive
	}
	a.LastSyncTime, a.LastSyncStatus, a.LastSyncError = nil, "", ""
	a.LastTestTime, a.LastTestOK, a.LastTestError = nil, false, ""
	a.CreateTime, a.UpdateTime = now, now
	st := &StoredAccount{CloudAccount: a, SecretCiphertext: ct, SecretKeyID: keyID}
	if err := s.store.CreateAccount(ctx, st); err != nil {
		return CloudAccount{}, err
	}
	s.log.InfoContext(ctx, "account created", "account", a.ID, "provider", a.Provider, "name", a.Name)
	return public(st), nil
}

// GetAccount returns the account with the secret masked; a missing one
// matches multicloud.ErrNotFound.
func (s *Service) GetAccount(ctx context.Context, id string) (CloudAccount, error) {
	a, err := s.store.GetAccount(ctx, id)
	if err != nil {
		return CloudAccount{}, err
	}
	return public(a), nil
}

// ListAccounts returns every account, by name, with secrets masked.
func (s *Service) ListAccounts(ctx context.Context) ([]CloudAccount, error) {
	list, err := s.store.ListAccounts(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]CloudAccount, len(list))
	for i := range list {
		out[i] = public(&list[i])
	}
	return out, nil
}

// UpdateAccount replaces the editable fields of account a.ID (name,
// provider, environment, access key ID, region, description, config,
// status) with a's, and the secret when a carries one other than the
// mask. Sync and test results and CreateTime are kept. Errors are those
// of CreateAccount and multicloud.ErrNotFound.
func (s *Service) UpdateAccount(ctx context.Context, a CloudAccount) (CloudAccount, error) {
	old, err := s.store.GetAccount(ctx, a.ID)
	if err != nil {
		return CloudAccount{}, err
	}
	if a.AccessKeySecret == MaskSecret(a.AccessKeyID) || a.AccessKeySecret == MaskSecret(old.AccessKeyID) {
		a.AccessKeySecret = ""
	}
	if err := a.validate(s.knownProvider, false); err != nil {
		return CloudAccount{}, err
	}
	st := *old
	if !a.AccessKeySecret.IsZero() {
		if st.SecretCiphertext, st.SecretKeyID, err = s.seal(ctx, a.AccessKeySecret); err != nil {
			return CloudAccount{}, err
		}
	}
	st.Name, st.Provider, st.Environment, st.AccessKeyID = a.Name, a.Provider, a.Environment, a.AccessKeyID
	st.Region, st.Description, st.Config, st.Status = a.Region, a.Description, a.Config, a.Status
	if st.Status == "" {
		st.Status = AccountActive
	}
	st.UpdateTime = s.now()
	if err := s.store.UpdateAccount(ctx, &st); err != nil {
		return CloudAccount{}, err
	}
	s.log.InfoContext(ctx, "account updated", "account", a.ID, "provider", a.Provider, "secret_changed", !a.AccessKeySecret.IsZero())
	return public(&st), nil
}

// DeleteAccount removes the account; its assets stay in the inventory. A
// missing account matches multicloud.ErrNotFound.
func (s *Service) DeleteAccount(ctx context.Context, id string) error {
	if err := s.store.DeleteAccount(ctx, id); err != nil {
		return err
	}
	s.log.InfoContext(ctx, "account deleted", "account", id)
	return nil
}

// Query returns the page of assets f selects and their total. An invalid
// filter matches multicloud.ErrInvalidArgument.
func (s *Service) Query(ctx context.Context, f Filter) (*QueryResult, error) {
	f, err := f.Normalize()
	if err != nil {
		return nil, err
	}
	assets, total, err := s.store.QueryAssets(ctx, f)
	if err != nil {
		return nil, err
	}
	return &QueryResult{Assets: assets, Total: total, Limit: f.Limit, Offset: f.Offset}, nil
}

// Statistics summarizes the live assets f selects, aggregated by the
// store. An invalid filter matches multicloud.ErrInvalidArgument.
func (s *Service) Statistics(ctx context.Context, f StatsFilter) (*Statistics, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	return s.store.Statistics(ctx, f)
}

// errNoConnector reports a provider without a Connector.
func errNoConnector(provider string) error {
	return &multicloud.Error{Op: "inventory.Connect", Provider: provider, Code: multicloud.CodeInvalidArgument,
		Message: "no connector for provider"}
}

// discoverer resolves a target to its Discoverer, provider code, account
// label and, for a stored account, the account.
func (s *Service) discoverer(ctx context.Context, t SyncTarget) (Discoverer, string, string, *StoredAccount, error) {
	switch {
	case t.AccountID != "" && t.Discoverer != nil:
		return nil, "", "", nil, multicloud.Errorf(multicloud.CodeInvalidArgument, "inventory: target sets both an account ID and a discoverer")
	case t.Discoverer != nil:
		if t.Provider == "" || t.Account == "" {
			return nil, "", "", nil, multicloud.Errorf(multicloud.CodeInvalidArgument, "inventory: a discoverer target needs a provider and an account label")
		}
		return t.Discoverer, t.Provider, t.Account, nil, nil
	case t.AccountID == "":
		return nil, "", "", nil, multicloud.Errorf(multicloud.CodeInvalidArgument, "inventory: empty sync target")
	}
	acct, err := s.store.GetAccount(ctx, t.AccountID)
	if err != nil {
		return nil, "", "", nil, err
	}
	connect, ok := s.opts.Connectors[acct.Provider]
	if !ok {
		return nil, "", "", nil, errNoConnector(acct.Provider)
	}
	secret, err := s.open(ctx, acct)
	if err != nil {
		return nil, "", "", nil, err
	}
	d, err := connect(ctx, acct.CloudAccount, secret)
	if err != nil {
		return nil, "", "", nil, err
	}
	return d, acct.Provider, acct.ID, acct, nil
}

// Discover lists the assets of assetType (when empty, the Discoverer's
// first AssetTypes, else AssetTypeECS) that
// the target has in region, straight from the provider, without saving
// them. API calls are rate limited and retried as in Sync.
func (s *Service) Discover(ctx context.Context, t SyncTarget, region, assetType string) ([]Asset, error) {
	if region == "" {
		return nil, multicloud.Errorf(multicloud.CodeInvalidArgument, "inventory: discover needs a region")
	}
	d, provider, account, _, err := s.discoverer(ctx, t)
	if err != nil {
		return nil, err
	}
	if assetType == "" {
		assetType = defaultAssetTypes(d)[0]
	}
	call := s.callFunc(provider+"/"+account, region, nil)
	var out []Asset
	now := s.now()
	err = d.Discover(ctx, region, assetType, call, func(_ context.Context, page []Asset) error {
		for _, a := range page {
			fill(&a, provider, account, region, assetType)
			a.DiscoverTime = now
			out = append(out, a)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
