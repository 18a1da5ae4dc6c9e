package capdata

import (
	"errors"
	"slices"
	"strconv"
	"testing"
)

// FuzzDecode checks that Decode never panics and that whatever it accepts
// re-encodes canonically: Encode succeeds, decoding the result gives an
// Equal value, and encoding that again is byte-identical.
func FuzzDecode(f *testing.F) {
	for _, tc := range roundTrips {
		cd := MustEncode(tc.v)
		f.Add(cd.Body, uint8(len(cd.Slots)))
	}
	for _, body := range []string{
		"", "1", "#", "#{", `#"#foo"`, `#"$5"`, `#{"a":1,"a":2}`, `#"+01"`, "#[[[[[[[[[[",
		`#{"#error":"m","name":"E","cause":"!","errors":[]}`, `#{"#tag":"t","payload":{"#tag":"u"}}`, `#"\ud83d\ude00\ud800"`,
		`#["$0.Alleged: x","&1","$0"]`, `#{"!#a":"!","$":"&"}`, `#[1e-400,-0,1E+2]`,
	} {
		f.Add(body, uint8(2))
	}
	f.Fuzz(func(t *testing.T, body string, nslots uint8) {
		slots := make([]string, nslots)
		for i := range slots {
			slots[i] = "s" + strconv.Itoa(i)
		}
		v, err := Decode(CapData{Body: body, Slots: slots})
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("Decode error %v does not wrap ErrMalformed", err)
			}
			return
		}
		cd, err := Encode(v)
		if err != nil {
			t.Fatalf("Encode(Decode(%q)) failed: %v", body, err)
		}
		v2, err := Decode(cd)
		if err != nil {
			t.Fatalf("Decode(%q) (re-encoded from %q) failed: %v", cd.Body, body, err)
		}
		if !Equal(v, v2) {
			t.Fatalf("round trip of %q changed %s to %s", body, Format(v), Format(v2))
		}
		cd2, err := Encode(v2)
		if err != nil || cd2.Body != cd.Body || !slices.Equal(cd2.Slots, cd.Slots) {
			t.Fatalf("re-encoding is not canonical: %q %q then %q %q (%v)", cd.Body, cd.Slots, cd2.Body, cd2.Slots, err)
		}
	})
}
