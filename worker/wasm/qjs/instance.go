package qjs

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync/atomic"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"

	"github.com/cooper-kernel/cooper/worker/wasm/instrument"
)

// Value is a QuickJS JSValue (NaN-boxed, 64 bits) held by Go. It points
// into the instance's memory, so it survives a snapshot and restore.
type Value uint64

// QuickJS tags (quickjs.h, NaN-boxing build).
const (
	tagInt       = 0
	tagUndefined = 3
	tagException = 6
	tagFloat64   = 8
	tagFirst     = -9
)

// Undefined is the JS undefined value.
const Undefined = Value(uint64(tagUndefined) << 32)

func (v Value) tag() int32 { return int32(uint64(v) >> 32) }

// float64TagAddend is JS_FLOAT64_TAG_ADDEND: doubles are stored offset by it.
const float64TagAddend = 0x7ff80000 + 9 + 1

// int returns v as an int if it is a number with an int value, else -1.
func (v Value) int() int {
	if v.tag() == tagInt {
		return int(int32(v))
	}
	if t := v.tag(); t >= tagFloat64 || t < tagFirst {
		f := math.Float64frombits(uint64(v) + float64TagAddend<<32)
		if f == math.Trunc(f) && f >= math.MinInt32 && f <= math.MaxInt32 {
			return int(f)
		}
	}
	return -1
}

// Handler answers the calls JS makes to Go through the host function. A
// *Throw error becomes a TypeError thrown in JS; any other error ends the
// current call from Go with that error and kills the instance.
type Handler func(op int, payload string) (string, error)

// Throw is a Handler error that JS sees as a TypeError with Message.
type Throw struct{ Message string }

// Error returns the thrown message.
func (t *Throw) Error() string { return t.Message }

// unwind carries a fatal error from a host function through the wasm
// frames above it.
type unwind struct{ err error }

func (u *unwind) Error() string { return u.err.Error() }

// Options configure a new instance.
type Options struct {
	// MemoryLimit caps the linear memory in bytes (DefaultMemoryLimit if 0).
	MemoryLimit uint64
	// Handler answers JS's host calls (none are allowed if nil).
	Handler Handler
}

// state is an instance's Go-side state: plain data, saved in snapshots.
type state struct {
	RT, Ctx uint32 // JSRuntime*, JSContext*
	Scratch uint32 // maxNesting × scratchSlot bytes of scratch memory
	Host    Value  // the host function object
	Root    Value  // a value Go keeps (SetRoot), saved in snapshots
}

const scratchSlot = 32

// fnID names one of the exported functions the engine calls.
type fnID int

const (
	fnMalloc fnID = iota
	fnFree
	fnNewStringLen
	fnToCStringLen2
	fnFreeCString
	fnFreeValue
	fnDupValue
	fnCall
	fnEval
	fnGetException
	fnExecutePendingJob
	fnNewRuntime
	fnNewContext
	fnNewCFunction2
	fnInitialize
	fnRunGC
	fnIsPromise
	fnPromiseState
	fnPromiseResult
	fnSetInterruptHandler
	fnIsProxy
	fnFreezeObject
	fnGetPrototype
	fnGetOwnPropertyNames
	fnGetOwnProperty
	fnFreePropertyEnum
	fnNewArrayFrom
	fnAtomToValue
	fnIsExtensible
	numFns
)

var fnNames = [numFns]string{
	"malloc", "free", "JS_NewStringLen", "JS_ToCStringLen2", "JS_FreeCString",
	"JS_FreeValue", "JS_DupValue", "JS_Call", "JS_Eval", "JS_GetException",
	"JS_ExecutePendingJob", "JS_NewRuntime", "JS_NewContext", "JS_NewCFunction2",
	"_initialize", "JS_RunGC", "JS_IsPromise", "JS_PromiseState", "JS_PromiseResult",
	"JS_SetInterruptHandler", "JS_IsProxy", "JS_FreezeObject", "JS_GetPrototype",
	"JS_GetOwnPropertyNames", "JS_GetOwnProperty", "JS_FreePropertyEnum", "JS_NewArrayFrom",
	"JS_AtomToValue", "JS_IsExtensible",
}

