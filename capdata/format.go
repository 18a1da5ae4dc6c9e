package capdata

import (
	"fmt"
	"maps"
	"math"
	"math/big"
	"slices"
	"strconv"
	"unicode"
)

// Format returns a JS-like one-line display of v for messages and logs.
func Format(v Value) string {
	return string(appendFormat(nil, v, 0))
}

func appendFormat(b []byte, v Value, depth int) []byte {
	if depth > maxDepth {
		return append(b, "…"...)
	}
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case Undefined:
		return append(b, "undefined"...)
	case bool:
		return strconv.AppendBool(b, x)
	case string:
		return appendQuoted(b, x)
	case Symbol:
		return append(append(append(b, "Symbol("...), x.Name...), ')')
	case []Value:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendFormat(b, e, depth+1)
		}
		return append(b, ']')
	case *Record:
		if x == nil {
			return append(b, "null"...)
		}
		b = append(b, '{')
		for i, k := range x.Keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendFormatKey(b, k)
			b = append(b, ':')
			if i < len(x.Values) {
				b = appendFormat(b, x.Values[i], depth+1)
			}
		}
		return append(b, '}')
	case map[string]any:
		b = append(b, '{')
		for i, k := range sortedKeys(x) {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendFormatKey(b, k)
			b = append(b, ':')
			b = appendFormat(b, x[k], depth+1)
		}
		return append(b, '}')
	case *Tagged:
		if x == nil {
			return append(b, "null"...)
		}
		b = appendQuoted(append(b, "makeTagged("...), x.Tag)
		b = appendFormat(append(b, ", "...), x.Payload, depth+1)
		return append(b, ')')
	case *Error:
		if x == nil {
			return append(b, "null"...)
		}
		name := x.Name
		if name == "" {
			name = "Error"
		}
		b = appendQuoted(append(append(b, name...), '('), x.Message)
		return append(b, ')')
	case Slot:
		switch {
		case x.Kind == Promise:
			return append(append(append(b, "[Promise "...), x.Ref...), ']')
		case x.Iface != "":
			return append(append(append(b, '['), x.Iface...), ']')
		default:
			return append(append(append(b, "[Remotable "...), x.Ref...), ']')
		}
	}
	if f, ok := toFloat(v); ok {
		if f == 0 && math.Signbit(f) {
			return append(b, "-0"...)
		}
		return appendJSNumber(b, f)
	}
	if z, ok := v.(*big.Int); ok && z != nil {
		return append(z.Append(b, 10), 'n')
	}
	if s, ok := v.(fmt.Stringer); ok {
		return append(b, s.String()...)
	}
	return append(b, "[object]"...)
}

// appendFormatKey writes a property name bare if it is an identifier,
// otherwise quoted.
func appendFormatKey(b []byte, k string) []byte {
	if isIdentifier(k) {
		return append(b, k...)
	}
	return appendQuoted(b, k)
}

// isIdentifier reports whether k can be written as a bare JS property name.
func isIdentifier(k string) bool {
	if k == "" {
		return false
	}
	for i, r := range k {
		if r == '_' || r == '$' || unicode.IsLetter(r) || (i > 0 && unicode.IsDigit(r)) {
			continue
		}
		return false
	}
	return true
}

// toFloat converts a number (float64, float32 or a Go integer) to float64.
func toFloat(v Value) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int8:
		return float64(x), true
	case int16:
		return float64(x), true
	case int32:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint:
		return float64(x), true
	case uint8:
		return float64(x), true
	case uint16:
		return float64(x), true
	case uint32:
		return float64(x), true
	case uint64:
		return float64(x), true
	}
	return 0, false
}

// sortedKeys returns m's keys in JS (UTF-16) order.
func sortedKeys(m map[string]any) []string {
	return slices.SortedFunc(maps.Keys(m), compareUTF16)
}

// ToJSON renders v as compact, deterministic plain JSON for display:
// numbers as JSON numbers ("NaN", "Infinity" and "-Infinity" as strings),
// bigints as strings like "10n", undefined as null, records as objects in
// stored key order, symbols as their name ("@@asyncIterator"), tagged
// values as {"tag":..,"payload":..}, errors as
// {"error":{"name":..,"message":..}} (plus "errorId", "cause" and "errors"
// when present), and references as {"slot":ref} plus "iface" when known
// (promises as {"slot":ref,"promise":true}).
func ToJSON(v Value) []byte {
	return appendJSON(nil, v, 0)
}

