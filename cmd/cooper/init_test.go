package main

import (
	"context"
	"errors"
	"io"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cooper-kernel/cooper"
	"github.com/cooper-kernel/cooper/capdata"
	"github.com/cooper-kernel/cooper/demo"
	"github.com/cooper-kernel/cooper/worker/gonative"
)

// writeFiles writes name → content files into a new temporary directory
// and returns it.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const jsBootstrapConfig = `{"bootstrap": "b", "vats": {"b": {"sourceSpec": "boot.js"}}}`

// TestInitBootstrapFailure: a bootstrap whose result rejects — bootstrap()
// throws, returns a promise that rejects later, or is missing, in JS and Go
// vats — fails cooper init with the reason and leaves no kernel, as
// SwingSet treats it as a kernel panic.
func TestInitBootstrapFailure(t *testing.T) {
	goVats := gonative.Registry{
		"go-failing-bootstrap": func(p *gonative.Powers, _ any, _ *gonative.Baggage) any {
			return gonative.NewFar("root", gonative.Methods{
				"bootstrap": func([]any) (any, error) { return nil, errors.New("cannot wire the vats") },
			})
		},
		"go-late-bootstrap": func(p *gonative.Powers, _ any, _ *gonative.Baggage) any {
			return gonative.NewFar("root", gonative.Methods{
				"bootstrap": func(args []any) (any, error) {
					vatAdmin, _ := args[0].(*capdata.Record).Get("vatAdmin")
					return p.E(vatAdmin).Send("noSuchMethod"), nil
				},
			})
		},
	}
	maps.Copy(goVats, demo.GoVats())
	for _, tc := range []struct {
		name, boot, config, want string
	}{
		{"JS throws", `import { Far } from '@endo/far';
export const buildRootObject = () => Far('root', { bootstrap() { throw Error('no way'); } });`,
			jsBootstrapConfig, "bootstrap failed: Error: no way"},
		{"JS rejects later", `import { Far } from '@endo/far';
export const buildRootObject = () => Far('root', {
  async bootstrap(vats) { await null; await null; throw RangeError('later'); },
});`, jsBootstrapConfig, "bootstrap failed: RangeError: later"},
		{"JS missing", `import { Far } from '@endo/far';
export const buildRootObject = () => Far('root', { hello() { return 1; } });`,
			jsBootstrapConfig, `bootstrap failed: TypeError: target has no method "bootstrap", has ["hello"]`},
		{"Go missing", "", `{"bootstrap": "c", "vats": {"c": {"bundleName": "go-counter"}}}`,
			`bootstrap failed: TypeError: target has no method "bootstrap", has [add, get, increment, label]`},
		{"Go throws", "", `{"bootstrap": "b", "vats": {"b": {"bundleName": "go-failing-bootstrap"}}}`,
			"bootstrap failed: Error: cannot wire the vats"},
		{"Go rejects later", "", `{"bootstrap": "b", "vats": {"b": {"bundleName": "go-late-bootstrap"}}}`,
			`bootstrap failed: TypeError: target has no method "noSuchMethod"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := writeFiles(t, map[string]string{"config.json": tc.config, "boot.js": tc.boot})
			cfg, err := cooper.ReadConfig(filepath.Join(src, "config.json"))
			if err != nil {
				t.Fatal(err)
			}
			base := t.TempDir()
			for _, dir := range []string{filepath.Join(base, "new"), base} {
				err := initKernel(context.Background(), dir, cfg, cooper.Options{GoVats: goVats}, io.Discard, io.Discard)
				if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
					t.Fatalf("init = %v, want one line with %q", err, tc.want)
				}
				if strings.Contains(err.Error(), "goja") || strings.Contains(err.Error(), "*") {
					t.Fatalf("Go type in %q", err)
				}
			}
			if names, _ := filepath.Glob(filepath.Join(base, "*")); len(names) != 0 {
				t.Fatalf("a failed init left %v", names)
			}
		})
	}
}

func TestInitUnresolvedBootstrapWarns(t *testing.T) {
	src := writeFiles(t, map[string]string{"config.json": jsBootstrapConfig, "boot.js": `import { Far } from '@endo/far';
export const buildRootObject = () => Far('root', { bootstrap() { return new Promise(() => {}); } });`})
	dir := filepath.Join(t.TempDir(), "k")
	_, stderr, err := cli(t, "init", dir, filepath.Join(src, "config.json"))
	if err != nil || !strings.Contains(stderr, "warning: the bootstrap result is still unresolved") {
		t.Fatalf("init: %v, stderr %q", err, stderr)
	}
	if _, _, err := cli(t, "run", dir); err != nil {
		t.Fatal(err)
	}
}
