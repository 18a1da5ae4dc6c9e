package cooper

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"slices"

	"github.com/cooper-kernel/cooper/bundle"
	"github.com/cooper-kernel/cooper/capdata"
	"github.com/cooper-kernel/cooper/kernel"
)

// ErrConfig is wrapped by every configuration error.
var ErrConfig = errors.New("cooper: config")

// Config is a SwingSet-style kernel configuration file:
//
//	{
//	  "bootstrap": "bootstrap",
//	  "vats":    { "bootstrap": { "sourceSpec": "bootstrap.js", "parameters": {} } },
//	  "bundles": { "counter":   { "sourceSpec": "counter.js" } },
//	  "defaultManagerType": "js"
//	}
//
// A vat or bundle gives its code as sourceSpec (an ES module, bundled at
// init, relative to the config file), bundleSpec (a bundle JSON file made by
// `cooper bundle`), bundle (an inline bundle) or, for vats, bundleName (an
// entry of bundles, or a Go vat compiled into the binary).
type Config struct {
	Bootstrap          string                `json:"bootstrap"`
	Vats               map[string]VatSpec    `json:"vats"`
	Bundles            map[string]BundleSpec `json:"bundles"`
	DefaultManagerType string                `json:"defaultManagerType"`
	// Limits bound what vats and the host may hand the kernel; zero or
	// missing fields take kernel.DefaultLimits. They are fixed at init.
	Limits *kernel.Limits `json:"limits,omitempty"`
	// PruneOldIncarnations makes each vat upgrade delete the transcript of
	// the incarnation it ends; by default old spans are kept.
	PruneOldIncarnations bool `json:"pruneOldIncarnations,omitempty"`
	// SnapshotInterval is how many deliveries a vat that takes heap
	// snapshots (a wasm JS vat) receives between snapshots; missing means
	// 200 (state.DefaultSnapshotInterval, as SwingSet), 0 never. Fixed at init.
	SnapshotInterval *uint64 `json:"snapshotInterval,omitempty"`
	// PruneTranscripts makes each heap snapshot delete the transcript
	// entries before it; by default they are kept (cooper replay --full).
	PruneTranscripts bool `json:"pruneTranscripts,omitempty"`
	// MaxVatsOnline bounds how many vats that take heap snapshots are
	// online at once; past it the least recently used is paged out to its
	// snapshot (SwingSet's maxVatsOnline). Missing means 50, as SwingSet,
	// with every vat still restored (so checked) at a restart; K > 0 also
	// loads vats lazily at a restart; 0 sets no bound. Node-local, fixed
	// at init.
	MaxVatsOnline *uint64 `json:"maxVatsOnline,omitempty"`
	// Ignored holds the SwingSet keys that have no effect in Cooper.
	Ignored map[string]json.RawMessage `json:"-"`
	// Dir is the directory sourceSpec and bundleSpec paths are relative to;
	// ReadConfig sets it to the config file's directory.
	Dir string `json:"-"`
}

// BundleSpec says where a bundle's code comes from.
type BundleSpec struct {
	SourceSpec string          `json:"sourceSpec,omitempty"`
	BundleSpec string          `json:"bundleSpec,omitempty"`
	Bundle     json.RawMessage `json:"bundle,omitempty"`
}

// VatSpec defines a static vat.
type VatSpec struct {
	BundleSpec
	BundleName      string          `json:"bundleName,omitempty"`
	Parameters      json.RawMessage `json:"parameters,omitempty"`
	CreationOptions CreationOptions `json:"creationOptions"`
}

// CreationOptions are a static vat's options.
type CreationOptions struct {
	Critical         bool   `json:"critical,omitempty"`
	EnablePipelining bool   `json:"enablePipelining,omitempty"`
	ManagerType      string `json:"managerType,omitempty"`
	// DeliveryComputronLimit overrides the per-delivery computron limit (JS vats).
	DeliveryComputronLimit uint64 `json:"deliveryComputronLimit,omitempty"`
	// MemoryLimitBytes caps the vat's memory (JS vats on the wasm worker;
	// default wasm.DefaultMemoryLimit).
	MemoryLimitBytes uint64 `json:"memoryLimitBytes,omitempty"`
	// Accepted for SwingSet compatibility; they have no effect in Cooper.
	UseTranscript *bool           `json:"useTranscript,omitempty"`
	ReapInterval  json.RawMessage `json:"reapInterval,omitempty"`
}