type instanceKey struct{}

// Instance is one QuickJS runtime and context in its own wasm instance.
// It is used from one goroutine.
type Instance struct {
	e       *Engine
	mod     api.Module
	ctx     context.Context
	fuel    api.MutableGlobal
	trap    api.Global
	globals []api.MutableGlobal
	mem     *limitedMemory
	handler Handler
	st      state

	fns    [numFns][maxNesting]api.Function
	stacks [maxNesting][8]uint64
	level  int

	dead        error
	memExceeded bool
	// running is set while a call from Go runs; interrupted once
	// Interrupt was called (both read from other goroutines).
	running     atomic.Bool
	interrupted atomic.Bool
}

// New makes a fresh instance: the module's initialization, a QuickJS
// runtime and context, and the host function (see [Instance.HostFunction]).
func (e *Engine) New(opts Options) (*Instance, error) {
	in, err := e.instantiate(opts)
	if err != nil {
		return nil, err
	}
	in.SetFuel(math.MaxInt64 / 2)
	if err := in.boot(); err != nil {
		in.Close()
		return nil, fmt.Errorf("qjs: start: %w", err)
	}
	return in, nil
}

func (e *Engine) instantiate(opts Options) (*Instance, error) {
	limit := opts.MemoryLimit
	if limit == 0 {
		limit = DefaultMemoryLimit
	}
	in := &Instance{e: e, handler: opts.Handler}
	in.mem = &limitedMemory{limit: limit, refused: in.refuseMemory}
	in.ctx = context.WithValue(context.Background(), instanceKey{}, in)
	ictx := experimental.WithMemoryAllocator(in.ctx, in.mem)
	mod, err := e.rt.InstantiateModule(ictx, e.compiled, wazero.NewModuleConfig().WithName("").WithStartFunctions())
	if err != nil {
		if in.memExceeded {
			return nil, ErrMemoryExceeded
		}
		return nil, fmt.Errorf("qjs: instantiate: %w", err)
	}
	in.mod = mod
	fuel, ok := mod.ExportedGlobal(instrument.ExportFuel).(api.MutableGlobal)
	if !ok {
		mod.Close(in.ctx)
		return nil, errors.New("qjs: the module exports no fuel global")
	}
	in.fuel = fuel
	in.trap = mod.ExportedGlobal(instrument.ExportTrap)
	for _, name := range e.info.Globals {
		g, ok := mod.ExportedGlobal(name).(api.MutableGlobal)
		if !ok {
			mod.Close(in.ctx)
			return nil, fmt.Errorf("qjs: the module exports no mutable global %s", name)
		}
		in.globals = append(in.globals, g)
	}
	return in, nil
}

func (in *Instance) boot() error {
	if _, err := in.invoke(fnInitialize); err != nil {
		return err
	}
	rt, err := in.invoke(fnNewRuntime)
	if err != nil || rt == 0 {
		return fmt.Errorf("JS_NewRuntime: %w", err)
	}
	in.st.RT = uint32(rt)
	if _, err := in.invoke(fnSetInterruptHandler, rt, uint64(in.e.info.HostTableIndexes[1]), 0); err != nil {
		return fmt.Errorf("JS_SetInterruptHandler: %w", err)
	}
	ctx, err := in.invoke(fnNewContext, rt)
	if err != nil || ctx == 0 {
		return fmt.Errorf("JS_NewContext: %w", err)
	}
	in.st.Ctx = uint32(ctx)
	scratch, err := in.invoke(fnMalloc, maxNesting*scratchSlot)
	if err != nil || scratch == 0 {
		return fmt.Errorf("malloc: %w", err)
	}
	in.st.Scratch = uint32(scratch)
	name, err := in.cstring("host")
	if err != nil {
		return err
	}
	// JS_NewCFunction2(ctx, func, name, length, JS_CFUNC_generic, magic)
	f, err := in.invoke(fnNewCFunction2, ctx, uint64(in.e.info.HostTableIndex), uint64(name), 2, 0, 0)
	if err != nil {
		return err
	}
	in.st.Host = Value(f)
	return nil
}

