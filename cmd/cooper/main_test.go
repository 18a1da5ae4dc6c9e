package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/cooper-kernel/cooper/internal/testkit"
	"github.com/cooper-kernel/cooper/kernel"
	"github.com/cooper-kernel/cooper/vat"
)

// goTypeName matches what Go prints of its own types (*goja.Object,
// goja.valueInt, []interface {}, map[string]…), which no message users see
// may contain.
var goTypeName = regexp.MustCompile(`\*[a-z]+\.[A-Z]|\b(goja|capdata|gonative|liveslots|reflect)\.[a-zA-Z]|\[\]interface|map\[|%!`)

// cli runs the cooper command in-process and returns stdout, stderr and the error.
// cli runs one cooper command in the test process. Whatever the command,
// a Go panic or runtime fatal error must never reach the user: no output or
// error of any command the tests run may hold one (issue 11).
func cli(t testing.TB, args ...string) (string, string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := newRootCmd(&stdout, &stderr)
	cmd.SetArgs(args)
	err := cmd.Execute()
	text := stdout.String() + stderr.String()
	if err != nil {
		text += err.Error()
	}
	for _, bad := range []string{"panic:", "fatal error:", "goroutine "} {
		if strings.Contains(text, bad) {
			t.Errorf("cooper %s printed %q:\n%s", strings.Join(args, " "), bad, text)
		}
	}
	return stdout.String(), stderr.String(), err
}

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const goConfig = `{
  "bootstrap": "bootstrap",
  "vats": {
    "bootstrap": { "bundleName": "go-bootstrap-pingpong" },
    "alice": { "bundleName": "go-alice" },
    "bob": { "bundleName": "go-bob" },
    "counter": { "bundleName": "go-counter" }
  }
}`

func TestCLIGoPingPong(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "k")
	if _, _, err := cli(t, "init", dir, writeConfig(t, goConfig)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"alice", "sequential", "10"}, "10"},
		{[]string{"bob", "getCount"}, "10"},
		{[]string{"alice", "concurrent", "5"}, "15"},
		{[]string{"counter", "add", "2.5"}, "2.5"},
		{[]string{"counter", "label"}, `"counter"`},
	} {
		out, stderr, err := cli(t, append([]string{"call", dir}, tc.args...)...)
		if err != nil {
			t.Fatalf("call %v: %v (stderr %s)", tc.args, err, stderr)
		}
		if got := strings.TrimSpace(out); got != tc.want {
			t.Fatalf("call %v = %s, want %s", tc.args, got, tc.want)
		}
	}
	if _, _, err := cli(t, "run", dir); err != nil {
		t.Fatal(err)
	}
	out, _, err := cli(t, "dump", dir, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var kv map[string]string
	if err := json.Unmarshal([]byte(out), &kv); err != nil {
		t.Fatalf("dump --json is not one JSON object: %v", err)
	}
	if kv["vat.names"] == "" || kv["activityhash"] == "" {
		t.Fatalf("dump --json lacks vat.names or activityhash: %v", kv)
	}
	out, _, err = cli(t, "dump", dir)
	if err != nil || !strings.Contains(out, "vat.names = ") || strings.Contains(out, "not in the schema") {
		t.Fatalf("dump: %v\n%s", err, out)
	}
}

func TestCLIRejection(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "k")
	if _, _, err := cli(t, "init", dir, writeConfig(t, goConfig)); err != nil {
		t.Fatal(err)
	}
	_, _, err := cli(t, "call", dir, "counter", "add", "lots")
	if err == nil || !strings.Contains(err.Error(), "counter.add rejected: Error: argument 0: \"lots\" is not a number") {
		t.Fatalf("rejected call: %v", err)
	}
}

