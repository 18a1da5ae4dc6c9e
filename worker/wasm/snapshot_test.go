package wasm

import (
	"bytes"
	"strings"
	"testing"

	"github.com/cooper-kernel/cooper/worker/wasm/qjs"
)

func FuzzDecodeVatSnapshot(f *testing.F) {
	heap := &qjs.Snapshot{ModuleHash: strings.Repeat("ab", 32), Globals: []uint64{1}}
	f.Add((&VatSnapshot{state: savedWorker{Liveslots: []byte(`{"version":1}`), NextWatch: 2,
		Watches: []savedWatch{{N: 2, Key: "follow p+1"}}, Promises: []handle{3}, Kept: []handle{3}, Release: []handle{4, 7}}, heap: heap}).Encode())
	f.Add([]byte("CWASMVAT\x01\x00\x00\x00\x02\x00\x00\x00{}"))
	f.Add([]byte("CWASMVAT\x02\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := DecodeVatSnapshot(b)
		if err != nil {
			return
		}
		enc := s.Encode()
		back, err := DecodeVatSnapshot(enc)
		if err != nil {
			t.Fatalf("decode of encoded snapshot: %v", err)
		}
		if !bytes.Equal(back.Encode(), enc) {
			t.Fatal("decode, encode, decode, encode changed the bytes")
		}
	})
}
