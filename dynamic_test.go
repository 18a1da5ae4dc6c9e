package cooper_test

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cooper-kernel/cooper"
	"github.com/cooper-kernel/cooper/bundle"
	"github.com/cooper-kernel/cooper/capdata"
	"github.com/cooper-kernel/cooper/internal/testkit"
	"github.com/cooper-kernel/cooper/kernel"
	"github.com/cooper-kernel/cooper/kernel/dump"
)

const dynConfig = `{
  "bootstrap": "bootstrap",
  "vats": { "bootstrap": { "sourceSpec": "dynboot.js" } },
  "bundles": {
    "counter": { "sourceSpec": "counter.js" },
    "busy": { "sourceSpec": "busy.js" },
    "importer": { "sourceSpec": "importer.js" }
  }
}`

// dynKernel copies the dynamic-vat sources to a scratch directory, creates a
// kernel from them and deletes the sources: nothing may need them again.
func dynKernel(t testing.TB, opts cooper.Options) (*kernel.Kernel, string) {
	t.Helper()
	return dynKernelWith(t, "", opts)
}

// dynKernelWith is dynKernel with settings (top-level config keys, such as
// `"maxVatsOnline": 0`) added to the config.
func dynKernelWith(t testing.TB, settings string, opts cooper.Options) (*kernel.Kernel, string) {
	t.Helper()
	src := t.TempDir()
	files := map[string]string{
		"dynboot.js":  filepath.Join("testdata", "js", "dynboot.js"),
		"busy.js":     filepath.Join("testdata", "js", "busy.js"),
		"importer.js": filepath.Join("testdata", "js", "importer.js"),
		"counter.js":  filepath.Join("demo", "dynamic", "counter.js"),
	}
	for name, from := range files {
		data, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(src, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	config := dynConfig
	if settings != "" {
		config = strings.Replace(config, `"bootstrap": "bootstrap",`, `"bootstrap": "bootstrap", `+settings+`,`, 1)
	}
	cfg, err := cooper.ParseConfig([]byte(config))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Dir = src
	dir := filepath.Join(t.TempDir(), "kernel")
	k, err := cooper.Init(dir, cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(src); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Run(kernel.UntilEmpty()); err != nil {
		t.Fatal(err)
	}
	return k, dir
}

func reopen(t *testing.T, k *kernel.Kernel, dir string) *kernel.Kernel {
	t.Helper()
	if err := k.Commit(); err != nil {
		t.Fatal(err)
	}
	k.Close()
	k, err := cooper.Open(dir, cooper.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestDynamicVatsSurviveRestarts: vats made by bundle cap, bundle ID,
// bundle name and whole bundle object (SwingSet's createVat(bundle)) keep
// counting across restarts, and every transcript replays.
func TestDynamicVatsSurviveRestarts(t *testing.T) {
	k, dir := dynKernel(t, cooper.Options{})
	for _, m := range []string{"byCap", "byID", "byName"} {
		if n := callNumber(t, k, "bootstrap", m, m); n != 1 {
			t.Fatalf("%s = %v", m, n)
		}
	}
	src, err := os.ReadFile(filepath.Join("demo", "dynamic", "counter.js"))
	if err != nil {
		t.Fatal(err)
	}
	bd, err := bundle.BuildSource("counter.js", string(src))
	if err != nil {
		t.Fatal(err)
	}
	whole, err := cooper.ParseCallArg(string(bd.Marshal()))
	if err != nil {
		t.Fatal(err)
	}
	if n := callNumber(t, k, "bootstrap", "byBundle", "byBundle", whole); n != 1 {
		t.Fatalf("byBundle = %v", n)
	}
	for restart := 1; restart <= 2; restart++ {
		k = reopen(t, k, dir)
		for _, name := range []string{"byCap", "byID", "byName", "byBundle"} {
			if n := callNumber(t, k, "bootstrap", "add", name, 20.0); n != float64(1+20*restart) {
				t.Fatalf("restart %d: %s = %v, want %d", restart, name, n, 1+20*restart)
			}
		}
		// A dynamic vat is reachable by its name option too.
		if n := callNumber(t, k, "byCap", "get"); n != float64(1+20*restart) {
			t.Fatalf("byCap.get() = %v", n)
		}
	}
	k.Close()
	testkit.VerifyAll(t, dir, cooper.Options{})
}

func kvSnapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	d, err := dump.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	kv, err := d.KV()
	if err != nil {
		t.Fatal(err)
	}
	return kv
}

func TestMissingBundleStopsRestart(t *testing.T) {
	k, dir := dynKernel(t, cooper.Options{})
	callNumber(t, k, "bootstrap", "byCap", "apples")
	id, _ := k.FindVat("apples")
	k = reopen(t, k, dir)
	k.Close()

	testkit.DeleteBundle(t, dir, kvSnapshot(t, dir)["namedBundleID.counter"])
	before := kvSnapshot(t, dir)
	_, err := cooper.Open(dir, cooper.Options{})
	want := fmt.Sprintf("cannot restore %s (apples): ", id)
	if err == nil || !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), "not in the bundle store") {
		t.Fatalf("Open = %v, want %q…", err, want)
	}
	if after := kvSnapshot(t, dir); !maps.Equal(before, after) {
		t.Fatal("a failed start changed the database")
	}
}

func TestKillDynamicVat(t *testing.T) {
	k, dir := dynKernel(t, cooper.Options{})
	callNumber(t, k, "bootstrap", "busy", "victim")
	callNumber(t, k, "bootstrap", "byName", "bystander")
	id, _ := k.FindVat("victim")
	rejected, v := call(t, k, "bootstrap", "killWithPending", "victim", "enough")
	if rejected {
		t.Fatal(capdata.Format(v))
	}
	got := capdata.Format(v)
	want := `["rejected: vat terminated","rejected: vat terminated","done rejected: enough"]`
	if got != want {
		t.Fatalf("killWithPending = %s, want %s", got, want)
	}
	k = reopen(t, k, dir)
	defer k.Close()
	for key := range kvSnapshot(t, dir) {
		if strings.HasPrefix(key, string(id)+".") {
			t.Errorf("key %s of the dead vat is left", key)
		}
	}
	if _, err := k.FindVat("victim"); err == nil {
		t.Fatal("the victim came back after a restart")
	}
	if got := callString(t, k, "bootstrap", "bump", "victim"); got != "rejected: vat terminated" {
		t.Fatalf("bump after restart: %s", got)
	}
	if got := callString(t, k, "bootstrap", "bump", "bystander"); got != "fulfilled: 2" {
		t.Fatalf("bystander: %s", got)
	}
	if bad := kernel.AuditRefCounts(k.State()); len(bad) > 0 {
		t.Fatalf("reference counts: %+v", bad)
	}
}

func TestMeteredVatIsTerminatedOnUnderflow(t *testing.T) {
	var reasons []string
	k, _ := dynKernel(t, cooper.Options{Observer: func(e kernel.Event) {
		if e.Type == kernel.EventTerminateVat {
			reasons = append(reasons, e.Reason)
		}
	}})
	defer k.Close()
	callNumber(t, k, "bootstrap", "metered", "m", 300000.0, 100000.0)
	if got := callString(t, k, "bootstrap", "meterNews", "m"); got != "no news" {
		t.Fatalf("meter news before any work: %s", got)
	}
	callString(t, k, "bootstrap", "work", "m", 250000.0)
	if got := callString(t, k, "bootstrap", "meterNews", "m"); !strings.HasPrefix(got, "below threshold: ") {
		t.Fatalf("meter news after crossing the threshold: %s", got)
	}
	var last string
	for i := 0; i < 50 && last != "rejected: vat terminated"; i++ {
		last = callString(t, k, "bootstrap", "work", "m", 10000.0)
	}
	if last != "rejected: vat terminated" {
		t.Fatalf("the metered vat never ran out: %s", last)
	}
	if len(reasons) != 1 || !strings.Contains(reasons[0], "meter underflow") {
		t.Fatalf("termination reasons %q", reasons)
	}
	if got := callString(t, k, "bootstrap", "done", "m"); got != "done rejected: meter underflow, vat terminated" {
		t.Fatalf("done() = %s", got)
	}
}

func TestCriticalVatFailureStopsKernel(t *testing.T) {
	k, _ := dynKernel(t, cooper.Options{})
	defer k.Close()
	callNumber(t, k, "bootstrap", "critical", "vital")
	id, _ := k.FindVat("vital")
	if _, err := k.QueueToVatRoot("bootstrap", "killWithPending", []capdata.Value{"vital", "oops"}); err != nil {
		t.Fatal(err)
	}
	_, err := k.Run(kernel.UntilEmpty())
	if err == nil || !strings.Contains(err.Error(), string(id)) || !strings.Contains(err.Error(), "vital") {
		t.Fatalf("Run after a critical vat failed = %v, want an error naming %s (vital)", err, id)
	}
	if err := k.Commit(); err == nil {
		t.Fatal("a stopped kernel committed")
	}
}

func TestCreateVatErrorsLeaveNothing(t *testing.T) {
	k, _ := dynKernel(t, cooper.Options{})
	defer k.Close()
	before := k.Store().KeysWithPrefix("")
	for _, tc := range []struct {
		bundle  string
		options capdata.Value
		want    string
	}{
		{"importer", capdata.NewRecord("name", "imp"), `rejected: Vat Creation Error: `},
		{"importer", capdata.NewRecord("name", "imp"), `cannot import "child_process"`},
		{"nonesuch", capdata.NewRecord(), `rejected: Vat Creation Error: `},
		{"counter", capdata.NewRecord("colour", "red"), `unknown options "colour"`},
		{"counter", capdata.NewRecord("name", "white space"), `CreateVatOptions: bad vat name "white space"`},
		{"counter", capdata.NewRecord("name", strings.Repeat("n", 200)), `CreateVatOptions: oversized vat name "nnn`},
		{"counter", capdata.NewRecord("critical", true), `invalid criticalVatKey`},
		{"counter", capdata.NewRecord("bogus", 1.0, "other", 2.0), `CreateVatOptions: unknown options "bogus,other"`},
	} {
		got := callString(t, k, "bootstrap", "tryCreate", tc.bundle, tc.options)
		if !strings.Contains(got, tc.want) || !strings.HasPrefix(got, "rejected: ") {
			t.Errorf("createVatByName(%s, %s) = %s, want %q", tc.bundle, capdata.Format(tc.options), got, tc.want)
		}
	}
	after := k.Store().KeysWithPrefix("")
	// Only kernel bookkeeping may differ: no vat keys, no new dynamic vat.
	for _, key := range after {
		if !slices.Contains(before, key) && strings.HasPrefix(key, "v") && !strings.HasPrefix(key, "v1.") && !strings.HasPrefix(key, "v2.") {
			t.Errorf("failed creation left %s", key)
		}
	}
	if ids, _ := k.Store().Get("vat.dynamicIDs"); ids != "[]" {
		t.Errorf("vat.dynamicIDs = %s", ids)
	}
	callNumber(t, k, "bootstrap", "byCap", "fine")
	// Upgrading the vat to the same bundle makes its second incarnation.
	if got := callString(t, k, "bootstrap", "upgrade", "fine"); got != `fulfilled: {"incarnationNumber":1}` {
		t.Errorf("upgrade = %s", got)
	}
}
