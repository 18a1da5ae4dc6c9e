package js

import (
	"errors"
	"fmt"
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
	if kind, _, ok := f.Classify(root); !ok || (kind != capdata.Remotable && kind != capdata.Promise) {
		return nil, fmt.Errorf("it returned %s, which is not Far (make the root object with Far)", describeJS(root))
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
		return w.rejected("TypeError", "the target is not an object of this vat")
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

func (f *face) Evaluate() error { return f.w().evaluate() }

func (f *face) Reanimate(vref vat.VRef) (any, error) {
	w := f.w()
	v, ex := w.call(w.reanimate, goja.Undefined(), w.rt.ToValue(string(vref)))
	if ex != nil {
		return nil, errors.New(describeThrown(ex.Value()))
	}
	obj, ok := v.(*goja.Object)
	if !ok {
		if err := w.ls.Failed(); err != nil {
			return nil, err
		}
		return nil, errors.New("no representative")
	}
	return obj, nil
}

func (f *face) DurableHook(event string) error {
	w := f.w()
	_, ex := w.call(w.vatDataHook, goja.Undefined(), w.rt.ToValue(event))
	if ex != nil {
		return errors.New(describeThrown(ex.Value()))
	}
	return w.ls.Failed()
}
