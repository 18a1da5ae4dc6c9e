package metering

import (
	"fmt"
	"math"
	"sync"

	"github.com/dop251/goja"
)

// Options configures Install.
type Options struct {
	// MaxCallStackSize bounds JS call depth; 0 means DefaultMaxCallStackSize.
	MaxCallStackSize int
}

// DefaultMaxCallStackSize is the call depth limit when Options leaves it 0.
const DefaultMaxCallStackSize = 2000

// helpersSource holds the JS coercions wrappers use, so that a wrapper
// converts each argument exactly once, with the spec's semantics, and then
// hands primitives to the original built-in.
const helpersSource = `(function () {
  'use strict';
  const trunc = Math.trunc;
  const { apply, construct, ownKeys, getOwnPropertyDescriptor, defineProperty, getPrototypeOf, setPrototypeOf } = Reflect;
  return {
    str: x => ` + "`${x}`" + `,
    int: x => { const n = trunc(+x); return n !== n ? 0 : n + 0; },
    nop: function () {},
    wrapCtor: (Orig, charge) => {
      function wrapper(...args) {
        const coerced = charge(...args);
        const a = coerced === undefined ? args : coerced;
        return new.target === undefined ? apply(Orig, this, a) : construct(Orig, a, new.target);
      }
      setPrototypeOf(wrapper, getPrototypeOf(Orig));
      for (const k of ownKeys(Orig)) {
        defineProperty(wrapper, k, getOwnPropertyDescriptor(Orig, k));
      }
      defineProperty(Orig.prototype, 'constructor', { value: wrapper, writable: false, enumerable: false, configurable: false });
      return wrapper;
    },
  };
})()`

var helpersProgram = sync.OnceValues(func() (*goja.Program, error) {
	return goja.Compile("cooper-meter-helpers.js", helpersSource, true)
})

// Install defines the meter globals instrumented code calls, bounds the
// call stack, and replaces the allocating built-ins of rt with metered ones.
// Call it on a fresh runtime, before any vat code runs.
func Install(rt *goja.Runtime, m *Meter, opts Options) error {
	if opts.MaxCallStackSize == 0 {
		opts.MaxCallStackSize = DefaultMaxCallStackSize
	}
	rt.SetMaxCallStackSize(opts.MaxCallStackSize)
	prog, err := helpersProgram()
	if err != nil {
		return fmt.Errorf("compile helpers: %w", err)
	}
	hv, err := rt.RunProgram(prog)
	if err != nil {
		return fmt.Errorf("run helpers: %w", err)
	}
	h := hv.ToObject(rt)
	in := &installer{rt: rt, m: m}
	in.str = in.callable(h.Get("str"), "helper str")
	in.wrapCtor = in.callable(h.Get("wrapCtor"), "helper wrapCtor")
	in.int = in.callable(h.Get("int"), "helper int")
	m.nop = in.callable(h.Get("nop"), "helper nop")
	in.hooks()
	in.strings()
	in.arrays()
	in.buffers()
	in.json()
	return in.err
}

// installer replaces built-ins of one runtime; err is the first failure.
type installer struct {
	rt       *goja.Runtime
	m        *Meter
	str, int goja.Callable
	wrapCtor goja.Callable
	err      error
}

func (in *installer) fail(format string, args ...any) {
	if in.err == nil {
		in.err = fmt.Errorf(format, args...)
	}
}

func (in *installer) callable(v goja.Value, what string) goja.Callable {
	f, ok := goja.AssertFunction(v)
	if !ok {
		in.fail("%s is not a function", what)
		return func(goja.Value, ...goja.Value) (goja.Value, error) { return goja.Undefined(), nil }
	}
	return f
}

// object returns the object at a dotted path from the global object.
func (in *installer) object(path ...string) *goja.Object {
	o := in.rt.GlobalObject()
	for _, p := range path {
		v := o.Get(p)
		obj, ok := v.(*goja.Object)
		if !ok {
			in.fail("%v is not an object", path)
			return in.rt.NewObject()
		}
		o = obj
	}
	return o
}

// define sets a non-writable, non-configurable, non-enumerable property.
func (in *installer) define(o *goja.Object, name string, v goja.Value) {
	if err := o.DefineDataProperty(name, v, goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_FALSE); err != nil {
		in.fail("define %s: %w", name, err)
	}
}

// hooks defines the globals instrumented code calls.
func (in *installer) hooks() {
	m := in.m
	g := in.rt.GlobalObject()
	in.define(g, fnHook, in.rt.ToValue(func(goja.FunctionCall) goja.Value {
		m.Charge(FunctionCharge)
		return goja.Undefined()
	}))
	in.define(g, loopHook, in.rt.ToValue(func(goja.FunctionCall) goja.Value {
		m.Charge(LoopCharge)
		return goja.Undefined()
	}))
	in.define(g, catHook, in.rt.ToValue(func(call goja.FunctionCall) goja.Value {
		v := call.Argument(0)
		switch v := v.(type) {
		case goja.String:
			m.Charge(chars(int64(v.Length())))
		case *goja.Object:
			if v.ClassName() == "Array" {
				m.Charge(CallCharge + uint64(lengthOf(v))*SpreadElementCharge)
			}
		}
		return v
	}))
}

