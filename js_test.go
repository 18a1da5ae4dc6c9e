package cooper_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cooper-kernel/cooper"
	"github.com/cooper-kernel/cooper/capdata"
	"github.com/cooper-kernel/cooper/internal/testkit"
	"github.com/cooper-kernel/cooper/kernel"
	"github.com/cooper-kernel/cooper/store"
)

const jsScenarioConfig = `{
  "bootstrap": "driver",
  "vats": {
    "driver": { "sourceSpec": "driver.js" },
    "target1": { "sourceSpec": "target.js" },
    "target2": { "sourceSpec": "target.js" },
    "sandbox": { "sourceSpec": "sandbox.js" },
    "runaway": { "sourceSpec": "runaway.js", "creationOptions": { "deliveryComputronLimit": 1000000 } }
  }
}`

// jsKernel creates a kernel from config JSON whose sources are in testdata/js.
func jsKernel(t *testing.T, dir, config string, opts cooper.Options) *kernel.Kernel {
	t.Helper()
	cfg, err := cooper.ParseConfig([]byte(config))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Dir = filepath.Join("testdata", "js")
	k, err := cooper.Init(dir, cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Run(kernel.UntilEmpty()); err != nil {
		t.Fatal(err)
	}
	return k
}

func TestScenariosJSVats(t *testing.T) {
	var console []string
	k := jsKernel(t, t.TempDir(), jsScenarioConfig, cooper.Options{Console: func(vatName, level, line string) {
		console = append(console, vatName+": "+line)
	}})
	defer k.Close()
	if len(console) != 1 || console[0] != "driver: driver ready" {
		t.Errorf("console = %q", console)
	}
	for _, tc := range []struct{ method, want string }{
		{"message", `fulfilled: "hello"`},
		{"pipeline", `fulfilled: "hi from thing"`},
		{"sendToData", `rejected: data is not callable, has no method foo`},
		{"sendToRejected", `rejected: target failed on purpose`},
		{"subscribers", `fulfilled: ["saw the news","saw the news"]`},
		{"queued", `fulfilled: "hi from thing"`},
		{"computedName", `fulfilled: "computed"`},
		{"when", `when 7`},
		{"kinds", `bigint,true,true,true,true,true,true,true,typed,true`},
		{"identity", `same presence`},
	} {
		t.Run(tc.method, func(t *testing.T) {
			if got := callString(t, k, "driver", tc.method); got != tc.want {
				t.Fatalf("driver.%s = %s, want %s", tc.method, got, tc.want)
			}
		})
	}
	if bad := kernel.AuditRefCounts(k.State()); len(bad) > 0 {
		t.Fatalf("reference counts drifted: %+v", bad)
	}
}

func TestJSSandbox(t *testing.T) {
	k := jsKernel(t, t.TempDir(), jsScenarioConfig, cooper.Options{})
	defer k.Close()
	rejected, v := call(t, k, "sandbox", "probe")
	if rejected {
		t.Fatal(capdata.Format(v))
	}
	want := map[string]string{
		"dateNow":     "ok NaN",
		"newDate":     "ok Invalid Date",
		"fixedDate":   "ok 0",
		"random":      "threw TypeError",
		"eval":        "undefined",
		"fn":          "threw TypeError",
		"asyncFn":     "threw TypeError",
		"frozenProto": "true",
		"require":     "function",
		"process":     "undefined",
	}
	rec := v.(*capdata.Record)
	for key, w := range want {
		got, _ := rec.Get(key)
		if s := capdata.Format(got); s != w && s != `"`+w+`"` {
			t.Errorf("%s = %s, want %s", key, s, w)
		}
	}
}

func TestJSRunawayVatsAreTerminatedAlone(t *testing.T) {
	wasm := jsEngine() == "wasm"
	for _, tc := range []struct{ method, reason, wasmReason string }{
		{"loop", "Compute meter exceeded", ""},
		{"catchLoop", "Compute meter exceeded", ""},
		{"recurse", "stack overflow", ""},
		{"bigString", "Compute meter exceeded", "memory limit exceeded"},
		// QuickJS ropes make the doubling cheap; it ends with a catchable
		// InternalError ("string too long") at 2^30 characters.
		{"doubling", "Compute meter exceeded", "-"},
	} {
		t.Run(tc.method, func(t *testing.T) {
			if wasm && tc.wasmReason == "-" {
				t.Skip("not a runaway on the wasm worker")
			}
			if wasm && tc.wasmReason != "" {
				tc.reason = tc.wasmReason
			}
			dir := t.TempDir()
			var reasons []string
			k := jsKernel(t, dir, jsScenarioConfig, cooper.Options{Observer: func(e kernel.Event) {
				if e.Type == kernel.EventTerminateVat {
					reasons = append(reasons, e.Reason)
				}
			}})
			if n := callNumber(t, k, "runaway", "ok"); n != 1 {
				t.Fatalf("ok = %v", n)
			}
			kp, err := k.QueueToVatRoot("runaway", tc.method, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := k.Run(kernel.UntilEmpty()); err != nil {
				t.Fatal(err)
			}
			rejected, v, _ := k.KPResolution(kp)
			if !rejected || capdata.Format(v) != `Error("vat terminated")` {
				t.Fatalf("runaway.%s: rejected=%v %s", tc.method, rejected, capdata.Format(v))
			}
			if _, err := k.FindVat("runaway"); err == nil {
				t.Fatal("runaway vat still live")
			}
			// Why it died is in the event log; the others go on.
			if len(reasons) != 1 || !strings.Contains(reasons[0], tc.reason) {
				t.Fatalf("termination reasons %q, want one with %q", reasons, tc.reason)
			}
			if got := callString(t, k, "driver", "message"); got != `fulfilled: "hello"` {
				t.Fatalf("driver after the runaway: %s", got)
			}
			if err := k.Commit(); err != nil {
				t.Fatal(err)
			}
			k.Close()
			k, err = cooper.Open(dir, cooper.Options{})
			if err != nil {
				t.Fatalf("restart after the termination: %v", err)
			}
			defer k.Close()
			if _, err := k.FindVat("runaway"); err == nil {
				t.Fatal("runaway vat came back after a restart")
			}
		})
	}
}

func TestJSRestartAndDeterminism(t *testing.T) {
	run := func(dir string) (string, map[string][]byte) {
		k := jsKernel(t, dir, jsScenarioConfig, cooper.Options{})
		for _, m := range []string{"message", "pipeline", "subscribers", "queued", "kinds", "sendToData"} {
			callString(t, k, "driver", m)
		}
		if err := k.Commit(); err != nil {
			t.Fatal(err)
		}
		transcripts := map[string][]byte{}
		st := k.Store()
		for _, v := range st.TranscriptVats() {
			var buf bytes.Buffer
			st.ReadTranscript(v, 0, func(e store.TranscriptEntry) error {
				buf.Write(e.Item)
				buf.WriteByte('\n')
				return nil
			})
			transcripts[v] = buf.Bytes()
		}
		hash := st.ActivityHash()
		k.Close()
		return hash, transcripts
	}
	dirA, dirB := t.TempDir(), t.TempDir()
	hashA, transA := run(dirA)
	hashB, transB := run(dirB)
	if hashA != hashB {
		t.Fatalf("activity hashes differ: %s vs %s", hashA, hashB)
	}
	if len(transA) != len(transB) {
		t.Fatalf("%d vs %d transcripts", len(transA), len(transB))
	}
	for v, a := range transA {
		if !bytes.Equal(a, transB[v]) {
			t.Fatalf("transcripts of %s differ:\n%s\n---\n%s", v, a, transB[v])
		}
	}
	// Restart: every JS vat is rebuilt by replay and carries on.
	for i := 0; i < 2; i++ {
		k, err := cooper.Open(dirA, cooper.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := callString(t, k, "driver", "identity"); got != "same presence" {
			t.Fatalf("after restart: %s", got)
		}
		if err := k.Commit(); err != nil {
			t.Fatal(err)
		}
		k.Close()
	}
	testkit.VerifyAll(t, dirA, cooper.Options{})
}

func TestJSBadBundlesFailInit(t *testing.T) {
	for _, tc := range []struct{ file, want string }{
		{"broken-syntax.js", "broken-syntax.js:3:"},
		{"bad-import.js", `cannot import "fs"`},
		{"internal-import.js", `cannot import "@agoric/internal": not a built-in module of Cooper vats; Far and E are in @endo/far, Fail, q and makeError in @endo/errors`},
		{"no-root.js", "buildRootObject"},
		{"throws.js", "buildRootObject refuses"},
		{"missing.js", "missing.js"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			cfg, err := cooper.ParseConfig([]byte(`{"vats": {"bad": {"sourceSpec": "` + tc.file + `"}}}`))
			if err != nil {
				t.Fatal(err)
			}
			cfg.Dir = filepath.Join("testdata", "js")
			dir := filepath.Join(t.TempDir(), "k")
			_, err = cooper.Init(dir, cfg, cooper.Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("init with %s: %v, want an error mentioning %q", tc.file, err, tc.want)
			}
			if tc.file != "missing.js" && !strings.Contains(err.Error(), "bad") {
				t.Errorf("error %q does not name the vat", err)
			}
			if _, err := os.Stat(dir); err == nil {
				t.Fatal("failed init left the kernel directory behind")
			}
		})
	}
}

// TestKmarshalImportUnused: a vat importing @agoric/kmarshal (as SwingSet's
// test vats do) loads and answers, whether it uses it or not.
func TestKmarshalImportUnused(t *testing.T) {
	cfg, err := cooper.ParseConfig([]byte(`{"vats": {"km": {"sourceSpec": "kmarshal-unused.js"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Dir = filepath.Join("testdata", "js")
	k, err := cooper.Init(filepath.Join(t.TempDir(), "k"), cfg, cooper.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	if got := callString(t, k, "km", "ping"); got != "pong" {
		t.Fatalf("ping = %q", got)
	}
}

// jsEngine names the engine new JS vats of the tests run on: the one
// $COOPER_JS_WORKER chooses, else the default.
func jsEngine() string {
	if e := os.Getenv(cooper.JSWorkerEnv); e != "" {
		return e
	}
	return cooper.DefaultJSWorker
}

// TestReplayDoesNotLogAgain: a vat's testLog and console lines come once,
// when the delivery first runs; replaying it at restart (in full, or the
// span after a heap snapshot) prints nothing (SwingSet re-emits testLog
// during replay; docs/design-notes.md).
func TestReplayDoesNotLogAgain(t *testing.T) {
	for _, full := range []bool{false, true} {
		t.Run(fmt.Sprintf("full=%v", full), func(t *testing.T) {
			dir := t.TempDir()
			var lines []string
			observe := func(e kernel.Event) {
				if e.Type == kernel.EventConsole {
					lines = append(lines, e.Line)
				}
			}
			k := jsKernel(t, dir, `{"vats": {"logger": {"sourceSpec": "logger.js"}}, "snapshotInterval": 2}`, cooper.Options{Observer: observe})
			for range 3 {
				call(t, k, "logger", "log", "hello")
			}
			if len(lines) != 6 {
				t.Fatalf("first run logged %q, want 6 lines", lines)
			}
			if err := k.Commit(); err != nil {
				t.Fatal(err)
			}
			k.Close()
			lines = nil
			k, err := cooper.Open(dir, cooper.Options{Observer: observe, FullReplay: full})
			if err != nil {
				t.Fatal(err)
			}
			defer k.Close()
			if n := callNumber(t, k, "logger", "log", "again"); n != 4 {
				t.Fatalf("after restart log = %v", n)
			}
			if want := []string{"again 4", "console 4"}; !slices.Equal(lines, want) {
				t.Fatalf("after restart the vat logged %q, want %q", lines, want)
			}
		})
	}
}

// TestStaticVatExits: a static vat ends itself with exitVat or
// exitVatWithFailure as a dynamic one does (the terminate parity cases):
// a clean exit's call still gets its answer, a failure's is rejected with
// the rest, the promises the vat decided are rejected with "vat
// terminated", messages to it are refused naming the reason, other vats
// go on, and it stays ended after a restart.
func TestStaticVatExits(t *testing.T) {
	for _, tc := range []struct{ method, answer, reason string }{
		{"bye", "said bye", `"why"`},
		{"fail", "", "why"}, // rejected: vat terminated
	} {
		t.Run(tc.method, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "k")
			var reasons []string
			observe := func(e kernel.Event) {
				if e.Type == kernel.EventTerminateVat {
					reasons = append(reasons, e.Reason)
				}
			}
			k := jsKernel(t, dir, `{"vats": {"ex": {"sourceSpec": "exiter.js"}, "other": {"sourceSpec": "exiter.js"}}}`, cooper.Options{Observer: observe})
			hang, err := k.QueueToVatRoot("ex", "hang", nil)
			if err != nil {
				t.Fatal(err)
			}
			rejected, v := call(t, k, "ex", tc.method, "why")
			if tc.answer != "" && (rejected || v != tc.answer) || tc.answer == "" && (!rejected || !strings.Contains(capdata.Format(v), "vat terminated")) {
				t.Fatalf("%s: rejected %v, %s", tc.method, rejected, capdata.Format(v))
			}
			if rejected, v, err := k.KPResolution(hang); err != nil || !rejected || !strings.Contains(capdata.Format(v), "vat terminated") {
				t.Fatalf("the pending promise: rejected %v, %s, %v", rejected, capdata.Format(v), err)
			}
			if len(reasons) != 1 || !strings.Contains(reasons[0], "why") {
				t.Fatalf("terminations %q", reasons)
			}
			check := func(k *kernel.Kernel) {
				t.Helper()
				if _, err := k.QueueToVatRoot("ex", "echo", []capdata.Value{"x"}); err == nil || !strings.Contains(err.Error(), "terminated") || !strings.Contains(err.Error(), tc.reason) {
					t.Fatalf("a message to the ended vat: %v", err)
				}
				if got := callString(t, k, "other", "echo", "x"); got != "x" {
					t.Fatalf("the other vat answered %q", got)
				}
			}
			check(k)
			k = reopen(t, k, dir)
			defer k.Close()
			check(k)
		})
	}
}
