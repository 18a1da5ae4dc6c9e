package js

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"

	"github.com/dop251/goja"

	"github.com/cooper-kernel/cooper/capdata"
	"github.com/cooper-kernel/cooper/vat"
)

var promiseType = reflect.TypeOf((*goja.Promise)(nil))

// bridge builds the object the prelude closes over; vat code never sees it.
func (w *Worker) bridge() *goja.Object {
	rt := w.rt
	b := rt.NewObject()
	set := func(name string, fn func(call goja.FunctionCall) goja.Value) {
		b.Set(name, fn)
	}
	set("isPromise", func(c goja.FunctionCall) goja.Value {
		o, ok := c.Argument(0).(*goja.Object)
		return rt.ToValue(ok && o.ExportType() == promiseType)
	})
	set("isRemote", func(c goja.FunctionCall) goja.Value {
		o, ok := c.Argument(0).(*goja.Object)
		if !ok {
			return rt.ToValue(false)
		}
		_, remote := w.ls.RefOf(o)
		return rt.ToValue(remote)
	})
	set("send", func(c goja.FunctionCall) goja.Value {
		ref, _ := w.ls.RefOf(c.Argument(0).(*goja.Object))
		method, args := w.methargs(c.Argument(1), c.Argument(2))
		return w.ls.Send(ref, method, args).(*goja.Object)
	})
	set("sendOnly", func(c goja.FunctionCall) goja.Value {
		ref, _ := w.ls.RefOf(c.Argument(0).(*goja.Object))
		method, args := w.methargs(c.Argument(1), c.Argument(2))
		if err := w.ls.SendOnly(ref, method, args); err != nil {
			panic(rt.NewTypeError(err.Error()))
		}
		return goja.Undefined()
	})
	set("console", func(c goja.FunctionCall) goja.Value {
		w.console(c.Argument(0).String(), c.Argument(1).String())
		return goja.Undefined()
	})
	set("testLog", func(c goja.FunctionCall) goja.Value {
		w.console("testLog", c.Argument(0).String())
		return goja.Undefined()
	})
	set("exit", func(c goja.FunctionCall) goja.Value {
		v, err := w.toCap(c.Argument(1))
		if err != nil {
			panic(rt.NewTypeError(err.Error()))
		}
		w.ls.Exit(c.Argument(0).ToBoolean(), v)
		return goja.Undefined()
	})
	// The vatstore and the marshaller, for the vat-data layer of the prelude.
	set("vatstore", func(c goja.FunctionCall) goja.Value {
		key := c.Argument(1).String()
		switch c.Argument(0).String() {
		case "get":
			if v, ok := w.ls.VatstoreGet(key); ok {
				return rt.ToValue(v)
			}
		case "set":
			w.ls.VatstoreSet(key, c.Argument(2).String())
		case "delete":
			w.ls.VatstoreDelete(key)
		case "next":
			if k, ok := w.ls.VatstoreGetNextKey(key); ok {
				return rt.ToValue(k)
			}
		default:
			panic(rt.NewTypeError("vatstore: unknown operation"))
		}
		return goja.Undefined()
	})
	set("serialize", func(c goja.FunctionCall) goja.Value {
		v, err := w.toCap(c.Argument(0))
		if err != nil {
			panic(rt.NewTypeError(err.Error()))
		}
		cd, err := w.ls.SerializeForStore(v)
		if err != nil {
			panic(rt.NewTypeError(err.Error()))
		}
		slots := make([]any, len(cd.Slots))
		for i, s := range cd.Slots {
			slots[i] = string(s)
		}
		return rt.NewArray(cd.Body, rt.NewArray(slots...))
	})
	set("unserialize", func(c goja.FunctionCall) goja.Value {
		var slots []vat.VRef
		if arr, ok := c.Argument(1).(*goja.Object); ok {
			n := int(arr.Get("length").ToInteger())
			if n < 0 || n > maxKunserSlots {
				panic(rt.NewTypeError("unserialize: too many slots"))
			}
			for i := 0; i < n; i++ {
				slots = append(slots, vat.VRef(arr.Get(strconv.Itoa(i)).String()))
			}
		}
		v, err := w.ls.Unserialize(vat.CapData{Body: c.Argument(0).String(), Slots: slots})
		if err != nil {
			if failed := w.ls.Failed(); failed != nil {
				panic(rt.NewGoError(failed))
			}
			panic(rt.NewTypeError(err.Error()))
		}
		jv, err := w.fromCap(v)
		if err != nil {
			panic(rt.NewTypeError(err.Error()))
		}
		return jv
	})
	set("watchablePromise", func(c goja.FunctionCall) goja.Value {
		o, ok := c.Argument(0).(*goja.Object)
		if !ok {
			panic(rt.NewTypeError("watchPromise only watches promises"))
		}
		vpid, err := w.ls.WatchablePromise(o)
		if err != nil {
			if failed := w.ls.Failed(); failed != nil {
				panic(rt.NewGoError(failed))
			}
			panic(rt.NewTypeError(err.Error()))
		}
		return rt.ToValue(string(vpid))
	})
	set("registerVirtual", func(c goja.FunctionCall) goja.Value {
		o, ok := c.Argument(0).(*goja.Object)
		if !ok {
			panic(rt.NewTypeError("registerVirtual: not an object"))
		}
		if err := w.ls.RegisterVirtual(vat.VRef(c.Argument(1).String()), o); err != nil {
			panic(rt.NewTypeError(err.Error()))
		}
		return goja.Undefined()
	})
	set("kser", func(c goja.FunctionCall) goja.Value {
		krefOf, _ := goja.AssertFunction(c.Argument(1))
		v, err := w.toCap(c.Argument(0))
		if err != nil {
			panic(rt.NewTypeError("kser: %s", err.Error()))
		}
		m := capdata.Marshaller{ToSlot: func(x any) (capdata.Slot, error) {
			obj, _ := x.(*goja.Object)
			kind, iface, ok := (*face)(w).Classify(obj)
			if !ok {
				return capdata.Slot{}, errors.New("cannot serialize a non-passable reference")
			}
			ref, ex := w.call(krefOf, goja.Undefined(), obj)
			if ex != nil || ref == nil {
				return capdata.Slot{}, errors.New("kser: a reference is not a kslot stand-in")
			}
			return capdata.Slot{Ref: ref.String(), Kind: kind, Iface: iface}, nil
		}}
		cd, err := m.Encode(v)
		if err != nil {
			panic(rt.NewTypeError("kser: %s", err.Error()))
		}
		slots := make([]any, len(cd.Slots))
		for i, s := range cd.Slots {
			slots[i] = s
		}
		out := rt.NewObject()
		out.Set("body", cd.Body)
		out.Set("slots", rt.NewArray(slots...))
		return out
	})
	set("kunser", func(c goja.FunctionCall) goja.Value {
		kslot, _ := goja.AssertFunction(c.Argument(2))
		var slots []string
		if arr, ok := c.Argument(1).(*goja.Object); ok {
			n := int(arr.Get("length").ToInteger())
			if n < 0 || n > maxKunserSlots {
				panic(rt.NewTypeError("kunser: too many slots"))
			}
			for i := 0; i < n; i++ {
				slots = append(slots, arr.Get(strconv.Itoa(i)).String())
			}
		}
		m := capdata.Marshaller{FromSlot: func(s capdata.Slot) (any, error) {
			v, ex := w.call(kslot, goja.Undefined(), rt.ToValue(s.Ref), rt.ToValue(s.Iface))
			if ex != nil || v == nil {
				return nil, fmt.Errorf("kunser: cannot make a stand-in for %s", s.Ref)
			}
			return v, nil
		}}
		v, err := m.Decode(capdata.CapData{Body: c.Argument(0).String(), Slots: slots})
		if err != nil {
			panic(rt.NewTypeError("kunser: %s", err.Error()))
		}
		jv, err := w.fromCap(v)
		if err != nil {
			panic(rt.NewTypeError("kunser: %s", err.Error()))
		}
		return jv
	})
	return b
}

