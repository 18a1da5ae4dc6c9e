package js

import (
	"fmt"
	"math/big"
	"strings"

	"github.com/dop251/goja"

	"github.com/cooper-kernel/cooper/capdata"
	"github.com/cooper-kernel/cooper/vat"
)

// face implements liveslots.Face for goja values. Language objects are
// *goja.Object values, compared by identity.
type face Worker

func (f *face) w() *Worker { return (*Worker)(f) }

func (f *face) StartVat(params capdata.Value) (any, error) {
	w := f.w()
	exports, ok := w.module.(*goja.Object)
	if !ok {
		return nil, fmt.Errorf("the bundle exports no buildRootObject")
	}
	build, ok := goja.AssertFunction(exports.Get("buildRootObject"))
	if !ok {
		return nil, fmt.Errorf("the bundle exports no buildRootObject function (exports: %s)", strings.Join(exports.Keys(), ", "))
	}
	p, err := w.fromCap(params)
	if err != nil {
		return nil, fmt.Errorf("vatParameters: %w", err)
	}
	bag, ex := w.call(w.makeBag, goja.Undefined())
	if ex != nil {
		return nil, fmt.Errorf("baggage: %s", ex.Value().String())
	}
	root, ex := w.call(build, goja.Undefined(), w.vatPowers, p, bag)
	if ex != nil {
		return nil, fmt.Errorf("%s", describeThrown(ex.Value()))
	}
	if root == nil {
		return nil, w.ls.Failed()
	}
	return root, nil
}

func describeThrown(v goja.Value) string {
	if o, ok := v.(*goja.Object); ok {
		if msg := o.Get("message"); msg != nil && !goja.IsUndefined(msg) {
			name := "Error"
			if n := o.Get("name"); n != nil && !goja.IsUndefined(n) {
				name = n.String()
			}
			return name + ": " + msg.String()
		}
	}
	if v == nil {
		return "undefined"
	}
	return v.String()
}

func (f *face) NewPresence(ref vat.VRef, iface string) any {
	w := f.w()
	p, ex := w.call(w.makePres, goja.Undefined(), w.rt.ToValue(iface))
	if ex != nil || p == nil {
		panic(fmt.Sprintf("makePresence %s failed", ref))
	}
	return p.(*goja.Object)
}

func (f *face) NewPromise() (any, func(bool, capdata.Value)) {
	w := f.w()
	p, resolve, reject := w.rt.NewPromise()
	obj := w.rt.ToValue(p).(*goja.Object)
	return obj, func(rejected bool, v capdata.Value) {
		jv, err := w.fromCap(v)
		if err != nil {
			jv, rejected = w.errorValue("TypeError", err.Error()), true
		}
		settle := resolve
		if rejected {
			settle = reject
		}
		if err := settle(jv); err != nil {
			w.fatal(err)
		}
	}
}

func (f *face) Classify(v any) (capdata.SlotKind, string, bool) {
	w := f.w()
	obj, ok := v.(*goja.Object)
	if !ok {
		return 0, "", false
	}
	kind, ex := w.call(w.kindOf, goja.Undefined(), obj)
	if ex != nil || kind == nil {
		return 0, "", false
	}
	switch kind.String() {
	case "remotable":
		iface, _ := w.call(w.ifaceOf, goja.Undefined(), obj)
		if iface == nil {
			return capdata.Remotable, "", true
		}
		return capdata.Remotable, iface.String(), true
	case "promise":
		return capdata.Promise, "", true
	}
	return 0, "", false
}

func (f *face) Invoke(obj any, method string, args []capdata.Value) any {
	w := f.w()
	target, ok := obj.(*goja.Object)
	if !ok {
		return w.rejected("TypeError", fmt.Sprintf("target %T is not a JS object", obj))
	}
	m, ok := goja.AssertFunction(target.Get(method))
	if !ok {
		return w.rejected("TypeError", fmt.Sprintf("target has no method %q, has %s", method, methodNames(target)))
	}
	jargs := make([]goja.Value, len(args))
	for i, a := range args {
		v, err := w.fromCap(a)
		if err != nil {
			return w.rejected("TypeError", fmt.Sprintf("argument %d: %v", i, err))
		}
		jargs[i] = v
	}
	res, ex := w.call(m, target, jargs...)
	if ex != nil {
		p, _, reject := w.rt.NewPromise()
		if err := reject(ex.Value()); err != nil {
			w.fatal(err)
		}
		return w.rt.ToValue(p).(*goja.Object)
	}
	if res == nil {
		return goja.Undefined()
	}
	return res
}

