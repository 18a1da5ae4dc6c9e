// Package testkit is the scenario harness of Cooper's tests: it drives real
// kernels (Go and JS vats, on the embedded SQLite) from datadriven scripts
// and prints what happened as stable text, and it holds the helpers the
// tests share (calling a vat, checking that every vat replays, corrupting a
// database on purpose).
//
// A script is a file of directives (github.com/cockroachdb/datadriven):
//
//	# A comment.
//	init config=promises/config.json
//	----
//	bootstrap: "ready"
//
//	call bootstrap pipes
//	----
//	log: pipe1
//	log: p1.then
//	result: "ok"
//
// `call` and `run` take trace=cranks to print every delivery of the run,
// crank by crank (`crank 14: vatAdmin message createVat to o+1`).
//
// [RunScripts] runs every script twice: straight through, and again with
// the kernel closed and reopened (every vat replayed from the database)
// after every block; both runs must print the expected output. Regenerate
// expected output with `go test ./... -rewrite` and read the diff like code.
package testkit

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"

	"github.com/cooper-kernel/cooper"
	"github.com/cooper-kernel/cooper/bundle"
	"github.com/cooper-kernel/cooper/capdata"
	"github.com/cooper-kernel/cooper/kernel"
	"github.com/cooper-kernel/cooper/kernel/state"
	"github.com/cooper-kernel/cooper/vat"
	"github.com/cooper-kernel/cooper/worker/gonative"
)

// RunScripts runs every datadriven script matching glob (relative to the
// test's package directory), each in two modes: straight through, and
// restarting the kernel after every block; both kernels must end with the
// same activity hash. goVats are the Go vats the
// scripts' configs may name, added to the built-in ones.
func RunScripts(t *testing.T, glob string, goVats gonative.Registry) {
	t.Helper()
	files, err := filepath.Glob(glob)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no scripts match %s", glob)
	}
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
		hashes := map[bool]string{}
		for _, restart := range []bool{false, true} {
			mode := "straight"
			if restart {
				mode = "restart-every-block"
			}
			t.Run(name+"/"+mode, func(t *testing.T) {
				if restart && datadriven.Verbose() {
					t.Log("restarting after every block")
				}
				env := NewEnv(t, filepath.Dir(path), goVats)
				env.RestartEveryBlock = restart
				defer env.Close()
				datadriven.RunTest(t, path, env.Handle)
				if env.k != nil {
					hashes[restart] = env.k.Store().ActivityHash()
				}
			})
		}
		// The two kernels (one restarted after every block) went through
		// the same cranks: they must end in the same state.
		if a, b := hashes[false], hashes[true]; a != "" && b != "" && a != b {
			t.Errorf("%s: activity hash %s straight, %s restarting after every block", name, a, b)
		}
	}
}

// Env is one kernel driven by a script.
type Env struct {
	t testing.TB
	// Base is the directory config paths are relative to.
	Base string
	// Dir is the kernel directory.
	Dir string
	// RestartEveryBlock closes and reopens the kernel after every commit.
	RestartEveryBlock bool
	// Options configure the kernel; Console is set by the Env.
	Options cooper.Options

	k    *kernel.Kernel
	logs []string
	// tracing makes the observer print every delivery as it happens
	// (the trace=cranks argument of call and run).
	tracing bool
}

// NewEnv returns an Env whose configs are relative to base.
func NewEnv(t testing.TB, base string, goVats gonative.Registry) *Env {
	e := &Env{t: t, Base: base, Dir: filepath.Join(t.TempDir(), "kernel")}
	e.Options = cooper.Options{GoVats: goVats, Console: func(vatName, level, line string) {
		if level == "testLog" {
			e.logs = append(e.logs, "log: "+line)
			return
		}
		e.logs = append(e.logs, fmt.Sprintf("console.%s %s: %s", level, vatName, line))
	}, Observer: func(ev kernel.Event) {
		if e.tracing && ev.Type == kernel.EventDeliver && ev.Delivery != nil {
			e.logs = append(e.logs, fmt.Sprintf("crank %d: %s %s", ev.CrankNum, e.k.VatName(ev.VatID), describeDelivery(ev.Delivery)))
		}
	}}
	return e
}

// describeDelivery is a delivery in a trace line: its kind, and a
// message's method and result or a notify's promises.
func describeDelivery(d *vat.Delivery) string {
	switch d.Kind {
	case vat.DeliverMessage:
		method := "?"
		var body []json.RawMessage
		if strings.HasPrefix(d.Methargs.Body, "#") && json.Unmarshal([]byte(d.Methargs.Body[1:]), &body) == nil && len(body) > 0 {
			_ = json.Unmarshal(body[0], &method)
		}
		return fmt.Sprintf("message %s to %s", method, d.Target)
	case vat.DeliverNotify:
		var ps []string
		for _, r := range d.Resolutions {
			ps = append(ps, string(r.VPID))
		}
		return "notify " + strings.Join(ps, " ")
	}
	return string(d.Kind)
}

