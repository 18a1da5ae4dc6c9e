package js

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/dop251/goja"

	"github.com/cooper-kernel/cooper/capdata"
)

// Values cross the vat boundary as capdata values whose references are the
// JS objects themselves. Leaving the vat, a value is hardened and checked
// by passable.js with Endo's passStyleOf rules, which copies it into fresh
// arrays first: Go never reads a property of vat-made objects, so no
// getter, proxy trap or mutation runs while it converts. Entering the vat,
// records are built of own data properties only. Strings keep their
// UTF-16 code units exactly (lone surrogates included, as WTF-8 on the Go
// side: see capdata).

// maxDepth bounds the nesting of values entering the vat.
const maxDepth = 200

// toCap converts a JS value leaving the vat. It fails, with a message for
// a TypeError, when the value is not passable.
func (w *Worker) toCap(v goja.Value) (capdata.Value, error) {
	if v == nil {
		return capdata.Undefined{}, nil
	}
	if _, isObj := v.(*goja.Object); !isObj {
		return w.primitiveToCap(v)
	}
	node, ex := w.call(w.snapshot, goja.Undefined(), v)
	if ex != nil {
		return nil, passError(ex.Value())
	}
	if node == nil {
		return nil, errors.New("interrupted")
	}
	return w.nodeToCap(node, 0)
}

// passError is the error of a value passable.js refused: its TypeError's
// message, or what a proxy trap or getter threw.
func passError(thrown goja.Value) error {
	if o, ok := thrown.(*goja.Object); ok {
		if n := o.Get("name"); n != nil && n.String() == "TypeError" {
			return errors.New(o.Get("message").String())
		}
	}
	return fmt.Errorf("cannot pass a value whose inspection threw %s", describeThrown(thrown))
}

// primitiveToCap converts a JS primitive.
func (w *Worker) primitiveToCap(v goja.Value) (capdata.Value, error) {
	switch {
	case goja.IsUndefined(v):
		return capdata.Undefined{}, nil
	case goja.IsNull(v):
		return nil, nil
	}
	if sym, ok := v.(*goja.Symbol); ok {
		if name, ok := wellKnownName(sym); ok {
			return capdata.Symbol{Name: name}, nil
		}
		return nil, fmt.Errorf("cannot pass %s: only well-known symbols can be passed", sym.String())
	}
	if s, ok := v.(goja.String); ok {
		return goString(s), nil
	}
	switch x := v.Export().(type) {
	case bool:
		return x, nil
	case int64:
		return float64(x), nil
	case float64:
		return x, nil
	case *big.Int:
		return new(big.Int).Set(x), nil
	}
	return nil, fmt.Errorf("cannot pass %s", describeJS(v))
}

