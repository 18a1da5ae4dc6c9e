package qjs

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"

	"github.com/cooper-kernel/cooper/worker/wasm/instrument"
)

// rewrite instruments module with opts. With a cache directory, a rewrite
// an earlier process left there is used instead of making it again (the
// rewrite is most of an engine's start once wazero's own cache holds the
// compiled code), and a new one is left there. A cache entry is named by
// the module, the options and the code of package instrument, and
// checked against the hash it records; one that does not check is made
// again.
func rewrite(module []byte, opts instrument.Options, cacheDir string) (*instrument.Result, error) {
	if cacheDir == "" {
		return instrument.Rewrite(module, opts)
	}
	key, err := rewriteKey(module, opts)
	if err != nil {
		return instrument.Rewrite(module, opts)
	}
	base := filepath.Join(cacheDir, "rewrite-"+key)
	if r, err := loadRewrite(base); err == nil {
		return r, nil
	}
	r, err := instrument.Rewrite(module, opts)
	if err != nil {
		return nil, err
	}
	storeRewrite(base, r) // best effort: the cache only saves time
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

// loadRewrite reads a cached rewrite: base.json (the result without the
// module) and base.wasm (the module, which must have the recorded hash).
func loadRewrite(base string) (*instrument.Result, error) {
	meta, err := os.ReadFile(base + ".json")
	if err != nil {
		return nil, err
	}
	var r instrument.Result
	if err := json.Unmarshal(meta, &r); err != nil {
		return nil, err
	}
	wasm, err := os.ReadFile(base + ".wasm")
	if err != nil {
		return nil, err
	}
	if sum := sha256.Sum256(wasm); hex.EncodeToString(sum[:]) != r.Hash {
		return nil, errors.New("qjs: cached rewrite does not match its hash")
	}
	r.Wasm = wasm
	return &r, nil
}

// storeRewrite writes r where loadRewrite finds it, each file renamed into
// place once whole.
func storeRewrite(base string, r *instrument.Result) {
	meta := *r
	meta.Wasm = nil
	data, err := json.Marshal(meta)
	if err != nil || os.MkdirAll(filepath.Dir(base), 0o755) != nil {
		return
	}
	// The module first: a .json without its .wasm is a miss, never a mismatch.
	if writeFileAtomic(base+".wasm", r.Wasm) == nil {
		writeFileAtomic(base+".json", data)
	}
}

func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}
