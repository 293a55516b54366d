package multicloud

import (
	"encoding/json"
	"fmt"
	"log/slog"
)

// Secret holds a credential such as an access key secret or an instance
// password. Its String, GoString, Format-based printing, LogValue and
// MarshalJSON never reveal the value; call Reveal to read it. The zero
// value is the empty secret.
type Secret string

const redacted = "[REDACTED]"

// Reveal returns the secret's value. Call it only where the value is sent
// to its destination (a provider API, an encrypted store).
func (s Secret) Reveal() string { return string(s) }

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s == "" }

// String returns a fixed mask, or "" for the empty secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString returns a fixed mask, so %#v does not reveal the value.
func (s Secret) GoString() string { return `multicloud.Secret("` + s.String() + `")` }

// Format prints the mask under every fmt verb (%d and %x included).
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, s.GoString())
		return
	}
	fmt.Fprint(f, s.String())
}

// LogValue implements slog.LogValuer with the mask.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalJSON writes the mask, never the value: a request serialized for
// storage or replay must have its secret set again before it is sent.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// UnmarshalJSON reads a secret from a JSON string. The mask itself reads as
// the empty secret, so a marshalled value round-trips to "not set" rather
// than to the literal mask.
func (s *Secret) UnmarshalJSON(b []byte) error {
	var v string
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	if v == redacted {
		v = ""
	}
	*s = Secret(v)
	return nil
}
