// Package js runs JavaScript vats on goja: one runtime per vat, the vat's
// bundle compiled with metering instrumentation, the SwingSet vat API
// (Far, E, harden, makePromiseKit, passStyleOf, assert…) as built-in modules,
// and the Go liveslots behind a JS face.
//
// Vat code sees no host: no clock (Date.now() is NaN, new Date() is invalid),
// no randomness, no eval or Function constructor, no Go maps, no files or
// network. Computrons are counted per delivery and the delivery stops when
// its budget runs out.
package js

import (
	_ "embed"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/dop251/goja"

	"github.com/cooper-kernel/cooper/bundle"
	"github.com/cooper-kernel/cooper/liveslots"
	"github.com/cooper-kernel/cooper/vat"
	"github.com/cooper-kernel/cooper/worker/js/metering"
	"github.com/cooper-kernel/cooper/worker/jsvat"
)

// UseUTC sets the process's time zone (time.Local) to UTC. goja's
// local-time Date methods read time.Local, a process-wide setting, and a
// vat must not see the host's time zone: [New] refuses to start a vat
// until it has been called. The program that chooses the worker kinds
// (cooper.NewMaker) calls it; the process's own local times are then UTC.
func UseUTC() { time.Local = time.UTC }

// errLocalTime is New's error when UseUTC was not called.
var errLocalTime = errors.New("js: time.Local is not UTC: call js.UseUTC before starting JS vats (goja's Date reads the process's time zone)")

var preludeProgram = sync.OnceValues(func() (*goja.Program, error) {
	return goja.Compile("cooper-prelude.js", jsvat.Prelude, true)
})

var passableProgram = sync.OnceValues(func() (*goja.Program, error) {
	return goja.Compile("cooper-passable.js", jsvat.Passable, true)
})

// MaxCallStackSize bounds JS recursion in a vat.
const MaxCallStackSize = 2000

// Programs compiles bundles once per process and shares the result between
// vats running the same bundle.
type Programs struct {
	mu    sync.Mutex
	cache map[string]*goja.Program
}

// NewPrograms returns an empty program cache.
func NewPrograms() *Programs { return &Programs{cache: map[string]*goja.Program{}} }

// compile returns the instrumented program of a bundle.
func (c *Programs) compile(data []byte) (*goja.Program, *bundle.Bundle, error) {
	b, err := bundle.Parse(data)
	if err != nil {
		return nil, nil, err
	}
	for _, imp := range b.Imports {
		if !jsvat.IsBuiltin(imp) {
			return nil, nil, jsvat.ImportError(imp)
		}
	}
	id := bundle.ID(data)
	c.mu.Lock()
	defer c.mu.Unlock()
	if p, ok := c.cache[id]; ok {
		return p, b, nil
	}
	src := "(function (require, exports, module) {" + b.Source + "\n})"
	p, err := metering.Instrument("bundle.js", src)
	if err != nil {
		return nil, nil, err
	}
	c.cache[id] = p
	return p, b, nil
}

// Worker runs one JS vat.
type Worker struct {
	spec  vat.Spec
	rt    *goja.Runtime
	meter *metering.Meter
	ls    *liveslots.Liveslots
	// abortErr is why vat code was interrupted by liveslots, if it was.
	abortErr error
	// exitSent is set when the vat called exitVat during this delivery.

	module      goja.Value    // the bundle's module.exports, once evaluated
	modFn       goja.Callable // the bundle's module body
	requireFn   goja.Value    // the prelude's require, for the module body
	vatPowers   goja.Value
	makeBag     goja.Callable
	makePres    goja.Callable
	kindOf      goja.Callable
	ifaceOf     goja.Callable
	tagOf       goja.Callable
	makeTagged  goja.Callable
	harden      goja.Callable
	noop        goja.Callable
	watch       goja.Callable
	makeError   goja.Callable
	reanimate   goja.Callable // prelude: the representative of a virtual object's vref
	vatDataHook goja.Callable // prelude: a life-cycle event for the vat-data layer
	promiseCtr  *goja.Object
	snapshot    goja.Callable // passable.js: check and copy a value leaving the vat
	makeRecord  goja.Callable // passable.js: a record of own data properties
}