// nodeToCap converts what passable.js's snapshot returned.
func (w *Worker) nodeToCap(v goja.Value, depth int) (capdata.Value, error) {
	node, ok := v.(*goja.Object)
	if !ok {
		return w.primitiveToCap(v)
	}
	if depth > maxDepth {
		return nil, fmt.Errorf("Pass-by-copy data cannot be nested deeper than %d", maxDepth)
	}
	at := func(o goja.Value, i int) goja.Value { return o.(*goja.Object).Get(strconv.Itoa(i)) }
	length := func(o goja.Value) int { return int(o.(*goja.Object).Get("length").ToInteger()) }
	switch kind := node.Get("0").String(); kind {
	case "remotable", "promise":
		return node.Get("1").(*goja.Object), nil
	case "array":
		elems := node.Get("1")
		out := make([]capdata.Value, length(elems))
		for i := range out {
			e, err := w.nodeToCap(at(elems, i), depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = e
		}
		return out, nil
	case "record":
		keys, values := node.Get("1"), node.Get("2")
		n := length(keys)
		rec := &capdata.Record{Keys: make([]string, n), Values: make([]capdata.Value, n)}
		for i := range n {
			rec.Keys[i] = goString(at(keys, i).(goja.String))
			e, err := w.nodeToCap(at(values, i), depth+1)
			if err != nil {
				return nil, err
			}
			rec.Values[i] = e
		}
		return rec, nil
	case "error":
		return &capdata.Error{Name: goString(node.Get("1").(goja.String)), Message: goString(node.Get("2").(goja.String))}, nil
	case "tagged":
		p, err := w.nodeToCap(node.Get("2"), depth+1)
		if err != nil {
			return nil, err
		}
		return &capdata.Tagged{Tag: goString(node.Get("1").(goja.String)), Payload: p}, nil
	default:
		panic("passable.js returned a node of kind " + kind)
	}
}

// goString returns a JS string's Go form: UTF-8, with lone surrogates in
// WTF-8 (capdata.FromUTF16), so no code unit is lost.
func goString(s goja.String) string {
	str := s.String()
	if !strings.ContainsRune(str, utf8.RuneError) {
		return str // no lone surrogate became U+FFFD
	}
	u := make([]uint16, s.Length())
	for i := range u {
		u[i] = s.CharAt(i)
	}
	return capdata.FromUTF16(u)
}

// jsString returns the JS string of a Go string holding UTF-8 or WTF-8.
func (w *Worker) jsString(s string) goja.Value {
	if utf8.ValidString(s) {
		return w.rt.ToValue(s)
	}
	return goja.StringFromUTF16(capdata.UTF16(s))
}

// fromCap converts a capdata value entering the vat into a hardened JS value.
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
	case bool, float64:
		return w.rt.ToValue(x), nil
	case string:
		return w.jsString(x), nil
	case *big.Int:
		return w.rt.ToValue(new(big.Int).Set(x)), nil
	case capdata.Symbol:
		if s, ok := wellKnownSymbol(x.Name); ok {
			return s, nil
		}
		return w.jsString(x.Name), nil
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
		return w.recordFromCap(x, depth)
	case *capdata.Tagged:
		p, err := w.fromCapDepth(x.Payload, depth+1)
		if err != nil {
			return nil, err
		}
		t, _ := w.call(w.makeTagged, goja.Undefined(), w.jsString(x.Tag), p)
		return t, nil
	case *capdata.Error:
		return w.errorValue(x.Name, x.Message), nil
	case capdata.Undefined:
		return goja.Undefined(), nil
	case goja.Value:
		return x, nil // a language value handed back (a promise, or a method's result)
	}
	return nil, fmt.Errorf("cannot pass %s into a JS vat", capdata.Format(v))
}

// recordFromCap builds a received record: own data properties, defined
// (never set, so "__proto__" is a key like any other and an inherited
// read-only property cannot shadow one), with Object.prototype.
func (w *Worker) recordFromCap(x *capdata.Record, depth int) (goja.Value, error) {
	values := make([]goja.Value, len(x.Values))
	plainKeys := true
	for i, e := range x.Values {
		je, err := w.fromCapDepth(e, depth+1)
		if err != nil {
			return nil, err
		}
		values[i] = je
		plainKeys = plainKeys && utf8.ValidString(x.Keys[i])
	}
	if plainKeys {
		obj := w.rt.NewObject()
		for i, k := range x.Keys {
			if err := obj.DefineDataProperty(k, values[i], goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_TRUE); err != nil {
				return nil, fmt.Errorf("record key %q: %w", k, err)
			}
		}
		return obj, nil
	}
	keys := make([]any, len(x.Keys))
	vals := make([]any, len(values))
	for i, k := range x.Keys {
		keys[i], vals[i] = w.jsString(k), values[i]
	}
	r, ex := w.call(w.makeRecord, goja.Undefined(), w.rt.NewArray(keys...), w.rt.NewArray(vals...))
	if ex != nil || r == nil {
		return nil, errors.New("cannot build a record")
	}
	return r, nil
}

// describeJS names a JS value for a message users see, without Go types.
func describeJS(v goja.Value) string {
	switch {
	case v == nil || goja.IsUndefined(v):
		return "undefined"
	case goja.IsNull(v):
		return "null"
	}
	switch x := v.(type) {
	case *goja.Symbol:
		return x.String()
	case goja.String:
		return strconv.Quote(truncate(x.String(), 40))
	case *goja.Object:
		if _, fn := goja.AssertFunction(x); fn {
			return "a function"
		}
		if x.ClassName() == "Array" {
			return "an array"
		}
		return "a non-Far object"
	}
	switch e := v.Export().(type) {
	case int64, bool:
		return fmt.Sprint(e)
	case float64:
		if math.IsInf(e, 0) || math.IsNaN(e) {
			return v.String()
		}
		return strconv.FormatFloat(e, 'g', -1, 64)
	case *big.Int:
		return e.String() + "n"
	}
	return v.String()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
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
