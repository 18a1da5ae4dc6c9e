package testkit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/cooper-kernel/cooper"
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
}

// CheckSwingSetParity runs every CASE.steps.json of the scenario directory
// dir on Cooper and requires the testLog lines, call statuses and call
// values SwingSet recorded in CASE.swingset.jsonl.
func CheckSwingSetParity(t *testing.T, dir string) {
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
			compareParity(t, want, got)
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
	for sc.Scan() {
		var l ParityLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, l)
	}
	return out
}

func runParity(t *testing.T, configPath, stepsPath string) []ParityLine {
	data, err := os.ReadFile(stepsPath)
	if err != nil {
		t.Fatal(err)
	}
	var steps [][]json.RawMessage
	if err := json.Unmarshal(data, &steps); err != nil {
		t.Fatalf("%s: %v", stepsPath, err)
	}
	var out []ParityLine
	env := NewEnv(t, filepath.Dir(configPath), GoVats())
	env.Options.Console = func(_, level, line string) {
		if level == "testLog" {
			out = append(out, ParityLine{Log: &line})
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
	for _, step := range steps {
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

func compareParity(t *testing.T, want, got []ParityLine) {
	t.Helper()
	render := func(ls []ParityLine) string {
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
		return b.String()
	}
	// Vat numbers differ: SwingSet makes more built-in vats than Cooper.
	vatIDs := regexp.MustCompile(`\bv[0-9]+\b`)
	w := vatIDs.ReplaceAllString(render(want), "vNN")
	g := vatIDs.ReplaceAllString(render(got), "vNN")
	if w != g {
		t.Errorf("differs from SwingSet 0.33:\n--- SwingSet\n%s--- Cooper\n%s", w, g)
	}
}
