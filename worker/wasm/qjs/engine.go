// Package qjs runs QuickJS-NG (the WASI reactor build of
// github.com/aperturerobotics/go-quickjs-wasi-reactor) in WebAssembly
// instances under wazero's compiler engine, one instance per vat.
//
// The embedded module is rewritten once per process by package
// [instrument] (fuel metering, a relocated and bounded shadow stack, a
// call-depth meter, a host-call import) and compiled once; every
// [Instance] then has its own linear memory, capped by a per-instance
// allocator, and a WASI layer that gives it nothing from the host.
//
// Go talks to JavaScript with strings only: [Instance.Call] calls a JS
// function with one string and gets a string back, and JS calls the Go
// handler of the instance through one host function, with an operation
// number and a string. An instance's whole state is its linear memory and
// its mutable globals: [Instance.Snapshot] copies them and
// [Engine.Restore] makes a fresh instance from the copy, without running
// any initialization code.
//
// Every call ends deterministically: when the fuel runs out
// ([ErrComputeExceeded]), when memory would grow past the limit
// ([ErrMemoryExceeded]), when the stack or call depth overflows
// ([ErrStackOverflow]), or on any other trap ([*TrapError]). Any of these
// leaves the instance dead.
package qjs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"

	quickjswasi "github.com/aperturerobotics/go-quickjs-wasi-reactor"
	"github.com/tetratelabs/wabin/wasm"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/cooper-kernel/cooper/worker/wasm/instrument"
)

// Errors that end a call and kill the instance. Their text is what a vat's
// failed delivery reports (SwingSet's words), so they have no package prefix.
var (
	ErrComputeExceeded = errors.New("Compute meter exceeded")
	ErrMemoryExceeded  = errors.New("memory limit exceeded")
	ErrStackOverflow   = errors.New("stack overflow")
)

// ErrDead is returned by calls on an instance that an earlier error killed.
var ErrDead = errors.New("qjs: instance is dead")

// TrapError is a trap other than fuel, memory or stack: the module hit
// unreachable code, an out-of-bounds access, a division by zero…
type TrapError struct {
	Msg string // the trap, e.g. "wasm error: out of bounds memory access"
}

// Error returns the trap message.
func (e *TrapError) Error() string { return e.Msg }

// JSError is an exception thrown by JavaScript out of an eval or a call.
type JSError struct {
	Message string // String(exception), e.g. "TypeError: x is not a function"
}

// Error returns the JS error message.
func (e *JSError) Error() string { return e.Message }

// Layout and limits of the rewritten module.
const (
	// StackSize is the shadow stack of an instance.
	StackSize = 1 << 20
	// DepthBudget is the call-depth meter's budget (see instrument.Options).
	// Measured: wazero's native stack holds at most ~7.2 bytes per unit of
	// the meter (recursion through JSON.parse, String, Array.prototype.map
	// and plain JS calls; see docs/wasm-worker.md), so the meter trips at
	// about 30 MB of native stack, well before wazero's own limit (~84 MB),
	// whose depth would differ between amd64 and arm64.
	DepthBudget = 1 << 22
	// DefaultMemoryLimit caps an instance's linear memory unless told otherwise.
	DefaultMemoryLimit = 256 << 20
	// maxNesting bounds Go→JS calls nested inside JS→Go calls.
	maxNesting = 32
)

// hostImport is the function JS calls to reach Go: a QuickJS C function,
// JSValue f(JSContext *ctx, JSValue this, int argc, JSValue *argv).
var hostImport = &instrument.HostImport{
	Module:  "cooper",
	Name:    "host",
	Params:  []wasm.ValueType{wasm.ValueTypeI32, wasm.ValueTypeI64, wasm.ValueTypeI32, wasm.ValueTypeI32},
	Results: []wasm.ValueType{wasm.ValueTypeI64},
}

// interruptImport is QuickJS's interrupt handler, int f(JSRuntime *rt,
// void *opaque): the interpreter calls it every 10,000 bytecodes and the
// regex engine during long matches; it is how [Instance.Interrupt] reaches
// running code (wazero keeps mutable globals such as the fuel in
// registers between calls, so a write from another goroutine is not seen).
var interruptImport = &instrument.HostImport{
	Module:  "cooper",
	Name:    "interrupt",
	Params:  []wasm.ValueType{wasm.ValueTypeI32, wasm.ValueTypeI32},
	Results: []wasm.ValueType{wasm.ValueTypeI32},
}

// Config configures an [Engine].
type Config struct {
	// CacheDir, if set, is a wazero compilation cache directory, which also
	// keeps the rewritten module; it only speeds up starting an engine in a
	// later process and is never required.
	CacheDir string
	// noFuel builds the module without fuel metering, for benchmarks.
	noFuel bool
	// depthBudget and stackSize override DepthBudget and StackSize in tests.
	depthBudget int32
	stackSize   uint32
}

// Engine holds the compiled module; it makes instances. It is safe for
// concurrent use; each instance is not.
type Engine struct {
	rt       wazero.Runtime
	compiled wazero.CompiledModule
	info     *instrument.Result
	srcHash  string
}

// initialExtent is how many bytes of a new instance's memory of size
// bytes instantiation may have made non-zero (the data segments), rounded
// up to a 4 KiB page.
func (e *Engine) initialExtent(size int) int {
	end := (int(e.info.DataEnd) + osPage - 1) / osPage * osPage
	return min(end, size)
}

