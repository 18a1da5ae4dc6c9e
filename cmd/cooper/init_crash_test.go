//go:build unix

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/cooper-kernel/cooper"
	"github.com/cooper-kernel/cooper/demo"
	"github.com/cooper-kernel/cooper/kernel"
)

// TestInitCrashChild is the process TestInitIsAtomic kills: it runs cooper
// init and kills itself with SIGKILL at the Nth finished crank (or right
// after init returns, for N = 0).
func TestInitCrashChild(t *testing.T) {
	dir := os.Getenv("COOPER_INIT_DIR")
	if dir == "" {
		t.Skip("run by TestInitIsAtomic")
	}
	killAt, _ := strconv.Atoi(os.Getenv("COOPER_INIT_KILL_AT"))
	cfg, err := cooper.ReadConfig(os.Getenv("COOPER_INIT_CONFIG"))
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	cranks := 0
	opts := cooper.Options{GoVats: demo.GoVats(), Observer: killAtCrank(killAt, &cranks)}
	if err := initKernel(context.Background(), dir, cfg, opts, io.Discard, io.Discard); err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Println("cranks", cranks)
	if killAt == 0 {
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {}
	}
	os.Exit(0)
}

// killAtCrank is an observer that counts finished cranks in *cranks and
// kills the process with SIGKILL when the count reaches killAt.
func killAtCrank(killAt int, cranks *int) func(kernel.Event) {
	return func(e kernel.Event) {
		if e.Type != kernel.EventCrankFinish {
			return
		}
		*cranks++
		if *cranks == killAt {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {} // the signal is on its way
		}
	}
}

// initChild runs TestInitCrashChild on dir, to be killed at crank killAt;
// it returns whether the child was killed and what it printed.
func initChild(t *testing.T, dir, config string, killAt int) (bool, string) {
	t.Helper()
	return killedChild(t, "TestInitCrashChild", "COOPER_INIT_DIR="+dir, "COOPER_INIT_CONFIG="+config, "COOPER_INIT_KILL_AT="+strconv.Itoa(killAt))
}

// killedChild runs the test named test of this binary as a child process
// with env added; it returns whether the child died of SIGKILL and what it
// printed (any other failure fails t).
func killedChild(t *testing.T, test string, env ...string) (bool, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$")
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.Output()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			return true, string(out)
		}
	}
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	return false, string(out)
}

// TestInitIsAtomic kills cooper init with SIGKILL at many points — during
// the creation of the static vats, after the draft's first commit, in the
// middle of the bootstrap, after its last crank, and after init returned —
// and checks that the directory then holds either no kernel (every command
// says so and a new init in it succeeds) or a whole one whose bootstrap
// ran.
func TestInitIsAtomic(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns child processes")
	}
	config := writeConfig(t, goConfig)
	killed, out := initChild(t, filepath.Join(t.TempDir(), "probe"), config, -1)
	total, _ := strconv.Atoi(strings.TrimPrefix(strings.TrimSpace(out), "cranks "))
	if killed || total < 9 {
		t.Fatalf("unkilled init: killed %v, output %q", killed, out)
	}
	// Cranks 1 to 7 make the kernel (the state, five static vats, the
	// bootstrap message); the draft commits; the bootstrap runs from crank 8.
	for _, at := range []int{1, 2, 4, 6, 7, 8, total / 2, total - 1, total, 0} {
		t.Run(fmt.Sprint("crank", at), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "k")
			killed, out := initChild(t, dir, config, at)
			if !killed {
				t.Fatalf("child was not killed at crank %d: %s", at, out)
			}
			_, _, err := cli(t, "call", dir, "bob", "getCount")
			whole := at == 0
			if !whole {
				if err == nil || !strings.Contains(err.Error(), "not a kernel") {
					t.Fatalf("killed at crank %d of %d: call = %v, want no kernel", at, total, err)
				}
				if fi, err := os.Stat(filepath.Join(dir, kernel.DBName+kernel.DraftSuffix)); at >= 8 && (err != nil || fi.Size() == 0) {
					t.Fatalf("killed at crank %d after the draft committed, but no draft: %v", at, err)
				}
				if _, _, err := cli(t, "dump", dir); err == nil || !strings.Contains(err.Error(), "not a kernel") {
					t.Fatalf("dump of a killed init: %v", err)
				}
				if _, _, err := cli(t, "init", dir, config); err != nil {
					t.Fatalf("init after a killed init: %v", err)
				}
				if names, _ := filepath.Glob(filepath.Join(dir, "*"+kernel.DraftSuffix+"*")); len(names) != 0 {
					t.Fatalf("the draft survived a new init: %v", names)
				}
			}
			out, _, err = cli(t, "call", dir, "alice", "sequential", "2")
			if err != nil || strings.TrimSpace(out) != "2" {
				t.Fatalf("call on the kernel: %v %q", err, out)
			}
			if out, _, err := cli(t, "dump", dir, "--refcounts"); err != nil {
				t.Fatalf("refcounts: %v\n%s", err, out)
			}
		})
	}
}