// HostFunction is the JS function that calls the instance's Handler:
// host(op, payload) returns "r" + the handler's answer, or "e" + the
// message of a *Throw. Pass it to JS with [Instance.CallValue] and keep it
// away from vat code.
func (in *Instance) HostFunction() Value { return in.st.Host }

// SetRoot makes v (owned by the instance from now on) the value Go keeps
// across snapshots: [Instance.Root] returns it, also after a restore.
func (in *Instance) SetRoot(v Value) error {
	if in.st.Root != 0 {
		if err := in.FreeValue(in.st.Root); err != nil {
			return err
		}
	}
	in.st.Root = v
	return nil
}

// Root returns the value set by SetRoot (0 if none).
func (in *Instance) Root() Value { return in.st.Root }

// Engine returns the engine that made the instance.
func (in *Instance) Engine() *Engine { return in.e }

// Close frees the instance.
func (in *Instance) Close() {
	if in.mod != nil {
		in.mod.Close(in.ctx)
		in.mod = nil
	}
	if in.dead == nil {
		in.dead = ErrDead
	}
}

// Err reports why the instance is dead, or nil.
func (in *Instance) Err() error { return in.dead }

// SetFuel sets the fuel left.
func (in *Instance) SetFuel(f int64) { in.fuel.Set(uint64(f)) }

// Fuel returns the fuel left (negative after the fuel ran out).
func (in *Instance) Fuel() int64 { return int64(in.fuel.Get()) }

// MemorySize is the current size of the linear memory in bytes.
func (in *Instance) MemorySize() uint32 { return in.mod.Memory().Size() }

func (in *Instance) trapReason() int32 { return int32(in.trap.Get()) }

// refuseMemory runs inside memory.grow when the limit is hit: the growth
// fails, and the rewritten module traps right after it.
func (in *Instance) refuseMemory() { in.memExceeded = true }

func (in *Instance) kill(err error) error {
	if in.dead == nil {
		in.dead = err
	}
	return err
}

// invoke calls an exported function at the current nesting level.
func (in *Instance) invoke(id fnID, args ...uint64) (uint64, error) {
	if in.dead != nil {
		return 0, in.dead
	}
	lvl := in.level
	if lvl >= maxNesting {
		return 0, in.kill(ErrStackOverflow)
	}
	f := in.fns[id][lvl]
	if f == nil {
		f = in.mod.ExportedFunction(fnNames[id])
		if f == nil {
			return 0, in.kill(fmt.Errorf("qjs: the module does not export %s", fnNames[id]))
		}
		in.fns[id][lvl] = f
	}
	if in.interrupted.Load() {
		return 0, in.kill(ErrInterrupted)
	}
	stack := in.stacks[lvl][:]
	copy(stack, args)
	in.level++
	if lvl == 0 {
		in.running.Store(true)
	}
	err := f.CallWithStack(in.ctx, stack)
	if lvl == 0 {
		in.running.Store(false)
	}
	in.level--
	if err != nil {
		return 0, in.kill(in.classify(err))
	}
	if lvl == 0 && in.Fuel() < 0 {
		// Regions charged after the last check ran over the budget.
		if in.interrupted.Load() {
			return 0, in.kill(ErrInterrupted)
		}
		return 0, in.kill(ErrComputeExceeded)
	}
	return stack[0], nil
}

// scratch returns the scratch slot of the current nesting level.
func (in *Instance) scratch() uint32 { return in.st.Scratch + uint32(in.level)*scratchSlot }

