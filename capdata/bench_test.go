package capdata

import (
	"math/big"
	"testing"
)

// benchArgs is a typical message: a method, a record and two slots.
var benchArgs = []Value{
	NewRecord("amount", big.NewInt(1000000), "brand", Slot{Ref: "ko12", Kind: Remotable, Iface: "Alleged: IST brand"}, "memo", "payment for #42"),
	Slot{Ref: "kp40", Kind: Promise},
}

func BenchmarkEncode(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := (Marshaller{}).EncodeMethargs("deposit", benchArgs); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	cd, err := Marshaller{}.EncodeMethargs("deposit", benchArgs)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := (Marshaller{}).DecodeMethargs(cd); err != nil {
			b.Fatal(err)
		}
	}
}
