package aws

import (
	"fmt"
	"log/slog"
)

// String describes the provider without its credentials: its endpoint,
// home region and which credentials are set. The account label is left
// out, as it defaults to the access key ID.
func (p *Provider) String() string {
	if p == nil {
		return "aws.Provider(nil)"
	}
	return "aws.Provider{" + p.opts.String() + "}"
}

// GoString is String, so that %#v does not print the credentials.
func (p *Provider) GoString() string { return p.String() }

// Format prints String under every verb, so that no fmt verb reaches the
// credentials the provider's SDK configuration holds.
func (p *Provider) Format(f fmt.State, _ rune) { fmt.Fprint(f, p.String()) }

// LogValue implements slog.LogValuer without the credentials.
func (p *Provider) LogValue() slog.Value {
	if p == nil {
		return slog.StringValue("aws.Provider(nil)")
	}
	return p.opts.LogValue()
}

// String describes the options without their secrets: the access key ID,
// secret access key and session token show as set or not, never their
// values.
func (o Options) String() string {
	return fmt.Sprintf("endpoint=%q homeRegion=%s accessKey=%s secret=%s sessionToken=%s role=%q profile=%q credentials=%s",
		o.BaseEndpoint, o.HomeRegion, set(o.AccessKeyID != ""), set(!o.SecretAccessKey.IsZero()), set(!o.SessionToken.IsZero()),
		o.RoleARN, o.Profile, set(o.Credentials != nil))
}

// GoString is String, so that %#v does not print the secrets.
func (o Options) GoString() string { return "aws.Options{" + o.String() + "}" }

// Format prints String under every verb.
func (o Options) Format(f fmt.State, _ rune) { fmt.Fprint(f, o.String()) }

// LogValue implements slog.LogValuer without the secrets.
func (o Options) LogValue() slog.Value {
	return slog.GroupValue(slog.String("endpoint", o.BaseEndpoint), slog.String("homeRegion", o.HomeRegion),
		slog.Bool("accessKey", o.AccessKeyID != ""), slog.Bool("secret", !o.SecretAccessKey.IsZero()), slog.String("role", o.RoleARN))
}

func set(b bool) string {
	if b {
		return "set"
	}
	return "unset"
}

// String describes the discoverer by its provider, without credentials.
func (d *Discoverer) String() string {
	if d == nil {
		return "aws.Discoverer(nil)"
	}
	return "aws.Discoverer{" + d.p.String() + "}"
}

// GoString is String, so that %#v does not print the credentials.
func (d *Discoverer) GoString() string { return d.String() }

// Format prints String under every verb.
func (d *Discoverer) Format(f fmt.State, _ rune) { fmt.Fprint(f, d.String()) }

// LogValue implements slog.LogValuer without the credentials.
func (d *Discoverer) LogValue() slog.Value {
	if d == nil {
		return slog.StringValue("aws.Discoverer(nil)")
	}
	return d.p.LogValue()
}
