package cooper_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/cooper-kernel/cooper"
	"github.com/cooper-kernel/cooper/capdata"
	"github.com/cooper-kernel/cooper/internal/testkit"
	"github.com/cooper-kernel/cooper/kernel"
	"github.com/cooper-kernel/cooper/vat"
	"github.com/cooper-kernel/cooper/worker/gonative"
)

// scenarioTarget is the vat the scenarios send to.
func scenarioTarget(p *gonative.Powers, _ any, _ *gonative.Baggage) any {
	var release func(any)
	return gonative.NewFar("target", gonative.Methods{
		"echo": func(a []any) (any, error) { return a[0], nil },
		"data": func([]any) (any, error) { return 42.0, nil },
		"makeThing": func([]any) (any, error) {
			return gonative.NewFar("thing", gonative.Methods{
				"hi": func([]any) (any, error) { return "hi from thing", nil },
			}), nil
		},
		"later": func([]any) (any, error) {
			pr, resolve, _ := p.NewPromise()
			release = resolve
			return pr, nil
		},
		"release": func(a []any) (any, error) {
			release(a[0])
			return capdata.Undefined{}, nil
		},
		"fail": func([]any) (any, error) { return nil, errors.New("target failed on purpose") },
		// watch answers with the promise it is given: its result settles when that does.
		"watch": func(a []any) (any, error) {
			return a[0].(*gonative.Promise).Then(func(v any) (any, error) {
				return fmt.Sprintf("saw %v", v), nil
			}, nil), nil
		},
	})
}

// scenarioDriver is the bootstrap vat: each method plays one scenario and
// answers what it observed.
func scenarioDriver(p *gonative.Powers, _ any, _ *gonative.Baggage) any {
	var t1, t2, rogue any
	describe := func(pr *gonative.Promise) *gonative.Promise {
		return pr.Then(func(v any) (any, error) {
			return "fulfilled: " + capdata.Format(v), nil
		}, func(r any) (any, error) {
			return "rejected: " + capdata.Format(r), nil
		})
	}
	return gonative.NewFar("driver", gonative.Methods{
		"bootstrap": func(a []any) (any, error) {
			vats := a[0].(*capdata.Record)
			t1, _ = vats.Get("target1")
			t2, _ = vats.Get("target2")
			rogue, _ = vats.Get("rogue")
			return "ready", nil
		},
		"message": func([]any) (any, error) {
			return describe(p.E(t1).Send("echo", "hello")), nil
		},
		"pipeline": func([]any) (any, error) {
			// Both sends leave in this crank: hi() goes to the unresolved result of makeThing().
			thing := p.E(t1).Send("makeThing")
			return describe(p.E(thing).Send("hi")), nil
		},
		"sendToData": func([]any) (any, error) {
			data := p.E(t1).Send("data")
			return describe(p.E(data).Send("foo")), nil
		},
		"sendToRejected": func([]any) (any, error) {
			failed := p.E(t1).Send("fail")
			return describe(p.E(failed).Send("foo")), nil
		},
		"subscribers": func([]any) (any, error) {
			pr, resolve, _ := p.NewPromise()
			w1 := p.E(t1).Send("watch", pr)
			w2 := p.E(t2).Send("watch", pr)
			resolve("the news")
			return describe(p.All([]*gonative.Promise{w1, w2})), nil
		},
		"queued": func([]any) (any, error) {
			// Messages to a promise the kernel holds queue until it resolves.
			later := p.E(t1).Send("later")
			hi := p.E(later).Send("hi")
			p.E(t1).SendOnly("release", p.E(t1).Send("makeThing"))
			return describe(hi), nil
		},
		"rogue": func([]any) (any, error) {
			return describe(p.E(rogue).Send("forge")), nil
		},
		"rogueAgain": func([]any) (any, error) {
			return describe(p.E(rogue).Send("forge")), nil
		},
		"stillAlive": func([]any) (any, error) {
			return describe(p.E(t2).Send("echo", "alive")), nil
		},
	})
}

// rogueWorker is a hand-written worker whose vat makes an illegal syscall
// when it gets a message: forge sends to an import it was never given,
// usurp resolves a promise it was handed but does not decide, phantom
// resolves a promise of its own the kernel never saw (what liveslots must
// never emit: it exports a promise before it resolves it), garble sends
// capdata that is not smallcaps, bigDeviceCall calls a device with
// arguments over the size limit.
type rogueWorker struct{}

