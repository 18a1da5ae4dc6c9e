package tx

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// testKey is a fixed key, so encodings in these tests are stable.
func testKey(b byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{b}, ed25519.SeedSize))
}

func sample() Call {
	return Call{Vat: "bootstrap", Method: "makeCounter", Args: `#["apples",5]`, Nonce: 7}
}

func TestRoundTrip(t *testing.T) {
	signed := Sign(testKey(1), "cooper-test", sample())
	raw := signed.Encode()
	got, err := Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	if got.Call != sample() || !bytes.Equal(got.PubKey, signed.PubKey) || !bytes.Equal(got.Signature, signed.Signature) {
		t.Fatalf("decoded %+v, want %+v", got, signed)
	}
	if !bytes.Equal(got.Encode(), raw) {
		t.Fatal("re-encoding differs")
	}
	if !got.Verify("cooper-test") {
		t.Fatal("signature does not verify")
	}
	if len(Hash(raw)) != 64 || Hash(raw) != Hash(bytes.Clone(raw)) {
		t.Fatalf("hash %q", Hash(raw))
	}
}

// TestEncodingIsStable pins the byte layout: changing it breaks every
// signed call and every genesis, so it must be deliberate.
func TestEncodingIsStable(t *testing.T) {
	signed := Sign(testKey(1), "cooper-test", Call{Vat: "v", Method: "m", Args: "#[]", Nonce: 258})
	body := hex.EncodeToString(signed.Encode()[:1+32+8+2+2+4])
	want := "01" + "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c" +
		"0000000000000102" + "0176" + "016d" + "03235b5d"
	if body != want {
		t.Fatalf("encoding\n got %s\nwant %s", body, want)
	}
	sb := signed.SignBytes("ab")
	if !bytes.HasPrefix(sb, []byte("cooper/call/v1\x00\x02ab\x01")) {
		t.Fatalf("sign bytes start %q", sb[:20])
	}
}

func TestVerifyRejects(t *testing.T) {
	good := Sign(testKey(1), "cooper-test", sample())
	cases := map[string]func(*Tx){
		"other vat":    func(t *Tx) { t.Vat = "alice" },
		"other method": func(t *Tx) { t.Method = "kill" },
		"other args":   func(t *Tx) { t.Args = `#["pears",5]` },
		"other nonce":  func(t *Tx) { t.Nonce++ },
		"other key":    func(t *Tx) { t.PubKey = testKey(2).Public().(ed25519.PublicKey) },
		"flipped bit":  func(t *Tx) { t.Signature[10] ^= 1 },
		"short sig":    func(t *Tx) { t.Signature = t.Signature[:10] },
		"short key":    func(t *Tx) { t.PubKey = t.PubKey[:10] },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			c := *good
			c.PubKey = bytes.Clone(good.PubKey)
			c.Signature = bytes.Clone(good.Signature)
			mutate(&c)
			if c.Verify("cooper-test") {
				t.Fatal("verified")
			}
		})
	}
	if good.Verify("other-chain") {
		t.Fatal("a call signed for one chain verified on another")
	}
}

func TestDecodeErrors(t *testing.T) {
	raw := Sign(testKey(1), "c", sample()).Encode()
	bodyEnd := len(raw) - ed25519.SignatureSize
	vatAt := 1 + 32 + 8
	cases := map[string][]byte{
		"empty":            nil,
		"version 2":        append([]byte{2}, raw[1:]...),
		"truncated key":    raw[:20],
		"truncated sig":    raw[:len(raw)-1],
		"trailing byte":    append(bytes.Clone(raw), 0),
		"no signature":     raw[:bodyEnd],
		"non-minimal len":  splice(raw, vatAt, 1, []byte{0x89, 0x00}),
		"vat too long":     encodeRaw(Call{Vat: string(bytes.Repeat([]byte("v"), MaxVatLen+1)), Method: "m"}),
		"method too long":  encodeRaw(Call{Vat: "v", Method: string(bytes.Repeat([]byte("m"), MaxMethodLen+1))}),
		"empty vat":        encodeRaw(Call{Method: "m"}),
		"empty method":     encodeRaw(Call{Vat: "v"}),
		"vat not UTF-8":    encodeRaw(Call{Vat: "\xff", Method: "m"}),
		"huge length":      splice(raw, vatAt, 1, []byte{0xff, 0xff, 0xff, 0xff, 0x0f}),
		"varint overflows": splice(raw, vatAt, 1, bytes.Repeat([]byte{0xff}, 11)),
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := Decode(b); !errors.Is(err, ErrMalformed) {
				t.Fatalf("Decode = %v, want ErrMalformed", err)
			}
		})
	}
}

// splice replaces n bytes of b at i with repl.
func splice(b []byte, i, n int, repl []byte) []byte {
	out := append(bytes.Clone(b[:i]), repl...)
	return append(out, b[i+n:]...)
}

func encodeRaw(c Call) []byte { return (&Tx{Call: c}).Encode() }

func TestKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "client.key")
	k := testKey(3)
	if err := WriteKey(path, k); err != nil {
		t.Fatal(err)
	}
	if err := WriteKey(path, k); err == nil {
		t.Fatal("WriteKey overwrote a key")
	}
	got, err := ReadKey(path)
	if err != nil || !bytes.Equal(got, k) {
		t.Fatalf("ReadKey = %x, %v", got, err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode())
	}
	os.WriteFile(path, []byte(`{"seed":"00"}`), 0o600)
	if _, err := ReadKey(path); err == nil {
		t.Fatal("short seed accepted")
	}
	pk, err := ParsePubKey(PubKeyHex(k.Public().(ed25519.PublicKey)))
	if err != nil || !bytes.Equal(pk, k.Public().(ed25519.PublicKey)) {
		t.Fatalf("ParsePubKey = %x, %v", pk, err)
	}
	if _, err := ParsePubKey("abcd"); err == nil {
		t.Fatal("short public key accepted")
	}
}

// FuzzDecode checks that Decode never panics and that every transaction it
// accepts has exactly one encoding: the bytes it was read from.
func FuzzDecode(f *testing.F) {
	f.Add(Sign(testKey(1), "c", sample()).Encode())
	f.Add(encodeRaw(Call{Vat: "v", Method: "m", Args: "#[]"}))
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, err := Decode(raw)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		if !bytes.Equal(got.Encode(), raw) {
			t.Fatalf("Encode(Decode(%x)) = %x", raw, got.Encode())
		}
		again, err := Decode(got.Encode())
		if err != nil || again.Call != got.Call {
			t.Fatalf("second decode: %+v, %v", again, err)
		}
	})
}
