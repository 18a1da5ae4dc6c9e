package capdata

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
)

var (
	nan    = math.NaN()
	posInf = math.Inf(1)
	negInf = math.Inf(-1)
)

// maxSafeInteger is 2^53, the largest magnitude an integer may have to be
// encoded as a (JS) number.
const maxSafeInteger = 1 << 53

// startsSpecial reports whether an encoded string starts with one of the
// characters smallcaps reserves: '!' through '-' (!"#$%&'()*+,-).
func startsSpecial(s string) bool {
	return s != "" && s[0] >= '!' && s[0] <= '-'
}

// wellKnownSymbols are the names of JS well-known symbols (Symbol.x is
// named "@@x").
var wellKnownSymbols = map[string]bool{
	"asyncDispose": true, "asyncIterator": true, "dispose": true,
	"hasInstance": true, "isConcatSpreadable": true, "iterator": true,
	"match": true, "matchAll": true, "replace": true, "search": true,
	"species": true, "split": true, "toPrimitive": true,
	"toStringTag": true, "unscopables": true,
}

// checkSymbolName verifies that name names a passable symbol: "@@x" for a
// well-known symbol x, "@@@@..." for a registered symbol whose key starts
// with "@@", or any other registered-symbol key.
func checkSymbolName(name string) error {
	if err := checkString(name); err != nil {
		return fmt.Errorf("symbol name: %w", err)
	}
	if suffix, ok := strings.CutPrefix(name, "@@"); ok && !strings.HasPrefix(suffix, "@@") && !wellKnownSymbols[suffix] {
		return fmt.Errorf("symbol name %s is reserved for a well-known symbol, and there is none named %s", strconv.Quote(name), strconv.Quote(suffix))
	}
	return nil
}

// Encode encodes v as smallcaps capdata.
func (m Marshaller) Encode(v Value) (CapData, error) {
	e := encoder{m: m, buf: make([]byte, 0, 64)}
	e.buf = append(e.buf, '#')
	if err := e.encode(v, 0); err != nil {
		var pe *pathError
		if errors.As(err, &pe) {
			msg := pe.msg
			if len(pe.rev) > 0 {
				msg = "at " + pe.where() + ": " + msg
			}
			if pe.cause != nil {
				return CapData{}, fmt.Errorf("capdata: cannot encode value: %s: %w", msg, pe.cause)
			}
			return CapData{}, fmt.Errorf("capdata: cannot encode value: %s", msg)
		}
		return CapData{}, fmt.Errorf("capdata: cannot encode value: %w", err)
	}
	slots := e.slots
	if slots == nil {
		slots = []string{}
	}
	return CapData{Body: string(e.buf), Slots: slots}, nil
}

// encoder holds the state of one Encode call.
type encoder struct {
	m       Marshaller
	buf     []byte
	slots   []string
	kinds   []SlotKind
	indexOf map[string]int
}

