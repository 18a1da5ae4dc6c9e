package capdata

import (
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"
)

// jsonKind is the type of a parsed JSON node.
type jsonKind uint8

const (
	jNull jsonKind = iota
	jBool
	jNumber
	jString
	jArray
	jObject
)

// jsonNode is a parsed JSON value that keeps object key order.
type jsonNode struct {
	kind jsonKind
	b    bool
	num  float64
	str  string
	arr  []jsonNode // array elements, or object values
	keys []string   // object keys, parallel to arr
}

// truthy reports whether the JSON value is truthy in JS.
func (n *jsonNode) truthy() bool {
	switch n.kind {
	case jNull:
		return false
	case jBool:
		return n.b
	case jNumber:
		return n.num != 0 && !math.IsNaN(n.num)
	case jString:
		return n.str != ""
	}
	return true
}

// field returns the object member named key.
func (n *jsonNode) field(key string) (*jsonNode, bool) {
	for i, k := range n.keys {
		if k == key {
			return &n.arr[i], true
		}
	}
	return nil, false
}

// parser is a strict JSON (RFC 8259) parser over a string.
type parser struct {
	s   string
	pos int
}

// parseJSON parses s as exactly one JSON value surrounded by optional
// whitespace. Duplicate object keys, non-finite numbers and nesting deeper
// than maxDepth are errors.
func parseJSON(s string) (jsonNode, error) {
	p := parser{s: s}
	p.skipSpace()
	n, err := p.value(0)
	if err != nil {
		return n, err
	}
	p.skipSpace()
	if p.pos < len(p.s) {
		return n, p.errorf("unexpected %s after JSON value", p.describe())
	}
	return n, nil
}

// errorf returns a parse error at the current offset.
func (p *parser) errorf(format string, args ...any) error {
	return fmt.Errorf("%w: JSON offset %d: %s", ErrMalformed, p.pos, fmt.Sprintf(format, args...))
}

// describe names the character at the current offset for error messages.
func (p *parser) describe() string {
	if p.pos >= len(p.s) {
		return "end of input"
	}
	r, _ := utf8.DecodeRuneInString(p.s[p.pos:])
	return strconv.QuoteRune(r)
}

