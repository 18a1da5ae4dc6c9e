package cooper_test

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/cooper-kernel/cooper"
	"github.com/cooper-kernel/cooper/capdata"
	"github.com/cooper-kernel/cooper/demo"
	"github.com/cooper-kernel/cooper/internal/testkit"
	"github.com/cooper-kernel/cooper/kernel"
	"github.com/cooper-kernel/cooper/store"
)

// demoOptions open kernels whose vats are the demo's Go vats.
func demoOptions() cooper.Options { return cooper.Options{GoVats: demo.GoVats()} }

func counterConfig() *kernel.Config {
	return &kernel.Config{
		Bootstrap: "bootstrap",
		Vats: []kernel.VatConfig{
			{Name: "bootstrap", BundleName: "go-bootstrap-dynamic"},
			{Name: "counter", BundleName: "go-counter"},
		},
	}
}

func TestRestartContinuesExactly(t *testing.T) {
	dir := t.TempDir()
	k, err := cooper.Create(dir, counterConfig(), demoOptions())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Run(kernel.UntilEmpty()); err != nil { // the bootstrap message queued at init
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		if n := callNumber(t, k, "counter", "increment"); n != float64(i) {
			t.Fatalf("increment %d = %v", i, n)
		}
	}
	if n := callNumber(t, k, "bootstrap", "makeCounter", "dyn"); n != 1 {
		t.Fatalf("dynamic counter first increment = %v", n)
	}
	activity := k.Store().ActivityHash()
	if err := k.Commit(); err != nil {
		t.Fatal(err)
	}
	// Work after the last commit is lost on close.
	call(t, k, "counter", "increment")
	k.Close()

	for restart := 1; restart <= 2; restart++ {
		k, err = cooper.Open(dir, demoOptions())
		if err != nil {
			t.Fatalf("restart %d: %v", restart, err)
		}
		if restart == 1 && k.Store().ActivityHash() != activity {
			t.Fatal("activity hash differs from the committed one after restart")
		}
		if k.RunQueueLength() != 0 {
			t.Fatalf("restart %d: replay queued %d items", restart, k.RunQueueLength())
		}
		want := float64(3 + restart)
		if n := callNumber(t, k, "counter", "increment"); n != want {
			t.Fatalf("restart %d: static counter = %v, want %v", restart, n, want)
		}
		if n := callNumber(t, k, "bootstrap", "add", "dyn", 20.0); n != float64(1+20*restart) {
			t.Fatalf("restart %d: dynamic counter = %v, want %v", restart, n, 1+20*restart)
		}
		if err := k.Commit(); err != nil {
			t.Fatal(err)
		}
		k.Close()
	}
}

func TestForgedTranscriptStopsRestart(t *testing.T) {
	dir := t.TempDir()
	k, err := cooper.Create(dir, counterConfig(), demoOptions())
	if err != nil {
		t.Fatal(err)
	}
	call(t, k, "counter", "increment")
	id, err := k.FindVat("counter")
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Commit(); err != nil {
		t.Fatal(err)
	}
	k.Close()

	// The counter's first message (position 1, after startVat) answered 1;
	// make the transcript claim it answered 7.
	testkit.CorruptTranscript(t, dir, string(id), 1, `["#1"]`, `["#7"]`)

	_, err = cooper.Open(dir, demoOptions())
	var re *kernel.ReplayError
	if !errors.As(err, &re) {
		t.Fatalf("Open after forging = %v, want a ReplayError", err)
	}
	if re.Vat != id || re.Name != "counter" || re.Delivery != 1 || re.Kind != kernel.ReplayMismatch || re.Index != 0 {
		t.Fatalf("ReplayError %+v", re)
	}
	if !strings.Contains(re.Want, `"#7"`) || !strings.Contains(re.Got, `"#1"`) {
		t.Fatalf("diff does not show the forged value: %v", err)
	}
	wantPrefix := fmt.Sprintf("anachrophobia in %s (counter) delivery 1: syscall mismatch at index 0: recorded ", id)
	if !strings.HasPrefix(err.Error(), wantPrefix) {
		t.Fatalf("error %q does not start with %q", err, wantPrefix)
	}
}

