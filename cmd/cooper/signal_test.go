//go:build unix

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestCLIChildProcess runs the cooper command with the arguments in
// COOPER_CLI_ARGS (a JSON array) when a test starts this binary as a child;
// otherwise it does nothing.
func TestCLIChildProcess(t *testing.T) {
	raw := os.Getenv("COOPER_CLI_ARGS")
	if raw == "" {
		t.Skip("only runs as a child process")
	}
	var args []string
	if err := json.Unmarshal([]byte(raw), &args); err != nil {
		t.Fatal(err)
	}
	os.Args = append([]string{"cooper"}, args...)
	main()
	os.Exit(0)
}

const spinnerVat = `import { Far } from '@endo/far';
export function buildRootObject(vatPowers) {
  let n = 0;
  return Far('spinner', {
    spin() {
      n += 1;
      vatPowers.testLog('spinning');
      for (;;) {}
    },
    count() { return n; },
  });
}
`

// spinnerKernel makes a kernel whose one vat, spinner, spins forever in
// spin (its meter allows it to run for hours), and returns its directory.
func spinnerKernel(tb testing.TB) string {
	tb.Helper()
	tmp := tb.TempDir()
	if err := os.WriteFile(filepath.Join(tmp, "spinner.js"), []byte(spinnerVat), 0o644); err != nil {
		tb.Fatal(err)
	}
	cfg := filepath.Join(tmp, "config.json")
	body := `{"limits": {"deliveryComputrons": 1000000000000000},
	  "vats": {"spinner": {"sourceSpec": "spinner.js"}}}`
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		tb.Fatal(err)
	}
	dir := filepath.Join(tmp, "k")
	if _, stderr, err := cli(tb, "init", dir, cfg); err != nil {
		tb.Fatalf("init: %v (%s)", err, stderr)
	}
	return dir
}

// interruptSpin starts `cooper call dir spinner spin` as a child process,
// sends it sig once the delivery runs, and waits for it to exit. It returns
// the time from the signal to the exit, the child's stderr and its exit.
func interruptSpin(tb testing.TB, dir string, sig syscall.Signal) (time.Duration, string, error) {
	tb.Helper()
	args, _ := json.Marshal([]string{"call", dir, "spinner", "spin"})
	cmd := exec.Command(os.Args[0], "-test.run=^TestCLIChildProcess$")
	cmd.Env = append(os.Environ(), "COOPER_CLI_ARGS="+string(args))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	lines := bufio.NewScanner(stdout)
	started := false
	for lines.Scan() {
		if lines.Text() == "spinner: spinning" {
			started = true
			break
		}
	}
	if !started {
		cmd.Process.Kill()
		cmd.Wait()
		tb.Fatalf("child never reached the delivery; stderr: %s", stderr.String())
	}
	sent := time.Now()
	if err := cmd.Process.Signal(sig); err != nil {
		tb.Fatal(err)
	}
	// A child that ignores the signal is killed so the test fails
	// instead of hanging.
	watchdog := time.AfterFunc(30*time.Second, func() { cmd.Process.Kill() })
	defer watchdog.Stop()
	for lines.Scan() {
	}
	err = cmd.Wait()
	return time.Since(sent), stderr.String(), err
}

// TestCLISignalStopsDelivery interrupts a delivery that would never end:
// the command exits non-zero with one line, nothing of the block is kept
// and the next command works. (How fast: BenchmarkSignalStop.)
func TestCLISignalStopsDelivery(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := spinnerKernel(t)
			_, stderr, err := interruptSpin(t, dir, sig)
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() == 0 {
				t.Fatalf("child exit: %v, want a non-zero exit", err)
			}
			got := strings.TrimSpace(stderr)
			if got != "cooper: interrupted: nothing since the last commit was kept" {
				t.Fatalf("stderr = %q, want one line saying the block was dropped", got)
			}

			// The interrupted block left nothing: the counter is as committed,
			// and the kernel (and its lock) is free for the next command.
			out, stderr2, err := cli(t, "call", dir, "spinner", "count")
			if err != nil {
				t.Fatalf("call after the signal: %v (%s)", err, stderr2)
			}
			if strings.TrimSpace(out) != "0" {
				t.Fatalf("count after the signal = %s, want 0", out)
			}
		})
	}
}

// BenchmarkSignalStop measures how long `cooper call` takes to exit after
// SIGINT arrives in the middle of a delivery that never ends (the issue's
// target: within a second), reported as ms/stop.
func BenchmarkSignalStop(b *testing.B) {
	dir := spinnerKernel(b)
	var total time.Duration
	n := 0
	for b.Loop() {
		d, stderr, err := interruptSpin(b, dir, syscall.SIGINT)
		if err == nil || !strings.Contains(stderr, "interrupted") {
			b.Fatalf("child exit %v, stderr %q", err, stderr)
		}
		total += d
		n++
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(n), "ms/stop")
}
