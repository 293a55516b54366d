package multicloud

import (
	"errors"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// SecretParams are the query parameters whose values Redact removes: the
// instance password and the request's credentials and signature.
var secretParams = `Password|Signature|AccessKeyId|SecurityToken|AccessKeySecret`

// secretParam matches name= in a query string, in its once- and
// twice-percent-encoded forms too (an Aliyun string-to-sign encodes the
// whole query again); the value runs to the next separator.
var secretParam = regexp.MustCompile(`(?i)(?:^|[^a-z])(?:` + secretParams + `)(?:=|%3D|%253D)`)

// valueEnds are the separators that end a query value, by how the value
// is encoded: after "=" only a literal "&" (an encoded "%26" is part of the
// value), after "%3D" an encoded "%26", after "%253D" a twice-encoded
// "%2526"; whitespace, quotes and backslashes end any.
var valueEnds = map[string][]string{
	"=":     {"&"},
	"%3d":   {"%26", "&"},
	"%253d": {"%2526", "%26", "&"},
}

var anyEnd = []string{" ", "\t", "\n", `"`, "'", "\\"}

// secretField matches "Name":"value" and Name:"value" renderings of the
// same keys in JSON or Go syntax; the value must be quoted, so that prose
// such as "password: must be 8-30 characters" is left alone.
var secretField = regexp.MustCompile(`(?i)("?(?:` + secretParams + `)"?\s*:\s*")([^"]*)"`)

// Redact returns s with the values of the Password, Signature,
// AccessKeyId, SecurityToken and AccessKeySecret parameters replaced by
// "[REDACTED]", wherever s carries them: in URLs and query strings (plain
// or percent-encoded, as in an echoed string-to-sign) and as JSON or Go
// fields. Errors are scrubbed with it before they are wrapped or logged.
// Redact is safe for concurrent use.
func Redact(s string) string {
	var b strings.Builder
	rest := s
	for {
		loc := secretParam.FindStringIndex(rest)
		if loc == nil {
			b.WriteString(rest)
			break
		}
		b.WriteString(rest[:loc[1]])
		m, sep := strings.ToLower(rest[loc[0]:loc[1]]), "="
		switch {
		case strings.HasSuffix(m, "%253d"):
			sep = "%253d"
		case strings.HasSuffix(m, "%3d"):
			sep = "%3d"
		}
		rest = rest[loc[1]:]
		end := len(rest)
		lower := strings.ToLower(rest)
		for _, e := range append(valueEnds[sep], anyEnd...) {
			if i := strings.Index(lower, strings.ToLower(e)); i >= 0 && i < end {
				end = i
			}
		}
		if end > 0 {
			b.WriteString(redacted)
		}
		rest = rest[end:]
	}
	s = b.String()
	return secretField.ReplaceAllStringFunc(s, func(m string) string {
		sub := secretField.FindStringSubmatch(m)
		if sub[2] == "" || sub[2] == redacted {
			return m
		}
		return sub[1] + redacted + `"`
	})
}

// RedactError returns err with its text scrubbed by Redact: an error that
// prints the redacted text, while errors.Is and errors.As still reach err
// (a *url.Error in the chain is replaced by a copy whose URL is redacted).
// It returns nil for nil and err itself when there is nothing to scrub.
func RedactError(err error) error {
	if err == nil {
		return nil
	}
	var ue *url.Error
	if errors.As(err, &ue) && ue == err {
		cp := *ue
		cp.URL = Redact(cp.URL)
		cp.Err = RedactError(cp.Err)
		err = &cp
	}
	msg := err.Error()
	clean := Redact(msg)
	if clean == msg {
		return err
	}
	return &redactedError{msg: clean, err: err}
}

// redactedError prints a scrubbed text and unwraps to the original error.
type redactedError struct {
	msg string
	err error
}

func (r *redactedError) Error() string { return r.msg }
func (r *redactedError) Unwrap() error { return r.err }
func (r *redactedError) GoString() string {
	return "&errors.errorString{s:" + strconv.Quote(r.msg) + "}"
}
