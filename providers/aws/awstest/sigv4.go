package awstest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// sigV4Algorithm is the only signing algorithm the emulator accepts.
const sigV4Algorithm = "AWS4-HMAC-SHA256"

// amzDateLayout is the layout of the X-Amz-Date header.
const amzDateLayout = "20060102T150405Z"

// maxClockSkew is how far a request's X-Amz-Date may be from the server's
// clock: "more than 15 minutes after the date stamp on the request ... or more
// than 15 minutes in the future" is RequestExpired (AWS common errors).
const maxClockSkew = 15 * time.Minute

// authFault is why a request's signature was refused. The protocol layer
// turns it into the code its service documents.
type authFault int

const (
	authMissing      authFault = iota + 1 // no Authorization header
	authIncomplete                        // Authorization or X-Amz-Date malformed
	authUnknownKey                        // access key not registered
	authBadSignature                      // signature does not match
	authExpired                           // X-Amz-Date outside the allowed skew
	authBadToken                          // session token missing or wrong for a temporary key
)

// authError is a refused signature with a message that never holds a secret.
type authError struct {
	fault authFault
	msg   string
}

func (e *authError) Error() string { return e.msg }

// sigScope is what a verified Authorization header tells about its request.
type sigScope struct {
	AccessKeyID string
	Date        string // yyyymmdd
	Region      string
	Service     string
}

// parsedAuth is the Authorization header split into its parts.
type parsedAuth struct {
	scope         sigScope
	signedHeaders []string
	signature     string
}

// parseAuthorization splits an "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=...,
// Signature=..." header.
func parseAuthorization(h string) (parsedAuth, *authError) {
	var p parsedAuth
	alg, rest, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || alg != sigV4Algorithm {
		return p, &authError{authIncomplete, "Authorization header requires the " + sigV4Algorithm + " algorithm"}
	}
	var cred, signed, sig string
	for part := range strings.SplitSeq(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Credential":
			cred = v
		case "SignedHeaders":
			signed = v
		case "Signature":
			sig = v
		}
	}
	if cred == "" || signed == "" || sig == "" {
		return p, &authError{authIncomplete, "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters"}
	}
	f := strings.Split(cred, "/")
	if len(f) != 5 || f[4] != "aws4_request" || f[0] == "" {
		return p, &authError{authIncomplete, "Credential must have the form <key>/<date>/<region>/<service>/aws4_request"}
	}
	p.scope = sigScope{AccessKeyID: f[0], Date: f[1], Region: f[2], Service: f[3]}
	p.signedHeaders = strings.Split(signed, ";")
	p.signature = sig
	return p, nil
}

// verifySigV4 checks a request signed with Signature Version 4 in the
// Authorization header, whose body has already been read into body. secret
// looks up an access key's secret (false: unknown key). It returns the
// credential scope on success.
func verifySigV4(r *http.Request, body []byte, now time.Time, secret func(akid string) (string, bool)) (sigScope, *authError) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return sigScope{}, &authError{authMissing, "Request is missing Authentication Token"}
	}
	p, aerr := parseAuthorization(h)
	if aerr != nil {
		return sigScope{}, aerr
	}
	amzDate := r.Header.Get("X-Amz-Date")
	t, err := time.Parse(amzDateLayout, amzDate)
	if err != nil {
		return p.scope, &authError{authIncomplete, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header"}
	}
	if !strings.HasPrefix(amzDate, p.scope.Date) || len(p.scope.Date) != 8 {
		return p.scope, &authError{authBadSignature, "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP"}
	}
	if d := now.Sub(t); d > maxClockSkew || d < -maxClockSkew {
		return p.scope, &authError{authExpired, "Request has expired (signed at " + amzDate + ", server time " + now.UTC().Format(amzDateLayout) + ")"}
	}
	if !containsString(p.signedHeaders, "host") {
		return p.scope, &authError{authBadSignature, "'Host' must be a signed header"}
	}
	key, ok := secret(p.scope.AccessKeyID)
	if !ok {
		return p.scope, &authError{authUnknownKey, "The security token included in the request is invalid"}
	}
	if hv := r.Header.Get("X-Amz-Content-Sha256"); hv != "" && hv != "UNSIGNED-PAYLOAD" && hv != hashHex(body) {
		return p.scope, &authError{authBadSignature, "The provided 'x-amz-content-sha256' header does not match what was computed"}
	}
	creq := canonicalRequest(r, p.signedHeaders, hashHex(body))
	want := signature(key, amzDate, p.scope, creq)
	if !hmac.Equal([]byte(want), []byte(p.signature)) {
		return p.scope, &authError{authBadSignature, "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method"}
	}
	return p.scope, nil
}

// signature computes the hex signature of a canonical request.
func signature(secret, amzDate string, s sigScope, creq string) string {
	sts := stringToSign(amzDate, s, creq)
	k := hmacSHA256([]byte("AWS4"+secret), s.Date)
	k = hmacSHA256(k, s.Region)
	k = hmacSHA256(k, s.Service)
	k = hmacSHA256(k, "aws4_request")
	return hex.EncodeToString(hmacSHA256(k, sts))
}

func stringToSign(amzDate string, s sigScope, creq string) string {
	scope := s.Date + "/" + s.Region + "/" + s.Service + "/aws4_request"
	return sigV4Algorithm + "\n" + amzDate + "\n" + scope + "\n" + hashHex([]byte(creq))
}

// canonicalRequest builds the SigV4 canonical request from the request's
// own signed header list.
func canonicalRequest(r *http.Request, signed []string, payloadHash string) string {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	path := r.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	b.WriteString(path)
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(r.URL.RawQuery))
	b.WriteByte('\n')
	for _, name := range signed {
		b.WriteString(name)
		b.WriteByte(':')
		b.WriteString(canonicalHeaderValue(r, name))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(signed, ";"))
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	return b.String()
}

// canonicalHeaderValue is the header's values, each trimmed with inner runs
// of spaces collapsed, joined by commas. net/http moves Host (and for some
// requests Content-Length) out of the header map; they are read back here.
func canonicalHeaderValue(r *http.Request, name string) string {
	var vals []string
	switch name {
	case "host":
		vals = []string{r.Host}
	default:
		vals = r.Header.Values(http.CanonicalHeaderKey(name))
		if len(vals) == 0 && name == "content-length" && r.ContentLength >= 0 {
			vals = []string{strconv.FormatInt(r.ContentLength, 10)}
		}
	}
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = strings.Join(strings.Fields(v), " ")
	}
	return strings.Join(out, ",")
}

// canonicalQuery sorts the query's parameters by encoded name, then value,
// each RFC 3986 encoded.
func canonicalQuery(raw string) string {
	if raw == "" {
		return ""
	}
	type kv struct{ k, v string }
	var pairs []kv
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		dk, err := url.QueryUnescape(k)
		if err != nil {
			dk = k
		}
		dv, err := url.QueryUnescape(v)
		if err != nil {
			dv = v
		}
		pairs = append(pairs, kv{uriEncode(dk), uriEncode(dv)})
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	parts := make([]string, len(pairs))
	for i, p := range pairs {
		parts[i] = p.k + "=" + p.v
	}
	return strings.Join(parts, "&")
}

// uriEncode percent-encodes every byte but the RFC 3986 unreserved characters.
func uriEncode(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

func hashHex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
