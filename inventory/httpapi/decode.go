package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// decodeBody reads r's JSON body into dst strictly: one JSON object, no
// unknown fields, fields of the declared types. An empty body is
// accepted when optional and leaves dst as it is. Errors are 400
// answers (413 for a body over the limit).
func decodeBody(r *http.Request, dst any, optional bool) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return badRequest("read body: %v", err)
	}
	return decodeJSON(body, dst, optional)
}

// decodeJSON is decodeBody on bytes.
func decodeJSON(body []byte, dst any, optional bool) error {
	if len(bytes.TrimSpace(body)) == 0 {
		if optional {
			return nil
		}
		return badRequest("body is empty, want a JSON object")
	}
	if !utf8.Valid(body) {
		return badRequest("body is not valid UTF-8")
	}
	if bytes.TrimSpace(body)[0] != '{' {
		return badRequest("body is not a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return badRequest("invalid JSON body: %s", jsonError(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return badRequest("invalid JSON body: data after the object")
	}
	return nil
}

// jsonError describes a decoding error without echoing the input.
func jsonError(err error) string {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		if te.Field != "" {
			return fmt.Sprintf("field %q must be %s, got %s", te.Field, jsonKind(te.Type.Kind().String()), te.Value)
		}
		return fmt.Sprintf("got %s, want %s", te.Value, jsonKind(te.Type.Kind().String()))
	case errors.As(err, &se):
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "unexpected end of input"
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return "unknown field " + truncate(f)
	}
	return truncate(strings.TrimPrefix(msg, "json: "))
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "a string"
	case "int", "int64", "int32":
		return "an integer"
	case "float64":
		return "a number"
	case "bool":
		return "a boolean"
	case "slice":
		return "an array"
	case "struct", "map", "ptr":
		return "an object"
	}
	return k
}

func truncate(s string) string {
	if len(s) > 64 {
		for i := 64; i > 0; i-- {
			if utf8.RuneStart(s[i]) {
				return s[:i] + "..."
			}
		}
	}
	return s
}

// namePattern is what a provider, region, asset type or mode may hold.
var namePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// checkName reports a value that is not a plain code.
func checkName(field, v string) error {
	if !namePattern.MatchString(v) {
		return badRequest("%s %q is not a valid code (letters, digits, '.', '_', '-'; at most 64)", field, truncate(v))
	}
	return nil
}

// checkQuery rejects parameters outside allowed and repeated ones that
// are not in repeatable, so a misspelt filter is not silently ignored.
func checkQuery(v url.Values, allowed, repeatable []string) error {
	for k, vals := range v {
		if !contains(allowed, k) {
			return badRequest("unknown query parameter %q; allowed: %s", truncate(k), strings.Join(allowed, ", "))
		}
		if len(vals) > 1 && !contains(repeatable, k) {
			return badRequest("query parameter %q given %d times", k, len(vals))
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// queryInt reads an optional non-negative integer parameter.
func queryInt(v url.Values, name string, def int64) (int64, error) {
	s := v.Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, badRequest("%s %q is not a non-negative integer", name, truncate(s))
	}
	return n, nil
}