// Kernel returns the running kernel.
func (e *Env) Kernel() *kernel.Kernel { return e.k }

// Close closes the kernel, if one is open.
func (e *Env) Close() {
	if e.k != nil {
		e.k.Close()
		e.k = nil
	}
}

// Handle runs one directive and returns its output. Errors from the kernel
// become output; errors in the script fail the test.
func (e *Env) Handle(t *testing.T, d *datadriven.TestData) string {
	e.t = t
	e.logs = nil
	var out []string
	switch d.Cmd {
	case "init":
		// init config=DIR/config.json
		// Creates the kernel, runs the bootstrap to the end and commits.
		var cfgPath string
		d.ScanArgs(t, "config", &cfgPath)
		out = e.init(t, cfgPath)
	case "call":
		// call VAT METHOD [trace=cranks]
		// ARG (JSON, one per line)
		// Queues VAT.METHOD(ARGS), runs until the queue is empty, commits;
		// with trace=cranks, prints every delivery of the run, crank by crank.
		e.tracing = d.HasArg("trace")
		out = e.call(t, d, true)
		e.tracing = false
	case "send":
		// send VAT METHOD  — queues the message without running; prints its kpid.
		out = e.call(t, d, false)
	case "upgrade":
		// upgrade VAT source=FILE|go=NAME [message=TEXT]
		// PARAMS (JSON, optional)
		// Bundles FILE, installs it and upgrades the static vat VAT to it
		// (or upgrades the Go vat VAT to the Go vat NAME) through
		// vat-admin; runs until the queue is empty and commits.
		out = e.upgrade(t, d)
	case "run":
		// run [cranks=N] [trace=cranks]  — runs (N cranks, or until the
		// queue is empty) and commits; trace=cranks as for call.
		e.tracing = d.HasArg("trace")
		out = e.run(t, d)
		e.tracing = false
	case "restart":
		// restart  — closes the kernel and opens it again from the database.
		e.restart(t)
		out = []string{"ok"}
	case "vats":
		// vats  — lists the live vats: ID and name.
		for _, id := range e.k.State().LiveVats() {
			out = append(out, fmt.Sprintf("%s %s", id, e.k.VatName(id)))
		}
	case "terminated":
		// terminated  — lists terminated vats with their reasons.
		for _, id := range e.k.State().TerminatedVats() {
			out = append(out, fmt.Sprintf("%s: %s", id, e.k.TerminationReason(id)))
		}
	case "dump":
		// dump prefix=P  — every kv key under P with its value.
		var prefix string
		d.ScanArgs(t, "prefix", &prefix)
		for _, key := range e.k.Store().KeysWithPrefix(prefix) {
			v, _ := e.k.Store().Get(key)
			out = append(out, key+" = "+v)
		}
	case "audit":
		// audit  — recounts every reference and checks both directions of
		// every c-list entry; prints mismatches or "refcounts ok".
		ms := kernel.AuditRefCounts(e.k.State())
		for _, m := range ms {
			out = append(out, fmt.Sprintf("%s stored %d counted %d", m.KRef, m.Stored, m.Counted))
		}
		cl := kernel.AuditCLists(e.k.State())
		for _, m := range cl {
			out = append(out, "c-list: "+m)
		}
		if len(ms) == 0 && len(cl) == 0 {
			out = append(out, "refcounts ok")
		}
	default:
		d.Fatalf(t, "unknown command %q", d.Cmd)
	}
	out = append(slices.Clone(e.logs), out...)
	if len(out) == 0 {
		return "ok\n"
	}
	return strings.Join(out, "\n") + "\n"
}

func (e *Env) init(t *testing.T, cfgPath string) []string {
	if e.k != nil {
		t.Fatal("init: a kernel is already open")
	}
	cfg, err := cooper.ReadConfig(filepath.Join(e.Base, cfgPath))
	if err != nil {
		t.Fatalf("init: %v", err)
	}
	k, err := cooper.Init(e.Dir, cfg, e.Options)
	if err != nil {
		return []string{"error: " + err.Error()}
	}
	e.k = k
	out := e.runToEnd()
	if kp, ok := k.State().BootstrapResult(); ok {
		out = append(out, "bootstrap: "+e.describeKP(kp))
	}
	e.commit(t)
	return out
}

