// Package cooper is the front door of the Cooper kernel for Go programs: it
// wires the kernel to its kinds of worker and built-in vats, reads
// SwingSet-style config files, and opens or creates kernels on directories.
//
//	k, err := cooper.Init(dir, "config.json", cooper.Options{})
//	kp, err := k.QueueToVatRoot("bootstrap", "go", nil)
//	_, err = k.Run(kernel.UntilEmpty())
//	err = k.Commit()
//
// Which worker kinds and built-in vats exist is decided here, in one table.
package cooper

import (
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/cooper-kernel/cooper/bundle"
	"github.com/cooper-kernel/cooper/kernel"
	"github.com/cooper-kernel/cooper/store"
	"github.com/cooper-kernel/cooper/vat"
	"github.com/cooper-kernel/cooper/vats/vatadmin"
	"github.com/cooper-kernel/cooper/worker/gonative"
	"github.com/cooper-kernel/cooper/worker/js"
	"github.com/cooper-kernel/cooper/worker/wasm"
)

// Options configure a kernel opened through this package.
type Options struct {
	// GoVats are the application's Go vats, by name, added to the built-in ones.
	GoVats gonative.Registry
	// Store configures SQLite (synchronous=FULL by default).
	Store store.Options
	// Console receives vat console output.
	Console func(vatName, level, line string)
	// Observer receives every kernel event.
	Observer func(kernel.Event)
	// Stopper lets the host interrupt a running kernel (see kernel.Stopper).
	Stopper *kernel.Stopper
	// Progress is told how restart replay advances.
	Progress func(vatID vat.ID, name string, done, total uint64)
	// JSWorker is the engine of JS vats: "goja" or "wasm" (see
	// docs/wasm-worker.md); empty means $COOPER_JS_WORKER, else each vat
	// keeps its engine and new vats get DefaultJSWorker.
	JSWorker string
	// JSMemoryLimit caps the memory of each wasm JS vat in bytes (0:
	// wasm.DefaultMemoryLimit).
	JSMemoryLimit uint64
	// JSMeteringVersion is the metering version of new wasm JS vats (0:
	// wasm.CurrentVersion); a vat keeps the one it was created with.
	JSMeteringVersion int
	// FullReplay makes a restart (and Verify) ignore heap snapshots and
	// replay every transcript from the start of the vat's incarnation.
	FullReplay bool
	// Logger receives the kernel's warnings (a heap snapshot it cannot
	// use); nil means slog.Default().
	Logger *slog.Logger
}

// BuiltinGoVats returns the Go vats every Cooper binary has: vat-admin.
// An application adds its own through Options.GoVats (the demo's are
// demo.GoVats).
func BuiltinGoVats() gonative.Registry {
	return gonative.Registry{vat.AdminGoName: vatadmin.Build}
}

// Maker creates the workers of every kind this binary knows.
type Maker struct {
	GoVats gonative.Registry
	// Programs caches compiled JS bundles, shared by every vat of the process.
	Programs *js.Programs
	// JSWorker is the engine of JS vats: "goja" or "wasm". When empty, a
	// vat keeps the engine it was created with and a new vat gets
	// DefaultJSWorker.
	JSWorker string
	// Wasm starts wasm workers.
	Wasm *wasm.Maker
}

// DefaultJSWorker is the engine of new JS vats when none is chosen: the
// wasm sandbox (goja is faster but no boundary; see docs/design-notes.md).
const DefaultJSWorker = "wasm"

// engineFor names the engine of the JS vat of spec: the one chosen, else
// the one its metering version names, else the default.
func (m *Maker) engineFor(spec vat.Spec) string {
	switch {
	case m.JSWorker != "":
		return m.JSWorker
	case strings.HasPrefix(spec.MeteringVersion, wasm.MeteringPrefix):
		return "wasm"
	case spec.MeteringVersion != "":
		return "goja"
	}
	return DefaultJSWorker
}

// JSWorkerEnv names the environment variable that selects the engine of JS
// vats when the options do not: "goja" or "wasm".
const JSWorkerEnv = "COOPER_JS_WORKER"

// NewMaker returns a Maker with the built-in Go vats plus extra. It sets
// the process's time zone to UTC (js.UseUTC), as JS vats need.
func NewMaker(extra gonative.Registry) *Maker {
	js.UseUTC()
	reg := BuiltinGoVats()
	maps.Copy(reg, extra)
	return &Maker{GoVats: reg, Programs: js.NewPrograms(), JSWorker: os.Getenv(JSWorkerEnv), Wasm: wasm.NewMaker(wasm.Options{})}
}