// cstring copies s into a new NUL-terminated buffer in the instance.
func (in *Instance) cstring(s string) (uint32, error) {
	p, err := in.invoke(fnMalloc, uint64(len(s)+1))
	if err != nil {
		return 0, err
	}
	if p == 0 {
		return 0, in.kill(ErrMemoryExceeded)
	}
	buf, ok := in.mod.Memory().Read(uint32(p), uint32(len(s)+1))
	if !ok {
		return 0, in.kill(&TrapError{Msg: "qjs: malloc returned memory out of bounds"})
	}
	copy(buf, s)
	buf[len(s)] = 0
	return uint32(p), nil
}

func (in *Instance) free(p uint32) error {
	_, err := in.invoke(fnFree, uint64(p))
	return err
}

// NewString makes a JS string (owned by the caller).
func (in *Instance) NewString(s string) (Value, error) {
	p, err := in.cstring(s)
	if err != nil {
		return 0, err
	}
	v, err := in.invoke(fnNewStringLen, uint64(in.st.Ctx), uint64(p), uint64(len(s)))
	if err != nil {
		return 0, err
	}
	if err := in.free(p); err != nil {
		return 0, err
	}
	if Value(v).tag() == tagException {
		return 0, in.exception()
	}
	return Value(v), nil
}

// String converts v to a Go string (String(v) in JS).
func (in *Instance) String(v Value) (string, error) {
	lenp := in.scratch() + 16
	p, err := in.invoke(fnToCStringLen2, uint64(in.st.Ctx), uint64(lenp), uint64(v), 0)
	if err != nil {
		return "", err
	}
	if p == 0 {
		return "", in.exception()
	}
	mem := in.mod.Memory()
	n, _ := mem.ReadUint32Le(lenp)
	b, ok := mem.Read(uint32(p), n)
	if !ok {
		return "", in.kill(&TrapError{Msg: "qjs: string out of bounds"})
	}
	s := string(b)
	_, err = in.invoke(fnFreeCString, uint64(in.st.Ctx), p)
	return s, err
}

// FreeValue releases a value Go holds.
func (in *Instance) FreeValue(v Value) error {
	_, err := in.invoke(fnFreeValue, uint64(in.st.Ctx), uint64(v))
	return err
}

// exception takes the pending exception and returns it as a *JSError.
func (in *Instance) exception() error {
	ex, err := in.invoke(fnGetException, uint64(in.st.Ctx))
	if err != nil {
		return err
	}
	msg, err := in.String(Value(ex))
	if err != nil {
		var js *JSError
		if !errors.As(err, &js) {
			return err
		}
		msg = "exception (its description threw " + js.Message + ")"
	}
	if err := in.FreeValue(Value(ex)); err != nil {
		return err
	}
	return &JSError{Message: msg}
}

// Eval runs a script and returns its completion value (owned by the caller).
func (in *Instance) Eval(src, filename string) (Value, error) {
	code, err := in.cstring(src)
	if err != nil {
		return 0, err
	}
	name, err := in.cstring(filename)
	if err != nil {
		return 0, err
	}
	v, err := in.invoke(fnEval, uint64(in.st.Ctx), uint64(code), uint64(len(src)), uint64(name), 0)
	if err != nil {
		return 0, err
	}
	if err := in.free(code); err != nil {
		return 0, err
	}
	if err := in.free(name); err != nil {
		return 0, err
	}
	if Value(v).tag() == tagException {
		return 0, in.exception()
	}
	return Value(v), nil
}

// EvalString runs a script and returns String(completion value).
func (in *Instance) EvalString(src string) (string, error) {
	v, err := in.Eval(src, "eval.js")
	if err != nil {
		return "", err
	}
	s, err := in.String(v)
	if err != nil {
		return "", err
	}
	return s, in.FreeValue(v)
}