// New starts a runtime for spec: the prelude runs and the bundle's module
// body is evaluated. buildRootObject itself runs in the startVat delivery.
func New(spec vat.Spec, programs *Programs) (w *Worker, err error) {
	if time.Local != time.UTC {
		return nil, errLocalTime
	}
	prog, _, err := programs.compile(spec.Bundle)
	if err != nil {
		return nil, err
	}
	pre, err := preludeProgram()
	if err != nil {
		return nil, fmt.Errorf("prelude: %w", err)
	}
	rt := goja.New()
	w = &Worker{spec: spec, rt: rt}
	w.meter = metering.NewMeter(rt)
	if err := metering.Install(rt, w.meter, metering.Options{MaxCallStackSize: MaxCallStackSize}); err != nil {
		return nil, fmt.Errorf("metering: %w", err)
	}
	w.ls = liveslots.New(spec.ID, (*face)(w))
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("starting the vat: %v", r)
		}
	}()
	w.meter.Reset(spec.DeliveryLimit)
	fnVal, err := rt.RunProgram(pre)
	if err != nil {
		return nil, fmt.Errorf("prelude: %w", err)
	}
	fn, _ := goja.AssertFunction(fnVal)
	envVal, err := fn(goja.Undefined(), w.bridge())
	if err != nil {
		return nil, fmt.Errorf("prelude: %w", err)
	}
	env := envVal.ToObject(rt)
	fnOf := func(name string) goja.Callable {
		f, ok := goja.AssertFunction(env.Get(name))
		if !ok {
			panic("prelude lacks " + name)
		}
		return f
	}
	w.vatPowers = env.Get("vatPowers")
	w.makeBag = fnOf("makeBaggage")
	w.makePres = fnOf("makePresence")
	w.kindOf = fnOf("kindOf")
	w.ifaceOf = fnOf("ifaceOf")
	w.tagOf = fnOf("tagOf")
	w.makeTagged = fnOf("makeTagged")
	w.harden = fnOf("harden")
	w.noop = fnOf("noop")
	w.watch = fnOf("watch")
	w.makeError = fnOf("makeError")
	w.reanimate = fnOf("reanimate")
	w.vatDataHook = fnOf("vatDataHook")
	w.promiseCtr = rt.Get("Promise").ToObject(rt)
	if err := w.loadPassable(env); err != nil {
		return nil, err
	}

	// The module body is evaluated by the startVat delivery (evaluate).
	modFnVal, err := rt.RunProgram(prog)
	if err != nil {
		return nil, describeJSError("evaluating the bundle", err)
	}
	w.modFn, _ = goja.AssertFunction(modFnVal)
	w.requireFn = env.Get("require")
	if w.meter.Exhausted() {
		return nil, metering.ErrComputeExceeded
	}
	return w, nil
}

// evaluate runs the bundle's module body, once, at the start of the
// startVat delivery, as SwingSet does: code at module level may use the
// vatstore (defineKind, makeKindHandle). The evaluation has a budget of
// its own and is not charged to the delivery.
func (w *Worker) evaluate() error {
	if w.module != nil {
		return nil
	}
	w.meter.Reset(w.spec.DeliveryLimit)
	module := w.rt.NewObject()
	exports := w.rt.NewObject()
	module.Set("exports", exports)
	_, err := w.modFn(goja.Undefined(), w.requireFn, exports, module)
	exhausted := w.meter.Exhausted()
	w.meter.Reset(w.spec.DeliveryLimit)
	switch {
	case w.abortErr != nil:
		return &liveslots.EvaluationError{Err: w.abortErr}
	case exhausted:
		return &liveslots.EvaluationError{Err: metering.ErrComputeExceeded}
	case err != nil:
		var ex *goja.Exception
		if errors.As(err, &ex) {
			return &liveslots.EvaluationError{Err: errors.New(ex.Value().String())}
		}
		var so *goja.StackOverflowError
		if errors.As(err, &so) {
			return &liveslots.EvaluationError{Err: fmt.Errorf("stack overflow: %s", so.Error())}
		}
		return &liveslots.EvaluationError{Err: err}
	}
	w.module = module.Get("exports")
	return nil
}