func appendJSON(b []byte, v Value, depth int) []byte {
	if depth > maxDepth {
		return append(b, "null"...)
	}
	switch x := v.(type) {
	case nil, Undefined:
		return append(b, "null"...)
	case bool:
		return strconv.AppendBool(b, x)
	case string:
		return appendQuoted(b, x)
	case Symbol:
		return appendQuoted(b, x.Name)
	case []Value:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSON(b, e, depth+1)
		}
		return append(b, ']')
	case *Record:
		if x == nil {
			return append(b, "null"...)
		}
		b = append(b, '{')
		for i, k := range x.Keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(appendQuoted(b, k), ':')
			var e Value
			if i < len(x.Values) {
				e = x.Values[i]
			}
			b = appendJSON(b, e, depth+1)
		}
		return append(b, '}')
	case map[string]any:
		b = append(b, '{')
		for i, k := range sortedKeys(x) {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(appendQuoted(b, k), ':')
			b = appendJSON(b, x[k], depth+1)
		}
		return append(b, '}')
	case *Tagged:
		if x == nil {
			return append(b, "null"...)
		}
		b = appendQuoted(append(b, `{"tag":`...), x.Tag)
		b = appendJSON(append(b, `,"payload":`...), x.Payload, depth+1)
		return append(b, '}')
	case *Error:
		if x == nil {
			return append(b, "null"...)
		}
		b = appendQuoted(append(b, `{"error":{"name":`...), x.Name)
		b = appendQuoted(append(b, `,"message":`...), x.Message)
		if x.ErrorID != "" {
			b = appendQuoted(append(b, `,"errorId":`...), x.ErrorID)
		}
		if x.Cause != nil {
			b = appendJSON(append(b, `,"cause":`...), x.Cause, depth+1)
		}
		if x.Errors != nil {
			b = appendJSON(append(b, `,"errors":`...), x.Errors, depth+1)
		}
		return append(b, "}}"...)
	case Slot:
		b = appendQuoted(append(b, `{"slot":`...), x.Ref)
		if x.Kind == Promise {
			b = append(b, `,"promise":true`...)
		} else if x.Iface != "" {
			b = appendQuoted(append(b, `,"iface":`...), x.Iface)
		}
		return append(b, '}')
	}
	if f, ok := toFloat(v); ok {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			b = append(b, '"')
			return append(appendJSNumber(b, f), '"')
		}
		return appendJSNumber(b, f)
	}
	if z, ok := v.(*big.Int); ok && z != nil {
		b = append(b, '"')
		return append(z.Append(b, 10), 'n', '"')
	}
	return appendQuoted(b, Format(v))
}

// Equal reports whether a and b are structurally equal values. NaN equals
// NaN and -0 equals 0 (smallcaps encodes -0 as 0); Go integers equal the
// float64 of the same value; records are compared as unordered maps.
func Equal(a, b Value) bool { return equal(a, b, 0) }

func equal(a, b Value, depth int) bool {
	if depth > maxDepth {
		return false
	}
	if fa, ok := toFloat(a); ok {
		fb, ok := toFloat(b)
		return ok && (fa == fb || (math.IsNaN(fa) && math.IsNaN(fb)))
	}
	switch x := a.(type) {
	case nil:
		return b == nil
	case Undefined:
		_, ok := b.(Undefined)
		return ok
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case string:
		y, ok := b.(string)
		return ok && x == y
	case Symbol:
		y, ok := b.(Symbol)
		return ok && x == y
	case *big.Int:
		y, ok := b.(*big.Int)
		return ok && (x == y || (x != nil && y != nil && x.Cmp(y) == 0))
	case Slot:
		y, ok := b.(Slot)
		return ok && x == y
	case []Value:
		y, ok := b.([]Value)
		return ok && equalArrays(x, y, depth)
	case *Tagged:
		y, ok := b.(*Tagged)
		if !ok || x == nil || y == nil {
			return ok && x == y
		}
		return x.Tag == y.Tag && equal(x.Payload, y.Payload, depth+1)
	case *Error:
		y, ok := b.(*Error)
		if !ok || x == nil || y == nil {
			return ok && x == y
		}
		return x.Name == y.Name && x.Message == y.Message && x.ErrorID == y.ErrorID &&
			equal(x.Cause, y.Cause, depth+1) && equalArrays(x.Errors, y.Errors, depth)
	case *Record, map[string]any:
		ka, va, ok1 := entries(a)
		kb, vb, ok2 := entries(b)
		if !ok1 || !ok2 || len(ka) != len(kb) {
			return false
		}
		index := make(map[string]int, len(kb))
		for i, k := range kb {
			index[k] = i
		}
		for i, k := range ka {
			j, ok := index[k]
			if !ok || !equal(va(i), vb(j), depth+1) {
				return false
			}
		}
		return true
	}
	return sameObject(a, b)
}

// equalArrays compares arrays elementwise (nil equals empty).
func equalArrays(x, y []Value, depth int) bool {
	if len(x) != len(y) {
		return false
	}
	for i := range x {
		if !equal(x[i], y[i], depth+1) {
			return false
		}
	}
	return true
}

// entries returns the keys and a value accessor of a record-like value.
func entries(v Value) ([]string, func(int) Value, bool) {
	switch x := v.(type) {
	case *Record:
		if x == nil || len(x.Keys) != len(x.Values) {
			return nil, nil, false
		}
		return x.Keys, func(i int) Value { return x.Values[i] }, true
	case map[string]any:
		keys := sortedKeys(x)
		return keys, func(i int) Value { return x[keys[i]] }, true
	}
	return nil, nil, false
}

// sameObject compares other values (such as FromSlot results) with ==,
// treating incomparable values as unequal.
func sameObject(a, b Value) (eq bool) {
	defer func() {
		if recover() != nil {
			eq = false
		}
	}()
	return a == b
}