// TestCrashChild is the process TestCrashKeepsLastCommit kills: it drives the
// counter forever, committing every 10 increments and reporting each commit.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv("COOPER_CRASH_DIR")
	if dir == "" {
		t.Skip("run by TestCrashKeepsLastCommit")
	}
	k, err := cooper.Open(dir, demoOptions())
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	if os.Getenv("COOPER_CRASH_MODE") == "dynamic" {
		crashChildDynamic(k)
	}
	for n := 1; ; n++ {
		if _, err := k.QueueToVatRoot("bootstrap", "bump", []capdata.Value{"dyn"}); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		if _, err := k.QueueToVatRoot("counter", "increment", nil); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		if _, err := k.Run(kernel.UntilEmpty()); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		if n%10 == 0 {
			if err := k.Commit(); err != nil {
				fmt.Println("error", err)
				os.Exit(1)
			}
			fmt.Println("committed", n)
		}
	}
}

func TestCrashKeepsLastCommit(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	dir := t.TempDir()
	k, err := cooper.Create(dir, counterConfig(), demoOptions())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Run(kernel.UntilEmpty()); err != nil {
		t.Fatal(err)
	}
	if n := callNumber(t, k, "bootstrap", "makeCounter", "dyn"); n != 1 {
		t.Fatalf("makeCounter = %v", n)
	}
	if err := k.Commit(); err != nil {
		t.Fatal(err)
	}
	k.Close()

	for round := 0; round < 2; round++ {
		committed := crashChild(t, dir, 3+round*2)
		k, err := cooper.Open(dir, demoOptions())
		if err != nil {
			t.Fatalf("reopen after SIGKILL: %v", err)
		}
		// The child may have committed once more between its last report and
		// the kill; never a partial block.
		static := callNumber(t, k, "counter", "increment") - 1
		if static != float64(committed) && static != float64(committed+10) {
			t.Fatalf("static counter %v after a crash; last reported commit %d", static, committed)
		}
		dyn := callNumber(t, k, "bootstrap", "bump", "dyn") - 1
		if dyn != static+1 {
			t.Fatalf("dynamic counter %v, static %v: the block was torn", dyn, static)
		}
		// The checks bumped both counters once: they stay one apart.
		if err := k.Commit(); err != nil {
			t.Fatal(err)
		}
		k.Close()
	}
}

// crashChild starts TestCrashChild on dir, waits for `commits` commit
// reports, kills it with SIGKILL and returns the last reported count
// (counted from this child's start).
func crashChild(t *testing.T, dir string, commits int) int {
	t.Helper()
	before := counterValue(t, dir)
	return before + killCrashChild(t, dir, "", commits)
}

// killCrashChild runs TestCrashChild in mode on dir, waits for `commits`
// commit reports, kills it with SIGKILL and returns the last reported count.
func killCrashChild(t *testing.T, dir, mode string, commits int) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.v")
	cmd.Env = append(os.Environ(), "COOPER_CRASH_DIR="+dir, "COOPER_CRASH_MODE="+mode)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	last, seen := 0, 0
	sc := bufio.NewScanner(out)
	for seen < commits && sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "error") {
			cmd.Process.Kill()
			t.Fatalf("child: %s", line)
		}
		if n, ok := strings.CutPrefix(line, "committed "); ok {
			last, _ = strconv.Atoi(n)
			seen++
		}
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if seen < commits {
		t.Fatalf("child stopped after %d commits", seen)
	}
	return last
}

