package cooper_test

import (
	"strings"
	"testing"

	"github.com/cooper-kernel/cooper"
	"github.com/cooper-kernel/cooper/capdata"
	"github.com/cooper-kernel/cooper/internal/testkit"
	"github.com/cooper-kernel/cooper/kernel"
)

// TestWasmWorkerSuite runs the JS vat tests on the wasm worker.
func TestWasmWorkerSuite(t *testing.T) {
	t.Setenv(cooper.JSWorkerEnv, "wasm")
	for name, f := range map[string]func(*testing.T){
		"Scenarios":             TestScenariosJSVats,
		"Sandbox":               TestJSSandbox,
		"Runaway":               TestJSRunawayVatsAreTerminatedAlone,
		"RestartAndDeterminism": TestJSRestartAndDeterminism,
		"BadBundles":            TestJSBadBundlesFailInit,
		"Stopper":               TestStopperInterruptsDelivery,
		"PatternsParity": func(t *testing.T) {
			testkit.CheckSwingSetParity(t, "kernel/testdata/swingset/patterns")
		},
	} {
		t.Run(name, f)
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
		{method: "hugeLength", reason: "memory limit exceeded"},
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
