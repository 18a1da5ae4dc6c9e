package capdata

import (
	"unicode/utf16"
	"unicode/utf8"
)

// UTF16 returns the UTF-16 code units of a string as JS sees it: s is
// UTF-8, or WTF-8 holding lone surrogates (see the package documentation).
// Bytes that are neither become U+FFFD.
func UTF16(s string) []uint16 {
	return appendUTF16(make([]uint16, 0, len(s)), s)
}

// FromUTF16 returns the string of a JS string's UTF-16 code units: UTF-8,
// with each lone surrogate in its WTF-8 form, so UTF16 gives the code units
// back exactly.
func FromUTF16(u []uint16) string {
	b := make([]byte, 0, len(u))
	for i := 0; i < len(u); i++ {
		c := rune(u[i])
		switch {
		case c < utf8.RuneSelf:
			b = append(b, byte(c))
			continue
		case utf16.IsSurrogate(c) && c < 0xDC00 && i+1 < len(u) && u[i+1] >= 0xDC00 && u[i+1] <= 0xDFFF:
			c = utf16.DecodeRune(c, rune(u[i+1]))
			i++
		case isSurrogate(c):
			b = appendSurrogate(b, c)
			continue
		}
		b = utf8.AppendRune(b, c)
	}
	return string(b)
}