func (rogueWorker) Deliver(d vat.Delivery, sys vat.Syscaller) vat.Outcome {
	if d.Kind != vat.DeliverMessage {
		return vat.Outcome{}
	}
	var s vat.Syscall
	switch {
	case strings.Contains(d.Methargs.Body, "usurp"):
		s = vat.Syscall{Kind: vat.SysResolve, Resolutions: []vat.Resolution{{VPID: d.Methargs.Slots[0], Data: vat.CapData{Body: "#1"}}}}
	case strings.Contains(d.Methargs.Body, "phantom"):
		// A vpid of its own it never exported: the kernel has not seen it.
		s = vat.Syscall{Kind: vat.SysResolve, Resolutions: []vat.Resolution{{VPID: "p+77", Data: vat.CapData{Body: "#1"}}}}
	case strings.Contains(d.Methargs.Body, "bigDeviceCall"):
		huge := strings.Repeat("z", kernel.DefaultLimits.MaxCapDataBytes+1)
		s = vat.Syscall{Kind: vat.SysCallNow, Target: "d-1", Methargs: vat.CapData{Body: `#["x",["` + huge + `"]]`}}
	case strings.Contains(d.Methargs.Body, "garble"):
		s = vat.Syscall{Kind: vat.SysSend, Target: d.Target, Methargs: vat.CapData{Body: `{"not":"smallcaps"}`}}
	default:
		s = vat.Syscall{Kind: vat.SysSend, Target: "o-99", Methargs: vat.CapData{Body: `#["steal",[]]`}}
	}
	if r := sys(s); r.Err != "" {
		return vat.Outcome{Err: "syscall failed: " + r.Err}
	}
	return vat.Outcome{}
}

func (rogueWorker) Close() error { return nil }

// rogueMaker adds the rogue worker to the normal maker.
type rogueMaker struct{ *cooper.Maker }

func (m rogueMaker) NewWorker(spec vat.Spec) (vat.Worker, error) {
	if spec.GoName == "rogue" {
		return rogueWorker{}, nil
	}
	return m.Maker.NewWorker(spec)
}

func (m rogueMaker) HasGoVat(name string) bool { return name == "rogue" || m.Maker.HasGoVat(name) }

func scenarioKernel(t *testing.T) *kernel.Kernel {
	t.Helper()
	maker := rogueMaker{cooper.NewMaker(gonative.Registry{
		"sc-target": scenarioTarget,
		"sc-driver": scenarioDriver,
	})}
	cfg := &kernel.Config{
		Bootstrap: "driver",
		Vats: []kernel.VatConfig{
			{Name: "driver", BundleName: "sc-driver"},
			{Name: "target1", BundleName: "sc-target"},
			{Name: "target2", BundleName: "sc-target"},
			{Name: "rogue", BundleName: "rogue"},
		},
	}
	k, err := kernel.Create(t.TempDir(), cfg, kernel.Options{Maker: maker})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Close() })
	if _, err := k.Run(kernel.UntilEmpty()); err != nil {
		t.Fatal(err)
	}
	return k
}

// The call helpers of internal/testkit, by their short names.
var (
	call       = testkit.Call
	callNumber = testkit.CallNumber
	callString = testkit.CallString
)

