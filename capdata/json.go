package capdata

import (
	"errors"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
)

// appendJSNumber appends f as JS Number.prototype.toString writes it
// (NaN, Infinity and -Infinity included; -0 is written "0").
func appendJSNumber(b []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, "NaN"...)
	case math.IsInf(f, 1):
		return append(b, "Infinity"...)
	case math.IsInf(f, -1):
		return append(b, "-Infinity"...)
	case f == 0:
		return append(b, '0')
	}
	if f < 0 {
		b = append(b, '-')
		f = -f
	}
	// Shortest round-trip digits in the form d.ddde±x; JS picks the same
	// digits (shortest, then closest to the exact value).
	var buf [32]byte
	e := strconv.AppendFloat(buf[:0], f, 'e', -1, 64)
	ePos := slices.Index(e, 'e')
	digits := make([]byte, 0, 17)
	digits = append(digits, e[0])
	if ePos > 1 {
		digits = append(digits, e[2:ePos]...)
	}
	exp, _ := strconv.Atoi(string(e[ePos+1:]))
	k := len(digits)
	n := exp + 1 // the decimal point sits after n digits
	switch {
	case k <= n && n <= 21:
		b = append(b, digits...)
		for range n - k {
			b = append(b, '0')
		}
	case 0 < n && n <= 21:
		b = append(b, digits[:n]...)
		b = append(b, '.')
		b = append(b, digits[n:]...)
	case -6 < n && n <= 0:
		b = append(b, "0."...)
		for range -n {
			b = append(b, '0')
		}
		b = append(b, digits...)
	default:
		b = append(b, digits[0])
		if k > 1 {
			b = append(b, '.')
			b = append(b, digits[1:]...)
		}
		b = append(b, 'e')
		if n-1 >= 0 {
			b = append(b, '+')
		}
		b = strconv.AppendInt(b, int64(n-1), 10)
	}
	return b
}

// errBadString reports a Go string that is neither UTF-8 nor WTF-8.
var errBadString = errors.New("string is not valid UTF-8")

// decodeRune decodes the first rune of s like utf8.DecodeRuneInString, but
// also accepts the WTF-8 encoding of a surrogate code unit (returned as
// the surrogate itself). It returns size 0 for an invalid sequence.
func decodeRune(s string) (rune, int) {
	r, size := utf8.DecodeRuneInString(s)
	if r != utf8.RuneError || size != 1 {
		return r, size
	}
	if len(s) >= 3 && s[0] == 0xED && s[1] >= 0xA0 && s[1] <= 0xBF && s[2] >= 0x80 && s[2] <= 0xBF {
		return 0xD000 | rune(s[1]&0x3F)<<6 | rune(s[2]&0x3F), 3
	}
	return utf8.RuneError, 0
}

// isSurrogate reports whether r is a UTF-16 surrogate code unit.
func isSurrogate(r rune) bool { return r >= 0xD800 && r <= 0xDFFF }

// appendSurrogate appends the WTF-8 encoding of surrogate code unit r.
func appendSurrogate(b []byte, r rune) []byte {
	return append(b, 0xED, byte(0x80|(r>>6)&0x3F), byte(0x80|r&0x3F))
}

// checkString verifies that s is UTF-8, or WTF-8 with lone surrogates only
// (a high surrogate followed by a low one would be a different JS string
// than the pair's UTF-8 spelling, so it is rejected).
func checkString(s string) error {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			continue
		}
		r, size := decodeRune(s[i:])
		if size == 0 {
			return errBadString
		}
		if r >= 0xD800 && r <= 0xDBFF && i+size < len(s) {
			if r2, size2 := decodeRune(s[i+size:]); size2 == 3 && r2 >= 0xDC00 && r2 <= 0xDFFF {
				return errors.New("string has a WTF-8 surrogate pair")
			}
		}
		i += size
	}
	return nil
}

const hexDigits = "0123456789abcdef"

// AppendJSONString appends s as a JSON string the way JS JSON.stringify
// writes it: only '"', '\\', control characters and lone surrogates (of a
// WTF-8 string) are escaped. Bytes that are neither UTF-8 nor WTF-8 are
// written as \ufffd; callers that must reject them check the string first.
// It is the one JSON string writer of the kernel's encodings.
func AppendJSONString(b []byte, s string) []byte { return appendQuoted(b, s) }

func appendQuoted(b []byte, s string) []byte {
	b = append(b, '"')
	b = appendEscaped(b, s)
	return append(b, '"')
}

// appendEscaped appends the inside of appendQuoted's JSON string.
func appendEscaped(b []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := decodeRune(s[i:])
		switch {
		case size == 0:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
		case isSurrogate(r):
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', hexDigits[r>>12&0xF], hexDigits[r>>8&0xF], hexDigits[r>>4&0xF], hexDigits[r&0xF])
			i += size
			start = i
		default:
			i += size
		}
	}
	return append(b, s[start:]...)
}

// appendUTF16 appends the UTF-16 code units of s (UTF-8 or WTF-8).
func appendUTF16(u []uint16, s string) []uint16 {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			u = append(u, uint16(c))
			i++
			continue
		}
		r, size := decodeRune(s[i:])
		if size == 0 {
			r, size = utf8.RuneError, 1
		}
		if r >= 0x10000 {
			r -= 0x10000
			u = append(u, uint16(0xD800+(r>>10)), uint16(0xDC00+(r&0x3FF)))
		} else {
			u = append(u, uint16(r))
		}
		i += size
	}
	return u
}

// compareUTF16 compares a and b as JS compares strings: by UTF-16 code units.
func compareUTF16(a, b string) int {
	// Fast path: UTF-8 byte order equals code point order, which differs
	// from UTF-16 order only once a rune at or above U+E000 is involved.
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	if i == len(a) || i == len(b) || (a[i] < 0xEE && b[i] < 0xEE && a[i] != 0xED && b[i] != 0xED) {
		switch {
		case i == len(a) && i == len(b):
			return 0
		case i == len(a):
			return -1
		case i == len(b):
			return 1
		case a[i] < b[i]:
			return -1
		default:
			return 1
		}
	}
	// Back up to the start of the rune that differs, then compare units.
	for i > 0 && !utf8.RuneStart(a[i]) {
		i--
	}
	var ua, ub [64]uint16
	return slices.Compare(appendUTF16(ua[:0], a[i:]), appendUTF16(ub[:0], b[i:]))
}

// UnquoteJSONString parses s, one JSON string literal, as JS JSON.parse
// does: escaped lone surrogates are kept (as WTF-8), so it reverses
// [AppendJSONString] exactly for every UTF-8 or WTF-8 string.
func UnquoteJSONString(s string) (string, error) {
	p := parser{s: s}
	if len(s) == 0 || s[0] != '"' {
		return "", p.errorf("not a JSON string")
	}
	out, err := p.string()
	if err != nil {
		return "", err
	}
	if p.pos < len(s) {
		return "", p.errorf("unexpected %s after JSON string", p.describe())
	}
	return out, nil
}