func TestCLIBadInput(t *testing.T) {
	base := t.TempDir()
	kdir := filepath.Join(base, "k")
	if _, _, err := cli(t, "init", kdir, writeConfig(t, goConfig)); err != nil {
		t.Fatal(err)
	}
	before, _, _ := cli(t, "dump", kdir, "--json")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"bad JSON", []string{"init", filepath.Join(base, "a"), writeConfig(t, `{"vats": `)}, "config"},
		{"unknown key", []string{"init", filepath.Join(base, "b"), writeConfig(t, `{"vats": {}, "bootstrapp": "x"}`)}, `unknown`},
		{"unknown vat kind", []string{"init", filepath.Join(base, "c"), writeConfig(t, `{"vats": {"a": {"bundleName": "no-such-vat"}}}`)}, `no-such-vat`},
		{"missing bootstrap", []string{"init", filepath.Join(base, "d"), writeConfig(t, `{"bootstrap": "boot", "vats": {"a": {"bundleName": "go-counter"}}}`)}, `boot`},
		{"init twice", []string{"init", kdir, writeConfig(t, goConfig)}, "already"},
		{"not a kernel", []string{"run", base}, "not a kernel"},
		{"missing dir", []string{"call", filepath.Join(base, "none"), "alice", "x"}, "not a kernel"},
		{"unknown vat", []string{"call", kdir, "carol", "x"}, "carol"},
		{"unparsable arg", []string{"call", kdir, "counter", "add", "{nope"}, "does not parse"},
		{"number out of range", []string{"call", kdir, "counter", "add", "1e400"}, `argument "1e400": number 1e400 is out of range of a JS number`},
		{"unknown flag", []string{"call", kdir, "counter", "add", "1", "--bogus"}, "unknown flag: --bogus"},
		{"unknown shorthand", []string{"call", kdir, "counter", "add", "-x"}, "unknown shorthand flag: 'x'"},
		{"too few arguments", []string{"call", kdir, "counter"}, "call needs at least 3 arguments, got 2"},
		{"dump of a missing vat", []string{"dump", kdir, "--vat", "v999"}, "--vat v999: " + kdir + " has no such vat"},
		{"dump of a bad vat ID", []string{"dump", kdir, "--vat", "bob"}, `--vat "bob"`},
		{"endless config", []string{"init", filepath.Join(base, "e"), "/dev/zero"}, "/dev/zero is larger than the 16 MiB limit of a config file"},
		{"endless sourceSpec", []string{"init", filepath.Join(base, "f"), writeConfig(t, `{"vats": {"a": {"sourceSpec": "/dev/zero"}}}`)}, "/dev/zero is larger than the 16 MiB limit of a source file"},
		{"endless bundleSpec", []string{"init", filepath.Join(base, "g"), writeConfig(t, `{"vats": {"a": {"bundleSpec": "/dev/zero"}}}`)}, "/dev/zero is larger than the 64 MiB limit of a bundle file"},
		{"endless import", []string{"init", filepath.Join(base, "h"), filepath.Join(writeFiles(t, map[string]string{
			"c.json": `{"vats": {"a": {"sourceSpec": "imp.js"}}}`,
			"imp.js": "import x from '/dev/zero';\nexport const buildRootObject = () => x;\n",
		}), "c.json")}, "/dev/zero is larger than the 16 MiB limit of a source file"},
		{"endless bundle source", []string{"bundle", "/dev/zero", "-o", filepath.Join(base, "x.json")}, "/dev/zero is larger than the 16 MiB limit of a source file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := cli(t, tc.args...)
			if err == nil {
				t.Fatalf("%v succeeded", tc.args)
			}
			if !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %q: want one line mentioning %q", err, tc.want)
			}
			if goTypeName.MatchString(err.Error()) {
				t.Fatalf("error %q names a Go type", err)
			}
		})
	}
	for _, d := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "none", "x.json"} {
		if _, err := os.Stat(filepath.Join(base, d)); err == nil {
			t.Errorf("failed command left %s behind", d)
		}
	}
	after, _, _ := cli(t, "dump", kdir, "--json")
	if before != after {
		t.Error("failed commands changed the kernel")
	}
}

func TestCLIReplay(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "k")
	if _, _, err := cli(t, "init", dir, writeConfig(t, goConfig)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := cli(t, "call", dir, "alice", "sequential", "3"); err != nil {
		t.Fatal(err)
	}
	before, _, _ := cli(t, "dump", dir, "--json")
	out, _, err := cli(t, "replay", dir)
	if err != nil {
		t.Fatalf("replay of a healthy kernel: %v\n%s", err, out)
	}
	for _, name := range []string{"alice", "bob", "bootstrap", "counter", "vatAdmin"} {
		if !strings.Contains(out, name) {
			t.Errorf("replay output lacks %s:\n%s", name, out)
		}
	}
	if strings.Count(out, " OK\n") != 5 {
		t.Errorf("want 5 OK lines:\n%s", out)
	}
	out, _, err = cli(t, "replay", dir, "--vat", "v2")
	if err != nil || strings.Count(out, "\n") != 1 {
		t.Fatalf("replay --vat v2: %v\n%s", err, out)
	}
	if _, _, err := cli(t, "replay", dir, "--vat", "v99"); err == nil || !strings.Contains(err.Error(), "v99 is not a live vat") {
		t.Fatalf("replay --vat v99: %v", err)
	}
	if _, _, err := cli(t, "replay", dir, "--vat", "bob"); err == nil || !strings.Contains(err.Error(), "not a vat ID") {
		t.Fatalf("replay --vat bob: %v", err)
	}
	after, _, _ := cli(t, "dump", dir, "--json")
	if before != after {
		t.Fatal("replay changed the database")
	}
}

