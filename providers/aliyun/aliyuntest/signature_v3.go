package aliyuntest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// The V3 request syntax ("Request syntax and signature method V3", Alibaba
// Cloud SDK documentation) is what the current official SDKs send (the
// Tea-based @alicloud/ecs20140526 and its siblings, through
// @alicloud/openapi-client): the action and version travel in the
// x-acs-action and x-acs-version headers, the parameters in the query string
// or a form body, and the Authorization header carries
//
//	ACS3-HMAC-SHA256 Credential=<AccessKeyId>,SignedHeaders=<h1;h2;...>,Signature=<hex>
//
// where Signature = hex(HMAC-SHA256(secret, "ACS3-HMAC-SHA256\n" +
// hex(SHA256(CanonicalRequest)))) and CanonicalRequest is the method, the
// canonical URI, the canonical query string (keys sorted, keys and values
// RFC 3986 encoded, joined with &), the signed headers as "name:value\n"
// (lower-case, sorted), the signed header names joined with ';', and
// x-acs-content-sha256 (the hex SHA-256 of the body), on separate lines.
const v3Algorithm = "ACS3-HMAC-SHA256"

type v3BodyHashKey struct{}

// isV3 reports whether r is signed with the V3 request syntax.
func isV3(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("Authorization"), v3Algorithm+" ")
}

// prepareV3 reads a V3 request's body (keeping it for ParseForm), records
// its SHA-256 for authenticateV3, and after ParseForm sets Action and
// Version in r.Form from the x-acs-action and x-acs-version headers, so the
// rest of the server reads a V3 call as it reads an RPC one. It returns r
// unchanged when r is not a V3 request.
func prepareV3(r *http.Request) *http.Request {
	if !isV3(r) {
		return r
	}
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(io.LimitReader(r.Body, 10<<20))
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	sum := sha256.Sum256(body)
	r = r.WithContext(context.WithValue(r.Context(), v3BodyHashKey{}, hex.EncodeToString(sum[:])))
	_ = r.ParseForm()
	if r.Form == nil {
		r.Form = url.Values{}
	}
	if a := r.Header.Get("x-acs-action"); a != "" {
		r.Form.Set("Action", a)
	}
	if v := r.Header.Get("x-acs-version"); v != "" {
		r.Form.Set("Version", v)
	}
	return r
}

// authenticateV3 checks a V3 request's headers and signature.
func (s *Server) authenticateV3(r *http.Request) *apiError {
	for _, k := range []string{"x-acs-action", "x-acs-version"} {
		if r.Header.Get(k) == "" {
			return errMissing(k)
		}
	}
	var keyID, signed, sig string
	for _, part := range strings.Split(strings.TrimPrefix(r.Header.Get("Authorization"), v3Algorithm+" "), ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Credential":
			keyID = v
		case "SignedHeaders":
			signed = v
		case "Signature":
			sig = v
		}
	}
	if keyID == "" || signed == "" || sig == "" {
		return &apiError{status: 400, code: "IncompleteSignature", msg: "The request signature does not conform to Aliyun standards."}
	}
	for _, k := range []string{"x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256"} {
		if r.Header.Get(k) == "" {
			return errMissing(k)
		}
	}
	names := strings.Split(signed, ";")
	have := map[string]bool{}
	for _, n := range names {
		have[n] = true
	}
	// Every x-acs- header but the signature's own, and host, must be signed.
	for k := range r.Header {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "x-acs-") && !have[lk] {
			return &apiError{status: 400, code: "IncompleteSignature", msg: "The request header " + lk + " is not signed."}
		}
	}
	s.keysMu.RLock()
	secret, ok := s.keys[keyID]
	s.keysMu.RUnlock()
	if !ok {
		return &apiError{status: s.quirks.unknownKeyStatus, code: "InvalidAccessKeyId.NotFound", msg: "Specified access key is not found."}
	}
	bodyHash, _ := r.Context().Value(v3BodyHashKey{}).(string)
	if !strings.EqualFold(r.Header.Get("x-acs-content-sha256"), bodyHash) {
		return &apiError{status: 400, code: "SignatureDoesNotMatch", msg: "The x-acs-content-sha256 header does not match the request body."}
	}
	sts, want := v3Signature(r, names, secret)
	if !hmac.Equal([]byte(want), []byte(strings.ToLower(sig))) {
		return &apiError{status: 400, code: "SignatureDoesNotMatch",
			msg: "Specified signature is not matched with our calculation. server string to sign is:" + sts}
	}
	ts, err := time.Parse(timestampLayout, r.Header.Get("x-acs-date"))
	if err != nil {
		return &apiError{status: 400, code: "InvalidTimeStamp.Format", msg: "Specified time stamp or date value is not well formatted."}
	}
	now := time.Now()
	if d := now.Sub(ts); d > signatureWindow || d < -signatureWindow {
		return &apiError{status: 400, code: "InvalidTimeStamp.Expired", msg: "Specified time stamp or date value is expired."}
	}
	if !s.nonces.add(r.Header.Get("x-acs-signature-nonce"), now) {
		return &apiError{status: 400, code: "SignatureNonceUsed", msg: "Specified signature nonce was used already."}
	}
	return nil
}

