package capdata

import (
	"slices"
	"testing"
	"unicode/utf8"
)

func TestUTF16(t *testing.T) {
	for _, tc := range []struct {
		units []uint16
		wtf8  string
	}{
		{[]uint16{0xD800, 'x'}, "\xed\xa0\x80x"},
		{[]uint16{0xDC00}, "\xed\xb0\x80"},
		{[]uint16{'a', 0xD83D, 0xDE00, 'b'}, "a😀b"},
		{[]uint16{0xDFFF, 0xD800}, "\xed\xbf\xbf\xed\xa0\x80"},
		{[]uint16{'x', 0xD800}, "x\xed\xa0\x80"},
		{[]uint16{0xE9, 0xFFFF}, "é\uffff"},
		{nil, ""},
	} {
		if got := FromUTF16(tc.units); got != tc.wtf8 {
			t.Errorf("FromUTF16(%x) = %q, want %q", tc.units, got, tc.wtf8)
		}
		if got := UTF16(tc.wtf8); !slices.Equal(got, tc.units) && len(tc.units) > 0 {
			t.Errorf("UTF16(%q) = %x, want %x", tc.wtf8, got, tc.units)
		}
		// The capdata body carries the lone surrogates as JSON escapes.
		cd := MustEncode(tc.wtf8)
		v, err := Decode(cd)
		if err != nil || v != tc.wtf8 {
			t.Errorf("%q through %s: %q, %v", tc.wtf8, cd.Body, v, err)
		}
	}
	if cd := MustEncode(FromUTF16([]uint16{0xD800, 'x'})); cd.Body != `#"\ud800x"` {
		t.Errorf("body %s", cd.Body)
	}
}

// FuzzUTF16 checks that every sequence of code units survives FromUTF16 and
// UTF16, and that the string is one capdata accepts.
func FuzzUTF16(f *testing.F) {
	f.Add([]byte{0x00, 0xD8, 'x', 0})
	f.Add([]byte{0x3D, 0xD8, 0x00, 0xDE})
	f.Fuzz(func(t *testing.T, raw []byte) {
		u := make([]uint16, len(raw)/2)
		for i := range u {
			u[i] = uint16(raw[2*i]) | uint16(raw[2*i+1])<<8
		}
		s := FromUTF16(u)
		if got := UTF16(s); !slices.Equal(got, u) && !(len(u) == 0 && len(got) == 0) {
			t.Fatalf("%x → %q → %x", u, s, got)
		}
		if err := checkString(s); err != nil {
			t.Fatalf("%x → %q: %v", u, s, err)
		}
		if !slices.ContainsFunc(u, func(c uint16) bool { return c >= 0xD800 && c <= 0xDFFF }) && !utf8.ValidString(s) {
			t.Fatalf("%x → invalid UTF-8 %q", u, s)
		}
	})
}