func TestScenariosGoVats(t *testing.T) {
	k := scenarioKernel(t)
	for _, tc := range []struct {
		method string
		want   string
	}{
		{"message", `fulfilled: "hello"`},
		{"pipeline", `fulfilled: "hi from thing"`},
		{"sendToData", `rejected: Error("data is not callable, has no method foo")`},
		{"sendToRejected", `rejected: Error("target failed on purpose")`},
		{"subscribers", `fulfilled: ["saw the news","saw the news"]`},
		{"queued", `fulfilled: "hi from thing"`},
		{"rogue", `rejected: Error("vat terminated")`},
		{"rogueAgain", `rejected: Error("vat terminated")`},
		{"stillAlive", `fulfilled: "alive"`},
	} {
		t.Run(tc.method, func(t *testing.T) {
			rejected, v := call(t, k, "driver", tc.method)
			if rejected {
				t.Fatalf("driver.%s rejected: %s", tc.method, capdata.Format(v))
			}
			if got, _ := v.(string); got != tc.want {
				t.Fatalf("driver.%s = %s, want %s", tc.method, capdata.Format(v), tc.want)
			}
		})
	}
	// The rogue vat is gone; the others are not.
	if _, err := k.FindVat("rogue"); err == nil {
		t.Error("rogue vat still live after an illegal syscall")
	}
	for _, name := range []string{"driver", "target1", "target2"} {
		if _, err := k.FindVat(name); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if bad := kernel.AuditRefCounts(k.State()); len(bad) > 0 {
		t.Fatalf("reference counts drifted: %+v", bad)
	}
}

func TestResolvedPromisesAreDeleted(t *testing.T) {
	k := scenarioKernel(t)
	for _, m := range []string{"message", "pipeline", "subscribers", "queued", "sendToData", "sendToRejected"} {
		call(t, k, "driver", m)
	}
	if err := k.Commit(); err != nil {
		t.Fatal(err)
	}
	boot, _ := k.Store().Get("kernel.bootstrapResult")
	var live []string
	for _, key := range k.Store().KeysWithPrefix("kp") {
		if strings.HasSuffix(key, ".state") && key != boot+".state" {
			live = append(live, key)
		}
	}
	if len(live) != 0 {
		t.Fatalf("kernel promises left after every result was released: %v", live)
	}
}

func TestActivityHashDeterministic(t *testing.T) {
	run := func(greeting string) string {
		k := scenarioKernel(t)
		for _, m := range []string{"message", "pipeline", "subscribers", "rogue"} {
			call(t, k, "driver", m)
		}
		call(t, k, "target1", "echo", greeting)
		if err := k.Commit(); err != nil {
			t.Fatal(err)
		}
		return k.Store().ActivityHash()
	}
	a, b, c := run("hello"), run("hello"), run("hullo")
	if a != b {
		t.Fatalf("identical runs gave activity hashes %s and %s", a, b)
	}
	if a == c {
		t.Fatal("a different input gave the same activity hash")
	}
}

func TestIllegalSyscallsTerminateOnlyTheVat(t *testing.T) {
	for _, tc := range []struct{ method, reason string }{
		{"forge", "unknown import o-99"},
		{"usurp", "not the decider"},
		{"phantom", "resolve unknown promise p+77"},
		{"garble", "malformed"},
		// What no JS vat can make: a device call (to a device it was never
		// given), refused for its size before anything else is looked at.
		{"bigDeviceCall", fmt.Sprintf("device call too large: %d bytes > limit %d", kernel.DefaultLimits.MaxCapDataBytes+len(`#["x",[""]]`)+1, kernel.DefaultLimits.MaxCapDataBytes)},
	} {
		t.Run(tc.method, func(t *testing.T) {
			var reasons []string
			maker := rogueMaker{cooper.NewMaker(gonative.Registry{"sc-target": scenarioTarget})}
			cfg := &kernel.Config{Vats: []kernel.VatConfig{
				{Name: "target", BundleName: "sc-target"},
				{Name: "rogue", BundleName: "rogue"},
			}}
			k, err := kernel.Create(t.TempDir(), cfg, kernel.Options{Maker: maker, Observer: func(e kernel.Event) {
				if e.Type == kernel.EventTerminateVat {
					reasons = append(reasons, e.Reason)
				}
			}})
			if err != nil {
				t.Fatal(err)
			}
			defer k.Close()
			var args []capdata.Value
			if tc.method == "usurp" {
				// A promise the host holds: the kernel decides it, not the rogue.
				kp, err := k.QueueToVatRoot("target", "later", nil)
				if err != nil {
					t.Fatal(err)
				}
				args = []capdata.Value{capdata.Slot{Ref: string(kp), Kind: capdata.Promise}}
			}
			rejected, v := call(t, k, "rogue", tc.method, args...)
			if !rejected || capdata.Format(v) != `Error("vat terminated")` {
				t.Fatalf("rogue.%s = %v %s", tc.method, rejected, capdata.Format(v))
			}
			if len(reasons) != 1 || !strings.Contains(reasons[0], tc.reason) {
				t.Fatalf("termination reasons %q, want one mentioning %q", reasons, tc.reason)
			}
			if rejected, v := call(t, k, "target", "echo", "still here"); rejected || v != "still here" {
				t.Fatalf("target after the rogue: %v %s", rejected, capdata.Format(v))
			}
			if bad := kernel.AuditRefCounts(k.State()); len(bad) > 0 {
				t.Fatalf("reference counts: %+v", bad)
			}
		})
	}
}
