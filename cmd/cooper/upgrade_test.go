package main

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestCLIUpgrade(t *testing.T) {
	vats := filepath.Join("..", "..", "kernel", "testdata", "vats", "upgrade")
	dir := filepath.Join(t.TempDir(), "k")
	if _, stderr, err := cli(t, "init", dir, filepath.Join(vats, "config.json")); err != nil {
		t.Fatalf("init: %v (%s)", err, stderr)
	}
	if _, _, err := cli(t, "call", dir, "counter", "incr"); err != nil {
		t.Fatal(err)
	}
	out, _, err := cli(t, "upgrade", dir, "counter", filepath.Join(vats, "counter-v2.js"), "--params", `{"n":1}`)
	if err != nil {
		t.Fatalf("upgrade: %v", err)
	}
	if !strings.Contains(out, `counter: v2 start, count 1, params {"n":1}`) || !strings.HasSuffix(out, "{\"incarnationNumber\":1}\n") {
		t.Fatalf("upgrade printed %q", out)
	}
	out, _, err = cli(t, "upgrade", dir, "counter", filepath.Join(vats, "counter-bad.js"))
	if err == nil || err.Error() != "upgrade counter rejected: Error: vat-upgrade failure" {
		t.Fatalf("failed upgrade: %v", err)
	}
	if !strings.Contains(out, "counter: v2 failed to upgrade from incarnation 1 (startVat): buildRootObject failed: Error: cannot start") {
		t.Fatalf("failed upgrade printed %q, want the cause", out)
	}
	if out, _, err := cli(t, "call", dir, "counter", "incr"); err != nil || strings.TrimSpace(out) != "11" {
		t.Fatalf("call after a failed upgrade = %q, %v; want 11", out, err)
	}
	// replay and replay --full check the upgraded vat: the current
	// incarnation from its start, and every incarnation.
	for _, args := range [][]string{{"replay", dir}, {"replay", dir, "--full"}} {
		out, _, err := cli(t, args...)
		if err != nil || !strings.Contains(out, "counter") || strings.Contains(out, "FAILED") {
			t.Fatalf("%v after an upgrade: %v\n%s", args, err, out)
		}
		// --full replays the counter's current incarnation from where it
		// began, not from position 0.
		for _, line := range strings.Split(out, "\n") {
			if len(args) == 3 && strings.Contains(line, "counter") && !strings.Contains(line, "deliveries from ") {
				t.Fatalf("replay --full of the upgraded vat: %q", line)
			}
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"upgrade", dir, "nobody", filepath.Join(vats, "counter-v2.js")}, `no vat named "nobody"`},
		{[]string{"upgrade", dir, "counter", filepath.Join(vats, "missing.js")}, "missing.js"},
		{[]string{"upgrade", dir, "vatAdmin", filepath.Join(vats, "counter-v2.js")}, "the vat-admin vat cannot be upgraded"},
		{[]string{"upgrade", dir, "counter", filepath.Join(vats, "counter-v2.js"), "--params", "{bad"}, "--params"},
		// A JS vat does not upgrade to a Go vat.
		{[]string{"upgrade", dir, "counter", "go-counter", "--go"}, "vat-upgrade failure: unknown bundle go-counter"},
	} {
		_, _, err := cli(t, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want %q", tc.args[1:], err, tc.want)
		}
	}
}

// TestCLIDumpDurable: dump --durable shows each vat's incarnation, its
// durable kinds and its collections, after an upgrade that kept them.
func TestCLIDumpDurable(t *testing.T) {
	vats := filepath.Join("..", "..", "kernel", "testdata", "vats", "vatdata")
	dir := filepath.Join(t.TempDir(), "k")
	steps := [][]string{
		{"init", dir, filepath.Join(vats, "config.json")},
		{"call", dir, "store", "put", `"a"`, "1"},
		{"call", dir, "store", "account", `"z"`},
		{"upgrade", dir, "store", filepath.Join(vats, "store-v2.js")},
	}
	for _, args := range steps {
		if _, stderr, err := cli(t, args...); err != nil {
			t.Fatalf("%s: %v (%s)", args[0], err, stderr)
		}
	}
	out, _, err := cli(t, "dump", dir, "--durable", "--vat", "v3")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"v3 store: incarnation 1, replays from transcript entry 3\n",
		`  kind 11 "Account": durable kit (holder, viewer), 1 instances` + "\n",
		`  collection 1 "baggage": scalarDurableMapStore o+d6/1, 7 entries` + "\n",
		`  collection 2 "entries": scalarDurableMapStore o+d6/2, 1 entries` + "\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("dump --durable lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "v1 boot") {
		t.Errorf("--vat v3 printed other vats:\n%s", out)
	}
}

// TestDurableExample runs the README's "Durable state and upgrade" session
// (demo/durable) and checks what it shows.
func TestDurableExample(t *testing.T) {
	ex := filepath.Join("..", "..", "demo", "durable")
	dir := filepath.Join(t.TempDir(), "durable")
	for _, step := range []struct {
		args    []string
		want    string // the last line of stdout
		wantErr string
	}{
		{args: []string{"init", dir, filepath.Join(ex, "config.json")}, want: "created kernel in " + dir + ": 2 vats; bootstrap ran in 0 cranks"},
		{args: []string{"call", dir, "counters", "incr", `"apples"`}, want: "1"},
		{args: []string{"call", dir, "counters", "incr", `"apples"`}, want: "2"},
		{args: []string{"call", dir, "counters", "incr", `"pears"`}, want: "1"},
		{args: []string{"upgrade", dir, "counters", filepath.Join(ex, "counters-v2.js")}, want: `{"incarnationNumber":1}`},
		{args: []string{"call", dir, "counters", "totals"}, want: `{"apples":2,"pears":1}`},
		{args: []string{"upgrade", dir, "counters", filepath.Join(ex, "counters-bad.js")},
			want:    "counters: v1 failed to upgrade from incarnation 1 (startVat): Error: defineDurableKind not called for tags: [Counter]",
			wantErr: "upgrade counters rejected: Error: vat-upgrade failure"},
		{args: []string{"call", dir, "counters", "incr", `"pears"`}, want: "2"},
		{args: []string{"dump", dir, "--durable", "--vat", "v1"}, want: `  collection 2 "counters": scalarDurableMapStore o+d6/2, 2 entries`},
	} {
		out, _, err := cli(t, step.args...)
		if (err != nil || step.wantErr != "") && (err == nil || err.Error() != step.wantErr) {
			t.Fatalf("%v: error %v, want %q", step.args[:1], err, step.wantErr)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if got := lines[len(lines)-1]; got != step.want {
			t.Fatalf("%v printed %q, want last line %q", step.args[:1], out, step.want)
		}
	}
}