// v3Signature returns the string to sign of r over the signed header names
// and its hex HMAC-SHA256 under secret.
func v3Signature(r *http.Request, signed []string, secret string) (stringToSign, signature string) {
	sum := sha256.Sum256([]byte(v3CanonicalRequest(r, signed)))
	stringToSign = v3Algorithm + "\n" + hex.EncodeToString(sum[:])
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(stringToSign))
	return stringToSign, hex.EncodeToString(mac.Sum(nil))
}

// v3CanonicalRequest builds the CanonicalRequest of a V3 request over the
// given signed header names.
func v3CanonicalRequest(r *http.Request, signed []string) string {
	q := r.URL.Query()
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var qs []string
	for _, k := range keys {
		for _, v := range q[k] {
			qs = append(qs, percentEncode(k)+"="+percentEncode(v))
		}
	}
	var hb strings.Builder
	for _, n := range signed {
		v := r.Header.Get(n)
		if n == "host" {
			v = r.Host
		}
		hb.WriteString(n + ":" + strings.TrimSpace(v) + "\n")
	}
	uri := r.URL.EscapedPath()
	if uri == "" {
		uri = "/"
	}
	return r.Method + "\n" + uri + "\n" + strings.Join(qs, "&") + "\n" + hb.String() + "\n" +
		strings.Join(signed, ";") + "\n" + r.Header.Get("x-acs-content-sha256")
}

// SignV3 signs r with the V3 request syntax for action and version: it sets
// the x-acs- headers and Authorization. body must be r's body (nil for
// none). It is what the emulator's tests use to speak as the current SDKs do.
func SignV3(r *http.Request, body []byte, action, version, accessKeyID, secret, nonce string, now time.Time) {
	sum := sha256.Sum256(body)
	r.Header.Set("x-acs-action", action)
	r.Header.Set("x-acs-version", version)
	r.Header.Set("x-acs-date", now.UTC().Format(timestampLayout))
	r.Header.Set("x-acs-signature-nonce", nonce)
	r.Header.Set("x-acs-content-sha256", hex.EncodeToString(sum[:]))
	signed := []string{"host"}
	if r.Header.Get("Content-Type") != "" {
		signed = append(signed, "content-type")
	}
	signed = append(signed, "x-acs-action", "x-acs-content-sha256", "x-acs-date", "x-acs-signature-nonce", "x-acs-version")
	sort.Strings(signed)
	if r.Host == "" {
		r.Host = r.URL.Host
	}
	_, sig := v3Signature(r, signed, secret)
	r.Header.Set("Authorization", v3Algorithm+" Credential="+accessKeyID+",SignedHeaders="+strings.Join(signed, ";")+",Signature="+sig)
}
