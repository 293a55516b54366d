// Command cloudemu serves a simulated Alibaba Cloud (the ECS 2014-05-26 and
// VPC 2016-04-28 RPC APIs of package aliyuntest) on one port, over HTTP and
// HTTPS, to any program built on the real SDKs: point the SDK's endpoint at
// the port, or set HTTP_PROXY/HTTPS_PROXY to it and keep the cloud's own
// endpoints. HTTPS uses a certificate authority generated at start-up and
// written to -ca-file; trust it with SSL_CERT_FILE (Go, curl, the aliyun CLI)
// or the client's own setting. Requests are answered by the emulator and
// never forwarded.
//
// Usage:
//
//	cloudemu [-addr 127.0.0.1:8480] [-ca-file cloudemu-ca.pem] [-seed seed.yaml]
//	         [-regions cn-hangzhou,cn-shanghai] [-instances N] [-transition-delay 2s]
//
// The seed file (JSON, or YAML by its .yaml/.yml extension) sets the regions
// and their zones and price factors, the instances seeded per region, stock
// per zone and instance type, quotas and access keys; see seedFile.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/multicloud-ecs/multicloud/providers/aliyun/aliyuntest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "cloudemu:", err)
		os.Exit(1)
	}
}

// run parses args, starts the emulator and serves until ctx is done. It
// prints "cloudemu listening on ADDR" to stdout once the port is open.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("cloudemu", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8480", "address to listen on (HTTP and HTTPS on the same port)")
	caFile := fs.String("ca-file", "cloudemu-ca.pem", "file to write the generated CA certificate to; \"\" serves HTTP only")
	seedPath := fs.String("seed", "", "seed file, JSON or YAML (.yaml/.yml)")
	regions := fs.String("regions", "", "comma-separated region IDs to serve (default: the seed file's, else the built-in catalog)")
	instances := fs.Int("instances", -1, "Running instances to seed per region (overrides the seed file)")
	delay := fs.Duration("transition-delay", 0, "how long each transient state (Pending, Starting, Stopping, ...) lasts")
	verbose := fs.Bool("v", false, "log every call")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	seed := &seedFile{}
	if *seedPath != "" {
		var err error
		if seed, err = loadSeed(*seedPath); err != nil {
			return err
		}
	}
	if *regions != "" {
		seed.Regions = filterRegions(seed.Regions, strings.Split(*regions, ","))
	}
	if *instances >= 0 {
		seed.InstancesPerRegion = *instances
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	// A long-running emulator keeps the last calls and trail events only.
	opts := append(seed.options(), aliyuntest.WithTransitionDelay(*delay), aliyuntest.WithLogger(log),
		aliyuntest.WithCallLogLimit(10000), aliyuntest.WithTrailLimit(100000))
	srv := aliyuntest.New(opts...)
	if err := seed.apply(srv); err != nil {
		return err
	}

	var ca *aliyuntest.CertificateAuthority
	if *caFile != "" {
		var err error
		if ca, err = aliyuntest.NewCertificateAuthority(30 * 24 * time.Hour); err != nil {
			return err
		}
		if err := writeFileAtomic(*caFile, ca.CertPEM()); err != nil {
			return fmt.Errorf("write CA certificate: %w", err)
		}
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "cloudemu listening on %s\n", ln.Addr())
	if ca != nil {
		abs, _ := filepath.Abs(*caFile)
		fmt.Fprintf(stdout, "cloudemu CA certificate in %s (SSL_CERT_FILE=%s)\n", abs, abs)
	}
	if err := srv.Serve(ctx, ln, ca); err != nil && !errors.Is(err, net.ErrClosed) {
		return err
	}
	return nil
}

// writeFileAtomic writes b to path through a temporary file, so a reader
// never sees half a certificate.
func writeFileAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".cloudemu-ca-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