func methodNames(o *goja.Object) string {
	var names []string
	for _, k := range o.Keys() {
		if _, ok := goja.AssertFunction(o.Get(k)); ok {
			names = append(names, fmt.Sprintf("%q", k))
		}
	}
	return "[" + strings.Join(names, ",") + "]"
}

// rejected returns a promise rejected with a new error.
func (w *Worker) rejected(name, message string) *goja.Object {
	p, _, reject := w.rt.NewPromise()
	if err := reject(w.errorValue(name, message)); err != nil {
		w.fatal(err)
	}
	return w.rt.ToValue(p).(*goja.Object)
}

func (w *Worker) errorValue(name, message string) goja.Value {
	e, ex := w.call(w.makeError, goja.Undefined(), w.rt.ToValue(name), w.rt.ToValue(message))
	if ex != nil || e == nil {
		return w.rt.ToValue(name + ": " + message)
	}
	return e
}

func (f *face) Watch(v any, settled func(bool, capdata.Value)) {
	w := f.w()
	jv, ok := v.(goja.Value)
	if !ok || jv == nil {
		jv = goja.Undefined()
	}
	handler := func(rejected bool) goja.Value {
		return w.rt.ToValue(func(call goja.FunctionCall) goja.Value {
			cv, err := w.toCap(call.Argument(0))
			if err != nil {
				settled(true, &capdata.Error{Name: "TypeError", Message: err.Error()})
			} else {
				settled(rejected, cv)
			}
			return goja.Undefined()
		})
	}
	w.call(w.watch, goja.Undefined(), jv, handler(false), handler(true))
}

func (f *face) RunJobs() {
	w := f.w()
	w.call(w.noop, goja.Undefined())
}

func (f *face) Abort(err error) {
	w := f.w()
	w.abortErr = err
	w.rt.Interrupt(err)
}

// maxDepth bounds the nesting of values crossing the vat boundary.
const maxDepth = 200

// toCap converts a JS value to a capdata value whose references are the JS
// objects themselves.
func (w *Worker) toCap(v goja.Value) (capdata.Value, error) { return w.toCapDepth(v, 0) }

func (w *Worker) toCapDepth(v goja.Value, depth int) (capdata.Value, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("value nested deeper than %d", maxDepth)
	}
	if v == nil || goja.IsUndefined(v) {
		return capdata.Undefined{}, nil
	}
	if goja.IsNull(v) {
		return nil, nil
	}
	if sym, ok := v.(*goja.Symbol); ok {
		if name, ok := wellKnownName(sym); ok {
			return capdata.Symbol{Name: name}, nil
		}
		return nil, fmt.Errorf("cannot pass %s: only well-known symbols can be passed", sym.String())
	}
	obj, isObj := v.(*goja.Object)
	if !isObj {
		switch x := v.Export().(type) {
		case bool:
			return x, nil
		case int64:
			return float64(x), nil
		case float64:
			return x, nil
		case string:
			return x, nil
		case *big.Int:
			return new(big.Int).Set(x), nil
		}
		return nil, fmt.Errorf("cannot pass %s", v.String())
	}
	kind, ex := w.call(w.kindOf, goja.Undefined(), obj)
	if ex != nil || kind == nil {
		return nil, fmt.Errorf("cannot inspect value")
	}
	switch kind.String() {
	case "remotable", "promise":
		return obj, nil
	case "array":
		n := int(obj.Get("length").ToInteger())
		out := make([]capdata.Value, n)
		for i := range n {
			e, err := w.toCapDepth(obj.Get(fmt.Sprint(i)), depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = e
		}
		return out, nil
	case "error":
		e := &capdata.Error{Name: "Error"}
		if n := obj.Get("name"); n != nil && !goja.IsUndefined(n) {
			e.Name = n.String()
		}
		if m := obj.Get("message"); m != nil && !goja.IsUndefined(m) {
			e.Message = m.String()
		}
		return e, nil
	case "tagged":
		tag, _ := w.call(w.tagOf, goja.Undefined(), obj)
		p, err := w.toCapDepth(obj.Get("payload"), depth+1)
		if err != nil {
			return nil, err
		}
		t := &capdata.Tagged{Payload: p}
		if tag != nil {
			t.Tag = tag.String()
		}
		return t, nil
	case "function":
		return nil, fmt.Errorf("cannot pass a function: make it Far or put it in a Far object")
	}
	if syms := obj.Symbols(); len(syms) > 0 {
		return nil, fmt.Errorf("cannot pass a record with symbol-named properties")
	}
	keys := obj.Keys()
	rec := &capdata.Record{Keys: make([]string, 0, len(keys)), Values: make([]capdata.Value, 0, len(keys))}
	for _, k := range keys {
		pv := obj.Get(k)
		if o, ok := pv.(*goja.Object); ok {
			if _, fn := goja.AssertFunction(o); fn {
				if k2, _ := w.call(w.kindOf, goja.Undefined(), o); k2 == nil || k2.String() != "remotable" {
					return nil, fmt.Errorf("cannot pass a record with method %q: records hold data; use Far for objects with methods", k)
				}
			}
		}
		cv, err := w.toCapDepth(pv, depth+1)
		if err != nil {
			return nil, err
		}
		rec.Keys = append(rec.Keys, k)
		rec.Values = append(rec.Values, cv)
	}
	return rec, nil
}

