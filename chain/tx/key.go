package tx

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
)

// KeyFile is a client key as stored on disk (DIR/client.key): the ed25519
// seed and, for people, the public key, both hex.
type KeyFile struct {
	PublicKey string `json:"publicKey"`
	Seed      string `json:"seed"`
}

// NewKey makes a fresh client key.
func NewKey() ed25519.PrivateKey {
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return k
}

// PubKeyHex returns a public key as Cooper names it: lower-case hex.
func PubKeyHex(k ed25519.PublicKey) string { return hex.EncodeToString(k) }

// ParsePubKey reads a public key in lower- or upper-case hex.
func ParsePubKey(s string) (ed25519.PublicKey, error) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("public key %q: want %d bytes of hex", s, ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(b), nil
}

// WriteKey stores k in path (mode 0600); it refuses to overwrite a file.
func WriteKey(path string, k ed25519.PrivateKey) error {
	data, _ := json.MarshalIndent(KeyFile{
		PublicKey: PubKeyHex(k.Public().(ed25519.PublicKey)),
		Seed:      hex.EncodeToString(k.Seed()),
	}, "", "  ")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(data, '\n')); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// ReadKey loads a key written by WriteKey.
func ReadKey(path string) (ed25519.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var kf KeyFile
	if err := json.Unmarshal(data, &kf); err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	seed, err := hex.DecodeString(kf.Seed)
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("key file %s: seed must be %d bytes of hex", path, ed25519.SeedSize)
	}
	k := ed25519.NewKeyFromSeed(seed)
	if kf.PublicKey != "" && kf.PublicKey != PubKeyHex(k.Public().(ed25519.PublicKey)) {
		return nil, fmt.Errorf("key file %s: public key does not match the seed", path)
	}
	return k, nil
}
