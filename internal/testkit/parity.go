package testkit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/cooper-kernel/cooper"
	"github.com/cooper-kernel/cooper/bundle"
	"github.com/cooper-kernel/cooper/capdata"
	"github.com/cooper-kernel/cooper/kernel"
	"github.com/cooper-kernel/cooper/kernel/state"
	"github.com/cooper-kernel/cooper/vat"
)

// ParityLine is one line of a SwingSet reference run: a testLog line, the
// bootstrap's result, a call's result, or a kernel panic. The reference
// files (CASE.swingset.jsonl next to CASE.steps.json and config.json) were
// recorded by running the same vats and steps on SwingSet 0.33.
type ParityLine struct {
	Log       *string `json:"log,omitempty"`
	Bootstrap string  `json:"bootstrap,omitempty"`
	Call      string  `json:"call,omitempty"`
	Status    string  `json:"status,omitempty"`
	Value     any     `json:"value,omitempty"`
	Panic     string  `json:"panic,omitempty"`
	// Replay marks a testLog line SwingSet printed again while it replayed
	// a vat's transcript (testLog is no syscall, so replay re-runs it).
	// Cooper does not repeat them; such lines are not compared.
	Replay bool `json:"replay,omitempty"`
}

// ParityUpgrade is a steps-file step that upgrades a static vat, written
// as an object: {"upgrade": VAT, "source": FILE, "message": TEXT,
// "vatParameters": VALUE}; FILE is relative to the scenario directory.
// Its output line is the call "upgrade VAT" with the upgrade's outcome.
type ParityUpgrade struct {
	Upgrade       string          `json:"upgrade"`
	Source        string          `json:"source"`
	Message       string          `json:"message,omitempty"`
	VatParameters json.RawMessage `json:"vatParameters,omitempty"`
}

// KnownParityDiff names one step of a case whose output is known to differ
// from SwingSet's: that step's lines (its testLog lines and its result) are
// left out of the comparison. Step 0 is the bootstrap, step N the N-th
// entry of the steps file. A known difference that no longer differs fails
// the test, so the list cannot go stale.
type KnownParityDiff struct {
	Case   string
	Step   int
	Reason string
}

// CheckSwingSetParity runs every CASE.steps.json of the scenario directory
// dir on Cooper and requires the testLog lines, call statuses and call
// values SwingSet recorded in CASE.swingset.jsonl.
func CheckSwingSetParity(t *testing.T, dir string) {
	t.Helper()
	CheckSwingSetParityExcept(t, dir, nil)
}

// CheckSwingSetParityExcept is CheckSwingSetParity with the steps listed
// in known left out of the comparison.
func CheckSwingSetParityExcept(t *testing.T, dir string, known []KnownParityDiff) {
	t.Helper()
	steps, err := filepath.Glob(filepath.Join(dir, "*.steps.json"))
	if err != nil || len(steps) == 0 {
		t.Fatalf("no *.steps.json in %s", dir)
	}
	for _, stepsFile := range steps {
		name := strings.TrimSuffix(filepath.Base(stepsFile), ".steps.json")
		t.Run(name, func(t *testing.T) {
			want := readParity(t, filepath.Join(dir, name+".swingset.jsonl"))
			got := runParity(t, filepath.Join(dir, "config.json"), stepsFile)
			var skip []KnownParityDiff
			for _, kd := range known {
				if kd.Case == name {
					skip = append(skip, kd)
				}
			}
			compareParity(t, want, got, skip)
		})
	}
}

func readParity(t *testing.T, path string) []ParityLine {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []ParityLine
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l ParityLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if !l.Replay {
			out = append(out, l)
		}
	}
	return out
}

func runParity(t *testing.T, configPath, stepsPath string) []ParityLine {
	data, err := os.ReadFile(stepsPath)
	if err != nil {
		t.Fatal(err)
	}
	var steps []json.RawMessage
	if err := json.Unmarshal(data, &steps); err != nil {
		t.Fatalf("%s: %v", stepsPath, err)
	}
	var out []ParityLine
	env := NewEnv(t, filepath.Dir(configPath), GoVats())
	env.Options.Console = func(vatName, level, line string) {
		if level == "testLog" {
			out = append(out, ParityLine{Log: &line})
			return
		}
		t.Logf("console.%s %s: %s", level, vatName, line)
	}
	// A terminated vat explains most differences: say why it ended.
	env.Options.Observer = func(e kernel.Event) {
		if e.Type == kernel.EventTerminateVat {
			t.Logf("vat %s terminated: %s", e.VatID, e.Reason)
		}
	}
	cfg, err := cooper.ReadConfig(configPath)
	if err != nil {
		t.Fatal(err)
	}
	k, err := cooper.Init(env.Dir, cfg, env.Options)
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	if _, err := k.Run(kernel.UntilEmpty()); err != nil {
		t.Fatal(err)
	}
	if kp, ok := k.State().BootstrapResult(); ok {
		status, _ := parityResult(k, kp)
		out = append(out, ParityLine{Bootstrap: status})
	}
	for _, raw := range steps {
		if trimmed := bytes.TrimSpace(raw); len(trimmed) > 0 && trimmed[0] == '{' {
			var up ParityUpgrade
			if err := json.Unmarshal(raw, &up); err != nil || up.Upgrade == "" || up.Source == "" {
				t.Fatalf("%s: an upgrade step is {\"upgrade\": VAT, \"source\": FILE, ...}", stepsPath)
			}
			kp, err := parityUpgrade(k, filepath.Dir(stepsPath), up)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := k.Run(kernel.UntilEmpty()); err != nil {
				out = append(out, ParityLine{Panic: err.Error()})
				break
			}
			status, value := parityResult(k, kp)
			out = append(out, ParityLine{Call: "upgrade " + up.Upgrade, Status: status, Value: value})
			continue
		}
		var step []json.RawMessage
		if err := json.Unmarshal(raw, &step); err != nil {
			t.Fatalf("%s: %v", stepsPath, err)
		}
		var vatName, method string
		var args []capdata.Value
		if len(step) < 2 || json.Unmarshal(step[0], &vatName) != nil || json.Unmarshal(step[1], &method) != nil {
			t.Fatalf("%s: a step is [vat, method, [args]]", stepsPath)
		}
		if len(step) > 2 {
			var raw []json.RawMessage
			if err := json.Unmarshal(step[2], &raw); err != nil {
				t.Fatal(err)
			}
			for _, r := range raw {
				v, err := cooper.ParseJSONValue(r)
				if err != nil {
					t.Fatal(err)
				}
				args = append(args, v)
			}
		}
		kp, err := k.QueueToVatRoot(vatName, method, args)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := k.Run(kernel.UntilEmpty()); err != nil {
			out = append(out, ParityLine{Panic: err.Error()})
			break
		}
		status, value := parityResult(k, kp)
		out = append(out, ParityLine{Call: vatName + "." + method, Status: status, Value: value})
	}
	return out
}