func (e *Env) call(t *testing.T, d *datadriven.TestData, run bool) []string {
	pos := positional(d)
	if len(pos) != 2 {
		d.Fatalf(t, "%s VAT METHOD, with JSON arguments one per line", d.Cmd)
	}
	var args []capdata.Value
	for _, line := range strings.Split(strings.TrimSpace(d.Input), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		v, err := cooper.ParseJSONValue([]byte(line))
		if err != nil {
			d.Fatalf(t, "argument %q: %v", line, err)
		}
		args = append(args, v)
	}
	kp, err := e.k.QueueToVatRoot(pos[0], pos[1], args)
	if err != nil {
		return []string{"error: " + err.Error()}
	}
	if !run {
		e.commit(t)
		return []string{"queued: " + string(kp)}
	}
	return e.finishCall(t, kp)
}

// finishCall runs until the queue is empty, describes the host's promise
// kp, releases it and commits.
func (e *Env) finishCall(t *testing.T, kp vat.KRef) []string {
	out := e.runToEnd()
	out = append(out, e.describeKP(kp))
	if e.k.Failed() == nil {
		if st := e.k.KPStatus(kp); st != state.Unresolved {
			if err := e.k.ReleaseKP(kp); err != nil {
				t.Fatal(err)
			}
		}
		e.commit(t)
	}
	return out
}

func (e *Env) upgrade(t *testing.T, d *datadriven.TestData) []string {
	pos := positional(d)
	if len(pos) != 1 {
		d.Fatalf(t, "upgrade VAT source=FILE|go=NAME [message=TEXT]")
	}
	var message string
	if d.HasArg("message") {
		d.ScanArgs(t, "message", &message)
	}
	var params capdata.Value = capdata.Undefined{}
	if in := strings.TrimSpace(d.Input); in != "" {
		v, err := cooper.ParseJSONValue([]byte(in))
		if err != nil {
			d.Fatalf(t, "parameters: %v", err)
		}
		params = v
	}
	var id string
	if d.HasArg("go") {
		d.ScanArgs(t, "go", &id)
	} else {
		var src string
		d.ScanArgs(t, "source", &src)
		bd, err := bundle.Build(filepath.Join(e.Base, src))
		if err != nil {
			return []string{"error: " + err.Error()}
		}
		if id, err = e.k.InstallBundle(bd.Marshal()); err != nil {
			return []string{"error: " + err.Error()}
		}
	}
	kp, err := e.k.UpgradeStaticVat(pos[0], id, params, message)
	if err != nil {
		return []string{"error: " + err.Error()}
	}
	return e.finishCall(t, kp)
}

func (e *Env) run(t *testing.T, d *datadriven.TestData) []string {
	var out []string
	if d.HasArg("cranks") {
		var n int
		d.ScanArgs(t, "cranks", &n)
		ran, err := e.k.Run(kernel.CrankLimit(n))
		out = append(out, fmt.Sprintf("ran %d cranks", ran))
		if err != nil {
			out = append(out, "error: "+err.Error())
		}
	} else {
		out = e.runToEnd()
	}
	if e.k.Failed() == nil {
		e.commit(t)
	}
	return out
}

// runToEnd runs until the queue is empty; a kernel that stops is reported.
func (e *Env) runToEnd() []string {
	if _, err := e.k.Run(kernel.UntilEmpty()); err != nil {
		return []string{"kernel stopped: " + err.Error()}
	}
	return nil
}

func (e *Env) commit(t *testing.T) {
	if err := e.k.Commit(); err != nil {
		t.Fatalf("commit: %v", err)
	}
	if e.RestartEveryBlock {
		e.restart(t)
	}
}

func (e *Env) restart(t *testing.T) {
	e.k.Close()
	k, err := cooper.Open(e.Dir, e.Options)
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	e.k = k
}

// describeKP shows how a kernel promise stands.
func (e *Env) describeKP(kp vat.KRef) string {
	if e.k.Failed() != nil {
		return "unresolved (kernel stopped)"
	}
	switch e.k.KPStatus(kp) {
	case state.Unresolved:
		return "unresolved"
	case "":
		return "gone"
	}
	rejected, v, err := e.k.KPResolution(kp)
	if err != nil {
		return "error: " + err.Error()
	}
	if rejected {
		return "rejected: " + describeValue(v)
	}
	return "result: " + describeValue(v)
}

// describeValue shows a value as the scripts print it: errors as
// "Name: message", everything else in the JS-like capdata format.
func describeValue(v capdata.Value) string {
	if err, ok := v.(*capdata.Error); ok {
		return err.Name + ": " + err.Message
	}
	return capdata.Format(v)
}

// positional returns the bare words of a directive after the command.
func positional(d *datadriven.TestData) []string {
	var out []string
	for _, a := range d.CmdArgs {
		if len(a.Vals) == 0 {
			out = append(out, a.Key)
		}
	}
	return out
}