func TestCLIDumpViews(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "k")
	if _, _, err := cli(t, "init", dir, writeConfig(t, goConfig)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := cli(t, "call", dir, "alice", "concurrent", "4"); err != nil {
		t.Fatal(err)
	}
	out, _, err := cli(t, "dump", dir)
	if err != nil || !strings.Contains(out, "# vats\n") || !strings.Contains(out, "# transcripts\n") {
		t.Fatalf("dump: %v\n%s", err, out)
	}
	out, _, err = cli(t, "dump", dir, "--vat", "v2")
	if err != nil || !strings.Contains(out, "v2.source") || strings.Contains(out, "v1.") {
		t.Fatalf("dump --vat v2: %v\n%s", err, out)
	}
	out, _, err = cli(t, "dump", dir, "--prefix", "ko")
	if err != nil || !strings.Contains(out, ".owner") || strings.Contains(out, "v1.") {
		t.Fatalf("dump --prefix ko: %v\n%s", err, out)
	}
	out, _, err = cli(t, "dump", dir, "--stats")
	if err != nil || !strings.Contains(out, "transcripts") || !strings.Contains(out, "promises") {
		t.Fatalf("dump --stats: %v\n%s", err, out)
	}
	out, _, err = cli(t, "dump", dir, "--refcounts")
	if err != nil || !strings.Contains(out, "reference counts OK") {
		t.Fatalf("dump --refcounts on a healthy kernel: %v\n%s", err, out)
	}
	// Corrupt one count: the audit names it and fails.
	kv := map[string]string{}
	js, _, _ := cli(t, "dump", dir, "--json", "--prefix", "ko")
	json.Unmarshal([]byte(js), &kv)
	var victim string
	for k := range kv {
		if strings.HasSuffix(k, ".refCount") && (victim == "" || k < victim) {
			victim = k
		}
	}
	if victim == "" {
		t.Fatal("no object refCount to corrupt")
	}
	testkit.CorruptKV(t, dir, victim, "99")
	out, _, err = cli(t, "dump", dir, "--refcounts")
	ko := strings.TrimSuffix(victim, ".refCount")
	if err == nil || !strings.Contains(out, ko+": stored refCount 99, counted "+kv[victim]) {
		t.Fatalf("dump --refcounts on a corrupt kernel: %v\n%s", err, out)
	}
	// Point one c-list entry elsewhere: its two directions disagree, and
	// the audit names both keys.
	js, _, _ = cli(t, "dump", dir, "--json", "--prefix", "v1.c.o")
	clear(kv)
	json.Unmarshal([]byte(js), &kv)
	var fwd string
	for k := range kv {
		if fwd == "" || k < fwd {
			fwd = k
		}
	}
	if fwd == "" {
		t.Fatal("no c-list entry to corrupt")
	}
	testkit.CorruptKV(t, dir, fwd, "ko999")
	out, _, err = cli(t, "dump", dir, "--refcounts")
	vref := strings.TrimPrefix(fwd, "v1.c.")
	for _, want := range []string{
		fmt.Sprintf("c-list: v1.c.%s = %s, but v1.c.%s = %q\n", kv[fwd], vref, vref, "ko999"),
		fmt.Sprintf("c-list: v1.c.%s = ko999, but v1.c.ko999 = %q\n", vref, ""),
	} {
		if err == nil || !strings.Contains(err.Error(), "2 c-list entries do not match") || !strings.Contains(out, want) {
			t.Fatalf("dump --refcounts with a c-list entry pointing elsewhere: %v\n%s\nwant a line %s", err, out, want)
		}
	}
}

func TestCLIEventLogAndMetrics(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "k")
	if _, _, err := cli(t, "init", dir, writeConfig(t, goConfig)); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(t.TempDir(), "slog.jsonl")
	if _, _, err := cli(t, "call", "--slog", logPath, dir, "alice", "sequential", "2"); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]int{}
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var e struct {
			Type     string  `json:"type"`
			CrankNum *uint64 `json:"crankNum"`
		}
		if err := json.Unmarshal([]byte(l), &e); err != nil || e.CrankNum == nil {
			t.Fatalf("bad event line %q: %v", l, err)
		}
		types[e.Type]++
	}
	for _, want := range []string{"replay-start", "replay-finish", "crank-start", "crank-finish", "deliver", "deliver-result", "syscall", "syscall-result"} {
		if types[want] == 0 {
			t.Errorf("event log has no %s event: %v", want, types)
		}
	}

	m := newMetrics()
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var e struct{ Type string }
		json.Unmarshal([]byte(l), &e)
		m.observe(kernelEvent(kernel.EventType(e.Type)))
	}
	rec := httptest.NewRecorder()
	m.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{"# TYPE cooper_cranks_total counter", fmt.Sprintf("cooper_cranks_total %d", types["crank-finish"]), `cooper_deliveries_total{type="message"}`, "cooper_run_queue_length 0"} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q:\n%s", want, body)
		}
	}
}

