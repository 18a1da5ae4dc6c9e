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
