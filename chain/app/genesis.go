package app

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/cooper-kernel/cooper"
	"github.com/cooper-kernel/cooper/chain/tx"
	"github.com/cooper-kernel/cooper/kernel"
)

// ErrGenesis is wrapped by every error in a genesis app state.
var ErrGenesis = errors.New("app: genesis")

// AppState is the app_state of a Cooper chain's genesis file:
//
//	{
//	  "config":  { a Cooper config whose every vat and bundle is an inline "bundle" },
//	  "callers": [ { "name": "client", "pubKey": "<hex>",
//	                 "allow": [ { "vat": "bootstrap", "methods": ["makeCounter"] } ] } ],
//	  "limits":  { "blockCranks": 10000, "blockComputrons": 1000000000, "maxCallBytes": 65536 },
//	  "jsWorker": "goja"
//	}
//
// Every validator builds its kernel from it alone, so it must say
// everything that decides the kernel's behaviour.
type AppState struct {
	Config  json.RawMessage `json:"config"`
	Callers []Caller        `json:"callers"`
	Limits  Limits          `json:"limits"`
	// JSWorker is the engine of every JS vat: JSWorkerGoja (the default)
	// or JSWorkerWasm (see docs/wasm-worker.md).
	JSWorker string `json:"jsWorker,omitempty"`
}

// JS engines a genesis may name.
const (
	JSWorkerGoja = "goja"
	JSWorkerWasm = "wasm"
)

// Caller is a public key allowed to send calls, and where.
type Caller struct {
	Name string `json:"name,omitempty"`
	// PubKey is the ed25519 public key, hex.
	PubKey string `json:"pubKey"`
	// Allow lists the vats and methods the key may call; empty means every
	// method of the bootstrap vat.
	Allow []Grant `json:"allow,omitempty"`
}

// Grant lets a key call some methods of one vat.
type Grant struct {
	// Vat is a vat's name or ID; "*" is any vat.
	Vat string `json:"vat"`
	// Methods lists the methods; empty (or "*") is every method.
	Methods []string `json:"methods,omitempty"`
}

// Limits bound the work of one block and the size of one call. The
// kernel's own limits (per-delivery computrons, syscall sizes) are the
// config's "limits", which the kernel stores at genesis.
type Limits struct {
	// BlockCranks is how many cranks a block runs at most (then the rest
	// of the run queue waits for the next block).
	BlockCranks int `json:"blockCranks,omitempty"`
	// BlockComputrons stops a block's run once its deliveries used this many.
	BlockComputrons uint64 `json:"blockComputrons,omitempty"`
	// MaxCallBytes is the largest transaction accepted.
	MaxCallBytes int `json:"maxCallBytes,omitempty"`
}

// Defaults of Limits.
const (
	DefaultBlockCranks     = 10_000
	DefaultBlockComputrons = 1_000_000_000
	DefaultMaxCallBytes    = 64 << 10
)

// withDefaults fills unset limits.
func (l Limits) withDefaults() Limits {
	if l.BlockCranks <= 0 {
		l.BlockCranks = DefaultBlockCranks
	}
	if l.BlockComputrons == 0 {
		l.BlockComputrons = DefaultBlockComputrons
	}
	if l.MaxCallBytes <= 0 {
		l.MaxCallBytes = DefaultMaxCallBytes
	}
	return l
}

// ParseAppState reads and checks a genesis app state; the kernel config in
// it is parsed and resolved (every bundle must be inline).
func ParseAppState(data []byte) (*AppState, *kernel.Config, error) {
	var st AppState
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrGenesis, err)
	}
	if len(st.Config) == 0 {
		return nil, nil, fmt.Errorf("%w: no config", ErrGenesis)
	}
	cfg, err := cooper.ParseConfig(st.Config)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrGenesis, err)
	}
	if err := inlineOnly(cfg); err != nil {
		return nil, nil, err
	}
	kc, err := cfg.Resolve()
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrGenesis, err)
	}
	if len(st.Callers) == 0 {
		return nil, nil, fmt.Errorf("%w: no callers", ErrGenesis)
	}
	seen := map[string]bool{}
	for i, c := range st.Callers {
		pk, err := tx.ParsePubKey(c.PubKey)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: caller %d: %w", ErrGenesis, i, err)
		}
		hex := tx.PubKeyHex(pk)
		if seen[hex] {
			return nil, nil, fmt.Errorf("%w: caller %d: key %s listed twice", ErrGenesis, i, hex)
		}
		seen[hex] = true
		for _, g := range c.Allow {
			if g.Vat == "" {
				return nil, nil, fmt.Errorf("%w: caller %d: a grant names no vat", ErrGenesis, i)
			}
		}
	}
	switch st.JSWorker {
	case "":
		st.JSWorker = JSWorkerGoja
	case JSWorkerGoja, JSWorkerWasm:
	default:
		return nil, nil, fmt.Errorf("%w: jsWorker %q: use %q or %q", ErrGenesis, st.JSWorker, JSWorkerGoja, JSWorkerWasm)
	}
	st.Limits = st.Limits.withDefaults()
	return &st, kc, nil
}