// ignoredKey reports SwingSet config keys that have no meaning in Cooper;
// they are accepted so SwingSet configs load, and reported by [Config.Warnings].
func ignoredKey(k string) bool {
	switch k {
	case "defaultReapInterval", "snapshotInitial", "relaxDurabilityRules", "includeDevDependencies", "pinBootstrapRoot", "bundleCachePath":
		return true
	}
	return false
}

// knownManagerType reports the accepted values of defaultManagerType and
// creationOptions.managerType: every JS manager of SwingSet runs on goja here.
func knownManagerType(t string) bool {
	switch t {
	case "", "js", "local", "xs-worker", "xsnap", "node-subprocess":
		return true
	}
	return false
}

// MaxConfigSize bounds a config file: a larger (or endless) file is refused.
const MaxConfigSize = 16 << 20

// ReadConfig parses a config file. Unknown keys are errors.
func ReadConfig(path string) (*Config, error) {
	data, err := bundle.ReadFileLimit(path, MaxConfigSize, "config")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	cfg, err := ParseConfig(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	cfg.Dir = filepath.Dir(path)
	return cfg, nil
}

// ParseConfig parses config JSON. Unknown keys are errors.
func ParseConfig(data []byte) (*Config, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, jsonError(data, err))
	}
	cfg := &Config{Ignored: map[string]json.RawMessage{}}
	known := map[string]bool{"bootstrap": true, "vats": true, "bundles": true, "defaultManagerType": true, "limits": true, "pruneOldIncarnations": true,
		"snapshotInterval": true, "pruneTranscripts": true, "maxVatsOnline": true}
	strict := map[string]json.RawMessage{}
	for _, k := range sortedKeys(raw) {
		switch {
		case known[k]:
			strict[k] = raw[k]
		case ignoredKey(k):
			cfg.Ignored[k] = raw[k]
		default:
			return nil, fmt.Errorf("%w: unknown key %q", ErrConfig, k)
		}
	}
	b, _ := json.Marshal(strict)
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(cfg); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return cfg, cfg.check()
}

func jsonError(data []byte, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line := 1 + bytes.Count(data[:se.Offset], []byte("\n"))
		return fmt.Errorf("invalid JSON at line %d: %w", line, err)
	}
	return err
}

func (c *Config) check() error {
	if !knownManagerType(c.DefaultManagerType) {
		return fmt.Errorf("%w: unknown defaultManagerType %q (use \"js\")", ErrConfig, c.DefaultManagerType)
	}
	if err := checkLimits(c.Limits); err != nil {
		return err
	}
	if len(c.Vats) == 0 {
		return fmt.Errorf("%w: no vats", ErrConfig)
	}
	if c.Bootstrap != "" {
		if _, ok := c.Vats[c.Bootstrap]; !ok {
			return fmt.Errorf("%w: bootstrap vat %q is not defined in vats", ErrConfig, c.Bootstrap)
		}
	}
	for _, name := range sortedKeys(c.Vats) {
		v := c.Vats[name]
		n := v.count()
		if v.BundleName != "" {
			n++
		}
		if n != 1 {
			return fmt.Errorf("%w: vat %q must have exactly one of sourceSpec, bundleSpec, bundle, bundleName", ErrConfig, name)
		}
		if !knownManagerType(v.CreationOptions.ManagerType) {
			return fmt.Errorf("%w: vat %q: unknown managerType %q", ErrConfig, name, v.CreationOptions.ManagerType)
		}
	}
	for _, name := range sortedKeys(c.Bundles) {
		if c.Bundles[name].count() != 1 {
			return fmt.Errorf("%w: bundle %q must have exactly one of sourceSpec, bundleSpec, bundle", ErrConfig, name)
		}
	}
	return nil
}

// checkLimits refuses negative limits (zero means the default).
func checkLimits(l *kernel.Limits) error {
	if l == nil {
		return nil
	}
	for _, f := range []struct {
		name string
		v    int
	}{
		{"maxCapDataBytes", l.MaxCapDataBytes},
		{"maxSlots", l.MaxSlots},
		{"maxVatstoreKeyBytes", l.MaxVatstoreKeyBytes},
		{"maxVatstoreValueBytes", l.MaxVatstoreValueBytes},
		{"maxSyscallsPerDelivery", l.MaxSyscallsPerDelivery},
		{"maxSyscallBytesPerDelivery", l.MaxSyscallBytesPerDelivery},
	} {
		if f.v < 0 {
			return fmt.Errorf("%w: limits.%s is negative (%d)", ErrConfig, f.name, f.v)
		}
	}
	return nil
}

