package awstest

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Credentials and clock of the published SigV4 test suite (testdata/sigv4).
const (
	suiteKeyID  = "AKIDEXAMPLE"
	suiteSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
)

var suiteTime = time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC)

// readSuiteRequest parses a raw .req file of the test suite: a request line,
// "Name:value" header lines (a name may repeat), a blank line and the body.
func readSuiteRequest(t *testing.T, path string) *http.Request {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	head, body, _ := strings.Cut(string(raw), "\n\n")
	lines := strings.Split(head, "\n")
	f := strings.Fields(lines[0])
	if len(f) != 3 {
		t.Fatalf("%s: request line %q", path, lines[0])
	}
	r := httptest.NewRequest(f[0], f[1], strings.NewReader(body))
	r.Header = http.Header{}
	for _, l := range lines[1:] {
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			t.Fatalf("%s: header line %q", path, l)
		}
		if strings.EqualFold(k, "Host") {
			r.Host = v
			continue
		}
		r.Header.Add(k, v)
	}
	return r
}

func suiteSecretLookup(akid string) (string, bool) {
	return suiteSecret, akid == suiteKeyID
}

// TestSigV4Suite verifies every vendored vector of the published test suite:
// the suite's Authorization header is accepted, and the same header with one
// signature digit changed is refused.
func TestSigV4Suite(t *testing.T) {
	reqs, err := filepath.Glob(filepath.Join("testdata", "sigv4", "*.req"))
	if err != nil || len(reqs) < 8 {
		t.Fatalf("got %d vectors (%v), want at least 8", len(reqs), err)
	}
	for _, path := range reqs {
		name := strings.TrimSuffix(filepath.Base(path), ".req")
		t.Run(name, func(t *testing.T) {
			authz, err := os.ReadFile(strings.TrimSuffix(path, ".req") + ".authz")
			if err != nil {
				t.Fatal(err)
			}
			r := readSuiteRequest(t, path)
			body := readAll(t, r)
			r.Header.Set("Authorization", string(authz))
			scope, aerr := verifySigV4(r, body, suiteTime, suiteSecretLookup)
			if aerr != nil {
				t.Fatalf("suite authorization refused: %v", aerr)
			}
			if scope.Region != "us-east-1" || scope.Service != "service" {
				t.Errorf("got scope %+v, want us-east-1/service", scope)
			}

			bad := []byte(authz)
			last := len(bad) - 1
			if bad[last] == '0' {
				bad[last] = '1'
			} else {
				bad[last] = '0'
			}
			r.Header.Set("Authorization", string(bad))
			if _, aerr := verifySigV4(r, body, suiteTime, suiteSecretLookup); aerr == nil || aerr.fault != authBadSignature {
				t.Errorf("tampered signature: got %v, want a signature mismatch", aerr)
			}
		})
	}
}

func readAll(t *testing.T, r *http.Request) []byte {
	t.Helper()
	var b bytes.Buffer
	if _, err := b.ReadFrom(r.Body); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestSigV4Faults checks each refusal the verifier makes.
func TestSigV4Faults(t *testing.T) {
	sign := func(t *testing.T, key, secret string, at time.Time, mutate func(*http.Request)) (*http.Request, []byte) {
		t.Helper()
		body := []byte("Action=DescribeRegions&Version=2016-11-15")
		r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:9/", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		s := v4.NewSigner()
		creds := aws.Credentials{AccessKeyID: key, SecretAccessKey: secret}
		if err := s.SignHTTP(context.Background(), creds, r, hashHex(body), "ec2", "us-east-1", at); err != nil {
			t.Fatal(err)
		}
		if mutate != nil {
			mutate(r)
		}
		return r, body
	}
	now := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	cases := []struct {
		name   string
		key    string
		secret string
		at     time.Time
		mutate func(*http.Request)
		body   func([]byte) []byte
		want   authFault
	}{
		{name: "sdk signed", key: suiteKeyID, secret: suiteSecret, at: now},
		{name: "skew inside 15 minutes", key: suiteKeyID, secret: suiteSecret, at: now.Add(-14 * time.Minute)},
		{name: "no authorization", key: suiteKeyID, secret: suiteSecret, at: now,
			mutate: func(r *http.Request) { r.Header.Del("Authorization") }, want: authMissing},
		{name: "other algorithm", key: suiteKeyID, secret: suiteSecret, at: now,
			mutate: func(r *http.Request) {
				r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), sigV4Algorithm, "AWS4-ECDSA-P256-SHA256", 1))
			}, want: authIncomplete},
		{name: "no date", key: suiteKeyID, secret: suiteSecret, at: now,
			mutate: func(r *http.Request) { r.Header.Del("X-Amz-Date") }, want: authIncomplete},
		{name: "unknown key", key: "AKIDUNKNOWN", secret: suiteSecret, at: now, want: authUnknownKey},
		{name: "wrong secret", key: suiteKeyID, secret: "not-the-secret", at: now, want: authBadSignature},
		{name: "body changed after signing", key: suiteKeyID, secret: suiteSecret, at: now,
			body: func(b []byte) []byte { return append(b, "&DryRun=true"...) }, want: authBadSignature},
		{name: "signed 16 minutes ago", key: suiteKeyID, secret: suiteSecret, at: now.Add(-16 * time.Minute), want: authExpired},
		{name: "signed 16 minutes ahead", key: suiteKeyID, secret: suiteSecret, at: now.Add(16 * time.Minute), want: authExpired},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, body := sign(t, c.key, c.secret, c.at, c.mutate)
			if c.body != nil {
				body = c.body(body)
			}
			_, aerr := verifySigV4(r, body, now, suiteSecretLookup)
			var got authFault
			if aerr != nil {
				got = aerr.fault
			}
			if got != c.want {
				t.Errorf("got fault %d (%v), want %d", got, aerr, c.want)
			}
			if aerr != nil && strings.Contains(aerr.msg, suiteSecret) {
				t.Errorf("message %q reveals the secret", aerr.msg)
			}
		})
	}
}