// NewWorker starts a worker for spec. This is the table of worker kinds: a
// Go vat compiled in runs on gonative, a bundle on the JS engine JSWorker
// names (goja or wasm).
func (m *Maker) NewWorker(spec vat.Spec) (vat.Worker, error) {
	switch {
	case spec.GoName != "":
		ctor, ok := m.GoVats[spec.GoName]
		if !ok {
			return nil, fmt.Errorf("no Go vat named %q in this binary", spec.GoName)
		}
		return gonative.New(spec, ctor), nil
	case spec.Bundle != nil:
		switch engine := m.engineFor(spec); engine {
		case "goja":
		case "wasm":
			w, err := m.Wasm.New(spec)
			if err != nil {
				return nil, err
			}
			return w, nil
		default:
			return nil, fmt.Errorf("unknown JS worker %q (use \"goja\" or \"wasm\")", engine)
		}
		w, err := js.New(spec, m.Programs)
		if err != nil {
			return nil, err
		}
		return w, nil
	}
	return nil, fmt.Errorf("vat %s: no code (neither a bundle nor a Go vat)", spec.ID)
}

// SnapshotBuild returns the build of the heap snapshots a worker for spec
// takes: wasm JS vats take them, other workers do not ("").
func (m *Maker) SnapshotBuild(spec vat.Spec) (string, error) {
	if spec.Bundle == nil || spec.GoName != "" || m.engineFor(spec) != "wasm" {
		return "", nil
	}
	return m.Wasm.Build(spec)
}

// RestoreWorker starts a wasm JS worker from a heap snapshot.
func (m *Maker) RestoreWorker(spec vat.Spec, snapshot []byte) (vat.Worker, error) {
	if spec.Bundle == nil || spec.GoName != "" || m.engineFor(spec) != "wasm" {
		return nil, fmt.Errorf("vat %s: only wasm JS workers restore snapshots", spec.ID)
	}
	w, err := m.Wasm.Restore(spec, snapshot)
	if err != nil {
		return nil, err
	}
	return w, nil
}

// CheckBundle validates a bundle given at run time and returns its ID and
// canonical bytes.
func (m *Maker) CheckBundle(data []byte) (string, []byte, error) {
	b, err := bundle.Parse(data)
	if err != nil {
		return "", nil, err
	}
	canonical := b.Marshal()
	return bundle.ID(canonical), canonical, nil
}

// HasGoVat reports whether a Go vat of that name is compiled in.
func (m *Maker) HasGoVat(name string) bool {
	_, ok := m.GoVats[name]
	return ok
}

// GoVatNames lists the Go vats compiled in, sorted.
func (m *Maker) GoVatNames() []string {
	return slices.Sorted(maps.Keys(m.GoVats))
}

func (o Options) maker() *Maker {
	m := NewMaker(o.GoVats)
	if o.JSWorker != "" {
		m.JSWorker = o.JSWorker
	}
	if o.JSMemoryLimit != 0 || o.JSMeteringVersion != 0 {
		m.Wasm = wasm.NewMaker(wasm.Options{MemoryLimit: o.JSMemoryLimit, Version: o.JSMeteringVersion})
	}
	return m
}

func (o Options) kernelOptions() kernel.Options {
	return kernel.Options{
		Maker:      o.maker(),
		Store:      o.Store,
		Console:    o.Console,
		Observer:   o.Observer,
		Stopper:    o.Stopper,
		Progress:   o.Progress,
		FullReplay: o.FullReplay,
		Logger:     o.Logger,
	}
}

// Init creates a kernel in dir from a config (see [ReadConfig]): every
// sourceSpec is bundled and stored in the kernel database with the rest of
// each vat's definition, every static vat is started and the bootstrap
// message is queued (not run: like SwingSet's initializeSwingset). On
// error, or if the process dies first, nothing is written.
func Init(dir string, cfg *Config, opts Options) (*kernel.Kernel, error) {
	kc, err := cfg.Resolve()
	if err != nil {
		return nil, err
	}
	return kernel.Create(dir, kc, opts.kernelOptions())
}

// Build is [Init] without publishing: the kernel is made in a draft
// database that only [kernel.Draft.Publish] puts in place, so the host can
// first run the bootstrap and refuse the kernel if it fails (as cooper init
// does); a process killed before Publish leaves no kernel.
func Build(dir string, cfg *Config, opts Options) (*kernel.Draft, error) {
	kc, err := cfg.Resolve()
	if err != nil {
		return nil, err
	}
	return kernel.Build(dir, kc, opts.kernelOptions())
}

// Create makes a kernel in dir from an already resolved configuration.
func Create(dir string, cfg *kernel.Config, opts Options) (*kernel.Kernel, error) {
	return kernel.Create(dir, cfg, opts.kernelOptions())
}

// Open restarts the kernel in dir, bringing back every live vat.
func Open(dir string, opts Options) (*kernel.Kernel, error) {
	return kernel.Open(dir, opts.kernelOptions())
}

// Verify replays the transcripts of the kernel in dir in scratch workers
// (every live vat, or those given) and reports, per vat, whether the replay
// matched; it never writes to the database.
func Verify(dir string, opts Options, vats []vat.ID, report func(kernel.VerifyResult)) (bool, error) {
	return kernel.Verify(dir, opts.kernelOptions(), vats, report)
}