func (b BundleSpec) count() int {
	n := 0
	for _, set := range []bool{b.SourceSpec != "", b.BundleSpec != "", len(b.Bundle) > 0} {
		if set {
			n++
		}
	}
	return n
}

// Warnings lists the config keys that were accepted but have no effect.
func (c *Config) Warnings() []string {
	var out []string
	for _, k := range sortedKeys(c.Ignored) {
		out = append(out, fmt.Sprintf("config: %s has no effect in Cooper (ignored)", k))
	}
	return out
}

// Resolve bundles every source the config names (paths relative to c.Dir)
// and returns the kernel configuration. Nothing is read from disk after this.
func (c *Config) Resolve() (*kernel.Config, error) {
	dir := c.Dir
	kc := &kernel.Config{
		Bootstrap:    c.Bootstrap,
		Bundles:      map[string][]byte{},
		NamedBundles: map[string]string{},
	}
	if c.Limits != nil {
		kc.Limits = *c.Limits
	}
	kc.PruneOldIncarnations = c.PruneOldIncarnations
	kc.SnapshotInterval = c.SnapshotInterval
	kc.PruneTranscripts = c.PruneTranscripts
	kc.MaxVatsOnline = c.MaxVatsOnline
	load := func(what string, b BundleSpec) (string, error) {
		bd, err := b.load(dir)
		if err != nil {
			return "", fmt.Errorf("%w: %s: %w", ErrConfig, what, err)
		}
		id := bundle.ID(bd.Marshal())
		kc.Bundles[id] = bd.Marshal()
		return id, nil
	}
	for _, name := range sortedKeys(c.Bundles) {
		id, err := load(fmt.Sprintf("bundle %q", name), c.Bundles[name])
		if err != nil {
			return nil, err
		}
		kc.NamedBundles[name] = id
	}
	for _, name := range sortedKeys(c.Vats) {
		v := c.Vats[name]
		vc := kernel.VatConfig{
			Name:             name,
			BundleName:       v.BundleName,
			Critical:         v.CreationOptions.Critical,
			EnablePipelining: v.CreationOptions.EnablePipelining,
			DeliveryLimit:    v.CreationOptions.DeliveryComputronLimit,
			MemoryLimit:      v.CreationOptions.MemoryLimitBytes,
		}
		if m := vc.MemoryLimit; m != 0 {
			if err := kernel.CheckMemoryLimit(m); err != nil {
				return nil, fmt.Errorf("%w: vat %q memoryLimitBytes: %w", ErrConfig, name, err)
			}
		}
		if v.BundleName == "" {
			id, err := load(fmt.Sprintf("vat %q", name), v.BundleSpec)
			if err != nil {
				return nil, err
			}
			vc.BundleID = id
		}
		if len(v.Parameters) > 0 {
			p, err := ParseJSONValue(v.Parameters)
			if err != nil {
				return nil, fmt.Errorf("%w: vat %q parameters: %w", ErrConfig, name, err)
			}
			vc.Parameters = p
		}
		kc.Vats = append(kc.Vats, vc)
	}
	return kc, nil
}

func (b BundleSpec) load(dir string) (*bundle.Bundle, error) {
	rel := func(p string) string {
		if filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, p)
	}
	switch {
	case b.SourceSpec != "":
		return bundle.Build(rel(b.SourceSpec))
	case b.BundleSpec != "":
		data, err := bundle.ReadFile(rel(b.BundleSpec))
		if err != nil {
			return nil, err
		}
		return bundle.Parse(data)
	default:
		return bundle.Parse(b.Bundle)
	}
}

// ParseJSONValue turns JSON into a passable value: objects become records
// (in their written order), numbers float64.
func ParseJSONValue(data []byte) (capdata.Value, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := jsonValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after JSON value")
	}
	return v, nil
}

func jsonValue(dec *json.Decoder) (capdata.Value, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			rec := &capdata.Record{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				v, err := jsonValue(dec)
				if err != nil {
					return nil, err
				}
				rec.Set(kt.(string), v)
			}
			_, err := dec.Token()
			return rec, err
		case '[':
			list := []capdata.Value{}
			for dec.More() {
				v, err := jsonValue(dec)
				if err != nil {
					return nil, err
				}
				list = append(list, v)
			}
			_, err := dec.Token()
			return list, err
		}
	case json.Number:
		f, err := t.Float64()
		if err != nil {
			return nil, fmt.Errorf("number %s is out of range of a JS number (at most ±1.8e308)", t)
		}
		return f, nil
	case string, bool, nil:
		return t, nil
	}
	return nil, fmt.Errorf("unexpected JSON token %v", tok)
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
