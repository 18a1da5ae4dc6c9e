package qjs

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"

	"github.com/cooper-kernel/cooper/worker/wasm/instrument"
)

// rewrite instruments module with opts. With a cache directory, a rewrite
// an earlier process left there is used instead of making it again (the
// rewrite is most of an engine's start once wazero's own cache holds the
// compiled code), and a new one is left there. A cache entry is named by
// the module, the options and the code of package instrument, and is one
// file whose SHA-256 covers everything in it (the module and what the
// engine reads beside it: stack bounds, host table slots, globals, the end
// of the data segments); one that does not check is made again.
func rewrite(module []byte, opts instrument.Options, cacheDir string) (*instrument.Result, error) {
	if cacheDir == "" {
		return instrument.Rewrite(module, opts)
	}
	key, err := rewriteKey(module, opts)
	if err != nil {
		return instrument.Rewrite(module, opts)
	}
	path := filepath.Join(cacheDir, "rewrite-"+key+".bin")
	if r, err := loadRewrite(path); err == nil {
		return r, nil
	}
	r, err := instrument.Rewrite(module, opts)
	if err != nil {
		return nil, err
	}
	storeRewrite(path, r) // best effort: the cache only saves time
	return r, nil
}

// rewriteKey names the rewrite of module with opts by this code.
func rewriteKey(module []byte, opts instrument.Options) (string, error) {
	o, err := json.Marshal(opts)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	sum := sha256.Sum256(module)
	for _, part := range [][]byte{sum[:], o, []byte(instrument.Version), []byte(instrument.SourceHash())} {
		h.Write([]byte{byte(len(part) >> 8), byte(len(part))})
		h.Write(part)
	}
	return hex.EncodeToString(h.Sum(nil))[:32], nil
}

// maxRewriteFile bounds what loadRewrite reads (the module is ~1.5 MB).
const maxRewriteFile = 64 << 20

// A cached rewrite is: SHA-256 of the rest, the length of the metadata
// (uint32, little-endian), the metadata (the Result without its module, as
// JSON), the module.
const rewriteHeader = sha256.Size + 4

// loadRewrite reads a cached rewrite and checks it whole.
func loadRewrite(path string) (*instrument.Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxRewriteFile+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxRewriteFile || len(b) < rewriteHeader {
		return nil, errors.New("qjs: cached rewrite of a bad size")
	}
	if sha256.Sum256(b[sha256.Size:]) != [sha256.Size]byte(b[:sha256.Size]) {
		return nil, errors.New("qjs: cached rewrite does not match its hash")
	}
	n := binary.LittleEndian.Uint32(b[sha256.Size:])
	rest := b[rewriteHeader:]
	if uint64(n) > uint64(len(rest)) {
		return nil, errors.New("qjs: cached rewrite of a bad size")
	}
	var r instrument.Result
	if err := json.Unmarshal(rest[:n], &r); err != nil {
		return nil, err
	}
	r.Wasm = rest[n:]
	return &r, nil
}

// storeRewrite writes r where loadRewrite finds it, renamed into place
// once whole.
func storeRewrite(path string, r *instrument.Result) {
	meta := *r
	meta.Wasm = nil
	m, err := json.Marshal(meta)
	if err != nil || os.MkdirAll(filepath.Dir(path), 0o755) != nil {
		return
	}
	b := make([]byte, rewriteHeader, rewriteHeader+len(m)+len(r.Wasm))
	binary.LittleEndian.PutUint32(b[sha256.Size:], uint32(len(m)))
	b = append(append(b, m...), r.Wasm...)
	sum := sha256.Sum256(b[sha256.Size:])
	copy(b, sum[:])
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
}
