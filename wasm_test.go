package cooper_test

import (
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cooper-kernel/cooper"
	"github.com/cooper-kernel/cooper/capdata"
	"github.com/cooper-kernel/cooper/internal/testkit"
	"github.com/cooper-kernel/cooper/kernel"
	"github.com/cooper-kernel/cooper/worker/wasm"
)

// TestWasmWorkerSuite runs the JS vat tests on the wasm worker.
func TestWasmWorkerSuite(t *testing.T) {
	jsSuite(t, "wasm", map[string]func(*testing.T){
		"PatternsParity": func(t *testing.T) {
			testkit.CheckSwingSetParity(t, "kernel/testdata/swingset/patterns")
		},
	})
}

// TestGojaWorkerSuite runs the JS vat tests on the goja worker (the default
// engine is wasm).
func TestGojaWorkerSuite(t *testing.T) {
	jsSuite(t, "goja", map[string]func(*testing.T){
		"NonFarRoot":          TestNonFarRootIsRefused,
		"UpgradeBoundsReplay": TestUpgradeBoundsReplay,
	})
}

// jsSuite runs the JS vat tests, and extra, with new vats on engine.
func jsSuite(t *testing.T, engine string, extra map[string]func(*testing.T)) {
	t.Setenv(cooper.JSWorkerEnv, engine)
	tests := map[string]func(*testing.T){
		"Scenarios":             TestScenariosJSVats,
		"Sandbox":               TestJSSandbox,
		"Runaway":               TestJSRunawayVatsAreTerminatedAlone,
		"RestartAndDeterminism": TestJSRestartAndDeterminism,
		"BadBundles":            TestJSBadBundlesFailInit,
		"Stopper":               TestStopperInterruptsDelivery,
		"LoneSurrogates":        TestLoneSurrogatesRoundTrip,
		"UnpassableResults":     TestUnpassableResultsReject,
		"UnpassableArguments":   TestUnpassableArgumentsThrow,
		"RecordKeys":            TestRecordKeysRoundTrip,
		"StrictCode":            TestVatCodeIsStrict,
	}
	maps.Copy(tests, extra)
	for _, name := range slices.Sorted(maps.Keys(tests)) {
		t.Run(name, tests[name])
	}
}

