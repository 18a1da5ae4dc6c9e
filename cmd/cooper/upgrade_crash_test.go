//go:build unix

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/cooper-kernel/cooper"
	"github.com/cooper-kernel/cooper/bundle"
)

// TestUpgradeCrashChild is the process TestUpgradeSurvivesKill kills: it
// upgrades the store vat to store-v2.js, one crank per block, and kills
// itself with SIGKILL at the Nth finished crank (or after the upgrade
// committed, for N = 0).
func TestUpgradeCrashChild(t *testing.T) {
	dir := os.Getenv("COOPER_UPGRADE_DIR")
	if dir == "" {
		t.Skip("run by TestUpgradeSurvivesKill")
	}
	killAt, _ := strconv.Atoi(os.Getenv("COOPER_UPGRADE_KILL_AT"))
	cranks := 0
	k, err := cooper.Open(dir, cooper.Options{Observer: killAtCrank(killAt, &cranks)})
	fail := func(err error) {
		fmt.Println("error", err)
		os.Exit(1)
	}
	if err != nil {
		fail(err)
	}
	bd, err := bundle.Build(filepath.Join(vatdataDir, "store-v2.js"))
	if err != nil {
		fail(err)
	}
	id, err := k.InstallBundle(bd.Marshal())
	if err != nil {
		fail(err)
	}
	if _, err := k.UpgradeStaticVat("store", id, nil, "crash test"); err != nil {
		fail(err)
	}
	if _, err := cooper.RunBlocks(context.Background(), k, 1); err != nil {
		fail(err)
	}
	fmt.Println("cranks", cranks)
	if killAt == 0 {
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {}
	}
	os.Exit(0)
}

var vatdataDir = filepath.Join("..", "..", "kernel", "testdata", "vats", "vatdata")

// upgradeChild runs TestUpgradeCrashChild on dir; it reports whether the
// child was killed and what it printed.
func upgradeChild(t *testing.T, dir string, killAt int) (bool, string) {
	t.Helper()
	return killedChild(t, "TestUpgradeCrashChild", "COOPER_UPGRADE_DIR="+dir, "COOPER_UPGRADE_KILL_AT="+strconv.Itoa(killAt))
}

// TestUpgradeSurvivesKill kills an upgrade with SIGKILL at every crank and
// after it committed: the kernel then restarts with the store vat either
// still in incarnation 0 or wholly upgraded, its durable entries intact,
// its reference counts right, and it upgrades again when asked.
func TestUpgradeSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns child processes")
	}
	prepare := func(t *testing.T) string {
		dir := filepath.Join(t.TempDir(), "k")
		for _, args := range [][]string{
			{"init", dir, filepath.Join(vatdataDir, "config.json")},
			{"call", dir, "store", "put", `"a"`, "1"},
			{"call", dir, "store", "put", `"b"`, "2"},
		} {
			if _, stderr, err := cli(t, args...); err != nil {
				t.Fatalf("%s: %v (%s)", args[0], err, stderr)
			}
		}
		return dir
	}
	killed, out := upgradeChild(t, prepare(t), -1)
	total, _ := strconv.Atoi(strings.TrimPrefix(strings.TrimSpace(out), "cranks "))
	if killed || total < 3 {
		t.Fatalf("unkilled upgrade: killed %v, output %q", killed, out)
	}
	upgraded := 0
	for at := 0; at <= total; at++ {
		t.Run(fmt.Sprint("crank", at), func(t *testing.T) {
			dir := prepare(t)
			if killed, out := upgradeChild(t, dir, at); !killed {
				t.Fatalf("child was not killed at crank %d: %s", at, out)
			}
			version, _, err := cli(t, "call", dir, "store", "version")
			if err != nil {
				t.Fatalf("call after the kill: %v", err)
			}
			// A committed upgrade request still queued runs first (its
			// vat's log line comes before the answer).
			lines := strings.Split(strings.TrimSpace(version), "\n")
			switch lines[len(lines)-1] {
			case `"v2"`:
				upgraded++
			case `"v1"`:
				if at == 0 {
					t.Fatal("the upgrade committed, yet the vat runs incarnation 0")
				}
			default:
				t.Fatalf("version = %s", version)
			}
			if keys, _, err := cli(t, "call", dir, "store", "keys"); err != nil || !strings.HasSuffix(strings.TrimSpace(keys), `["a","b"]`) {
				t.Fatalf("keys after the kill = %s, %v", keys, err)
			}
			if _, _, err := cli(t, "dump", dir, "--refcounts"); err != nil {
				t.Fatalf("refcounts: %v", err)
			}
			if out, _, err := cli(t, "upgrade", dir, "store", filepath.Join(vatdataDir, "store-v2.js")); err != nil || !strings.Contains(out, "incarnationNumber") {
				t.Fatalf("upgrade after the kill: %s, %v", out, err)
			}
		})
	}
	if upgraded == 0 {
		t.Error("no kill left the vat upgraded")
	}
}
