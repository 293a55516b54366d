package multicloud

import (
	"strings"
	"unicode"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// TagToken is the reserved tag key that carries, on every instance, the
// idempotency token of the create that made it (see Token), from the
// create call on: an instance whose create never returned can be traced
// to its request, for instance by a Sweep's KnownInstance.
const TagToken = "idempotencyToken"

// reservedTags is the one list of the reserved tag keys.
var reservedTags = []string{TagTenant, TagOwner, TagCreatedBy, TagToken}

// ReservedTags returns the reserved tag keys: TagTenant, TagOwner,
// TagCreatedBy and TagToken.
func ReservedTags() []string { return append([]string(nil), reservedTags...) }

// IsReservedTag reports whether key is, or looks like, one of the reserved
// tag keys. Keys are compared after Unicode normalization (NFKC, so that
// full-width and other compatibility forms read as their plain letters),
// case folding, and mapping the Cyrillic and Greek letters that look like
// Latin ones to those letters; so "OWNER", "Ｏwner" and "Оwner" with a
// Cyrillic О are all reserved. Keys with characters that do not show
// (see TagKeyProblem) are refused by Validate before this rule applies.
func IsReservedTag(key string) bool {
	k := tagSkeleton(key)
	for _, r := range reservedTags {
		if k == tagSkeleton(r) {
			return true
		}
	}
	return false
}

var folder = cases.Fold()

// tagSkeleton is the form reserved keys are compared in: NFKC, case
// folded, look-alike letters mapped, and surrounding space trimmed.
func tagSkeleton(s string) string {
	s = folder.String(norm.NFKC.String(s))
	s = strings.Map(func(r rune) rune {
		if l, ok := lookAlikes[r]; ok {
			return l
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

// lookAlikes maps lower-case Cyrillic, Greek and other letters to the
// Latin letters they are drawn like (after case folding), a subset of
// Unicode's confusables (UTS #39) covering every letter of the reserved
// keys.
var lookAlikes = map[rune]rune{
	'а': 'a', 'в': 'b', 'ь': 'b', 'с': 'c', 'ԁ': 'd', 'е': 'e', 'ё': 'e', 'һ': 'h', 'і': 'i', 'ї': 'i', 'ј': 'j',
	'к': 'k', 'м': 'm', 'п': 'n', 'о': 'o', 'р': 'p', 'ԛ': 'q', 'г': 'r', 'ѕ': 's', 'т': 't', 'у': 'y',
	'х': 'x', 'ԝ': 'w', 'ѡ': 'w', 'ո': 'n', 'օ': 'o', 'ı': 'i', 'ɑ': 'a', 'ɡ': 'g', 'ʏ': 'y',
	'α': 'a', 'β': 'b', 'ε': 'e', 'η': 'n', 'ι': 'i', 'κ': 'k', 'ν': 'v', 'ο': 'o', 'ρ': 'p', 'τ': 't',
	'υ': 'u', 'χ': 'x', 'ω': 'w', 'ϲ': 'c', 'ϳ': 'j',
}

// TagKeyProblem returns why key cannot be a tag key, or "" when it can:
// a key must not contain control characters, format characters (such as
// the zero-width space and joiners, or bidirectional marks) or spaces
// other than the ASCII space, which would make two keys that print the
// same differ. The length and prefix rules are Validate's.
func TagKeyProblem(key string) string {
	for _, r := range key {
		switch {
		case unicode.IsControl(r):
			return "contains a control character"
		case unicode.In(r, unicode.Cf):
			return "contains an invisible format character"
		case r != ' ' && (unicode.IsSpace(r) || unicode.In(r, unicode.Zs, unicode.Zl, unicode.Zp)):
			return "contains a space other than the ASCII space"
		case r == unicode.ReplacementChar:
			return "is not valid UTF-8"
		}
	}
	return ""
}
