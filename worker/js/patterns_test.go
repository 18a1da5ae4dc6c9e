package js

import (
	"os"
	"testing"

	"github.com/dop251/goja"

	"github.com/cooper-kernel/cooper/bundle"
	"github.com/cooper-kernel/cooper/vat"
)

// TestPatternsProperties runs worker/jsvat/testdata/patterns_props.js on
// goja: rank order agrees with the order of the key encodings, decoding
// inverts encoding, and known encodings are SwingSet's.
func TestPatternsProperties(t *testing.T) {
	src, err := os.ReadFile("../jsvat/testdata/patterns_props.js")
	if err != nil {
		t.Fatal(err)
	}
	bd, err := bundle.BuildSource("patterns_props.js", string(src)+"\nexport const buildRootObject = () => ({});\n")
	if err != nil {
		t.Fatal(err)
	}
	UseUTC()
	w, err := New(vat.Spec{ID: "v1", Name: "props", Bundle: bd.Marshal()}, NewPrograms())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.evaluate(); err != nil { // the properties run at module level
		t.Fatal(err)
	}
}

// decodeCheck is the vat module of FuzzDecodePassable: check(s) decodes s
// and returns "" when s is rejected or decodes to a value whose encodings
// in both formats decode to a rank-equal value, else a complaint.
const decodeCheck = `import { makeDecodePassable, makeEncodePassable, compareRank } from '@endo/marshal';
const dec = makeDecodePassable();
const encs = [makeEncodePassable(), makeEncodePassable({ format: 'compactOrdered' })];
export const check = s => {
  let v;
  try { v = dec(s); } catch (e) { return ''; }
  for (const enc of encs) {
    const again = dec(enc(v));
    if (compareRank(again, v) !== 0) return 'decode(encode(decode(s))) differs';
  }
  return '';
};
export const buildRootObject = () => ({});
`

// FuzzDecodePassable feeds arbitrary strings to decodePassable: each is
// rejected with a JS error or decodes to a value that survives a round trip
// through both encodings; nothing panics.
func FuzzDecodePassable(f *testing.F) {
	for _, s := range []string{"sfoo", "p2:47", "n8:53", "fbff0000000000000", "[sa\x00p1:1\x00", "([[sb\x01\x00\x00[p1:1\x01\x00\x00",
		":[scopySet\x00[sy\x01\x00sx\x01\x00\x00", "~^sa!_b s_@__!| ", "~(^^sa  ^fbff0000000000000  ", "y@@iterator", "btrue", "v", "z", "ffff8000000000000", "p~10:1234567890"} {
		f.Add(s)
	}
	bd, err := bundle.BuildSource("decode.js", decodeCheck)
	if err != nil {
		f.Fatal(err)
	}
	UseUTC()
	w, err := New(vat.Spec{ID: "v1", Name: "fuzz", Bundle: bd.Marshal()}, NewPrograms())
	if err != nil {
		f.Fatal(err)
	}
	defer w.Close()
	if err := w.evaluate(); err != nil {
		f.Fatal(err)
	}
	check, ok := goja.AssertFunction(w.module.ToObject(w.rt).Get("check"))
	if !ok {
		f.Fatal("no check export")
	}
	f.Fuzz(func(t *testing.T, s string) {
		w.meter.Reset(0)
		res, err := check(goja.Undefined(), w.rt.ToValue(s))
		if err != nil {
			t.Fatalf("check(%q): %v", s, err)
		}
		if msg := res.String(); msg != "" {
			t.Fatalf("decodePassable(%q): %s", s, msg)
		}
	})
}