// loadPassable runs passable.js on the prelude's env.
func (w *Worker) loadPassable(env *goja.Object) error {
	prog, err := passableProgram()
	if err != nil {
		return fmt.Errorf("passable: %w", err)
	}
	fnVal, err := w.rt.RunProgram(prog)
	if err != nil {
		return fmt.Errorf("passable: %w", err)
	}
	fn, _ := goja.AssertFunction(fnVal)
	out, err := fn(goja.Undefined(), env)
	if err != nil {
		return fmt.Errorf("passable: %w", err)
	}
	o := out.ToObject(w.rt)
	var ok1, ok2 bool
	w.snapshot, ok1 = goja.AssertFunction(o.Get("snapshot"))
	w.makeRecord, ok2 = goja.AssertFunction(o.Get("makeRecord"))
	if !ok1 || !ok2 {
		return errors.New("passable: missing snapshot or makeRecord")
	}
	return nil
}

// MeteringVersion names the computron schedule this worker charges.
func (w *Worker) MeteringVersion() string { return metering.Version }

// Deliver runs one delivery to completion.
func (w *Worker) Deliver(d vat.Delivery, sys vat.Syscaller) (out vat.Outcome) {
	w.abortErr = nil
	w.meter.Reset(w.spec.DeliveryLimit)
	defer func() {
		if r := recover(); r != nil {
			out.Err = fmt.Sprintf("worker panic: %v", r)
		}
		out.Computrons = w.meter.Used()
	}()
	out.Err = w.ls.Deliver(d, sys)
	return out
}

// errInterrupted ends a delivery the host interrupted.
var errInterrupted = errors.New("js: interrupted by the host")

// Interrupt stops the delivery under way, from any goroutine.
func (w *Worker) Interrupt() { w.rt.Interrupt(errInterrupted) }

// Close stops the worker.
func (w *Worker) Close() error {
	w.rt.Interrupt(errors.New("worker closed"))
	return nil
}

// call runs JS from Go. A JS throw comes back as a *goja.Exception; an
// interrupt (meter exhausted, delivery aborted) or a stack overflow fails
// the delivery.
func (w *Worker) call(f goja.Callable, this goja.Value, args ...goja.Value) (goja.Value, *goja.Exception) {
	v, err := f(this, args...)
	if err == nil {
		return v, nil
	}
	var ex *goja.Exception
	if errors.As(err, &ex) {
		return nil, ex
	}
	w.fatal(err)
	return nil, nil
}

// fatal fails the delivery because vat code cannot go on.
func (w *Worker) fatal(err error) {
	var ie *goja.InterruptedError
	if errors.As(err, &ie) {
		if e, ok := ie.Value().(error); ok {
			if w.abortErr != nil && e == w.abortErr {
				return // liveslots already knows
			}
			err = e
		}
	}
	var so *goja.StackOverflowError
	if errors.As(err, &so) {
		err = fmt.Errorf("stack overflow: %s", so.Error())
	}
	if w.meter.Exhausted() {
		err = metering.ErrComputeExceeded
	}
	w.ls.Fail(err)
}

func describeJSError(what string, err error) error {
	var ex *goja.Exception
	if errors.As(err, &ex) {
		return fmt.Errorf("%s: %s", what, ex.Value().String())
	}
	var ie *goja.InterruptedError
	if errors.As(err, &ie) {
		if e, ok := ie.Value().(error); ok {
			return fmt.Errorf("%s: %w", what, e)
		}
	}
	return fmt.Errorf("%s: %w", what, err)
}
