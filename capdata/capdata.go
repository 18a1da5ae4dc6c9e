// Package capdata encodes values to and from Endo "smallcaps" capdata, the
// serialization used by Agoric SwingSet and @endo/marshal.
//
// A Value is one of: nil (JS null), Undefined, bool, float64, *big.Int,
// string, Symbol, []Value, *Record, *Tagged, *Error or Slot. Decoding may
// also produce whatever a Marshaller's FromSlot returns in place of a Slot.
//
// Strings are Go strings holding UTF-8. A JS string with a lone surrogate
// (which UTF-8 cannot express) is held as its WTF-8 form: the surrogate
// code unit encoded as a 3-byte generalized UTF-8 sequence. Decode produces
// such strings from "\udXXX" escapes and Encode writes them back as escapes,
// so they round-trip exactly.
//
// Encode produces exactly what @endo/marshal's toCapData produces (with
// errorTagging "off", or "on" when ErrorID is set), including its record
// key order: array-index keys first in numeric order, then the rest in
// UTF-16 order. Decode accepts what Endo's fromCapData accepts, except that
// it is stricter where Endo is lax or lossy: duplicate JSON object keys,
// numbers that overflow to ±Infinity, non-canonical bigints ("+01", "-0")
// and slot indexes ("$", "$01"), record keys that decode to the same name
// ("a" and "!a"), non-string error ids and "errors" that are not arrays
// are all rejected, as is nesting deeper than 1000. Unlike Endo, Decode
// keeps an error's name even if JS has no such error constructor, and keeps
// "cause" and "errors"; other extra error properties are checked and
// dropped.
package capdata

import (
	"errors"
	"fmt"
)

// CapData is a serialized value: a smallcaps body ("#" + JSON) and its slots.
type CapData struct {
	Body  string
	Slots []string
}

// Value is a passable value (see the package documentation for its forms).
type Value = any

// Undefined is the JS undefined value; use Undefined{}.
type Undefined struct{}

// Symbol is a passable (registered or well-known) JS symbol, named as Endo
// names it: "@@asyncIterator" for Symbol.asyncIterator, otherwise the
// registry key.
type Symbol struct{ Name string }

// Record is a copyRecord: string keys with values, in the order given.
type Record struct {
	Keys   []string
	Values []Value
}

// NewRecord builds a Record from key, value pairs; it panics on an odd
// number of arguments or a non-string key.
func NewRecord(kv ...any) *Record {
	if len(kv)%2 != 0 {
		panic("capdata.NewRecord: odd number of arguments")
	}
	r := &Record{Keys: make([]string, 0, len(kv)/2), Values: make([]Value, 0, len(kv)/2)}
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			panic(fmt.Sprintf("capdata.NewRecord: key %d is a %T, not a string", i/2, kv[i]))
		}
		r.Keys = append(r.Keys, k)
		r.Values = append(r.Values, kv[i+1])
	}
	return r
}

// Get returns the value stored under key and whether it is present.
func (r *Record) Get(key string) (Value, bool) {
	for i, k := range r.Keys {
		if k == key {
			return r.Values[i], true
		}
	}
	return nil, false
}

// Set replaces the value under key, or appends key if it is absent.
func (r *Record) Set(key string, v Value) {
	for i, k := range r.Keys {
		if k == key {
			r.Values[i] = v
			return
		}
	}
	r.Keys = append(r.Keys, key)
	r.Values = append(r.Values, v)
}

// Len returns the number of entries.
func (r *Record) Len() int { return len(r.Keys) }

// Tagged is a tagged value (makeTagged(Tag, Payload)).
type Tagged struct {
	Tag     string
	Payload Value
}

// Error is a passable error. Cause is nil when absent; Errors is nil when
// absent.
type Error struct {
	Name, Message, ErrorID string
	Cause                  Value
	Errors                 []Value
}

// Error returns Name + ": " + Message.
func (e *Error) Error() string { return e.Name + ": " + e.Message }

// SlotKind says whether a slot is a remotable or a promise.
type SlotKind int

// The kinds of slot.
const (
	Remotable SlotKind = iota // a remotable object ("$" in smallcaps)
	Promise                   // a promise ("&" in smallcaps)
)

// String returns "remotable" or "promise".
func (k SlotKind) String() string {
	switch k {
	case Remotable:
		return "remotable"
	case Promise:
		return "promise"
	}
	return fmt.Sprintf("SlotKind(%d)", int(k))
}

// Slot is a reference to a remotable or promise, by its slot string.
// Iface (like "Alleged: counter") is only meaningful for a Remotable.
type Slot struct {
	Ref   string
	Kind  SlotKind
	Iface string
}

// Marshaller converts between values and capdata, using ToSlot and FromSlot
// for references.
type Marshaller struct {
	// ToSlot is called for any value Encode does not recognise as data;
	// when nil, such values are an error ("cannot pass <type>").
	ToSlot func(v any) (Slot, error)
	// FromSlot is called once per slot index referenced by a body when
	// decoding; its result replaces every reference to that slot. When nil,
	// references decode to the Slot itself.
	FromSlot func(s Slot) (any, error)
	// ErrorID, when set, names each error Encode writes (its "errorId"),
	// replacing the ErrorID the error carries, as Endo's marshal tags every
	// error it sends.
	ErrorID func() string
}

// ErrMalformed is wrapped by every Decode error. It has no "capdata: "
// prefix: its text reaches vats (syscall and device errors) and their
// transcripts, so it cannot change.
var ErrMalformed = errors.New("malformed capdata")

// maxDepth is the deepest nesting of arrays and objects Encode and Decode accept.
const maxDepth = 1000

// Encode encodes v with a zero Marshaller (no ToSlot).
func Encode(v Value) (CapData, error) { return Marshaller{}.Encode(v) }

// Decode decodes cd with a zero Marshaller (references decode to Slot values).
func Decode(cd CapData) (Value, error) { return Marshaller{}.Decode(cd) }

// MustEncode encodes v and panics on error; use it for values known to be data.
func MustEncode(v Value) CapData {
	cd, err := Encode(v)
	if err != nil {
		panic(err)
	}
	return cd
}

// EncodeMethargs encodes the message [method, args].
func (m Marshaller) EncodeMethargs(method string, args []Value) (CapData, error) {
	if args == nil {
		args = []Value{}
	}
	return m.Encode([]Value{method, args})
}

// DecodeMethargs decodes a message body [method, args]; a symbol method is
// returned as its name (e.g. "@@asyncIterator").
func (m Marshaller) DecodeMethargs(cd CapData) (method string, args []Value, err error) {
	v, err := m.Decode(cd)
	if err != nil {
		return "", nil, err
	}
	arr, ok := v.([]Value)
	if !ok || len(arr) != 2 {
		return "", nil, fmt.Errorf("%w: methargs must be a [method, args] array, not %s", ErrMalformed, Format(v))
	}
	switch meth := arr[0].(type) {
	case string:
		method = meth
	case Symbol:
		method = meth.Name
	default:
		return "", nil, fmt.Errorf("%w: method must be a string or symbol, not %s", ErrMalformed, Format(arr[0]))
	}
	args, ok = arr[1].([]Value)
	if !ok {
		return "", nil, fmt.Errorf("%w: method %q arguments must be an array, not %s", ErrMalformed, method, Format(arr[1]))
	}
	return method, args, nil
}
