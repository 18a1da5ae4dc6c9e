// Package tx is the wire format of a Cooper call: a message to a vat's root
// object, {vat, method, args, nonce}, signed with ed25519.
//
// A transaction is these bytes, in this order, with no padding:
//
//	version     1 byte, 0x01
//	public key  32 bytes, ed25519
//	nonce       8 bytes, big-endian
//	vat         uvarint length, then UTF-8
//	method      uvarint length, then UTF-8
//	args        uvarint length, then UTF-8: the smallcaps body of the
//	            argument array, e.g. #["apples",5]
//	signature   64 bytes, ed25519
//
// Lengths are minimal uvarints, and nothing may follow the signature, so a
// call has exactly one encoding and Decode(Encode(t)) == t. The signature
// covers SignBytes: the domain "cooper/call/v1\x00", the chain ID (uvarint
// length, then bytes) and every byte of the transaction before the
// signature, so a call signed for one chain is worthless on another.
package tx

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Version is the first byte of every transaction this package encodes.
const Version = 1

// Limits of the fields; Decode refuses anything longer.
const (
	MaxVatLen    = 200
	MaxMethodLen = 256
)

// ErrMalformed is wrapped by every Decode error.
var ErrMalformed = errors.New("tx: malformed call")

// domain separates call signatures from any other use of the same key.
const domain = "cooper/call/v1\x00"

// Call is what a signed transaction asks for.
type Call struct {
	Vat    string
	Method string
	// Args is the smallcaps body of the argument array ("#[...]"); calls
	// carry no slots, so a caller can name no kernel object it was not given.
	Args  string
	Nonce uint64
}

// Tx is a signed call.
type Tx struct {
	Call
	PubKey    ed25519.PublicKey
	Signature []byte
}

// Sign returns the transaction of c signed by key for the chain chainID.
func Sign(key ed25519.PrivateKey, chainID string, c Call) *Tx {
	t := &Tx{Call: c, PubKey: key.Public().(ed25519.PublicKey)}
	t.Signature = ed25519.Sign(key, t.SignBytes(chainID))
	return t
}

// Verify reports whether the signature is the public key's over the call on chainID.
func (t *Tx) Verify(chainID string) bool {
	return len(t.PubKey) == ed25519.PublicKeySize && len(t.Signature) == ed25519.SignatureSize &&
		ed25519.Verify(t.PubKey, t.SignBytes(chainID), t.Signature)
}

// SignBytes returns the bytes the signature covers on chainID.
func (t *Tx) SignBytes(chainID string) []byte {
	b := make([]byte, 0, len(domain)+binary.MaxVarintLen64+len(chainID)+t.bodyLen())
	b = append(b, domain...)
	b = appendString(b, chainID)
	return t.appendBody(b)
}

func (t *Tx) bodyLen() int {
	return 1 + ed25519.PublicKeySize + 8 + 3*binary.MaxVarintLen64 + len(t.Vat) + len(t.Method) + len(t.Args)
}

// appendBody appends everything before the signature.
func (t *Tx) appendBody(b []byte) []byte {
	b = append(b, Version)
	b = append(b, padKey(t.PubKey)...)
	b = binary.BigEndian.AppendUint64(b, t.Nonce)
	b = appendString(b, t.Vat)
	b = appendString(b, t.Method)
	return appendString(b, t.Args)
}

// padKey returns the key as exactly 32 bytes (zeros for a missing key), so
// a Tx built by hand still encodes to something Decode reads back.
func padKey(k []byte) []byte {
	out := make([]byte, ed25519.PublicKeySize)
	copy(out, k)
	return out
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// Encode returns the transaction's bytes.
func (t *Tx) Encode() []byte {
	b := t.appendBody(make([]byte, 0, t.bodyLen()+ed25519.SignatureSize))
	sig := make([]byte, ed25519.SignatureSize)
	copy(sig, t.Signature)
	return append(b, sig...)
}

// Hash returns the transaction's hash as CometBFT names it: SHA-256 of its
// bytes, upper-case hex.
func Hash(raw []byte) string {
	sum := sha256.Sum256(raw)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// Decode reads a transaction. It checks the form only (lengths, UTF-8, no
// trailing bytes), not the signature: see [Tx.Verify].
func Decode(raw []byte) (*Tx, error) {
	d := decoder{b: raw}
	if v := d.byte(); d.err == nil && v != Version {
		return nil, fmt.Errorf("%w: unknown version %d", ErrMalformed, v)
	}
	t := &Tx{}
	t.PubKey = ed25519.PublicKey(bytes.Clone(d.take(ed25519.PublicKeySize, "public key")))
	if n := d.take(8, "nonce"); d.err == nil {
		t.Nonce = binary.BigEndian.Uint64(n)
	}
	t.Vat = d.string("vat", MaxVatLen)
	t.Method = d.string("method", MaxMethodLen)
	t.Args = d.string("args", len(raw))
	t.Signature = bytes.Clone(d.take(ed25519.SignatureSize, "signature"))
	if d.err != nil {
		return nil, d.err
	}
	if len(d.b) > 0 {
		return nil, fmt.Errorf("%w: %d bytes after the signature", ErrMalformed, len(d.b))
	}
	if t.Vat == "" || t.Method == "" {
		return nil, fmt.Errorf("%w: empty vat or method", ErrMalformed)
	}
	return t, nil
}

// decoder reads fields off b; the first error sticks.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
	}
}

func (d *decoder) byte() byte {
	if b := d.take(1, "version"); b != nil {
		return b[0]
	}
	return 0
}

func (d *decoder) take(n int, what string) []byte {
	if d.err != nil {
		return nil
	}
	if len(d.b) < n {
		d.fail("%s: need %d bytes, have %d", what, n, len(d.b))
		return nil
	}
	out := d.b[:n]
	d.b = d.b[n:]
	return out
}

func (d *decoder) string(what string, max int) string {
	if d.err != nil {
		return ""
	}
	n, k := binary.Uvarint(d.b)
	if k <= 0 {
		d.fail("%s: bad length", what)
		return ""
	}
	if k != len(binary.AppendUvarint(nil, n)) {
		d.fail("%s: length is not minimally encoded", what)
		return ""
	}
	d.b = d.b[k:]
	if n > uint64(max) {
		d.fail("%s: %d bytes, at most %d", what, n, max)
		return ""
	}
	s := d.take(int(n), what)
	if d.err == nil && !utf8.Valid(s) {
		d.fail("%s is not UTF-8", what)
	}
	return string(s)
}