// fromCap converts a capdata value into a hardened JS value.
func (w *Worker) fromCap(v capdata.Value) (goja.Value, error) {
	jv, err := w.fromCapDepth(v, 0)
	if err != nil {
		return nil, err
	}
	if _, ok := jv.(*goja.Object); ok {
		w.call(w.harden, goja.Undefined(), jv)
	}
	return jv, nil
}

func (w *Worker) fromCapDepth(v capdata.Value, depth int) (goja.Value, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("value nested deeper than %d", maxDepth)
	}
	switch x := v.(type) {
	case nil:
		return goja.Null(), nil
	case bool, float64, string:
		return w.rt.ToValue(x), nil
	case *big.Int:
		return w.rt.ToValue(new(big.Int).Set(x)), nil
	case capdata.Symbol:
		if s, ok := wellKnownSymbol(x.Name); ok {
			return s, nil
		}
		return w.rt.ToValue(x.Name), nil
	case []capdata.Value:
		elems := make([]any, len(x))
		for i, e := range x {
			je, err := w.fromCapDepth(e, depth+1)
			if err != nil {
				return nil, err
			}
			elems[i] = je
		}
		return w.rt.NewArray(elems...), nil
	case *capdata.Record:
		obj := w.rt.NewObject()
		for i, k := range x.Keys {
			je, err := w.fromCapDepth(x.Values[i], depth+1)
			if err != nil {
				return nil, err
			}
			obj.Set(k, je)
		}
		return obj, nil
	case *capdata.Tagged:
		p, err := w.fromCapDepth(x.Payload, depth+1)
		if err != nil {
			return nil, err
		}
		t, _ := w.call(w.makeTagged, goja.Undefined(), w.rt.ToValue(x.Tag), p)
		return t, nil
	case *capdata.Error:
		return w.errorValue(x.Name, x.Message), nil
	case goja.Value:
		return x, nil // a language value handed back (a promise, or a method's result)
	}
	if _, ok := v.(capdata.Undefined); ok {
		return goja.Undefined(), nil
	}
	return nil, fmt.Errorf("cannot convert %T to JS", v)
}

var wellKnown = map[string]*goja.Symbol{
	"@@hasInstance":        goja.SymHasInstance,
	"@@isConcatSpreadable": goja.SymIsConcatSpreadable,
	"@@iterator":           goja.SymIterator,
	"@@match":              goja.SymMatch,
	"@@replace":            goja.SymReplace,
	"@@search":             goja.SymSearch,
	"@@species":            goja.SymSpecies,
	"@@split":              goja.SymSplit,
	"@@toPrimitive":        goja.SymToPrimitive,
	"@@toStringTag":        goja.SymToStringTag,
	"@@unscopables":        goja.SymUnscopables,
}

func wellKnownSymbol(name string) (*goja.Symbol, bool) {
	s, ok := wellKnown[name]
	return s, ok
}

func wellKnownName(sym *goja.Symbol) (string, bool) {
	for name, s := range wellKnown { // lookup only; order does not matter
		if s == sym {
			return name, true
		}
	}
	return "", false
}

func (f *face) Settled(p any) (bool, capdata.Value, bool) {
	w := f.w()
	obj, ok := p.(*goja.Object)
	if !ok {
		return false, nil, false
	}
	pr, ok := obj.Export().(*goja.Promise)
	if !ok || pr.State() == goja.PromiseStatePending {
		return false, nil, false
	}
	v, err := w.toCap(pr.Result())
	if err != nil {
		return true, &capdata.Error{Name: "TypeError", Message: err.Error()}, true
	}
	return pr.State() == goja.PromiseStateRejected, v, true
}
