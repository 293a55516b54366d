package aliyuntest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"strings"
	"sync"
	"time"
)

// CertificateAuthority is a certificate authority generated at start-up that
// issues a certificate for every host name a client asks for (TLS SNI), so
// that clients which trust it (for example through SSL_CERT_FILE) reach the
// emulator over HTTPS under the cloud's own host names, directly or through
// an HTTPS proxy. Its key never leaves the process. Methods are safe for
// concurrent use.
type CertificateAuthority struct {
	cert *x509.Certificate
	key  crypto.Signer
	pem  []byte
	leaf crypto.Signer // one key for every issued certificate

	mu    sync.Mutex
	cache map[string]*tls.Certificate
}

// NewCertificateAuthority generates a CA valid for validFor from now. It
// returns an error only if the system random source fails.
func NewCertificateAuthority(validFor time.Duration) (*CertificateAuthority, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("aliyuntest: generate CA key: %w", err)
	}
	leaf, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("aliyuntest: generate certificate key: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "cloudemu local CA", Organization: []string{"cloudemu"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(validFor),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("aliyuntest: create CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("aliyuntest: parse CA certificate: %w", err)
	}
	return &CertificateAuthority{cert: cert, key: key, leaf: leaf,
		pem:   pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		cache: make(map[string]*tls.Certificate)}, nil
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	return n
}

// CertPEM returns the CA certificate in PEM form, for a file clients trust.
func (ca *CertificateAuthority) CertPEM() []byte { return append([]byte(nil), ca.pem...) }

// Pool returns a certificate pool holding only the CA.
func (ca *CertificateAuthority) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

// TLSConfig returns a server configuration that presents, for each client,
// a certificate for the host name it asked for; a client that sends no
// name (an IP address) gets one for localhost, 127.0.0.1 and ::1.
func (ca *CertificateAuthority) TLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		NextProtos: []string{"http/1.1"},
		GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
			return ca.certificate(strings.ToLower(strings.TrimSuffix(hello.ServerName, ".")))
		},
	}
}

func (ca *CertificateAuthority) certificate(host string) (*tls.Certificate, error) {
	ca.mu.Lock()
	defer ca.mu.Unlock()
	if c, ok := ca.cache[host]; ok {
		return c, nil
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: host, Organization: []string{"cloudemu"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     ca.cert.NotAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if host == "" {
		tmpl.Subject.CommonName = "localhost"
		tmpl.DNSNames = []string{"localhost"}
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	} else if ip := net.ParseIP(host); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	} else {
		tmpl.DNSNames = []string{host}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, ca.leaf.Public(), ca.key)
	if err != nil {
		return nil, fmt.Errorf("aliyuntest: issue certificate for %q: %w", host, err)
	}
	c := &tls.Certificate{Certificate: [][]byte{der, ca.cert.Raw}, PrivateKey: ca.leaf}
	ca.cache[host] = c
	return c, nil
}