// parityUpgrade bundles and installs up.Source and queues the upgrade of
// the static vat up.Upgrade to it.
func parityUpgrade(k *kernel.Kernel, dir string, up ParityUpgrade) (vat.KRef, error) {
	var params capdata.Value = capdata.Undefined{}
	if len(up.VatParameters) > 0 {
		v, err := cooper.ParseJSONValue(up.VatParameters)
		if err != nil {
			return "", fmt.Errorf("upgrade %s vatParameters: %w", up.Upgrade, err)
		}
		params = v
	}
	bd, err := bundle.Build(filepath.Join(dir, up.Source))
	if err != nil {
		return "", fmt.Errorf("upgrade %s: %w", up.Upgrade, err)
	}
	id, err := k.InstallBundle(bd.Marshal())
	if err != nil {
		return "", fmt.Errorf("upgrade %s: %w", up.Upgrade, err)
	}
	return k.UpgradeStaticVat(up.Upgrade, id, params, up.Message)
}

// parityResult reports a promise as the reference runner does: its status,
// and its value as JSON data (errors as "Name: message"; undefined as the
// body "#\"#undefined\"", which is what the runner prints for it).
func parityResult(k *kernel.Kernel, kp vat.KRef) (string, any) {
	st := k.KPStatus(kp)
	if st == state.Unresolved || st == "" {
		return string(st), nil
	}
	_, v, err := k.KPResolution(kp)
	if err != nil {
		return string(st), err.Error()
	}
	switch x := v.(type) {
	case *capdata.Error:
		return string(st), x.Name + ": " + x.Message
	case capdata.Undefined:
		return string(st), `#"#undefined"`
	}
	var out any
	if err := json.Unmarshal(capdata.ToJSON(v), &out); err != nil {
		return string(st), capdata.Format(v)
	}
	return string(st), out
}

func compareParity(t *testing.T, want, got []ParityLine, known []KnownParityDiff) {
	t.Helper()
	// segment returns the lines of step i: its testLog lines and the line
	// that ends it (the bootstrap's or the call's result, or a panic).
	segments := func(ls []ParityLine) [][]ParityLine {
		var segs [][]ParityLine
		var cur []ParityLine
		for _, l := range ls {
			cur = append(cur, l)
			if l.Log == nil {
				segs = append(segs, cur)
				cur = nil
			}
		}
		if cur != nil {
			segs = append(segs, cur)
		}
		return segs
	}
	if len(known) > 0 {
		ws, gs := segments(want), segments(got)
		for _, kd := range known {
			if kd.Step >= len(ws) || kd.Step >= len(gs) {
				t.Errorf("known difference at step %d (%s): no such step", kd.Step, kd.Reason)
				continue
			}
			if render(ws[kd.Step]) == render(gs[kd.Step]) {
				t.Errorf("known difference at step %d (%s) is gone: remove it from the list", kd.Step, kd.Reason)
			}
			t.Logf("known difference at step %d (%s):\n--- SwingSet\n%s--- Cooper\n%s", kd.Step, kd.Reason, render(ws[kd.Step]), render(gs[kd.Step]))
			ws[kd.Step] = []ParityLine{{Call: "(known difference)"}}
			gs[kd.Step] = []ParityLine{{Call: "(known difference)"}}
		}
		want, got = slices.Concat(ws...), slices.Concat(gs...)
	}
	w, g := render(want), render(got)
	if w != g {
		t.Errorf("differs from SwingSet 0.33:\n--- SwingSet\n%s--- Cooper\n%s", w, g)
	}
}

// render shows parity lines one a line, vat IDs ("vat v6", "vat \"v6\"")
// replaced by vNN: they differ because SwingSet makes more built-in vats
// than Cooper. Other words like v2 (a vat's own version strings) stay.
func render(ls []ParityLine) string {
	var b strings.Builder
	for _, l := range ls {
		switch {
		case l.Log != nil:
			b.WriteString("log: " + *l.Log + "\n")
		case l.Bootstrap != "":
			b.WriteString("bootstrap " + l.Bootstrap + "\n")
		case l.Panic != "":
			b.WriteString("kernel panic\n")
		default:
			v, _ := json.Marshal(l.Value)
			b.WriteString(l.Call + " " + l.Status + " " + string(v) + "\n")
		}
	}
	return parityVatIDs.ReplaceAllString(b.String(), "${1}vNN")
}

var parityVatIDs = regexp.MustCompile(`(\bvat \\?"?)v[0-9]+\b`)