func (e *encoder) encode(v Value, depth int) error {
	switch x := v.(type) {
	case nil:
		e.buf = append(e.buf, "null"...)
	case Undefined:
		e.buf = append(e.buf, `"#undefined"`...)
	case bool:
		e.buf = strconv.AppendBool(e.buf, x)
	case float64:
		e.number(x)
	case float32:
		e.number(float64(x))
	case int:
		return e.integer(int64(x))
	case int8:
		return e.integer(int64(x))
	case int16:
		return e.integer(int64(x))
	case int32:
		return e.integer(int64(x))
	case int64:
		return e.integer(x)
	case uint:
		return e.unsigned(uint64(x))
	case uint8:
		return e.unsigned(uint64(x))
	case uint16:
		return e.unsigned(uint64(x))
	case uint32:
		return e.unsigned(uint64(x))
	case uint64:
		return e.unsigned(x)
	case *big.Int:
		if x == nil {
			return fail("nil *big.Int")
		}
		e.buf = append(e.buf, '"')
		if x.Sign() >= 0 {
			e.buf = append(e.buf, '+')
		}
		e.buf = x.Append(e.buf, 10)
		e.buf = append(e.buf, '"')
	case string:
		return e.string(x)
	case Symbol:
		if err := checkSymbolName(x.Name); err != nil {
			return fail("%v", err)
		}
		e.buf = append(e.buf, '"', '%')
		e.buf = append(appendEscaped(e.buf, x.Name), '"')
	case []Value:
		return e.array(x, depth)
	case *Record:
		if x == nil {
			return fail("nil *Record")
		}
		if len(x.Keys) != len(x.Values) {
			return fail("record has %d keys but %d values", len(x.Keys), len(x.Values))
		}
		return e.record(x.Keys, func(i int) Value { return x.Values[i] }, depth)
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		return e.record(keys, func(i int) Value { return x[keys[i]] }, depth)
	case *Tagged:
		if x == nil {
			return fail("nil *Tagged")
		}
		if depth >= maxDepth {
			return fail("nesting deeper than %d", maxDepth)
		}
		e.buf = append(e.buf, `{"#tag":`...)
		if err := e.string(x.Tag); err != nil {
			return atKey(err, "#tag")
		}
		e.buf = append(e.buf, `,"payload":`...)
		if err := e.encode(x.Payload, depth+1); err != nil {
			return atKey(err, "payload")
		}
		e.buf = append(e.buf, '}')
	case *Error:
		if x == nil {
			return fail("nil *Error")
		}
		return e.error(x, depth)
	case Slot:
		return e.slot(x)
	default:
		if e.m.ToSlot == nil {
			return fail("cannot pass a reference without a slot table")
		}
		s, err := e.m.ToSlot(v)
		if err != nil {
			return &pathError{msg: "reference", cause: err}
		}
		return e.slot(s)
	}
	return nil
}

func (e *encoder) number(f float64) {
	switch {
	case math.IsNaN(f):
		e.buf = append(e.buf, `"#NaN"`...)
	case math.IsInf(f, 1):
		e.buf = append(e.buf, `"#Infinity"`...)
	case math.IsInf(f, -1):
		e.buf = append(e.buf, `"#-Infinity"`...)
	default:
		e.buf = appendJSNumber(e.buf, f)
	}
}

func (e *encoder) integer(i int64) error {
	if i > maxSafeInteger || i < -maxSafeInteger {
		return fail("integer %d cannot be represented exactly as a number; use *big.Int", i)
	}
	e.buf = strconv.AppendInt(e.buf, i, 10)
	return nil
}

func (e *encoder) unsigned(u uint64) error {
	if u > maxSafeInteger {
		return fail("integer %d cannot be represented exactly as a number; use *big.Int", u)
	}
	e.buf = strconv.AppendUint(e.buf, u, 10)
	return nil
}

// string encodes a string, escaping a leading special character with '!'.
func (e *encoder) string(s string) error {
	if err := checkString(s); err != nil {
		return fail("%v: %s", err, strconv.Quote(s))
	}
	if startsSpecial(s) {
		e.buf = append(e.buf, '"', '!')
		e.buf = append(appendEscaped(e.buf, s), '"')
		return nil
	}
	e.buf = appendQuoted(e.buf, s)
	return nil
}

func (e *encoder) array(a []Value, depth int) error {
	if depth >= maxDepth {
		return fail("nesting deeper than %d", maxDepth)
	}
	e.buf = append(e.buf, '[')
	for i, v := range a {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		if err := e.encode(v, depth+1); err != nil {
			return atIndex(err, i)
		}
	}
	e.buf = append(e.buf, ']')
	return nil
}

// record encodes a copyRecord the way Endo's JSON.stringify of a
// sorted-key object comes out: keys that are array indices first, in
// numeric order (JS objects always enumerate those first), then the other
// keys in JS (UTF-16) order.
func (e *encoder) record(keys []string, value func(i int) Value, depth int) error {
	if depth >= maxDepth {
		return fail("nesting deeper than %d", maxDepth)
	}
	order := make([]int, len(keys))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return compareKeys(keys[a], keys[b]) })
	e.buf = append(e.buf, '{')
	for j, i := range order {
		k := keys[i]
		if j > 0 {
			if k == keys[order[j-1]] {
				return fail("duplicate record key %s", strconv.Quote(k))
			}
			e.buf = append(e.buf, ',')
		}
		if err := e.string(k); err != nil {
			return err
		}
		e.buf = append(e.buf, ':')
		if err := e.encode(value(i), depth+1); err != nil {
			return atKey(err, k)
		}
	}
	e.buf = append(e.buf, '}')
	return nil
}