func (p *parser) skipSpace() {
	for p.pos < len(p.s) {
		switch p.s[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

// literal consumes word if it is next.
func (p *parser) literal(word string) bool {
	if len(p.s)-p.pos >= len(word) && p.s[p.pos:p.pos+len(word)] == word {
		p.pos += len(word)
		return true
	}
	return false
}

func (p *parser) value(depth int) (jsonNode, error) {
	if p.pos >= len(p.s) {
		return jsonNode{}, p.errorf("unexpected end of input")
	}
	switch c := p.s[p.pos]; {
	case c == '{':
		return p.object(depth + 1)
	case c == '[':
		return p.array(depth + 1)
	case c == '"':
		s, err := p.string()
		return jsonNode{kind: jString, str: s}, err
	case c == '-' || (c >= '0' && c <= '9'):
		f, err := p.number()
		return jsonNode{kind: jNumber, num: f}, err
	case p.literal("null"):
		return jsonNode{kind: jNull}, nil
	case p.literal("true"):
		return jsonNode{kind: jBool, b: true}, nil
	case p.literal("false"):
		return jsonNode{kind: jBool}, nil
	}
	return jsonNode{}, p.errorf("unexpected %s", p.describe())
}

func (p *parser) array(depth int) (jsonNode, error) {
	if depth > maxDepth {
		return jsonNode{}, p.errorf("nesting deeper than %d", maxDepth)
	}
	p.pos++ // '['
	n := jsonNode{kind: jArray, arr: []jsonNode{}}
	p.skipSpace()
	if p.literal("]") {
		return n, nil
	}
	for {
		p.skipSpace()
		v, err := p.value(depth)
		if err != nil {
			return n, err
		}
		n.arr = append(n.arr, v)
		p.skipSpace()
		switch {
		case p.literal(","):
		case p.literal("]"):
			return n, nil
		default:
			return n, p.errorf("expected ',' or ']', found %s", p.describe())
		}
	}
}

func (p *parser) object(depth int) (jsonNode, error) {
	if depth > maxDepth {
		return jsonNode{}, p.errorf("nesting deeper than %d", maxDepth)
	}
	p.pos++ // '{'
	n := jsonNode{kind: jObject, arr: []jsonNode{}, keys: []string{}}
	p.skipSpace()
	if p.literal("}") {
		return n, nil
	}
	var seen map[string]struct{}
	for {
		p.skipSpace()
		if p.pos >= len(p.s) || p.s[p.pos] != '"' {
			return n, p.errorf("expected object key, found %s", p.describe())
		}
		keyPos := p.pos
		k, err := p.string()
		if err != nil {
			return n, err
		}
		if len(n.keys) >= 8 && seen == nil {
			seen = make(map[string]struct{}, 2*len(n.keys))
			for _, k := range n.keys {
				seen[k] = struct{}{}
			}
		}
		dup := false
		if seen != nil {
			_, dup = seen[k]
			seen[k] = struct{}{}
		} else {
			for _, k2 := range n.keys {
				dup = dup || k2 == k
			}
		}
		if dup {
			p.pos = keyPos
			return n, p.errorf("duplicate object key %s", strconv.Quote(k))
		}
		p.skipSpace()
		if !p.literal(":") {
			return n, p.errorf("expected ':', found %s", p.describe())
		}
		p.skipSpace()
		v, err := p.value(depth)
		if err != nil {
			return n, err
		}
		n.keys = append(n.keys, k)
		n.arr = append(n.arr, v)
		p.skipSpace()
		switch {
		case p.literal(","):
		case p.literal("}"):
			return n, nil
		default:
			return n, p.errorf("expected ',' or '}', found %s", p.describe())
		}
	}
}

// number parses a JSON number, which must be finite as a float64.
func (p *parser) number() (float64, error) {
	start := p.pos
	digits := func() int {
		n := 0
		for p.pos < len(p.s) && p.s[p.pos] >= '0' && p.s[p.pos] <= '9' {
			p.pos++
			n++
		}
		return n
	}
	if p.s[p.pos] == '-' {
		p.pos++
	}
	intStart := p.pos
	if n := digits(); n == 0 {
		return 0, p.errorf("invalid number: expected digit")
	} else if n > 1 && p.s[intStart] == '0' {
		p.pos = intStart
		return 0, p.errorf("invalid number: leading zero")
	}
	if p.literal(".") && digits() == 0 {
		return 0, p.errorf("invalid number: expected digit after '.'")
	}
	if p.pos < len(p.s) && (p.s[p.pos] == 'e' || p.s[p.pos] == 'E') {
		p.pos++
		if p.pos < len(p.s) && (p.s[p.pos] == '+' || p.s[p.pos] == '-') {
			p.pos++
		}
		if digits() == 0 {
			return 0, p.errorf("invalid number: expected exponent digit")
		}
	}
	text := p.s[start:p.pos]
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsInf(f, 0) {
		p.pos = start
		return 0, p.errorf("number %s is out of range", text)
	}
	return f, nil
}

// string parses a JSON string. Escaped lone surrogates become WTF-8;
// raw bytes must be valid UTF-8.
func (p *parser) string() (string, error) {
	p.pos++ // opening quote
	start := p.pos
	// Fast path: no escapes.
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		if c == '"' {
			s := p.s[start:p.pos]
			p.pos++
			return s, nil
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			return "", p.errorf("control character %s in string", p.describe())
		}
		if c < utf8.RuneSelf {
			p.pos++
			continue
		}
		r, size := utf8.DecodeRuneInString(p.s[p.pos:])
		if r == utf8.RuneError && size == 1 {
			return "", p.errorf("invalid UTF-8 in string")
		}
		p.pos += size
	}
	buf := []byte(p.s[start:p.pos])
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		switch {
		case c == '"':
			p.pos++
			return string(buf), nil
		case c < 0x20:
			return "", p.errorf("control character %s in string", p.describe())
		case c == '\\':
			var err error
			if buf, err = p.escape(buf); err != nil {
				return "", err
			}
		case c < utf8.RuneSelf:
			buf = append(buf, c)
			p.pos++
		default:
			r, size := utf8.DecodeRuneInString(p.s[p.pos:])
			if r == utf8.RuneError && size == 1 {
				return "", p.errorf("invalid UTF-8 in string")
			}
			buf = append(buf, p.s[p.pos:p.pos+size]...)
			p.pos += size
		}
	}
	return "", p.errorf("unterminated string")
}

// escape decodes the escape sequence at p.pos and appends it to buf.
func (p *parser) escape(buf []byte) ([]byte, error) {
	if p.pos+1 >= len(p.s) {
		return buf, p.errorf("unterminated string")
	}
	c := p.s[p.pos+1]
	p.pos += 2
	switch c {
	case '"', '\\', '/':
		return append(buf, c), nil
	case 'b':
		return append(buf, '\b'), nil
	case 'f':
		return append(buf, '\f'), nil
	case 'n':
		return append(buf, '\n'), nil
	case 'r':
		return append(buf, '\r'), nil
	case 't':
		return append(buf, '\t'), nil
	case 'u':
		r, err := p.hex4()
		if err != nil {
			return buf, err
		}
		if r >= 0xD800 && r <= 0xDBFF && len(p.s)-p.pos >= 6 && p.s[p.pos] == '\\' && p.s[p.pos+1] == 'u' {
			save := p.pos
			p.pos += 2
			r2, err := p.hex4()
			if err != nil {
				return buf, err
			}
			if r2 >= 0xDC00 && r2 <= 0xDFFF {
				return utf8.AppendRune(buf, 0x10000+(r-0xD800)<<10+(r2-0xDC00)), nil
			}
			p.pos = save
		}
		if isSurrogate(r) {
			return appendSurrogate(buf, r), nil
		}
		return utf8.AppendRune(buf, r), nil
	}
	p.pos -= 2
	return buf, p.errorf("invalid escape \\%c", c)
}

// hex4 parses four hex digits.
func (p *parser) hex4() (rune, error) {
	if len(p.s)-p.pos < 4 {
		return 0, p.errorf("invalid \\u escape")
	}
	var r rune
	for i := range 4 {
		c := p.s[p.pos+i]
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, p.errorf("invalid \\u escape")
		}
	}
	p.pos += 4
	return r, nil
}
