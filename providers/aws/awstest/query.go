package awstest

import (
	"encoding/base64"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"
)

// params is an EC2 Query request's form: every parameter is in the POST
// body; list members are flattened as Name.N (1-based), nested structures
// are dotted (Filter.1.Value.2, TagSpecification.1.Tag.1.Key).
type params url.Values

func (p params) str(k string) string { return url.Values(p).Get(k) }

func (p params) has(k string) bool {
	_, ok := p[k]
	return ok
}

// indexes returns the sorted N of every key prefix.N or prefix.N.<rest>.
// EC2 does not require the indexes to be contiguous, only ordered.
func (p params) indexes(prefix string) []int {
	seen := map[int]bool{}
	for k := range p {
		rest, ok := strings.CutPrefix(k, prefix+".")
		if !ok {
			continue
		}
		num, _, _ := strings.Cut(rest, ".")
		n, err := strconv.Atoi(num)
		if err != nil || n < 1 {
			continue
		}
		seen[n] = true
	}
	out := make([]int, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Ints(out)
	return out
}

// list returns the values of prefix.1, prefix.2, ... in index order.
func (p params) list(prefix string) []string {
	var out []string
	for _, n := range p.indexes(prefix) {
		if v, ok := p[prefix+"."+strconv.Itoa(n)]; ok && len(v) > 0 {
			out = append(out, v[0])
		}
	}
	return out
}

// sub returns the parameters under prefix.N. with that prefix removed.
func (p params) sub(prefix string, n int) params {
	pre := prefix + "." + strconv.Itoa(n) + "."
	out := params{}
	for k, v := range p {
		if rest, ok := strings.CutPrefix(k, pre); ok {
			out[rest] = v
		}
	}
	return out
}

// struc returns the parameters of a nested structure (Placement.AvailabilityZone).
func (p params) struc(prefix string) params {
	out := params{}
	for k, v := range p {
		if rest, ok := strings.CutPrefix(k, prefix+"."); ok {
			out[rest] = v
		}
	}
	return out
}

// integer parses an optional integer parameter; ok is false when absent.
func (p params) integer(k string) (n int, ok bool, err *apiError) {
	v := p.str(k)
	if !p.has(k) {
		return 0, false, nil
	}
	n, perr := strconv.Atoi(v)
	if perr != nil {
		return 0, false, errInvalidParameterValue("Invalid value '" + v + "' for " + k)
	}
	return n, true, nil
}

// boolean parses an optional boolean parameter.
func (p params) boolean(k string) (bool, *apiError) {
	if !p.has(k) {
		return false, nil
	}
	switch p.str(k) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, errInvalidParameterValue("Invalid value '" + p.str(k) + "' for " + k + ": expected true or false")
}

// Tag is an EC2 resource tag.
type Tag struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

// tags reads prefix.N.Key / prefix.N.Value pairs.
func (p params) tags(prefix string) ([]Tag, *apiError) {
	var out []Tag
	for _, n := range p.indexes(prefix) {
		s := p.sub(prefix, n)
		k := s.str("Key")
		if k == "" {
			return nil, errInvalidParameterValue("Tag key must not be empty")
		}
		if strings.HasPrefix(strings.ToLower(k), "aws:") {
			// ERRDOC InvalidTagKey.Malformed: keys may not start with "aws:".
			return nil, &apiError{Status: 400, Code: "InvalidTagKey.Malformed", Message: "Tag keys starting with 'aws:' are reserved for internal use"}
		}
		if len(k) > 128 || len(s.str("Value")) > 256 {
			return nil, errInvalidParameterValue("Tag key or value too long")
		}
		out = append(out, Tag{Key: k, Value: s.str("Value")})
	}
	return out, nil
}

// tagSpecs returns the tags a TagSpecification.N list asks for resourceType,
// refusing a specification for a type the action does not create.
func (p params) tagSpecs(allowed ...string) (map[string][]Tag, *apiError) {
	out := map[string][]Tag{}
	for _, n := range p.indexes("TagSpecification") {
		s := p.sub("TagSpecification", n)
		rt := s.str("ResourceType")
		if !containsString(allowed, rt) {
			return nil, errInvalidParameterValue("'" + rt + "' is not a valid taggable resource type for this operation.")
		}
		tags, err := s.tags("Tag")
		if err != nil {
			return nil, err
		}
		out[rt] = append(out[rt], tags...)
		if len(out[rt]) > maxTagsPerResource {
			return nil, &apiError{Status: 400, Code: "TagLimitExceeded", Message: "The maximum number of tags for a resource (50) has been exceeded."}
		}
	}
	return out, nil
}

// filter is one Filter.N of a Describe call.
type filter struct {
	Name   string
	Values []string
}

// filters reads Filter.N.Name / Filter.N.Value.M.
func (p params) filters() ([]filter, *apiError) {
	var out []filter
	for _, n := range p.indexes("Filter") {
		s := p.sub("Filter", n)
		f := filter{Name: s.str("Name"), Values: s.list("Value")}
		if f.Name == "" {
			return nil, errInvalidParameterValue("The filter 'null' is invalid")
		}
		out = append(out, f)
	}
	// ERRDOC FilterLimitExceeded: "The request uses too many filters or too
	// many filter values". The limits themselves are not documented; 50
	// filters and 200 values each are chosen here (not confirmed).
	if len(out) > 50 {
		return nil, &apiError{Status: 400, Code: "FilterLimitExceeded", Message: "The request uses too many filters"}
	}
	for _, f := range out {
		if len(f.Values) > 200 {
			return nil, &apiError{Status: 400, Code: "FilterLimitExceeded", Message: "The filter '" + f.Name + "' has too many values"}
		}
	}
	return out, nil
}

// attrs answers a filter name with a resource's values for it (ok false: the
// name is not a filter of this resource type).
type attrs func(name string) (values []string, ok bool)

// matchFilters reports whether a resource passes every filter: one of a
// filter's values must match one of the resource's values, with the '*' and
// '?' wildcards the EC2 reference allows in filter values. tag:<key>,
// tag-key and tag-value are answered from tags.
func matchFilters(fs []filter, tags []Tag, a attrs) (bool, *apiError) {
	for _, f := range fs {
		var have []string
		switch {
		case strings.HasPrefix(f.Name, "tag:"):
			k := strings.TrimPrefix(f.Name, "tag:")
			for _, t := range tags {
				if t.Key == k {
					have = append(have, t.Value)
				}
			}
		case f.Name == "tag-key":
			for _, t := range tags {
				have = append(have, t.Key)
			}
		case f.Name == "tag-value":
			for _, t := range tags {
				have = append(have, t.Value)
			}
		default:
			v, ok := a(f.Name)
			if !ok {
				return false, errInvalidParameterValue("The filter '" + f.Name + "' is invalid")
			}
			have = v
		}
		if !anyMatch(f.Values, have) {
			return false, nil
		}
	}
	return true, nil
}

func anyMatch(patterns, values []string) bool {
	for _, p := range patterns {
		for _, v := range values {
			if wildcard(p, v) {
				return true
			}
		}
	}
	return false
}

// wildcard matches '*' (any run) and '?' (one character); every other
// character, including '[' and '\', is literal.
func wildcard(pattern, s string) bool {
	if !strings.ContainsAny(pattern, "*?") {
		return pattern == s
	}
	var b strings.Builder
	for _, r := range pattern {
		switch r {
		case '*', '?':
			b.WriteRune(r)
		case '[', ']', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	// path.Match's '*' stops at '/', which image names contain; split on it.
	ok, err := matchAcrossSlashes(b.String(), s)
	return err == nil && ok
}

// matchAcrossSlashes is path.Match with '*' also matching '/'.
func matchAcrossSlashes(pattern, s string) (bool, error) {
	const slash = "\x00"
	return path.Match(strings.ReplaceAll(pattern, "/", slash), strings.ReplaceAll(s, "/", slash))
}

// page is one page of a list of n items.
type page struct {
	start, end int
	next       string // "" on the last page
}

// paginateCapped is paginate for an action whose reference says a MaxResults
// above max answers max items rather than an error (DescribeVolumes: "This
// value can be between 5 and 500; if you specify a value larger than 500,
// only 500 items are returned"). The AWS CLI relies on it: it sends
// MaxResults=1000 on every describe-volumes without volume IDs.
func paginateCapped(p params, action string, n, min, max int) (page, *apiError) {
	if size, ok, _ := p.integer("MaxResults"); ok && size > max {
		q := make(params, len(p))
		for k, v := range p {
			q[k] = v
		}
		q["MaxResults"] = []string{strconv.Itoa(max)}
		p = q
	}
	return paginate(p, action, n, min, max)
}

// paginate cuts n items into the page that MaxResults and NextToken ask
// for. min and max are the action's documented MaxResults bounds (max 0:
// no pagination bounds, every item on one page unless MaxResults is given).
// The token is opaque to the client and bound to the action.
func paginate(p params, action string, n, min, max int) (page, *apiError) {
	size, hasSize, err := p.integer("MaxResults")
	if err != nil {
		return page{}, err
	}
	if hasSize && (size < min || (max > 0 && size > max)) {
		msg := "Value ( " + strconv.Itoa(size) + " ) for parameter maxResults is invalid. Expecting a value greater than " + strconv.Itoa(min-1)
		if max > 0 {
			msg += " and less than " + strconv.Itoa(max+1)
		}
		return page{}, errInvalidParameterValue(msg + ".")
	}
	start := 0
	if tok := p.str("NextToken"); tok != "" {
		raw, derr := base64.RawURLEncoding.DecodeString(tok)
		a, off, ok := strings.Cut(string(raw), ":")
		o, cerr := strconv.Atoi(off)
		if derr != nil || !ok || a != action || cerr != nil || o < 0 || o > n {
			// ERRDOC: InvalidPaginationToken "The specified pagination token
			// is not valid or is expired". Some actions may answer
			// InvalidNextToken instead (not confirmed per action).
			return page{}, &apiError{Status: 400, Code: "InvalidPaginationToken", Message: "The specified pagination token is not valid or is expired."}
		}
		start = o
	}
	end := n
	if hasSize && start+size < n {
		end = start + size
	}
	pg := page{start: start, end: end}
	if end < n {
		pg.next = base64.RawURLEncoding.EncodeToString([]byte(action + ":" + strconv.Itoa(end)))
	}
	return pg, nil
}
