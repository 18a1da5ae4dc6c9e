package wasm

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/cooper-kernel/cooper/capdata"
)

// handle is a JS value the instance keeps for Go (see glue.js): a language
// object of liveslots, compared by identity. 0 is undefined.
type handle uint32

// maxDepth bounds the nesting of values crossing the vat boundary (as the
// goja worker does).
const maxDepth = 200

// ErrBadWire is returned for wire text the glue could not have produced.
var ErrBadWire = errors.New("wasm: malformed wire value")

// encodeWire writes v in the wire form of glue.js.
func encodeWire(v capdata.Value) (string, error) {
	var b strings.Builder
	if err := appendWire(&b, v, 0); err != nil {
		return "", err
	}
	return b.String(), nil
}

func appendWire(b *strings.Builder, v capdata.Value, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("value nested deeper than %d", maxDepth)
	}
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case float64:
		switch {
		case math.IsNaN(x):
			b.WriteString(`["n","NaN"]`)
		case math.IsInf(x, 1):
			b.WriteString(`["n","Infinity"]`)
		case math.IsInf(x, -1):
			b.WriteString(`["n","-Infinity"]`)
		case x == 0 && math.Signbit(x):
			b.WriteString(`["n","-0"]`)
		default:
			b.WriteString(strconv.FormatFloat(x, 'g', -1, 64))
		}
	case string:
		appendString(b, x)
	case *big.Int:
		b.WriteString(`["b","`)
		b.WriteString(x.String())
		b.WriteString(`"]`)
	case capdata.Undefined:
		b.WriteString(`["u"]`)
	case capdata.Symbol:
		b.WriteString(`["y",`)
		appendString(b, x.Name)
		b.WriteByte(']')
	case []capdata.Value:
		b.WriteString(`["a"`)
		for _, e := range x {
			b.WriteByte(',')
			if err := appendWire(b, e, depth+1); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case *capdata.Record:
		if len(x.Keys) != len(x.Values) {
			return errors.New("record with mismatched keys and values")
		}
		b.WriteString(`["r"`)
		for i, k := range x.Keys {
			b.WriteByte(',')
			appendString(b, k)
			b.WriteByte(',')
			if err := appendWire(b, x.Values[i], depth+1); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case *capdata.Tagged:
		b.WriteString(`["t",`)
		appendString(b, x.Tag)
		b.WriteByte(',')
		if err := appendWire(b, x.Payload, depth+1); err != nil {
			return err
		}
		b.WriteByte(']')
	case *capdata.Error:
		b.WriteString(`["e",`)
		appendString(b, x.Name)
		b.WriteByte(',')
		appendString(b, x.Message)
		b.WriteByte(']')
	case handle:
		b.WriteString(`["h",`)
		b.WriteString(strconv.FormatUint(uint64(x), 10))
		b.WriteByte(']')
	default:
		return errors.New("cannot pass this value to JS")
	}
	return nil
}

// appendString writes s as a JSON string; a lone surrogate (kept in s as
// WTF-8) is written as its \u escape, which JSON.parse turns back into it.
func appendString(b *strings.Builder, s string) {
	b.Write(capdata.AppendJSONString(nil, s))
}

// decodeWire parses wire text into a capdata value; references become handles.
func decodeWire(s string) (capdata.Value, error) {
	p := wireParser{s: s}
	raw, err := p.value(0)
	if err == nil {
		p.space()
		if p.i != len(p.s) {
			err = errors.New("trailing data")
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadWire, err)
	}
	return fromRaw(raw, 0)
}

// wireParser reads the JSON subset the glue writes (arrays, strings,
// numbers, true, false, null) into the shapes encoding/json gives (with
// json.Number), except that strings keep lone surrogates (as WTF-8), as
// JSON.stringify escapes them.
type wireParser struct {
	s string
	i int
}

