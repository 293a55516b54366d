package aliyuntest

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"
)

// timestampLayout is the layout of the Timestamp common parameter.
const timestampLayout = "2006-01-02T15:04:05Z"

// signatureWindow is how far a request Timestamp may be from server time,
// and how long a SignatureNonce is remembered.
const signatureWindow = 15 * time.Minute

// maxNonces bounds the nonce cache; beyond it the oldest nonces are forgotten
// early, which only weakens replay detection, never rejects a valid request.
const maxNonces = 1 << 20

// percentEncode encodes s as RFC 3986 requires for the v1 signature:
// A-Z a-z 0-9 - _ . ~ stay, everything else becomes %XY, space becomes %20.
func percentEncode(s string) string {
	e := url.QueryEscape(s)
	e = strings.ReplaceAll(e, "+", "%20")
	e = strings.ReplaceAll(e, "*", "%2A")
	return strings.ReplaceAll(e, "%7E", "~")
}

// StringToSign returns the v1 (HMAC-SHA1 1.0) string to sign for a request
// with the given HTTP method and decoded parameters. The Signature parameter is
// ignored; a key with several values contributes its first one.
func StringToSign(method string, params url.Values) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		if k != "Signature" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		v := ""
		if vs := params[k]; len(vs) > 0 {
			v = vs[0]
		}
		b.WriteString(percentEncode(k))
		b.WriteByte('=')
		b.WriteString(percentEncode(v))
	}
	return strings.ToUpper(method) + "&" + percentEncode("/") + "&" + percentEncode(b.String())
}

// Sign returns Base64(HMAC-SHA1(secret + "&", stringToSign)), the value of the
// Signature parameter.
func Sign(secret, stringToSign string) string {
	m := hmac.New(sha1.New, []byte(secret+"&"))
	m.Write([]byte(stringToSign))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// SignParams adds the common signature parameters that are missing from params
// (SignatureMethod, SignatureVersion, Format, AccessKeyId) and sets Signature for a
// request sent with method. Timestamp and SignatureNonce must already be set by the
// caller. It is meant for tests that build raw requests.
func SignParams(method string, params url.Values, accessKeyID, secret string) {
	setDefault := func(k, v string) {
		if _, ok := params[k]; !ok {
			params.Set(k, v)
		}
	}
	setDefault("AccessKeyId", accessKeyID)
	setDefault("Format", "JSON")
	setDefault("SignatureMethod", "HMAC-SHA1")
	setDefault("SignatureVersion", "1.0")
	params.Del("Signature")
	params.Set("Signature", Sign(secret, StringToSign(method, params)))
}

// nonceCache remembers SignatureNonce values for signatureWindow, bounded by
// maxNonces entries.
type nonceCache struct {
	mu    sync.Mutex
	seen  map[string]struct{}
	queue []nonceEntry // FIFO by insertion time
	head  int
}

type nonceEntry struct {
	nonce string
	at    time.Time
}

func newNonceCache() *nonceCache {
	return &nonceCache{seen: make(map[string]struct{})}
}

// add records nonce at now and reports false if it was already seen within the window.
func (c *nonceCache) add(nonce string, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.head < len(c.queue) {
		e := c.queue[c.head]
		if now.Sub(e.at) < signatureWindow && len(c.queue)-c.head < maxNonces {
			break
		}
		delete(c.seen, e.nonce)
		c.queue[c.head] = nonceEntry{}
		c.head++
	}
	if c.head > 1024 && c.head*2 > len(c.queue) {
		n := copy(c.queue, c.queue[c.head:])
		clear(c.queue[n:])
		c.queue = c.queue[:n]
		c.head = 0
	}
	if _, ok := c.seen[nonce]; ok {
		return false
	}
	c.seen[nonce] = struct{}{}
	c.queue = append(c.queue, nonceEntry{nonce: nonce, at: now})
	return true
}

// authenticate checks the common parameters and the v1 signature of a request.
func (s *Server) authenticate(method string, form url.Values) *apiError {
	for _, k := range []string{"Action", "Version"} {
		if form.Get(k) == "" {
			return errMissing(k)
		}
	}
	if form.Get("Signature") == "" {
		return &apiError{status: 400, code: "IncompleteSignature", msg: "The request signature does not conform to Aliyun standards."}
	}
	for _, k := range []string{"AccessKeyId", "SignatureMethod", "SignatureVersion", "SignatureNonce", "Timestamp"} {
		if form.Get(k) == "" {
			return errMissing(k)
		}
	}
	if m := form.Get("SignatureMethod"); m != "HMAC-SHA1" {
		return &apiError{status: 400, code: "InvalidParameter", msg: "The specified SignatureMethod " + m + " is not supported."}
	}
	s.keysMu.RLock()
	secret, ok := s.keys[form.Get("AccessKeyId")]
	s.keysMu.RUnlock()
	if !ok {
		return &apiError{status: s.quirks.unknownKeyStatus, code: "InvalidAccessKeyId.NotFound", msg: "Specified access key is not found."}
	}
	sts := StringToSign(method, form)
	if !hmac.Equal([]byte(Sign(secret, sts)), []byte(form.Get("Signature"))) {
		return &apiError{status: 400, code: "SignatureDoesNotMatch",
			msg: "Specified signature is not matched with our calculation. server string to sign is:" + sts}
	}
	ts, err := time.Parse(timestampLayout, form.Get("Timestamp"))
	if err != nil {
		return &apiError{status: 400, code: "InvalidTimeStamp.Format", msg: "Specified time stamp or date value is not well formatted."}
	}
	// Wall time, not the server clock: a test clock must not make the SDK's
	// real timestamps expire.
	now := time.Now()
	if d := now.Sub(ts); d > signatureWindow || d < -signatureWindow {
		return &apiError{status: 400, code: "InvalidTimeStamp.Expired", msg: "Specified time stamp or date value is expired."}
	}
	if !s.nonces.add(form.Get("SignatureNonce"), now) {
		return &apiError{status: 400, code: "SignatureNonceUsed", msg: "Specified signature nonce was used already."}
	}
	return nil
}
