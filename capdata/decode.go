package capdata

import (
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// Decode decodes smallcaps capdata. Every error wraps ErrMalformed; an error
// returned by FromSlot is wrapped too.
func (m Marshaller) Decode(cd CapData) (Value, error) {
	body, ok := strings.CutPrefix(cd.Body, "#")
	if !ok {
		if cd.Body == "" {
			return nil, fmt.Errorf("%w: empty body", ErrMalformed)
		}
		return nil, fmt.Errorf("%w: body is not smallcaps (does not start with '#')", ErrMalformed)
	}
	tree, err := parseJSON(body)
	if err != nil {
		return nil, err
	}
	d := decoder{m: m, slots: cd.Slots}
	v, err := d.decode(&tree)
	if err != nil {
		var pe *pathError
		if errors.As(err, &pe) {
			return nil, pe.finish(ErrMalformed)
		}
		return nil, err
	}
	return v, nil
}

// decoder holds the state of one Decode call.
type decoder struct {
	m     Marshaller
	slots []string
	seen  []slotUse // by slot index, allocated on first reference
}

// slotUse records how a slot index was first referenced.
type slotUse struct {
	used bool
	kind SlotKind
	val  any
}

// fail returns a decoding error with no path yet.
func fail(format string, args ...any) error {
	return &pathError{msg: fmt.Sprintf(format, args...)}
}

// decode interprets a parsed JSON node as a smallcaps encoding.
func (d *decoder) decode(n *jsonNode) (Value, error) {
	switch n.kind {
	case jNull:
		return nil, nil
	case jBool:
		return n.b, nil
	case jNumber:
		return n.num, nil
	case jString:
		return d.decodeString(n.str)
	case jArray:
		out := make([]Value, len(n.arr))
		for i := range n.arr {
			v, err := d.decode(&n.arr[i])
			if err != nil {
				return nil, atIndex(err, i)
			}
			out[i] = v
		}
		return out, nil
	}
	if _, ok := n.field("#tag"); ok {
		return d.decodeTagged(n)
	}
	if _, ok := n.field("#error"); ok {
		return d.decodeError(n)
	}
	return d.decodeRecord(n)
}

// decodeString decodes a smallcaps string encoding.
func (d *decoder) decodeString(s string) (Value, error) {
	if !startsSpecial(s) {
		return s, nil
	}
	switch s[0] {
	case '!':
		return s[1:], nil
	case '%':
		return decodeSymbol(s[1:])
	case '#':
		switch s {
		case "#undefined":
			return Undefined{}, nil
		case "#NaN":
			return nan, nil
		case "#Infinity":
			return posInf, nil
		case "#-Infinity":
			return negInf, nil
		}
		return nil, fail("unknown constant %s", strconv.Quote(s))
	case '+', '-':
		return decodeBigint(s)
	case '$':
		return d.decodeSlot(s, Remotable)
	case '&':
		return d.decodeSlot(s, Promise)
	}
	return nil, fail("special character %q is reserved: %s", s[0], strconv.Quote(s))
}

// decodeSymbol returns the passable symbol with the given name.
func decodeSymbol(name string) (Value, error) {
	if err := checkSymbolName(name); err != nil {
		return nil, fail("%v", err)
	}
	return Symbol{Name: name}, nil
}

// decodeBigint decodes "+N" or "-N" with N canonical decimal.
func decodeBigint(s string) (Value, error) {
	digits := s[1:]
	ok := digits != "" && (digits[0] != '0' || len(digits) == 1)
	for i := 0; ok && i < len(digits); i++ {
		ok = digits[i] >= '0' && digits[i] <= '9'
	}
	if !ok || s == "-0" {
		return nil, fail("invalid bigint %s", strconv.Quote(s))
	}
	z, _ := new(big.Int).SetString(digits, 10)
	if s[0] == '-' {
		z.Neg(z)
	}
	return z, nil
}

// decodeSlot decodes "$N", "$N.iface" or "&N".
func (d *decoder) decodeSlot(s string, kind SlotKind) (Value, error) {
	num, iface, hasIface := strings.Cut(s[1:], ".")
	ok := num != "" && (num[0] != '0' || len(num) == 1)
	for i := 0; ok && i < len(num); i++ {
		ok = num[i] >= '0' && num[i] <= '9'
	}
	if !ok {
		return nil, fail("invalid slot reference %s", strconv.Quote(s))
	}
	index, err := strconv.Atoi(num)
	if err != nil || index >= len(d.slots) {
		return nil, fail("slot index %s out of range (%d slots)", num, len(d.slots))
	}
	if d.seen == nil {
		d.seen = make([]slotUse, len(d.slots))
	}
	use := &d.seen[index]
	if use.used {
		if use.kind != kind {
			return nil, fail("slot %d used as both remotable and promise", index)
		}
		return use.val, nil
	}
	slot := Slot{Ref: d.slots[index], Kind: kind}
	if hasIface && kind == Remotable {
		slot.Iface = iface
	}
	var val any = slot
	if d.m.FromSlot != nil {
		var err error
		if val, err = d.m.FromSlot(slot); err != nil {
			return nil, &pathError{msg: fmt.Sprintf("slot %d (%s)", index, slot.Ref), cause: err}
		}
	}
	*use = slotUse{used: true, kind: kind, val: val}
	return val, nil
}

// decodeTagged decodes {"#tag": tag, "payload": payload}.
func (d *decoder) decodeTagged(n *jsonNode) (Value, error) {
	for _, k := range n.keys {
		if k != "#tag" && k != "payload" {
			return nil, fail("tagged record has unexpected property %s", strconv.Quote(k))
		}
	}
	tn, _ := n.field("#tag")
	if tn.kind != jString {
		return nil, fail("value of \"#tag\" must be a string")
	}
	tag, err := d.decodeString(tn.str)
	if err != nil {
		return nil, atKey(err, "#tag")
	}
	ts, ok := tag.(string)
	if !ok {
		return nil, fail("tag %s must decode to a string", strconv.Quote(tn.str))
	}
	pn, ok := n.field("payload")
	if !ok {
		return nil, fail("tagged record has no payload")
	}
	payload, err := d.decode(pn)
	if err != nil {
		return nil, atKey(err, "payload")
	}
	return &Tagged{Tag: ts, Payload: payload}, nil
}

// decodeError decodes {"#error": message, "name": name, ...}. Unknown
// properties (which Endo attaches as hidden diagnostics) are decoded to
// check them, then dropped.
func (d *decoder) decodeError(n *jsonNode) (Value, error) {
	e := &Error{}
	str := func(key string) (string, bool, error) {
		sn, ok := n.field(key)
		if !ok {
			return "", false, nil
		}
		v, err := d.decode(sn)
		if err != nil {
			return "", true, atKey(err, key)
		}
		s, isStr := v.(string)
		if !isStr {
			return "", true, fail("error %s must be a string, not %s", key, Format(v))
		}
		return s, true, nil
	}
	var err error
	var ok bool
	if e.Message, _, err = str("#error"); err != nil {
		return nil, err
	}
	if e.Name, ok, err = str("name"); err != nil {
		return nil, err
	} else if !ok {
		return nil, fail("error has no name")
	}
	if e.ErrorID, _, err = str("errorId"); err != nil {
		return nil, err
	}
	for i, k := range n.keys {
		switch k {
		case "#error", "name", "errorId":
		case "message":
			return nil, fail("error has unexpected property \"message\"")
		case "cause":
			v, err := d.decode(&n.arr[i])
			if err != nil {
				return nil, atKey(err, k)
			}
			if _, isUndef := v.(Undefined); !isUndef {
				e.Cause = v
			}
		case "errors":
			v, err := d.decode(&n.arr[i])
			if err != nil {
				return nil, atKey(err, k)
			}
			switch errs := v.(type) {
			case []Value:
				e.Errors = errs
			case Undefined, nil:
			default:
				return nil, fail("error errors must be an array, not %s", Format(v))
			}
		default:
			if _, err := d.decode(&n.arr[i]); err != nil {
				return nil, atKey(err, k)
			}
		}
	}
	return e, nil
}

// decodeRecord decodes a copyRecord.
func (d *decoder) decodeRecord(n *jsonNode) (Value, error) {
	r := &Record{Keys: make([]string, len(n.keys)), Values: make([]Value, len(n.keys))}
	unescaped := false
	for i, k := range n.keys {
		if startsSpecial(k) {
			if k[0] != '!' {
				return nil, fail("record key %s must decode to a string", strconv.Quote(k))
			}
			k = k[1:]
			unescaped = true
		}
		v, err := d.decode(&n.arr[i])
		if err != nil {
			return nil, atKey(err, k)
		}
		r.Keys[i] = k
		r.Values[i] = v
	}
	if unescaped {
		// "!a" and "a" both decode to "a".
		seen := make(map[string]struct{}, len(r.Keys))
		for _, k := range r.Keys {
			if _, dup := seen[k]; dup {
				return nil, fail("duplicate record key %s", strconv.Quote(k))
			}
			seen[k] = struct{}{}
		}
	}
	return r, nil
}

// pathError is an error at a location within a value; the path is built
// while unwinding, innermost segment first.
type pathError struct {
	rev   []string // path segments, innermost first
	msg   string
	cause error
}

func (e *pathError) where() string {
	var b strings.Builder
	for i := len(e.rev) - 1; i >= 0; i-- {
		b.WriteString(e.rev[i])
	}
	return b.String()
}

func (e *pathError) Error() string {
	s := e.msg
	if len(e.rev) > 0 {
		s = "at " + e.where() + ": " + s
	}
	if e.cause != nil {
		s += ": " + e.cause.Error()
	}
	return s
}

func (e *pathError) Unwrap() error { return e.cause }

// finish returns the final error, wrapping sentinel and any cause.
func (e *pathError) finish(sentinel error) error {
	msg := e.msg
	if len(e.rev) > 0 {
		msg = "at " + e.where() + ": " + msg
	}
	if e.cause != nil {
		return fmt.Errorf("%w: %s: %w", sentinel, msg, e.cause)
	}
	return fmt.Errorf("%w: %s", sentinel, msg)
}

// atIndex adds an array index to err's path.
func atIndex(err error, i int) error {
	if pe, ok := err.(*pathError); ok {
		pe.rev = append(pe.rev, "["+strconv.Itoa(i)+"]")
	}
	return err
}

// atKey adds a property name to err's path.
func atKey(err error, k string) error {
	if pe, ok := err.(*pathError); ok {
		pe.rev = append(pe.rev, formatPathKey(k))
	}
	return err
}

// formatPathKey writes a property access: .name or ["odd key"].
func formatPathKey(k string) string {
	if isIdentifier(k) {
		return "." + k
	}
	return "[" + string(appendQuoted(nil, k)) + "]"
}