// CallValue calls f(args...) with this undefined; the result is owned by
// the caller. Arguments stay owned by the caller.
func (in *Instance) CallValue(f Value, args ...Value) (Value, error) {
	if len(args) > (scratchSlot-16)/8 {
		return 0, fmt.Errorf("qjs: at most %d arguments", (scratchSlot-16)/8)
	}
	argv := in.scratch()
	mem := in.mod.Memory()
	for i, a := range args {
		mem.WriteUint64Le(argv+uint32(8*i), uint64(a))
	}
	v, err := in.invoke(fnCall, uint64(in.st.Ctx), uint64(f), uint64(Undefined), uint64(len(args)), uint64(argv))
	if err != nil {
		return 0, err
	}
	if Value(v).tag() == tagException {
		return 0, in.exception()
	}
	return Value(v), nil
}

// Call calls f(arg) and returns String(result).
func (in *Instance) Call(f Value, arg string) (string, error) { return in.CallString(f, arg) }

// CallString calls f(arg, extra...) and returns String(result).
func (in *Instance) CallString(f Value, arg string, extra ...Value) (string, error) {
	s, err := in.NewString(arg)
	if err != nil {
		return "", err
	}
	r, callErr := in.CallValue(f, append([]Value{s}, extra...)...)
	if err := in.FreeValue(s); err != nil {
		return "", err
	}
	if callErr != nil {
		return "", callErr
	}
	out, err := in.String(r)
	if err != nil {
		return "", err
	}
	return out, in.FreeValue(r)
}

// RunJobs runs the job queue (promise reactions) until it is empty. A job
// that throws (which promise jobs never do) is reported as a *JSError
// after the queue is drained.
func (in *Instance) RunJobs() error {
	var first error
	for {
		pctx := in.scratch() + 24
		r, err := in.invoke(fnExecutePendingJob, uint64(in.st.RT), uint64(pctx))
		if err != nil {
			return err
		}
		switch int32(r) {
		case 0:
			return first
		case -1:
			if err := in.exception(); first == nil {
				first = err
			}
		}
	}
}

// RunGC runs QuickJS's garbage collector.
func (in *Instance) RunGC() error {
	_, err := in.invoke(fnRunGC, uint64(in.st.RT))
	return err
}

// hostCall is the Go side of the host import: JSValue host(ctx, this, argc, argv).
func hostCall(ctx context.Context, m api.Module, stack []uint64) {
	in, _ := ctx.Value(instanceKey{}).(*Instance)
	if in == nil {
		panic(errors.New("qjs: host call outside an instance"))
	}
	argc, argv := uint32(stack[2]), uint32(stack[3])
	mem := m.Memory()
	var op int
	var payload string
	if argc >= 1 {
		v, _ := mem.ReadUint64Le(argv)
		op = Value(v).int()
	}
	if op < 0 {
		var v uint64
		if argc >= 2 {
			v, _ = mem.ReadUint64Le(argv + 8)
		}
		r, err := in.intrinsic(op, Value(v))
		if err != nil {
			panic(&unwind{err})
		}
		stack[0] = uint64(r)
		return
	}
	if argc >= 2 {
		v, _ := mem.ReadUint64Le(argv + 8)
		s, err := in.String(Value(v))
		if err != nil {
			panic(&unwind{err})
		}
		payload = s
	}
	reply, err := in.handle(op, payload)
	if err == nil && in.dead != nil {
		err = in.dead // the handler aborted the instance
	}
	if err == nil && in.interrupted.Load() {
		err = ErrInterrupted
	}
	if err != nil {
		var t *Throw
		if !errors.As(err, &t) {
			panic(&unwind{err})
		}
		reply = "e" + t.Message
	} else {
		reply = "r" + reply
	}
	v, err := in.NewString(reply)
	if err != nil {
		panic(&unwind{err})
	}
	stack[0] = uint64(v)
}

func (in *Instance) handle(op int, payload string) (reply string, err error) {
	if in.handler == nil {
		return "", &Throw{Message: "no host"}
	}
	defer func() {
		if r := recover(); r != nil {
			if u, ok := r.(*unwind); ok {
				err = u.err
				return
			}
			err = fmt.Errorf("host handler panic: %v", r)
		}
	}()
	return in.handler(op, payload)
}