// counterValue reads the static counter's count without changing the kernel.
func counterValue(t *testing.T, dir string) int {
	t.Helper()
	k, err := cooper.Open(dir, demoOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	n := callNumber(t, k, "counter", "get")
	return int(n)
}

// crashChildDynamic creates a dynamic vat per step and drives the previous
// one, committing every 5 steps, until it is killed.
func crashChildDynamic(k *kernel.Kernel) {
	fail := func(err error) {
		fmt.Println("error", err)
		os.Exit(1)
	}
	for n := 1; ; n++ {
		if _, err := k.QueueToVatRoot("bootstrap", "byCap", []capdata.Value{fmt.Sprintf("d%d", n)}); err != nil {
			fail(err)
		}
		if n > 1 {
			if _, err := k.QueueToVatRoot("bootstrap", "bump", []capdata.Value{fmt.Sprintf("d%d", n-1)}); err != nil {
				fail(err)
			}
		}
		if _, err := k.Run(kernel.UntilEmpty()); err != nil {
			fail(err)
		}
		if n%5 == 0 {
			if err := k.Commit(); err != nil {
				fail(err)
			}
			fmt.Println("committed", n)
		}
	}
}

func TestCrashWhileCreatingDynamicVats(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	k, dir := dynKernel(t, demoOptions())
	if err := k.Commit(); err != nil {
		t.Fatal(err)
	}
	k.Close()
	last := killCrashChild(t, dir, "dynamic", 4)

	k, err := cooper.Open(dir, demoOptions())
	if err != nil {
		t.Fatalf("reopen after SIGKILL: %v", err)
	}
	ids, _ := k.Store().Get("vat.dynamicIDs")
	n := strings.Count(ids, "v")
	if n != last && n != last+5 {
		t.Fatalf("%d dynamic vats after the crash; last reported commit had %d", n, last)
	}
	// Every committed vat answers, and the first was bumped once per later step.
	if got := callString(t, k, "bootstrap", "bump", "d1"); got != "fulfilled: 3" {
		t.Fatalf("d1 after the crash: %s", got)
	}
	k.Close()
	testkit.VerifyAll(t, dir, demoOptions())
}

func TestKernelDirectoryIsLocked(t *testing.T) {
	dir := t.TempDir()
	k, err := cooper.Create(dir, counterConfig(), demoOptions())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cooper.Open(dir, demoOptions()); !errors.Is(err, kernel.ErrInUse) {
		t.Fatalf("second Open while the kernel runs = %v, want ErrInUse", err)
	}
	k.Close()
	k, err = cooper.Open(dir, demoOptions())
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	k.Close()
	if _, err := cooper.Open(t.TempDir(), demoOptions()); !errors.Is(err, kernel.ErrNotKernel) {
		t.Fatalf("Open of an empty directory = %v", err)
	}
}

// TestDiskFailureAtCommit: when the disk fails as a block commits, the
// commit is an error naming the database (SQLite reports "disk I/O
// error"), nothing of the block is kept, and a
// process opening the kernel again finds the last committed state and
// carries on (issue 11: no bricking).
func TestDiskFailureAtCommit(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "k")
	k := jsKernel(t, dir, `{"vats": {"logger": {"sourceSpec": "logger.js"}}}`, cooper.Options{})
	for range 3 {
		call(t, k, "logger", "log", "kept")
	}
	if err := k.Commit(); err != nil {
		t.Fatal(err)
	}
	call(t, k, "logger", "log", "lost")
	restore := store.FailWrites(errors.New("no space left on device"))
	err := k.Commit()
	restore()
	if err == nil || !strings.Contains(err.Error(), "store: commit") || !strings.Contains(err.Error(), "disk I/O error") {
		t.Fatalf("commit on a failing disk = %v", err)
	}
	k.Close()
	k, err = cooper.Open(dir, cooper.Options{})
	if err != nil {
		t.Fatalf("reopen after the failed commit: %v", err)
	}
	defer k.Close()
	if n := callNumber(t, k, "logger", "log", "again"); n != 4 {
		t.Fatalf("after the failed commit log = %v, want 4 (the lost block is gone)", n)
	}
	testkit.VerifyAll(t, dir, cooper.Options{})
}