// TestWasmHostileVats runs the probes of issue 13: each ends with that vat
// alone terminated for a precise reason (or, where QuickJS refuses the
// operation with an exception, with the message rejected and the vat
// alive), and the kernel serves the next call.
func TestWasmHostileVats(t *testing.T) {
	for _, tc := range []struct{ method, reason, thrown string }{
		{method: "bigArray", reason: "memory limit exceeded"},
		{method: "bigRepeat", thrown: "RangeError"},
		{method: "applyHuge", thrown: `RangeError("too many arguments`},
		{method: "bigJoin", reason: "memory limit exceeded"},
		{method: "hugeLength", thrown: `TypeError("Arrays must not have holes: index 0 is missing")`},
		{method: "regexBomb", reason: "Compute meter exceeded"},
		{method: "manyKeys", reason: "memory limit exceeded"},
		{method: "recurse", reason: "stack overflow"},
		{method: "jsonDeep", reason: "stack overflow"},
		{method: "sortBomb", reason: "memory limit exceeded"},
		{method: "caughtOOM", reason: "memory limit exceeded"},
	} {
		t.Run(tc.method, func(t *testing.T) {
			dir := t.TempDir()
			var reasons []string
			config := `{"bootstrap": "driver", "vats": {
			  "driver": {"sourceSpec": "driver.js"}, "target1": {"sourceSpec": "target.js"}, "target2": {"sourceSpec": "target.js"},
			  "hostile": {"sourceSpec": "hostile.js", "creationOptions": {"deliveryComputronLimit": 10000000}}}}`
			k := jsKernel(t, dir, config, cooper.Options{JSWorker: "wasm", JSMemoryLimit: 16 << 20, Observer: func(e kernel.Event) {
				if e.Type == kernel.EventTerminateVat {
					reasons = append(reasons, string(e.VatID)+": "+e.Reason)
				}
			}})
			defer func() { k.Close() }()
			if n := callNumber(t, k, "hostile", "ok"); n != 1 {
				t.Fatalf("ok = %v", n)
			}
			kp, err := k.QueueToVatRoot("hostile", tc.method, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := k.Run(kernel.UntilEmpty()); err != nil {
				t.Fatal(err)
			}
			rejected, v, _ := k.KPResolution(kp)
			if tc.thrown != "" {
				if !rejected || !strings.Contains(capdata.Format(v), tc.thrown) || len(reasons) != 0 {
					t.Fatalf("hostile.%s: rejected=%v %s, terminations %q; want %s thrown", tc.method, rejected, capdata.Format(v), reasons, tc.thrown)
				}
				if n := callNumber(t, k, "hostile", "ok"); n != 1 {
					t.Fatalf("ok after the probe = %v", n)
				}
			} else {
				if !rejected || capdata.Format(v) != `Error("vat terminated")` {
					t.Fatalf("hostile.%s: rejected=%v %s", tc.method, rejected, capdata.Format(v))
				}
				if len(reasons) != 1 || !strings.Contains(reasons[0], tc.reason) {
					t.Fatalf("termination reasons %q, want one with %q", reasons, tc.reason)
				}
			}
			if got := callString(t, k, "driver", "message"); got != `fulfilled: "hello"` {
				t.Fatalf("driver after the probe: %s", got)
			}
			if err := k.Commit(); err != nil {
				t.Fatal(err)
			}
			k.Close()
			k, err = cooper.Open(dir, cooper.Options{JSWorker: "wasm", JSMemoryLimit: 16 << 20})
			if err != nil {
				t.Fatalf("restart after the probe: %v", err)
			}
			if got := callString(t, k, "driver", "message"); got != `fulfilled: "hello"` {
				t.Fatalf("driver after a restart: %s", got)
			}
		})
	}
}

// TestWasmPerVatMemoryLimit: a vat's own memory limit (a static vat's
// creationOptions.memoryLimitBytes, a dynamic vat's createVat option)
// terminates that vat when it allocates past it, while a vat under the
// kernel's default limit makes the same allocation.
func TestWasmPerVatMemoryLimit(t *testing.T) {
	t.Setenv(cooper.JSWorkerEnv, "wasm")
	const config = `{"bootstrap": "boot",
	  "bundles": {"mem": {"sourceSpec": "mem.js"}},
	  "vats": {
	    "boot": {"sourceSpec": "memboot.js"},
	    "small": {"sourceSpec": "mem.js", "creationOptions": {"memoryLimitBytes": 33554432}},
	    "big": {"sourceSpec": "mem.js"}}}`
	k := jsKernel(t, t.TempDir(), config, cooper.Options{})
	defer k.Close()
	const n = 8_000_000 // 64 MB of array elements at least
	if rejected, v := call(t, k, "big", "alloc", float64(n)); rejected || v != float64(n) {
		t.Fatalf("big.alloc = %s", capdata.Format(v))
	}
	for _, vatName := range []string{"small", "boot"} {
		rejected, v := call(t, k, vatName, "alloc", float64(n))
		if !rejected || !strings.Contains(capdata.Format(v), "vat terminated") && !strings.Contains(capdata.Format(v), "memory limit exceeded") {
			t.Errorf("%s.alloc = %s, want a rejection", vatName, capdata.Format(v))
		}
	}
	if _, err := k.FindVat("small"); err == nil {
		t.Error("the small vat is still alive")
	}
	reasons := ""
	for _, id := range k.State().TerminatedVats() {
		reasons += k.TerminationReason(id) + "\n"
	}
	if strings.Count(reasons, "memory limit exceeded") != 2 {
		t.Errorf("termination reasons:\n%s", reasons)
	}
}

// TestMemoryLimitBounds: a memory limit outside [16 MiB, 4 GiB] is a config error.
func TestMemoryLimitBounds(t *testing.T) {
	for _, limit := range []string{"1024", "8589934592"} {
		cfg, err := cooper.ParseConfig([]byte(`{"vats": {"m": {"sourceSpec": "mem.js", "creationOptions": {"memoryLimitBytes": ` + limit + `}}}}`))
		if err == nil {
			cfg.Dir = "testdata/js"
			_, err = cooper.Init(t.TempDir(), cfg, cooper.Options{})
		}
		if err == nil || !strings.Contains(err.Error(), `vat "m" memoryLimitBytes: `+limit+" bytes is outside") {
			t.Errorf("memoryLimitBytes %s: %v", limit, err)
		}
	}
}

// TestEngineFollowsVat: a kernel whose JS vats run on the wasm worker opens
// with no engine chosen (the vats keep theirs); choosing the other engine
// explicitly is refused, naming the vat.
func TestEngineFollowsVat(t *testing.T) {
	dir := t.TempDir()
	k := jsKernel(t, dir, `{"vats": {"m": {"sourceSpec": "mem.js"}}}`, cooper.Options{JSWorker: "wasm"})
	if rejected, v := call(t, k, "m", "alloc", 3.0); rejected || v != 3.0 {
		t.Fatalf("alloc = %s", capdata.Format(v))
	}
	k.Close()
	k, err := cooper.Open(dir, cooper.Options{})
	if err != nil {
		t.Fatalf("reopen with no engine chosen: %v", err)
	}
	if rejected, v := call(t, k, "m", "alloc", 4.0); rejected || v != 4.0 {
		t.Fatalf("alloc after reopen = %s", capdata.Format(v))
	}
	k.Close()
	_, err = cooper.Open(dir, cooper.Options{JSWorker: "goja"})
	if err == nil || !strings.Contains(err.Error(), "cannot restore v1 (m)") || !strings.Contains(err.Error(), "cooper-wasm-") {
		t.Fatalf("reopen on goja: %v", err)
	}
	// And a kernel made on goja keeps goja when reopened with the default.
	dir = t.TempDir()
	k = jsKernel(t, dir, `{"vats": {"m": {"sourceSpec": "mem.js"}}}`, cooper.Options{JSWorker: "goja"})
	k.Close()
	k, err = cooper.Open(dir, cooper.Options{})
	if err != nil {
		t.Fatalf("reopen a goja kernel with the default engine: %v", err)
	}
	defer k.Close()
	if rejected, v := call(t, k, "m", "alloc", 5.0); rejected || v != 5.0 {
		t.Fatalf("alloc = %s", capdata.Format(v))
	}
}

// TestMeteringVersionChange: a wasm vat whose recorded metering version
// this binary does not have (its generation's JS changed without becoming
// a new generation, or a version it does not know) cannot be brought
// back: it is an error naming the vat and both versions, never a replay
// that diverges on computrons.
func TestMeteringVersionChange(t *testing.T) {
	for _, c := range []struct{ name, sql, recorded string }{
		{"other JS", `UPDATE kvStore SET value = replace(value, ', js ', ', js 0000000000000000, was ') WHERE key = 'v1.options'`, "js 0000000000000000"},
		{"unknown version", `UPDATE kvStore SET value = replace(value, '"cooper-wasm-3 (', '"cooper-wasm-9 (') WHERE key = 'v1.options'`, "cooper-wasm-9 ("},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			k := jsKernel(t, dir, `{"vats": {"m": {"sourceSpec": "mem.js"}}}`, cooper.Options{JSWorker: "wasm"})
			if rejected, v := call(t, k, "m", "alloc", 3.0); rejected || v != 3.0 {
				t.Fatalf("alloc = %s", capdata.Format(v))
			}
			k.Close()
			testkit.ExecSQL(t, dir, 1, c.sql)
			_, err := cooper.Open(dir, cooper.Options{})
			if err == nil || !strings.Contains(err.Error(), "cannot restore v1 (m): it was metered by ") || !strings.Contains(err.Error(), c.recorded) ||
				!strings.Contains(err.Error(), "this binary meters with cooper-wasm-3 (") {
				t.Fatalf("reopen: %v", err)
			}
		})
	}
}