// inlineOnly refuses configs that would read files: a genesis must carry
// every bundle itself, or validators could build different kernels.
func inlineOnly(cfg *cooper.Config) error {
	for _, name := range slices.Sorted(maps.Keys(cfg.Vats)) {
		v := cfg.Vats[name]
		if v.SourceSpec != "" || v.BundleSpec.BundleSpec != "" {
			return fmt.Errorf("%w: vat %q reads a file; genesis configs carry every bundle inline (cooperd testnet does this)", ErrGenesis, name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(cfg.Bundles)) {
		b := cfg.Bundles[name]
		if b.SourceSpec != "" || b.BundleSpec != "" {
			return fmt.Errorf("%w: bundle %q reads a file; genesis configs carry every bundle inline (cooperd testnet does this)", ErrGenesis, name)
		}
	}
	return nil
}

// Canonical returns the app state re-encoded with defaults filled, the form
// whose hash every validator stores.
func (st *AppState) Canonical() []byte {
	var cfg bytes.Buffer
	json.Compact(&cfg, st.Config)
	c := *st
	c.Config = cfg.Bytes()
	b, err := json.Marshal(c)
	if err != nil {
		panic(fmt.Sprintf("cooper genesis: %v", err)) // only plain data here
	}
	return b
}

// Hash returns the hex SHA-256 of the canonical app state.
func (st *AppState) Hash() string {
	sum := sha256.Sum256(st.Canonical())
	return hex.EncodeToString(sum[:])
}

// InlineConfig reads a Cooper config file and returns it with the code of
// every vat and bundle embedded as an inline bundle, ready for a genesis.
func InlineConfig(path string) (json.RawMessage, error) {
	cfg, err := cooper.ReadConfig(path)
	if err != nil {
		return nil, err
	}
	kc, err := cfg.Resolve()
	if err != nil {
		return nil, err
	}
	byName := map[string]kernel.VatConfig{}
	for _, v := range kc.Vats {
		byName[v.Name] = v
	}
	out := *cfg
	out.Vats = map[string]cooper.VatSpec{}
	for name, v := range cfg.Vats {
		if v.BundleName == "" {
			v.BundleSpec = cooper.BundleSpec{Bundle: kc.Bundles[byName[name].BundleID]}
		}
		out.Vats[name] = v
	}
	out.Bundles = map[string]cooper.BundleSpec{}
	for name := range cfg.Bundles {
		out.Bundles[name] = cooper.BundleSpec{Bundle: kc.Bundles[kc.NamedBundles[name]]}
	}
	return json.Marshal(out)
}

// callers indexes the genesis callers by public key hex.
type callers map[string]Caller

func indexCallers(cs []Caller) callers {
	m := callers{}
	for _, c := range cs {
		pk, _ := tx.ParsePubKey(c.PubKey)
		m[tx.PubKeyHex(pk)] = c
	}
	return m
}

// allows reports whether c may call method on the vat with ID id; resolve
// turns a grant's vat name into an ID ("" when there is no such vat).
func (c Caller) allows(id, method, bootstrap string, resolve func(string) string) bool {
	grants := c.Allow
	if len(grants) == 0 {
		grants = []Grant{{Vat: bootstrap}}
	}
	for _, g := range grants {
		if g.Vat != "*" {
			if gid := resolve(g.Vat); gid == "" || gid != id {
				continue
			}
		}
		if len(g.Methods) == 0 || slices.Contains(g.Methods, "*") || slices.Contains(g.Methods, method) {
			return true
		}
	}
	return false
}