func (p *wireParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

func (p *wireParser) value(depth int) (any, error) {
	if depth > maxDepth+2 {
		return nil, fmt.Errorf("nested deeper than %d", maxDepth)
	}
	p.space()
	if p.i >= len(p.s) {
		return nil, errors.New("unexpected end")
	}
	switch c := p.s[p.i]; {
	case c == '[':
		p.i++
		out := []any{}
		p.space()
		if p.i < len(p.s) && p.s[p.i] == ']' {
			p.i++
			return out, nil
		}
		for {
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
			p.space()
			if p.i >= len(p.s) {
				return nil, errors.New("unterminated array")
			}
			switch p.s[p.i] {
			case ',':
				p.i++
			case ']':
				p.i++
				return out, nil
			default:
				return nil, fmt.Errorf("unexpected %q in an array", p.s[p.i])
			}
		}
	case c == '"':
		j := p.i + 1
		for j < len(p.s) && p.s[j] != '"' {
			if p.s[j] == '\\' {
				j++
			}
			j++
		}
		if j >= len(p.s) {
			return nil, errors.New("unterminated string")
		}
		str, err := capdata.UnquoteJSONString(p.s[p.i : j+1])
		if err != nil {
			return nil, err
		}
		p.i = j + 1
		return str, nil
	case c == 't' && strings.HasPrefix(p.s[p.i:], "true"):
		p.i += 4
		return true, nil
	case c == 'f' && strings.HasPrefix(p.s[p.i:], "false"):
		p.i += 5
		return false, nil
	case c == 'n' && strings.HasPrefix(p.s[p.i:], "null"):
		p.i += 4
		return nil, nil
	case c == '-' || c >= '0' && c <= '9':
		j := p.i
		for j < len(p.s) && strings.IndexByte("+-.0123456789eE", p.s[j]) >= 0 {
			j++
		}
		n := json.Number(p.s[p.i:j])
		if _, err := n.Float64(); err != nil {
			return nil, fmt.Errorf("bad number %q", n)
		}
		p.i = j
		return n, nil
	}
	return nil, fmt.Errorf("unexpected %q", p.s[p.i])
}

func fromRaw(raw any, depth int) (capdata.Value, error) {
	if depth > maxDepth+1 {
		return nil, fmt.Errorf("%w: nested deeper than %d", ErrBadWire, maxDepth)
	}
	switch x := raw.(type) {
	case nil, bool, string:
		return x, nil
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil || math.IsInf(f, 0) {
			return nil, fmt.Errorf("%w: number %s", ErrBadWire, x)
		}
		return f, nil
	case []any:
		if len(x) == 0 {
			return nil, fmt.Errorf("%w: empty array", ErrBadWire)
		}
		tag, _ := x[0].(string)
		args := x[1:]
		str := func(i int) (string, bool) {
			if i >= len(args) {
				return "", false
			}
			s, ok := args[i].(string)
			return s, ok
		}
		switch tag {
		case "u":
			if len(args) == 0 {
				return capdata.Undefined{}, nil
			}
		case "n":
			if s, ok := str(0); ok && len(args) == 1 {
				switch s {
				case "NaN":
					return math.NaN(), nil
				case "Infinity":
					return math.Inf(1), nil
				case "-Infinity":
					return math.Inf(-1), nil
				case "-0":
					return math.Copysign(0, -1), nil
				}
			}
		case "b":
			if s, ok := str(0); ok && len(args) == 1 && len(s) <= maxBigIntDigits {
				if n, ok := new(big.Int).SetString(s, 10); ok {
					return n, nil
				}
			}
		case "y":
			if s, ok := str(0); ok && len(args) == 1 {
				return capdata.Symbol{Name: s}, nil
			}
		case "a":
			out := make([]capdata.Value, len(args))
			for i, e := range args {
				v, err := fromRaw(e, depth+1)
				if err != nil {
					return nil, err
				}
				out[i] = v
			}
			return out, nil
		case "r":
			if len(args)%2 != 0 {
				break
			}
			rec := &capdata.Record{Keys: make([]string, 0, len(args)/2), Values: make([]capdata.Value, 0, len(args)/2)}
			for i := 0; i < len(args); i += 2 {
				k, ok := args[i].(string)
				if !ok {
					return nil, fmt.Errorf("%w: record key", ErrBadWire)
				}
				v, err := fromRaw(args[i+1], depth+1)
				if err != nil {
					return nil, err
				}
				rec.Keys = append(rec.Keys, k)
				rec.Values = append(rec.Values, v)
			}
			return rec, nil
		case "t":
			if s, ok := str(0); ok && len(args) == 2 {
				p, err := fromRaw(args[1], depth+1)
				if err != nil {
					return nil, err
				}
				return &capdata.Tagged{Tag: s, Payload: p}, nil
			}
		case "e":
			name, ok1 := str(0)
			msg, ok2 := str(1)
			if ok1 && ok2 && len(args) == 2 {
				return &capdata.Error{Name: name, Message: msg}, nil
			}
		case "h":
			if len(args) == 1 {
				if n, ok := args[0].(json.Number); ok {
					if id, err := strconv.ParseUint(string(n), 10, 32); err == nil && id > 0 {
						return handle(id), nil
					}
				}
			}
		}
		return nil, fmt.Errorf("%w: bad %q node", ErrBadWire, tag)
	}
	return nil, fmt.Errorf("%w: unexpected %T", ErrBadWire, raw)
}

// maxBigIntDigits bounds the bigints accepted from the wire (decimal
// parsing is quadratic).
const maxBigIntDigits = 1 << 20
