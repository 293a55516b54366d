package aliyuntest

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"
)

// TestServe checks one listener answering plain HTTP, HTTPS with a
// certificate for the address, absolute-form proxy requests and CONNECT
// tunnels whose certificate names the cloud host asked for.
func TestServe(t *testing.T) {
	ca, err := NewCertificateAuthority(time.Hour)
	must(t, err)
	srv := New()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln, ca) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	addr := ln.Addr().String()
	proxy, _ := url.Parse("http://" + addr)
	tlsCfg := &tls.Config{RootCAs: ca.Pool(), MinVersion: tls.VersionTLS12}

	tests := []struct {
		name     string
		client   *http.Client
		target   string
		wantHost string // certificate name the client verified, "" for plain HTTP
	}{
		{"direct HTTP", &http.Client{Transport: &http.Transport{Proxy: nil}}, "http://" + addr + "/", ""},
		{"direct HTTPS", &http.Client{Transport: &http.Transport{Proxy: nil, TLSClientConfig: tlsCfg}}, "https://" + addr + "/", "localhost"},
		{"proxied HTTP", &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxy)}}, "http://ecs.cn-hangzhou.aliyuncs.com/", ""},
		{"CONNECT tunnel", &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxy), TLSClientConfig: tlsCfg}},
			"https://ecs-cn-hangzhou.aliyuncs.com/", "ecs-cn-hangzhou.aliyuncs.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := signedParams("DescribeRegions", ECSVersion, time.Now(), newNonce(), DefaultAccessKeySecret)
			resp, err := tt.client.PostForm(tt.target, v)
			must(t, err)
			defer resp.Body.Close()
			var body describeRegionsResp
			must(t, json.NewDecoder(resp.Body).Decode(&body))
			if resp.StatusCode != 200 || len(body.Regions.Region) == 0 {
				t.Fatalf("got status %d with %d regions, want 200 with regions", resp.StatusCode, len(body.Regions.Region))
			}
			peer := ""
			if resp.TLS != nil {
				peer = resp.TLS.PeerCertificates[0].Subject.CommonName
			}
			if peer != tt.wantHost {
				t.Errorf("got certificate for %q, want %q", peer, tt.wantHost)
			}
		})
	}

	// A client that does not trust the CA is refused during the handshake.
	untrusting := &http.Client{Transport: &http.Transport{Proxy: nil}}
	if _, err := untrusting.Get("https://" + addr + "/"); err == nil {
		t.Error("a client without the CA completed a TLS handshake")
	}
}
