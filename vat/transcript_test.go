package vat

import (
	"bytes"
	"errors"
	"testing"
)

func sampleEntries() []TranscriptEntry {
	return []TranscriptEntry{
		{Delivery: Delivery{Kind: DeliverStartVat, VatParameters: CapData{Body: `#{"label":"c"}`}}, Outcome: Outcome{}},
		{
			Delivery: Delivery{Kind: DeliverMessage, Target: "o+0", Methargs: CapData{Body: `#["ping",["$0.Alleged: x",1]]`, Slots: []VRef{"o-1"}}, Result: "p-1"},
			Syscalls: []SyscallRecord{
				{Syscall: Syscall{Kind: SysSend, Target: "o-1", Methargs: CapData{Body: `#["pong",[]]`}, Result: "p+5"}},
				{Syscall: Syscall{Kind: SysSubscribe, VPID: "p+5"}},
				{Syscall: Syscall{Kind: SysVatstoreGet, Key: "baggage.k"}, Result: SyscallResult{Found: true, Value: "#\"v\\n\u2028\""}},
				{Syscall: Syscall{Kind: SysResolve, Resolutions: []Resolution{{VPID: "p-1", Rejected: true, Data: CapData{Body: `#{"#error":"no","name":"Error"}`}}}}},
			},
			Outcome: Outcome{Computrons: 1234},
		},
		{
			Delivery: Delivery{Kind: DeliverNotify, Resolutions: []Resolution{{VPID: "p+5", Data: CapData{Body: "#1"}}}},
			Syscalls: []SyscallRecord{{Syscall: Syscall{Kind: SysExit, Failure: true, Info: CapData{Body: `#"bye"`}}}},
			Outcome:  Outcome{Err: "vat exited", Computrons: 7},
		},
	}
}

func TestTranscriptEntryRoundTrip(t *testing.T) {
	for i, e := range sampleEntries() {
		enc := e.Encode()
		got, err := DecodeTranscriptEntry(enc)
		if err != nil {
			t.Fatalf("entry %d: %v\n%s", i, err, enc)
		}
		if again := got.Encode(); !bytes.Equal(again, enc) {
			t.Fatalf("entry %d does not round-trip:\n%s\n%s", i, enc, again)
		}
	}
}

func TestTranscriptEntryMalformed(t *testing.T) {
	for _, in := range []string{``, `{}`, `[]`, `{"d":["message"],"sc":[],"r":["ok",0]}`, `{"d":["startVat",["#1"]],"sc":[1],"r":["ok",0]}`,
		`{"d":["startVat",["#1"]],"sc":[],"r":["maybe",0]}`, `{"d":["startVat",["#1"]],"sc":[],"r":["ok",0],"x":1}`, `{"d":["teleport"],"sc":[],"r":["ok",0]}`} {
		if _, err := DecodeTranscriptEntry([]byte(in)); !errors.Is(err, ErrMalformedTranscript) {
			t.Errorf("DecodeTranscriptEntry(%q) = %v, want ErrMalformedTranscript", in, err)
		}
	}
}

// FuzzDecodeTranscriptEntry: decoding never panics, and what decodes
// re-encodes to bytes that decode to the same encoding.
func FuzzDecodeTranscriptEntry(f *testing.F) {
	for _, e := range sampleEntries() {
		f.Add(e.Encode())
	}
	f.Add([]byte(`{"d":["startVat",["#1"]],"sc":[],"r":["ok",0]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := DecodeTranscriptEntry(data)
		if err != nil {
			return
		}
		enc := e.Encode()
		e2, err := DecodeTranscriptEntry(enc)
		if err != nil {
			t.Fatalf("re-encoding does not decode: %v\n%s", err, enc)
		}
		if !bytes.Equal(e2.Encode(), enc) {
			t.Fatalf("encoding is not stable:\n%s\n%s", enc, e2.Encode())
		}
	})
}

// TestTranscriptKeepsLoneSurrogates: strings are written as JS
// JSON.stringify writes them (a lone surrogate as \ud800) and read back
// exactly, so replay compares what the vat really did.
func TestTranscriptKeepsLoneSurrogates(t *testing.T) {
	lone := "\xed\xa0\x80x" // WTF-8 of "\ud800x"
	e := TranscriptEntry{
		Delivery: Delivery{Kind: DeliverMessage, Target: "o+0", Methargs: CapData{Body: `#["m",[]]`}},
		Syscalls: []SyscallRecord{
			{Syscall: Syscall{Kind: SysVatstoreSet, Key: "k" + lone, Value: lone + "\u2028\x01"}},
			{Syscall: Syscall{Kind: SysVatstoreGet, Key: "k" + lone}, Result: SyscallResult{Found: true, Value: lone}},
		},
	}
	enc := e.Encode()
	if !bytes.Contains(enc, []byte(`"k\ud800x"`)) || !bytes.Contains(enc, []byte(`"\ud800x`+"\u2028"+`\u0001"`)) {
		t.Fatalf("encoding: %s", enc)
	}
	got, err := DecodeTranscriptEntry(enc)
	if err != nil {
		t.Fatal(err)
	}
	if got.Syscalls[0].Syscall.Key != "k"+lone || got.Syscalls[0].Syscall.Value != lone+"\u2028\x01" || got.Syscalls[1].Result.Value != lone {
		t.Fatalf("decoded %+v", got.Syscalls)
	}
	if !bytes.Equal(got.Encode(), enc) {
		t.Fatalf("not stable:\n%s\n%s", enc, got.Encode())
	}
}

// TestStartVatIncarnation: a startVat of incarnation n > 0 carries n; one of
// incarnation 0 keeps the two-element form, and 0 written out is refused.
func TestStartVatIncarnation(t *testing.T) {
	for _, d := range []Delivery{
		{Kind: DeliverStartVat, VatParameters: CapData{Body: "#null"}},
		{Kind: DeliverStartVat, VatParameters: CapData{Body: "#null"}, Incarnation: 3},
	} {
		b := AppendDelivery(nil, d)
		got, err := DecodeDelivery(b)
		if err != nil || got.Incarnation != d.Incarnation || got.VatParameters.Body != "#null" {
			t.Errorf("%s: decoded %+v, %v", b, got, err)
		}
		if want := map[uint64]string{0: `["startVat",["#null"]]`, 3: `["startVat",["#null"],3]`}[d.Incarnation]; string(b) != want {
			t.Errorf("incarnation %d written as %s, want %s", d.Incarnation, b, want)
		}
	}
	if _, err := DecodeDelivery([]byte(`["startVat",["#null"],0]`)); err == nil {
		t.Error("startVat with incarnation 0 written out was accepted")
	}
}