// Intrinsic host operations: JS calls host(op, value) with one of these
// negative op numbers and gets a JS value back instead of a string. The
// Handler never sees them.
const (
	// OpIsPromise: host(OpIsPromise, v) is true if v is a native promise.
	OpIsPromise = -1
	// OpPromiseState: host(OpPromiseState, p) is 0 pending, 1 fulfilled,
	// 2 rejected, -1 not a promise.
	OpPromiseState = -2
	// OpPromiseResult: host(OpPromiseResult, p) is the value or reason of a
	// settled promise, undefined otherwise.
	OpPromiseResult = -3
	// OpFreezeOwn: host(OpFreezeOwn, v) freezes v as Object.freeze(v)
	// does and returns a new array of the objects harden() goes on to:
	// v's prototype, if not null, then for each own property in key order
	// its value, or its getter and its setter, those that are objects. It
	// calls no getter. For a proxy (whose traps must run as the JS code
	// runs them) or a primitive it does nothing and returns undefined.
	OpFreezeOwn = -4
	// OpRecordData: host(OpRecordData, v) is a new array [key, value, ...]
	// of v's own properties in key order if v is not a proxy, is frozen
	// and has only string-keyed, enumerable data properties; otherwise
	// undefined.
	OpRecordData = -5
	// OpArrayData: host(OpArrayData, v), for v an array, is a new array of
	// its elements if v is not a proxy, is frozen and has no hole and no
	// property but its indexes and length; otherwise undefined.
	OpArrayData = -6
)

const tagBool = 1

func (in *Instance) intrinsic(op int, v Value) (Value, error) {
	switch op {
	case OpIsPromise:
		r, err := in.invoke(fnIsPromise, uint64(v))
		return Value(uint64(tagBool)<<32 | r&1), err
	case OpPromiseState:
		r, err := in.invoke(fnPromiseState, uint64(in.st.Ctx), uint64(v))
		if int32(r) < 0 || int32(r) > 2 {
			r = uint64(uint32(0xffffffff))
		}
		return Value(uint64(uint32(r))), err
	case OpPromiseResult:
		r, err := in.invoke(fnPromiseResult, uint64(in.st.Ctx), uint64(v))
		return Value(r), err
	case OpFreezeOwn:
		return in.freezeOwn(v)
	case OpRecordData:
		return in.ownData(v, false)
	case OpArrayData:
		return in.ownData(v, true)
	}
	return Undefined, nil
}

// ErrInterrupted ends a call the host interrupted.
var ErrInterrupted = errors.New("qjs: interrupted by the host")

// interruptFuel is what Interrupt sets the fuel to: the next check traps,
// and charges on the way there cannot wrap it around to positive.
const interruptFuel = uint64(math.MaxUint64 - 1<<62 + 1) // -2^62

// Interrupt stops the running call, if any, from any goroutine: the call
// ends with ErrInterrupted at its next host call or QuickJS interrupt
// poll (every 10,000 bytecodes, and during regex matching), and the
// instance is dead. It does not wait. It also sets the fuel, which stops
// code that polls neither, once wazero next reloads the global.
func (in *Instance) Interrupt() {
	if in.interrupted.Swap(true) {
		return
	}
	in.fuel.Set(interruptFuel)
}

// interruptCall is the Go side of QuickJS's interrupt handler.
func interruptCall(ctx context.Context, _ api.Module, stack []uint64) {
	in, _ := ctx.Value(instanceKey{}).(*Instance)
	if in != nil && in.interrupted.Load() {
		panic(&unwind{ErrInterrupted})
	}
	stack[0] = 0
}

// Abort kills the instance with err. Called from a Handler, it ends the
// running call as soon as the handler returns.
func (in *Instance) Abort(err error) { in.kill(err) }