// wrapper computes a charge from the receiver and arguments, and may replace
// them with their coerced values for the original built-in.
type wrapper func(this goja.Value, args []goja.Value) (charge uint64, newThis goja.Value, newArgs []goja.Value)

// after computes a charge from a built-in's result.
type after func(result goja.Value) uint64

// method replaces o[name] with a metered function of the same name and
// length: pre charges before the original runs, post after.
func (in *installer) method(o *goja.Object, name string, pre wrapper, post after) {
	origVal := o.Get(name)
	orig := in.callable(origVal, name)
	if in.err != nil {
		return
	}
	length := origVal.ToObject(in.rt).Get("length")
	m := in.m
	fn := in.rt.ToValue(func(call goja.FunctionCall) goja.Value {
		this, args := call.This, call.Arguments
		if pre != nil {
			var n uint64
			n, this, args = pre(this, args)
			m.chargeOrStop(n)
		}
		res, err := orig(this, args...)
		if err != nil {
			panic(err)
		}
		if post != nil {
			m.chargeOrStop(post(res))
		}
		return res
	}).ToObject(in.rt)
	in.nameAndLength(fn, name, length)
	in.define(o, name, fn)
}

// nameAndLength gives a wrapper the name and length of its original.
func (in *installer) nameAndLength(fn *goja.Object, name string, length goja.Value) {
	if err := fn.DefineDataProperty("name", in.rt.ToValue(name), goja.FLAG_FALSE, goja.FLAG_TRUE, goja.FLAG_FALSE); err != nil {
		in.fail("name of %s: %w", name, err)
	}
	if err := fn.DefineDataProperty("length", length, goja.FLAG_FALSE, goja.FLAG_TRUE, goja.FLAG_FALSE); err != nil {
		in.fail("length of %s: %w", name, err)
	}
}

// constructor replaces the global constructor name with a JS function that
// charges what pre(args) returns before every call or construction (pre may
// also coerce the arguments) and then calls or constructs the original. The
// replacement has the original's own properties (name, length, prototype,
// statics) and prototype, and name.prototype.constructor points to it.
func (in *installer) constructor(name string, pre func(args []goja.Value) (uint64, []goja.Value)) {
	orig := in.object(name)
	if in.err != nil {
		return
	}
	m := in.m
	rt := in.rt
	charge := rt.ToValue(func(call goja.FunctionCall) goja.Value {
		n, args := pre(call.Arguments)
		m.chargeOrStop(n)
		if len(args) == len(call.Arguments) && (len(args) == 0 || &args[0] == &call.Arguments[0]) {
			return goja.Undefined()
		}
		vals := make([]any, len(args))
		for i, a := range args {
			vals[i] = a
		}
		return rt.NewArray(vals...)
	})
	w, err := in.wrapCtor(goja.Undefined(), orig, charge)
	if err != nil {
		in.fail("wrap %s: %w", name, err)
		return
	}
	in.define(rt.GlobalObject(), name, w)
}

// toInt converts v like ToIntegerOrInfinity, once.
func (in *installer) toInt(v goja.Value) float64 {
	r, err := in.int(goja.Undefined(), v)
	if err != nil {
		panic(err)
	}
	return r.ToFloat()
}

// toStr converts v like ToString, once.
func (in *installer) toStr(v goja.Value) goja.String {
	if s, ok := v.(goja.String); ok {
		return s
	}
	r, err := in.str(goja.Undefined(), v)
	if err != nil {
		panic(err)
	}
	return r.(goja.String)
}

// thisStr applies RequireObjectCoercible and ToString to a String.prototype
// receiver; ok is false when the original must throw instead.
func (in *installer) thisStr(this goja.Value) (goja.String, bool) {
	if this == nil || goja.IsUndefined(this) || goja.IsNull(this) {
		return nil, false
	}
	return in.toStr(this), true
}

// lengthOf is the length a generic array method will visit on this: the
// length of a string, or ToLength(this.length) of an object.
func lengthOf(this goja.Value) int64 {
	switch v := this.(type) {
	case goja.String:
		return int64(v.Length())
	case *goja.Object:
		if l := v.Get("length"); l != nil {
			return clampLen(l.ToFloat())
		}
	}
	return 0
}

// clampLen is ToLength of an already numeric value.
func clampLen(f float64) int64 {
	switch {
	case f != f || f <= 0:
		return 0
	case f >= 1<<53-1:
		return 1<<53 - 1
	}
	return int64(f)
}

// mulLen is a*b, saturating at MaxInt64.
func mulLen(a, b int64) int64 {
	if a <= 0 || b <= 0 {
		return 0
	}
	if a > math.MaxInt64/b {
		return math.MaxInt64
	}
	return a * b
}

// arg returns args[i] or undefined.
func arg(args []goja.Value, i int) goja.Value {
	if i < len(args) {
		return args[i]
	}
	return goja.Undefined()
}

// withArg returns a copy of args with args[i] = v.
func withArg(args []goja.Value, i int, v goja.Value) []goja.Value {
	out := make([]goja.Value, max(len(args), i+1))
	copy(out, args)
	for j := len(args); j < len(out); j++ {
		out[j] = goja.Undefined()
	}
	out[i] = v
	return out
}
