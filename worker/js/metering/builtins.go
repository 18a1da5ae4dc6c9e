package metering

import (
	"math"

	"github.com/dop251/goja"
)

// strings meters the String.prototype methods whose output size is chosen
// by their arguments.
func (in *installer) strings() {
	proto := in.object("String", "prototype")
	rt := in.rt
	in.method(proto, "repeat", func(this goja.Value, args []goja.Value) (uint64, goja.Value, []goja.Value) {
		s, ok := in.thisStr(this)
		if !ok {
			return CallCharge, this, args
		}
		n := in.toInt(arg(args, 0))
		if n < 0 || math.IsInf(n, 0) {
			return CallCharge, s, withArg(args, 0, rt.ToValue(n)) // the original throws a RangeError
		}
		return chars(mulLen(int64(s.Length()), clampLen(n))), s, withArg(args, 0, rt.ToValue(n))
	}, nil)
	pad := func(this goja.Value, args []goja.Value) (uint64, goja.Value, []goja.Value) {
		s, ok := in.thisStr(this)
		if !ok {
			return CallCharge, this, args
		}
		n := clampLen(in.toInt(arg(args, 0)))
		return chars(max(n, int64(s.Length()))), s, withArg(args, 0, rt.ToValue(n))
	}
	in.method(proto, "padStart", pad, nil)
	in.method(proto, "padEnd", pad, nil)
	in.method(proto, "concat", nil, stringSize)
	in.method(proto, "replace", nil, stringSize)
	in.method(proto, "replaceAll", nil, stringSize)
}

// stringSize charges for a string result.
func stringSize(res goja.Value) uint64 {
	if s, ok := res.(goja.String); ok {
		return chars(int64(s.Length()))
	}
	return CallCharge
}

// visitAll charges for a generic array method visiting every index of this.
func visitAll(this goja.Value, args []goja.Value) (uint64, goja.Value, []goja.Value) {
	return elements(lengthOf(this)), this, args
}

// arrays meters the Array constructor and the Array.prototype methods whose
// work grows with the receiver's length (which may be a huge sparse length).
func (in *installer) arrays() {
	in.constructor("Array", func(args []goja.Value) (uint64, []goja.Value) {
		if len(args) == 1 && isNumber(args[0]) {
			return elements(clampLen(args[0].ToFloat())), args
		}
		return elements(int64(len(args))), args
	})
	arrayCtor := in.object("Array")
	in.method(arrayCtor, "of", func(this goja.Value, args []goja.Value) (uint64, goja.Value, []goja.Value) {
		return elements(int64(len(args))), this, args
	}, nil)
	proto := in.object("Array", "prototype")
	for _, name := range []string{
		"copyWithin", "every", "fill", "filter", "find", "findIndex", "findLast", "findLastIndex",
		"flat", "flatMap", "forEach", "includes", "indexOf", "lastIndexOf", "map", "reduce",
		"reduceRight", "reverse", "shift", "slice", "some", "sort", "splice", "unshift",
		"toReversed", "toSorted", "toSpliced", "with",
	} {
		if _, ok := goja.AssertFunction(proto.Get(name)); ok {
			in.method(proto, name, visitAll, nil)
		}
	}
	in.method(proto, "join", visitAll, stringSize)
	in.method(proto, "concat", func(this goja.Value, args []goja.Value) (uint64, goja.Value, []goja.Value) {
		n := lengthOf(this)
		for _, a := range args {
			if o, ok := a.(*goja.Object); ok && o.ClassName() == "Array" {
				n += lengthOf(o)
			} else {
				n++
			}
		}
		return elements(n), this, args
	}, nil)
}

// isNumber reports whether v is a number primitive.
func isNumber(v goja.Value) bool {
	switch v.Export().(type) {
	case int64, float64:
		return true
	}
	return false
}

// buffers meters ArrayBuffer and the typed-array constructors by the bytes
// or elements they allocate.
func (in *installer) buffers() {
	in.constructor("ArrayBuffer", func(args []goja.Value) (uint64, []goja.Value) {
		a := arg(args, 0)
		if _, ok := a.(*goja.Object); ok {
			// Convert once here so the original does not call valueOf again.
			n := in.toInt(a)
			return chars(clampLen(n)), withArg(args, 0, in.rt.ToValue(n))
		}
		return chars(in.sizeArg(a)), args
	})
	for _, name := range []string{
		"Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array",
		"Int32Array", "Uint32Array", "Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array",
	} {
		if _, ok := in.rt.GlobalObject().Get(name).(*goja.Object); !ok {
			continue
		}
		in.constructor(name, func(args []goja.Value) (uint64, []goja.Value) {
			a := arg(args, 0)
			if o, ok := a.(*goja.Object); ok {
				if o.ClassName() == "ArrayBuffer" {
					return CallCharge, args // a view: no copy
				}
				return elements(lengthOf(o)), args // copies an array-like or iterable
			}
			return elements(in.sizeArg(a)), args
		})
	}
}

// sizeArg is the length a constructor will allocate for a primitive size
// argument; objects are converted by the original (0 here).
func (in *installer) sizeArg(v goja.Value) int64 {
	if _, ok := v.(*goja.Object); ok || v == nil {
		return 0
	}
	if goja.IsUndefined(v) {
		return 0
	}
	if _, isSym := v.(*goja.Symbol); isSym {
		return 0
	}
	return clampLen(v.ToFloat())
}

// json meters JSON.parse by its input and JSON.stringify by its output.
func (in *installer) json() {
	j := in.object("JSON")
	in.method(j, "parse", func(this goja.Value, args []goja.Value) (uint64, goja.Value, []goja.Value) {
		s := in.toStr(arg(args, 0))
		return CallCharge + units(int64(s.Length()), JSONParseCharsPerComputron), this, withArg(args, 0, s)
	}, nil)
	in.method(j, "stringify", nil, func(res goja.Value) uint64 {
		if s, ok := res.(goja.String); ok {
			return CallCharge + units(int64(s.Length()), JSONStringifyCharsPerComputron)
		}
		return CallCharge
	})
}
