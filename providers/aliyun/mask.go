package aliyun

import (
	"fmt"
	"log/slog"
)

// String describes the provider without its credentials: its endpoint and
// which credentials are set. The account label is left out, as it
// defaults to the access key ID.
func (p *Provider) String() string {
	if p == nil {
		return "aliyun.Provider(nil)"
	}
	return "aliyun.Provider{" + p.opts.String() + "}"
}

// GoString is String, so that %#v does not print the credentials.
func (p *Provider) GoString() string { return p.String() }

// Format prints String under every verb, so that no fmt verb reaches the
// credentials the provider holds.
func (p *Provider) Format(f fmt.State, _ rune) { fmt.Fprint(f, p.String()) }

// LogValue implements slog.LogValuer without the credentials.
func (p *Provider) LogValue() slog.Value {
	if p == nil {
		return slog.StringValue("aliyun.Provider(nil)")
	}
	return p.opts.LogValue()
}

// String describes the options without their secrets: the access key ID,
// secret and security token show as set or not, never their values.
func (o Options) String() string {
	return fmt.Sprintf("endpoint=%q scheme=%s accessKey=%s secret=%s securityToken=%s role=%q credential=%s",
		o.Endpoint, o.Scheme, set(o.AccessKeyID != ""), set(!o.AccessKeySecret.IsZero()), set(!o.SecurityToken.IsZero()),
		o.RoleARN, set(o.Credential != nil))
}

// GoString is String, so that %#v does not print the secrets.
func (o Options) GoString() string { return "aliyun.Options{" + o.String() + "}" }

// Format prints String under every verb.
func (o Options) Format(f fmt.State, _ rune) { fmt.Fprint(f, o.String()) }

// LogValue implements slog.LogValuer without the secrets.
func (o Options) LogValue() slog.Value {
	return slog.GroupValue(slog.String("endpoint", o.Endpoint), slog.String("scheme", o.Scheme),
		slog.Bool("accessKey", o.AccessKeyID != ""), slog.Bool("secret", !o.AccessKeySecret.IsZero()), slog.String("role", o.RoleARN))
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
		return "aliyun.Discoverer(nil)"
	}
	return "aliyun.Discoverer{" + d.p.String() + "}"
}

// GoString is String, so that %#v does not print the credentials.
func (d *Discoverer) GoString() string { return d.String() }

// Format prints String under every verb.
func (d *Discoverer) Format(f fmt.State, _ rune) { fmt.Fprint(f, d.String()) }

// LogValue implements slog.LogValuer without the credentials.
func (d *Discoverer) LogValue() slog.Value {
	if d == nil {
		return slog.StringValue("aliyun.Discoverer(nil)")
	}
	return d.p.LogValue()
}