// NewEngine rewrites and compiles the embedded QuickJS module.
func NewEngine(ctx context.Context, cfg Config) (*Engine, error) {
	depth, stack := int32(DepthBudget), uint32(StackSize)
	if cfg.depthBudget != 0 {
		depth = cfg.depthBudget
	}
	if cfg.stackSize != 0 {
		stack = cfg.stackSize
	}
	info, err := rewrite(quickjswasi.QuickJSWASM, instrument.Options{
		StackPointer: 0,
		StackSize:    stack,
		DepthBudget:  depth,
		Host:         hostImport,
		MoreHosts:    []*instrument.HostImport{interruptImport},
		NoFuel:       cfg.noFuel,
	}, cfg.CacheDir)
	if err != nil {
		return nil, fmt.Errorf("qjs: rewrite: %w", err)
	}
	rc := wazero.NewRuntimeConfigCompiler().WithCloseOnContextDone(false)
	if cfg.CacheDir != "" {
		if cache, err := wazero.NewCompilationCacheWithDir(cfg.CacheDir); err == nil {
			rc = rc.WithCompilationCache(cache)
		}
	}
	rt := wazero.NewRuntimeWithConfig(ctx, rc)
	compiled, err := rt.CompileModule(ctx, info.Wasm)
	if err != nil {
		rt.Close(ctx)
		return nil, fmt.Errorf("qjs: compile: %w", err)
	}
	if err := instantiateWASI(ctx, rt, compiled.ImportedFunctions()); err != nil {
		rt.Close(ctx)
		return nil, fmt.Errorf("qjs: wasi: %w", err)
	}
	_, err = rt.NewHostModuleBuilder(hostImport.Module).
		NewFunctionBuilder().
		WithGoModuleFunction(api.GoModuleFunc(hostCall), hostImport.Params, hostImport.Results).
		Export(hostImport.Name).
		NewFunctionBuilder().
		WithGoModuleFunction(api.GoModuleFunc(interruptCall), interruptImport.Params, interruptImport.Results).
		Export(interruptImport.Name).
		Instantiate(ctx)
	if err != nil {
		rt.Close(ctx)
		return nil, fmt.Errorf("qjs: host module: %w", err)
	}
	sum := sha256.Sum256(quickjswasi.QuickJSWASM)
	return &Engine{rt: rt, compiled: compiled, info: info, srcHash: hex.EncodeToString(sum[:])}, nil
}

var (
	sharedOnce   sync.Mutex
	sharedEngine *Engine
)

// Shared returns the process's engine, compiling it on first use.
func Shared() (*Engine, error) {
	sharedOnce.Lock()
	defer sharedOnce.Unlock()
	if sharedEngine != nil {
		return sharedEngine, nil
	}
	e, err := NewEngine(context.Background(), Config{CacheDir: DefaultCacheDir()})
	if err != nil {
		return nil, err
	}
	sharedEngine = e
	return e, nil
}

// CacheEnv names the environment variable that sets the compilation cache
// directory of [Shared]; "off" disables the cache.
const CacheEnv = "COOPER_WASM_CACHE"

// DefaultCacheDir is the compilation cache of [Shared]: $COOPER_WASM_CACHE,
// else cooper/wazero in the user's cache directory, else none. The cache
// only saves the compile (~0.5–2 s) in later processes.
func DefaultCacheDir() string {
	if d := os.Getenv(CacheEnv); d != "" {
		if d == "off" {
			return ""
		}
		return d
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	// wazero names its cache entries by its own version, which it cannot
	// tell when built as a dependency: one directory per wazero version.
	v := ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range bi.Deps {
			if m.Path == "github.com/tetratelabs/wazero" {
				v = m.Version
			}
		}
	}
	if v == "" {
		return ""
	}
	return filepath.Join(d, "cooper", "wazero-"+v)
}

// ModuleHash is the hex SHA-256 of the exact module instances run (after
// rewriting). A snapshot restores only into an engine with the same hash.
func (e *Engine) ModuleHash() string { return e.info.Hash }

// Version names the QuickJS build, the rewrite and the module, for metering versions.
func (e *Engine) Version() string {
	return fmt.Sprintf("quickjs-ng %s, %s, module %s", quickjswasi.Version, instrument.Version, e.info.Hash[:16])
}

// Close frees the compiled module and every instance.
func (e *Engine) Close(ctx context.Context) error { return e.rt.Close(ctx) }

// classify turns a wazero call error into one of the package's errors.
func (in *Instance) classify(err error) error {
	var u *unwind
	if errors.As(err, &u) {
		return u.err
	}
	if in.interrupted.Load() {
		return ErrInterrupted
	}
	if in.memExceeded {
		return ErrMemoryExceeded
	}
	switch in.trapReason() {
	case instrument.TrapFuel:
		return ErrComputeExceeded
	case instrument.TrapStack, instrument.TrapDepth:
		return ErrStackOverflow
	case instrument.TrapGrow:
		return ErrMemoryExceeded
	}
	msg, _, _ := strings.Cut(err.Error(), "\n")
	if strings.HasSuffix(msg, "stack overflow") {
		return ErrStackOverflow
	}
	if errors.Is(err, ErrExit) {
		return &TrapError{Msg: ErrExit.Error()}
	}
	return &TrapError{Msg: msg}
}