// TestMeteringVersionKept: JS vats created under a wasm metering version
// keep it: a full replay, a restart from their snapshots and Verify find
// the computrons they recorded, and they go on with the code they were
// recorded with; a new kernel's vats get the current version.
func TestMeteringVersionKept(t *testing.T) {
	cfg, err := cooper.ReadConfig(filepath.Join("demo", "pingpong", "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	metering := func(k *kernel.Kernel, name string) string {
		t.Helper()
		id, err := k.FindVat(name)
		if err != nil {
			t.Fatal(err)
		}
		opts, err := k.State().VatOptions(id)
		if err != nil {
			t.Fatal(err)
		}
		return opts.MeteringVersion
	}
	for _, version := range wasm.Versions() {
		t.Run(strconv.Itoa(version), func(t *testing.T) {
			prefix := wasm.MeteringPrefix + strconv.Itoa(version) + " "
			dir := t.TempDir()
			k, err := cooper.Init(dir, cfg, cooper.Options{JSWorker: "wasm", JSMeteringVersion: version})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := k.Run(kernel.UntilEmpty()); err != nil { // the bootstrap
				t.Fatal(err)
			}
			want := 0.0
			round := func(k *kernel.Kernel, n float64) {
				t.Helper()
				want += n
				if rejected, v := call(t, k, "alice", "sequential", n); rejected || v != want {
					t.Fatalf("alice.sequential(%v) = %s, want %v", n, capdata.Format(v), want)
				}
				if err := k.Commit(); err != nil {
					t.Fatal(err)
				}
			}
			round(k, 5)
			if m := metering(k, "alice"); !strings.HasPrefix(m, prefix) {
				t.Fatalf("alice is metered by %q", m)
			}
			if err := k.Close(); err != nil {
				t.Fatal(err)
			}
			for _, opts := range []cooper.Options{{FullReplay: true}, {}} {
				k, err := cooper.Open(dir, opts)
				if err != nil {
					t.Fatalf("reopen (full replay %v): %v", opts.FullReplay, err)
				}
				round(k, 3)
				if m := metering(k, "bob"); !strings.HasPrefix(m, prefix) {
					t.Fatalf("bob is metered by %q after a reopen", m)
				}
				if err := k.Close(); err != nil {
					t.Fatal(err)
				}
			}
			testkit.VerifyAll(t, dir, cooper.Options{})
		})
	}
	k, err := cooper.Init(t.TempDir(), cfg, cooper.Options{JSWorker: "wasm"})
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	if m := metering(k, "alice"); !strings.HasPrefix(m, wasm.MeteringPrefix+strconv.Itoa(wasm.CurrentVersion)+" ") {
		t.Fatalf("a new vat is metered by %q", m)
	}
}