// maxKunserSlots bounds the slots kunser accepts.
const maxKunserSlots = 10_000

// methargs converts an eventual send's method and arguments, throwing a
// TypeError into vat code when they cannot be passed.
func (w *Worker) methargs(method, args goja.Value) (string, []capdata.Value) {
	var name string
	if sym, ok := method.(*goja.Symbol); ok {
		n, ok := wellKnownName(sym)
		if !ok {
			panic(w.rt.NewTypeError("cannot send a message named by a non-well-known symbol"))
		}
		name = n
	} else if s, ok := method.(goja.String); ok {
		name = goString(s)
	} else {
		name = method.String()
	}
	// args is the rest-parameter array the prelude's E made (its elements
	// hardened): a genuine array, so only its elements need the passable
	// checks.
	arr, ok := args.(*goja.Object)
	if !ok {
		return name, nil
	}
	list := make([]capdata.Value, arr.Get("length").ToInteger())
	for i := range list {
		cv, err := w.toCap(arr.Get(strconv.Itoa(i)))
		if err != nil {
			panic(w.rt.NewTypeError("cannot send %s: %v", name, err))
		}
		list[i] = cv
	}
	return name, list
}

// console hands one line of vat output to the host.
func (w *Worker) console(level, line string) {
	if w.spec.Console != nil {
		w.spec.Console(level, line)
	}
}
