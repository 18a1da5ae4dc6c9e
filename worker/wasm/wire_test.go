package wasm

import (
	"errors"
	"math"
	"math/big"
	"reflect"
	"strings"
	"testing"

	"github.com/cooper-kernel/cooper/capdata"
)

func TestWireRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		v    capdata.Value
		wire string
	}{
		{nil, "null"},
		{true, "true"},
		{1.5, "1.5"},
		{1e21, "1e+21"},
		{"h\u00e9\"\n", `"hé\"\n"`},
		{math.Copysign(0, -1), `["n","-0"]`},
		{math.Inf(-1), `["n","-Infinity"]`},
		{big.NewInt(-12345678901234), `["b","-12345678901234"]`},
		{capdata.Undefined{}, `["u"]`},
		{capdata.Symbol{Name: "@@iterator"}, `["y","@@iterator"]`},
		{[]capdata.Value{1.0, "a", []capdata.Value{}}, `["a",1,"a",["a"]]`},
		{capdata.NewRecord("b", 1.0, "a", handle(7)), `["r","b",1,"a",["h",7]]`},
		{&capdata.Tagged{Tag: "copySet", Payload: []capdata.Value{}}, `["t","copySet",["a"]]`},
		{&capdata.Error{Name: "TypeError", Message: "no"}, `["e","TypeError","no"]`},
	} {
		s, err := encodeWire(tc.v)
		if err != nil || s != tc.wire {
			t.Errorf("encode %#v = %s, %v; want %s", tc.v, s, err, tc.wire)
			continue
		}
		back, err := decodeWire(s)
		if err != nil {
			t.Errorf("decode %s: %v", s, err)
			continue
		}
		if s2, _ := encodeWire(back); s2 != s {
			t.Errorf("decode %s re-encodes as %s", s, s2)
		}
	}
	nan, err := decodeWire(`["n","NaN"]`)
	if f, ok := nan.(float64); err != nil || !ok || !math.IsNaN(f) {
		t.Errorf("NaN decodes as %v, %v", nan, err)
	}
}

func TestWireRejects(t *testing.T) {
	deep := strings.Repeat(`["a",`, maxDepth+5) + "1" + strings.Repeat("]", maxDepth+5)
	for _, s := range []string{
		"", "[", "[]", `["q"]`, `["u",1]`, `["n","1"]`, `["b","1x"]`, `["r","a"]`, `["r",1,2]`,
		`["h",0]`, `["h",-1]`, `["h",1.5]`, `["h",4294967296]`, `["e","a"]`, `{"a":1}`, "1 2", "1e999", deep,
	} {
		if v, err := decodeWire(s); !errors.Is(err, ErrBadWire) {
			t.Errorf("decode %.40q = %v, %v; want ErrBadWire", s, v, err)
		}
	}
	var v capdata.Value = 1.0
	for range maxDepth + 2 {
		v = []capdata.Value{v}
	}
	if _, err := encodeWire(v); err == nil {
		t.Error("a value nested too deep encodes")
	}
	if _, err := encodeWire(struct{}{}); err == nil {
		t.Error("a Go struct encodes")
	}
}

func FuzzDecodeWire(f *testing.F) {
	for _, s := range []string{`["r","b",1,"a",["h",7]]`, `["a",["n","-0"],["b","5"],["y","x"],["u"]]`, `["t","x",["e","E","m"]]`, `"s"`, "null"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := decodeWire(s)
		if err != nil {
			return
		}
		enc, err := encodeWire(v)
		if err != nil {
			t.Fatalf("decoded %q but cannot encode it: %v", s, err)
		}
		back, err := decodeWire(enc)
		if err != nil {
			t.Fatalf("re-encoded %q as %q, which does not decode: %v", s, enc, err)
		}
		if enc2, _ := encodeWire(back); enc2 != enc {
			t.Fatalf("not stable: %q → %q → %q", s, enc, enc2)
		}
		if !strings.Contains(enc, `"NaN"`) { // NaN != NaN
			if !reflect.DeepEqual(v, back) {
				t.Fatalf("round trip changed %#v to %#v", v, back)
			}
		}
	})
}
