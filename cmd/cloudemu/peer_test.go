package main

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// startBoth runs cloudemu with both faces on free loopback ports and
// returns the Aliyun and AWS base URLs; it is stopped when the test ends.
func startBoth(t *testing.T) (aliyunURL, awsURL string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-ca-file", "", "-aws-addr", "127.0.0.1:0"}, pw, io.Discard)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	lines := bufio.NewScanner(pr)
	for (aliyunURL == "" || awsURL == "") && lines.Scan() {
		if a, ok := strings.CutPrefix(lines.Text(), "cloudemu listening on "); ok {
			aliyunURL = "http://" + a
		}
		if a, ok := strings.CutPrefix(lines.Text(), "cloudemu AWS listening on "); ok {
			awsURL, _, _ = strings.Cut(a, " ")
		}
	}
	if aliyunURL == "" || awsURL == "" {
		t.Fatalf("cloudemu did not print both addresses: %v", <-done)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	return aliyunURL, awsURL
}

// peerRun runs one peer lifecycle script and fails the test with its output
// when it exits non-zero.
func peerRun(t *testing.T, env []string, name string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	t.Logf("%s", out)
}

// TestPeerAWSCLI runs the AWS CLI lifecycle of scripts/peer/aws-lifecycle.sh
// (botocore, not our SDK) against the AWS face. It is skipped when the aws
// command is not installed, and in -short mode: each CLI call starts a
// Python interpreter, so the run takes a minute or more.
func TestPeerAWSCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("peer tool run in -short mode")
	}
	if os.Getenv("MULTICLOUD_TEST_PEER") == "" {
		// Minutes of external processes whose speed this package does not
		// control: run on demand (scripts/peer-check.sh does the same).
		t.Skip("set MULTICLOUD_TEST_PEER=1 to run the peer tools against cloudemu")
	}
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("the AWS CLI (aws) is not on PATH")
	}
	_, awsURL := startBoth(t)
	peerRun(t, nil, "bash", filepath.Join("..", "..", "scripts", "peer", "aws-lifecycle.sh"), awsURL)
}

// TestPeerAliyunNode runs the @alicloud/pop-core lifecycle of
// scripts/peer/aliyun-lifecycle.js (and scripts/peer/aliyun-tea.js with the
// Tea-based @alicloud/ecs20140526) against the Aliyun face when node is
// installed and the client is in PEER_NODE_DIR (default
// ~/.cache/multicloud/peer-node, where scripts/peer-check.sh installs it);
// it is skipped otherwise, as the test installs nothing.
func TestPeerAliyunNode(t *testing.T) {
	if testing.Short() {
		t.Skip("peer tool run in -short mode")
	}
	if os.Getenv("MULTICLOUD_TEST_PEER") == "" {
		// Minutes of external processes whose speed this package does not
		// control: run on demand (scripts/peer-check.sh does the same).
		t.Skip("set MULTICLOUD_TEST_PEER=1 to run the peer tools against cloudemu")
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not on PATH")
	}
	dir := os.Getenv("PEER_NODE_DIR")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			t.Skip("no home directory for the peer-node cache")
		}
		dir = filepath.Join(home, ".cache", "multicloud", "peer-node")
	}
	modules := filepath.Join(dir, "node_modules")
	if _, err := os.Stat(filepath.Join(modules, "@alicloud", "pop-core", "package.json")); err != nil {
		t.Skipf("@alicloud/pop-core is not installed in %s (scripts/peer-check.sh installs it)", dir)
	}
	aliyunURL, _ := startBoth(t)
	env := []string{"NODE_PATH=" + modules}
	peerRun(t, env, "node", filepath.Join("..", "..", "scripts", "peer", "aliyun-lifecycle.js"), aliyunURL)
	// The Tea-based client (V3 signatures), when installed beside it.
	if _, err := os.Stat(filepath.Join(modules, "@alicloud", "ecs20140526", "package.json")); err == nil {
		peerRun(t, env, "node", filepath.Join("..", "..", "scripts", "peer", "aliyun-tea.js"), aliyunURL)
	}
}
