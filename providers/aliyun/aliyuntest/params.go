package aliyuntest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// params are the decoded query and form parameters of a call.
type params url.Values

func (p params) str(k string) string {
	if v := p[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func (p params) has(k string) bool { _, ok := p[k]; return ok }

// required returns the value of k or MissingParameter.
func (p params) required(k string) (string, error) {
	v := p.str(k)
	if v == "" {
		return "", errMissing(k)
	}
	return v, nil
}

// intv parses an integer parameter, def if absent.
func (p params) intv(k string, def int) (int, error) {
	v := p.str(k)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, errInvalid(k, v)
	}
	return n, nil
}

// intRange parses an integer parameter and checks lo <= n <= hi.
func (p params) intRange(k string, def, lo, hi int) (int, error) {
	n, err := p.intv(k, def)
	if err != nil {
		return 0, err
	}
	if n < lo || n > hi {
		return 0, errInvalid(k, p.str(k))
	}
	return n, nil
}

func (p params) boolv(k string) (bool, error) {
	switch v := strings.ToLower(p.str(k)); v {
	case "":
		return false, nil
	case "true":
		return true, nil
	case "false":
		return false, nil
	default:
		return false, errInvalid(k, v)
	}
}

// list returns the repeated parameter k.1, k.2, ... up to the first gap.
func (p params) list(k string) []string {
	var out []string
	for i := 1; ; i++ {
		v, ok := p[k+"."+strconv.Itoa(i)]
		if !ok {
			return out
		}
		if len(v) > 0 {
			out = append(out, v[0])
		}
	}
}

// jsonList decodes a parameter holding a JSON array of strings.
func (p params) jsonList(k string, max int) ([]string, error) {
	v := p.str(k)
	if v == "" {
		return nil, nil
	}
	var out []string
	if err := json.Unmarshal([]byte(v), &out); err != nil {
		return nil, errInvalid(k, v)
	}
	if len(out) > max {
		return nil, &apiError{status: 400, code: "InvalidParameter", msg: "The parameter " + k + " may contain at most " + strconv.Itoa(max) + " items."}
	}
	return out, nil
}

// commaList splits a comma-separated parameter.
func (p params) commaList(k string) []string {
	v := p.str(k)
	if v == "" {
		return nil
	}
	parts := strings.Split(v, ",")
	out := parts[:0]
	for _, s := range parts {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// fingerprint hashes every parameter except the signature and transport ones,
// for ClientToken idempotency checks.
func (p params) fingerprint() string {
	keys := make([]string, 0, len(p))
	for k := range p {
		switch k {
		case "Signature", "SignatureNonce", "Timestamp", "AccessKeyId", "SignatureMethod",
			"SignatureVersion", "SignatureType", "Format", "ClientToken", "SecurityToken":
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	for _, k := range keys {
		h.Write([]byte(k))
		h.Write([]byte{0})
		for _, v := range p[k] {
			h.Write([]byte(v))
			h.Write([]byte{0})
		}
		h.Write([]byte{1})
	}
	return hex.EncodeToString(h.Sum(nil))
}

func errMissing(k string) *apiError {
	return &apiError{status: 400, code: "MissingParameter",
		msg: "The input parameter \"" + k + "\" that is mandatory for processing this request is not supplied."}
}

func errInvalid(k, v string) *apiError {
	return &apiError{status: 400, code: "InvalidParameter", msg: "The specified parameter \"" + k + "\" is not valid: " + strconv.Quote(v) + "."}
}

func errCode(status int, code, msg string) *apiError {
	return &apiError{status: status, code: code, msg: msg}
}

var errDryRun = errCode(400, "DryRunOperation", "Request validation has been passed with DryRun flag set.")

// dryRun returns DryRunOperation if the DryRun parameter is true.
func (p params) dryRun() error {
	dr, err := p.boolv("DryRun")
	if err != nil {
		return err
	}
	if dr {
		return errDryRun
	}
	return nil
}

// page is a PageNumber/PageSize request.
type page struct {
	number, size int
}

// pageParams parses PageNumber/PageSize with the action's maximum page size.
func (p params) pageParams(max int) (page, error) {
	n, err := p.intv("PageNumber", 1)
	if err != nil {
		return page{}, err
	}
	if n < 1 {
		return page{}, errInvalid("PageNumber", p.str("PageNumber"))
	}
	size, err := p.intv("PageSize", 10)
	if err != nil {
		return page{}, err
	}
	if size < 1 || size > max {
		return page{}, errCode(400, "InvalidParameter", "The specified parameter \"PageSize\" is not valid: must be between 1 and "+strconv.Itoa(max)+".")
	}
	return page{number: n, size: size}, nil
}

// bounds returns the slice bounds of the page within total items.
func (pg page) bounds(total int) (lo, hi int) {
	lo = (pg.number - 1) * pg.size
	if lo > total || lo < 0 {
		lo = total
	}
	hi = lo + pg.size
	if hi > total {
		hi = total
	}
	return lo, hi
}

// paginate returns the page of items.
func paginate[T any](items []T, pg page) []T {
	lo, hi := pg.bounds(len(items))
	return items[lo:hi]
}

// tokenMode reports whether the call uses NextToken/MaxResults pagination,
// and the page size, checked against max.
func (p params) tokenMode(max int) (bool, int, error) {
	if !p.has("NextToken") && !p.has("MaxResults") {
		return false, 0, nil
	}
	n, err := p.intv("MaxResults", 10)
	if err != nil {
		return false, 0, err
	}
	if n < 1 || n > max {
		return false, 0, errCode(400, "InvalidParameter", "The specified parameter \"MaxResults\" is not valid: must be between 1 and "+strconv.Itoa(max)+".")
	}
	return true, n, nil
}

// tokenPage pages through items sorted by id, starting after the NextToken
// (the last id of the previous page). The token is stable under inserts and
// deletes because it names a position in the sort order, not an offset.
func tokenPage[T any](items []T, id func(T) string, token string, n int, keep func(T) bool) (out []T, next string) {
	i := 0
	if token != "" {
		i = sort.Search(len(items), func(i int) bool { return id(items[i]) > token })
	}
	for ; i < len(items); i++ {
		if keep != nil && !keep(items[i]) {
			continue
		}
		if len(out) == n {
			return out, id(out[len(out)-1])
		}
		out = append(out, items[i])
	}
	return out, ""
}

// wildcard reports whether s matches pattern, where '*' matches any sequence.
func wildcard(pattern, s string) bool {
	if !strings.Contains(pattern, "*") {
		return pattern == s
	}
	parts := strings.Split(pattern, "*")
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, part := range parts[1 : len(parts)-1] {
		i := strings.Index(s, part)
		if i < 0 {
			return false
		}
		s = s[i+len(part):]
	}
	return strings.HasSuffix(s, last)
}