// compareKeys orders property names as JS enumerates an object's own
// string keys after they were added in sorted order.
func compareKeys(a, b string) int {
	ia, ib := isArrayIndex(a), isArrayIndex(b)
	switch {
	case ia && ib:
		if len(a) != len(b) {
			return len(a) - len(b)
		}
		return strings.Compare(a, b)
	case ia:
		return -1
	case ib:
		return 1
	}
	return compareUTF16(a, b)
}

// isArrayIndex reports whether k is a canonical array index: a decimal
// integer from 0 to 2^32-2 without leading zeros.
func isArrayIndex(k string) bool {
	if k == "" || len(k) > 10 || (k[0] == '0' && len(k) > 1) {
		return false
	}
	n := 0
	for i := 0; i < len(k); i++ {
		if k[i] < '0' || k[i] > '9' {
			return false
		}
		n = n*10 + int(k[i]-'0')
	}
	return n <= 1<<32-2
}

// error encodes an error the way @endo/marshal does:
// {"#error": message, "errorId"?: id, "name": name}, followed by "cause"
// and "errors" when present.
func (e *encoder) error(x *Error, depth int) error {
	if depth >= maxDepth {
		return fail("nesting deeper than %d", maxDepth)
	}
	e.buf = append(e.buf, `{"#error":`...)
	if err := e.string(x.Message); err != nil {
		return atKey(err, "message")
	}
	id := x.ErrorID
	if e.m.ErrorID != nil {
		id = e.m.ErrorID()
	}
	if id != "" {
		e.buf = append(e.buf, `,"errorId":`...)
		if err := e.string(id); err != nil {
			return atKey(err, "errorId")
		}
	}
	e.buf = append(e.buf, `,"name":`...)
	if err := e.string(x.Name); err != nil {
		return atKey(err, "name")
	}
	if x.Cause != nil {
		if _, undef := x.Cause.(Undefined); !undef {
			e.buf = append(e.buf, `,"cause":`...)
			if err := e.encode(x.Cause, depth+1); err != nil {
				return atKey(err, "cause")
			}
		}
	}
	if x.Errors != nil {
		e.buf = append(e.buf, `,"errors":`...)
		if err := e.array(x.Errors, depth+1); err != nil {
			return atKey(err, "errors")
		}
	}
	e.buf = append(e.buf, '}')
	return nil
}

// slot encodes a reference, allocating a slot index on first use of its Ref.
func (e *encoder) slot(s Slot) error {
	if s.Kind != Remotable && s.Kind != Promise {
		return fail("slot %s has invalid kind %d", s.Ref, int(s.Kind))
	}
	index, seen := e.indexOf[s.Ref]
	if seen {
		if e.kinds[index] != s.Kind {
			return fail("slot %s used as both remotable and promise", s.Ref)
		}
	} else {
		if e.indexOf == nil {
			e.indexOf = make(map[string]int)
		}
		index = len(e.slots)
		e.indexOf[s.Ref] = index
		e.slots = append(e.slots, s.Ref)
		e.kinds = append(e.kinds, s.Kind)
	}
	e.buf = append(e.buf, '"')
	if s.Kind == Promise {
		e.buf = append(e.buf, '&')
	} else {
		e.buf = append(e.buf, '$')
	}
	e.buf = strconv.AppendInt(e.buf, int64(index), 10)
	if !seen && s.Kind == Remotable && s.Iface != "" {
		if err := checkString(s.Iface); err != nil {
			return fail("slot %s iface: %v", s.Ref, err)
		}
		// The iface is part of the encoded string, so it is escaped but
		// not '!'-prefixed.
		e.buf = appendEscaped(append(e.buf, '.'), s.Iface)
	}
	e.buf = append(e.buf, '"')
	return nil
}