// kernelEvent makes a minimal event of a type, for feeding the metrics.
func kernelEvent(typ kernel.EventType) kernel.Event {
	e := kernel.Event{Type: typ}
	switch typ {
	case kernel.EventDeliver:
		e.Delivery = &vat.Delivery{Kind: vat.DeliverMessage}
	case kernel.EventSyscall:
		e.Syscall = &vat.Syscall{Kind: vat.SysSend}
	}
	return e
}

func TestCLIReplayCatchesCorruption(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "k")
	if _, _, err := cli(t, "init", dir, writeConfig(t, goConfig)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := cli(t, "call", dir, "alice", "sequential", "6"); err != nil {
		t.Fatal(err)
	}
	// bob (v2) answered its 5th ping (transcript position 5) with 5.
	testkit.CorruptTranscript(t, dir, "v2", 5, `["#5"]`, `["#6"]`)
	out, _, err := cli(t, "replay", dir)
	if err == nil {
		t.Fatalf("replay of a corrupt kernel succeeded:\n%s", out)
	}
	want := `FAILED: anachrophobia in v2 (bob) delivery 5: syscall mismatch at index 0: recorded ["resolve",[["p-5",false,["#6"]]]], replay made ["resolve",[["p-5",false,["#5"]]]]`
	if !strings.Contains(out, want) {
		t.Fatalf("replay output:\n%s\nwant a line with\n%s", out, want)
	}
	if strings.Count(out, " OK\n") != 4 {
		t.Fatalf("the other vats should replay OK:\n%s", out)
	}
}

func TestProgressBarQuietOffTerminal(t *testing.T) {
	var buf bytes.Buffer
	if progressBar(&buf) != nil {
		t.Fatal("progress bar on a buffer")
	}
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if progressBar(f) != nil {
		t.Fatal("progress bar on a regular file")
	}
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	if progressBar(null) != nil {
		t.Fatal("progress bar on /dev/null (a character device, not a terminal)")
	}
}

// TestCLISlogWriteError: an event log that cannot be written (a full disk)
// fails the command instead of being lost silently, for every command
// that takes --slog.
func TestCLISlogWriteError(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	cfg := writeConfig(t, goConfig)
	dir := filepath.Join(t.TempDir(), "k")
	if _, _, err := cli(t, "init", dir, cfg); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"init", "--slog", "/dev/full", filepath.Join(t.TempDir(), "k2"), cfg},
		{"call", "--slog", "/dev/full", dir, "counter", "label"},
		{"run", "--slog", "/dev/full", dir},
		{"upgrade", "--slog", "/dev/full", "--go", dir, "counter", "go-counter"},
	} {
		_, _, err := cli(t, args...)
		if err == nil || !strings.HasPrefix(err.Error(), "--slog: ") || !strings.Contains(err.Error(), "no space left") {
			t.Fatalf("%s --slog /dev/full = %v", args[0], err)
		}
	}
}

// TestCLINegativeNumbers: a negative number is an argument, not a flag;
// flags may come before or after the arguments, and "--" ends them.
func TestCLINegativeNumbers(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "k")
	if _, _, err := cli(t, "init", dir, writeConfig(t, goConfig)); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(t.TempDir(), "slog")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"call", dir, "counter", "add", "-5"}, "-5"},
		{[]string{"call", dir, "counter", "add", "-2.5", "--commit-every", "3"}, "-7.5"},
		{[]string{"call", "--slog", logPath, dir, "counter", "add", "--", "-1"}, "-8.5"},
		{[]string{"call", dir, "counter", "add", "-1e2", "--commit-every=7"}, "-108.5"},
		{[]string{"call", dir, "counter", "label"}, `"counter"`},
	} {
		out, _, err := cli(t, tc.args...)
		if err != nil || strings.TrimSpace(out) != tc.want {
			t.Fatalf("%v = %q, %v; want %s", tc.args, out, err, tc.want)
		}
	}
	if fi, err := os.Stat(logPath); err != nil || fi.Size() == 0 {
		t.Fatalf("--slog before the arguments wrote nothing: %v", err)
	}
	out, _, err := cli(t, "call", "--help")
	if err != nil || !strings.Contains(out, "a negative number such as -5") {
		t.Fatalf("call --help: %v\n%s", err, out)
	}
}
