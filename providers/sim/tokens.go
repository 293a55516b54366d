package sim

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"sync"
)

// TokenKey names one client token: the face's action, the region and the
// token. A token is scoped to its action and region, as the clouds scope
// them.
type TokenKey struct{ Action, Region, Token string }

type tokenEntry struct {
	fingerprint string
	result      any
}

// Fingerprint returns a stable digest of a call's parameters, leaving out
// the names in ignore (the token itself, signature fields, nonces), for
// the token ledger.
func Fingerprint(params map[string][]string, ignore ...string) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		if !slices.Contains(ignore, k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	h := sha256.New()
	for _, k := range keys {
		h.Write([]byte(k))
		h.Write([]byte{0})
		h.Write([]byte(strings.Join(params[k], "\x01")))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// ClaimToken looks key up in the client-token ledger: a token seen with
// the same fingerprint returns the result stored with it (the first
// result: a replay answers what the first call answered) and true; a
// token seen with another fingerprint is a ClassIdempotentMismatch error;
// a new (or empty) token returns nil, false, nil. Faces that change state
// under their own lock call ClaimToken, the change and StoreToken without
// letting go of it; Idempotent does all three.
func (c *Cloud) ClaimToken(key TokenKey, fingerprint string) (any, bool, error) {
	if key.Token == "" {
		return nil, false, nil
	}
	c.tok.mu.Lock()
	defer c.tok.mu.Unlock()
	return c.claimLocked(key, fingerprint)
}

func (c *Cloud) claimLocked(key TokenKey, fingerprint string) (any, bool, error) {
	e, ok := c.tok.m[key]
	if !ok {
		return nil, false, nil
	}
	if e.fingerprint != fingerprint {
		return nil, false, &Error{Class: ClassIdempotentMismatch, Resource: KindToken, ID: key.Token,
			Message: "the client token was used with other parameters"}
	}
	return e.result, true, nil
}

// StoreToken remembers result as the answer to key; an empty token is not
// stored. The result is returned as is on replay: store a value that is
// not changed afterwards (or a function that makes a fresh copy).
func (c *Cloud) StoreToken(key TokenKey, fingerprint string, result any) {
	if key.Token == "" {
		return
	}
	c.tok.mu.Lock()
	defer c.tok.mu.Unlock()
	c.tok.m[key] = tokenEntry{fingerprint: fingerprint, result: result}
}

// ForgetTokens forgets every token of region ("" for every region).
func (c *Cloud) ForgetTokens(region string) {
	c.tok.mu.Lock()
	defer c.tok.mu.Unlock()
	for k := range c.tok.m {
		if region == "" || k.Region == region {
			delete(c.tok.m, k)
		}
	}
}

// ledger is the client-token ledger, under its own lock (never held with
// Cloud.mu while waiting).
type ledger struct {
	mu       sync.Mutex
	m        map[TokenKey]tokenEntry
	inflight map[TokenKey]chan struct{}
}

// Idempotent runs fn once per client token: a token seen with the same
// fingerprint returns its stored result and true without running fn; one
// seen with another fingerprint is a ClassIdempotentMismatch error; a new
// token runs fn and stores its result when fn succeeds (a failed call
// leaves the token free, as the clouds do). Concurrent calls with one
// token wait for the first. An empty token just runs fn. fn must not call
// ClaimToken, StoreToken or Idempotent with the same key.
func (c *Cloud) Idempotent(key TokenKey, fingerprint string, fn func() (any, error)) (any, bool, error) {
	if key.Token == "" {
		r, err := fn()
		return r, false, err
	}
	for {
		c.tok.mu.Lock()
		r, ok, err := c.claimLocked(key, fingerprint)
		if ok || err != nil {
			c.tok.mu.Unlock()
			return r, ok, err
		}
		if ch, busy := c.tok.inflight[key]; busy {
			c.tok.mu.Unlock()
			<-ch
			continue
		}
		ch := make(chan struct{})
		c.tok.inflight[key] = ch
		c.tok.mu.Unlock()
		r, err = fn()
		c.tok.mu.Lock()
		if err == nil {
			c.tok.m[key] = tokenEntry{fingerprint: fingerprint, result: r}
		}
		delete(c.tok.inflight, key)
		close(ch)
		c.tok.mu.Unlock()
		return r, false, err
	}
}
