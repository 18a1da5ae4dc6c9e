package kernel

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/cooper-kernel/cooper/capdata"
	"github.com/cooper-kernel/cooper/kernel/state"
	"github.com/cooper-kernel/cooper/store"
	"github.com/cooper-kernel/cooper/vat"
)

// Config is a resolved kernel configuration: every vat's code is a bundle
// already in Bundles, a named bundle, or a Go vat compiled in.
type Config struct {
	// Bootstrap names the vat whose root gets bootstrap(vats, devices); "" for none.
	Bootstrap string
	// Vats are the static vats, created in this order.
	Vats []VatConfig
	// Bundles maps bundle IDs to bundle bytes; all are stored at creation.
	Bundles map[string][]byte
	// NamedBundles maps bundle names to bundle IDs (namedBundleID.NAME).
	NamedBundles map[string]string
	// Limits bound what vats and the host hand the kernel; zero fields take
	// DefaultLimits. They are stored with the kernel.
	Limits Limits
	// PruneOldIncarnations makes each upgrade delete the transcript of the
	// incarnation it ends (kept by default, for audit).
	PruneOldIncarnations bool
	// SnapshotInterval is how many deliveries a vat that takes heap
	// snapshots receives between them; nil means
	// state.DefaultSnapshotInterval, 0 never.
	SnapshotInterval *uint64
	// PruneTranscripts makes each heap snapshot delete the transcript
	// entries before it (kept by default, for `cooper replay --full`).
	PruneTranscripts bool
	// MaxVatsOnline bounds how many vats that take heap snapshots are
	// online at once (see lazy.go): K > 0 loads them lazily and keeps at
	// most K; nil keeps at most state.DefaultMaxVatsOnline but loads (so
	// checks) every vat at start; 0 sets no bound.
	MaxVatsOnline *uint64
}

// VatConfig defines one static vat.
type VatConfig struct {
	Name string
	// Exactly one of BundleID (a JS bundle) and BundleName (a named bundle
	// or a Go vat) is set.
	BundleID   string
	BundleName string
	Parameters capdata.Value
	Critical   bool
	// EnablePipelining delivers messages sent to the promises this vat
	// decides straight to it, before they resolve.
	EnablePipelining bool
	// DeliveryLimit overrides the kernel's per-delivery computron limit.
	DeliveryLimit uint64
	// MemoryLimit overrides the worker's memory cap (bytes; wasm JS vats).
	MemoryLimit uint64
}

// VatAdminName is the name of the built-in vat-admin vat and device.
const VatAdminName = "vatAdmin"

// Create makes a new kernel in dir from cfg: it stores the bundles, creates
// and starts every static vat (plus the vat-admin vat), and queues the
// bootstrap message, then commits. It is [Build] then [Draft.Publish]:
// on any error, or if the process dies before it returns, dir holds no
// kernel.
func Create(dir string, cfg *Config, opts Options) (*Kernel, error) {
	d, err := Build(dir, cfg, opts)
	if err != nil {
		return nil, err
	}
	k, err := d.Publish()
	if err != nil {
		d.Discard()
		return nil, err
	}
	return k, nil
}

// DraftSuffix ends the name of a kernel database while [Build] makes it.
const DraftSuffix = ".draft"

// Draft is a kernel being created: a kernel like any other (the host may
// run its bootstrap and look at what it did), whose database has a
// temporary name (DBName + DraftSuffix) until Publish renames it into
// place. Until then the directory holds no kernel: Open refuses it and a
// process killed meanwhile leaves only the draft, which the next Build in
// that directory clears.
type Draft struct {
	*Kernel
	madeDir bool // Build made dir; Discard removes it
}

// Build makes a new kernel in dir from cfg as a [Draft]: it stores the
// bundles, creates and starts every static vat (plus the vat-admin vat),
// queues the bootstrap message and commits, all in the draft database.
// On error nothing is left behind.
func Build(dir string, cfg *Config, opts Options) (*Draft, error) {
	if opts.Maker == nil {
		return nil, errors.New("kernel: Options.Maker is required")
	}
	if err := cfg.validate(opts.Maker); err != nil {
		return nil, err
	}
	d := &Draft{}
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		d.madeDir = true
	}
	if Exists(dir) {
		return nil, fmt.Errorf("%s already holds a kernel", dir)
	}
	lock, err := lockDir(dir)
	if err != nil {
		d.removeDir(dir)
		return nil, err
	}
	if Exists(dir) { // made while we took the lock
		lock.release()
		return nil, fmt.Errorf("%s already holds a kernel", dir)
	}
	draft := filepath.Join(dir, DBName+DraftSuffix)
	if err := store.Remove(draft); err != nil { // what a killed Build left
		lock.release()
		return nil, fmt.Errorf("clear an unfinished kernel in %s: %w", dir, err)
	}
	st, err := store.Create(draft, opts.Store)
	if err != nil {
		lock.release()
		d.removeDir(dir)
		return nil, err
	}
	d.Kernel = newKernel(dir, st, opts)
	d.db = st
	d.lock = lock
	if err := d.initialize(cfg); err != nil {
		d.Discard()
		return nil, err
	}
	if err := d.Commit(); err != nil {
		d.Discard()
		return nil, err
	}
	return d, nil
}

// Publish commits the draft and renames its database into place: from
// then on dir holds this kernel, which goes on running. After Publish the
// draft is empty.
func (d *Draft) Publish() (*Kernel, error) {
	if d.Kernel == nil {
		return nil, errors.New("kernel: draft already published or discarded")
	}
	if err := d.Commit(); err != nil {
		return nil, err
	}
	if err := d.db.MoveTo(filepath.Join(d.dir, DBName)); err != nil {
		return nil, err
	}
	k := d.Kernel
	d.Kernel = nil
	return k, nil
}

// Discard closes an unpublished draft and removes it: its database, the
// lock file and, if Build made it, the directory. It does nothing after
// Publish.
func (d *Draft) Discard() error {
	if d.Kernel == nil {
		return nil
	}
	dir := d.dir
	d.Close()
	d.Kernel = nil
	err := store.Remove(filepath.Join(dir, DBName+DraftSuffix))
	os.Remove(filepath.Join(dir, LockName))
	d.removeDir(dir)
	return err
}

// removeDir removes dir if Build made it (and it is empty).
func (d *Draft) removeDir(dir string) {
	if d.madeDir {
		os.Remove(dir)
	}
}

func (c *Config) validate(m vat.Maker) error {
	seen := map[string]bool{VatAdminName: true}
	for _, v := range c.Vats {
		if v.Name == VatAdminName {
			return fmt.Errorf("vat name %q is reserved", v.Name)
		}
		if !validName(v.Name) {
			return fmt.Errorf("vat name %q: use letters, digits, '.', '_' and '-' (under 200 characters)", v.Name)
		}
		if seen[v.Name] {
			return fmt.Errorf("vat %q defined twice", v.Name)
		}
		seen[v.Name] = true
		switch {
		case v.BundleID != "" && v.BundleName != "":
			return fmt.Errorf("vat %q: give a bundle or a bundleName, not both", v.Name)
		case v.BundleID != "":
			if _, ok := c.Bundles[v.BundleID]; !ok {
				return fmt.Errorf("vat %q: bundle %s is not in the configuration", v.Name, v.BundleID)
			}
		case v.BundleName != "":
			if _, ok := c.NamedBundles[v.BundleName]; !ok && !m.HasGoVat(v.BundleName) {
				return fmt.Errorf("vat %q: no bundle or Go vat named %q", v.Name, v.BundleName)
			}
		default:
			return fmt.Errorf("vat %q has no code (bundle or bundleName)", v.Name)
		}
	}
	if c.Bootstrap != "" && !seen[c.Bootstrap] {
		return fmt.Errorf("bootstrap vat %q is not defined in vats", c.Bootstrap)
	}
	for _, name := range sortedKeys(c.NamedBundles) {
		id := c.NamedBundles[name]
		if _, ok := c.Bundles[id]; !ok {
			return fmt.Errorf("bundle %q: %s is not in the configuration", name, id)
		}
	}
	if !m.HasGoVat(vat.AdminGoName) {
		return fmt.Errorf("this binary has no %s Go vat", vat.AdminGoName)
	}
	return nil
}

// validName is SwingSet's rule for vat names: [A-Za-z0-9._-], under 200 characters.
func validName(name string) bool {
	if name == "" || len(name) >= 200 {
		return false
	}
	for _, c := range []byte(name) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
		if !ok {
			return false
		}
	}
	return true
}

// initialize writes a new kernel's state, each step in its own crank.
func (k *Kernel) initialize(cfg *Config) error {
	err := k.hostCrank(func() error {
		k.state.Initialize()
		k.limits = withDefaults(cfg.Limits)
		k.state.SetLimits(k.limits)
		if cfg.PruneOldIncarnations {
			k.state.SetPruneOldIncarnations(true)
		}
		if cfg.SnapshotInterval != nil {
			k.state.SetSnapshotInterval(*cfg.SnapshotInterval)
		}
		if cfg.PruneTranscripts {
			k.state.SetPruneTranscripts(true)
		}
		if cfg.MaxVatsOnline != nil {
			k.state.SetMaxVatsOnline(*cfg.MaxVatsOnline)
		}
		k.loadLocalSettings()
		for _, id := range sortedKeys(cfg.Bundles) {
			k.store.PutBundle(id, cfg.Bundles[id])
		}
		for _, name := range sortedKeys(cfg.NamedBundles) {
			k.state.SetNamedBundle(name, cfg.NamedBundles[name])
		}
		k.initDevices()
		return nil
	})
	if err != nil {
		return err
	}
	k.startDevices()
	vats := slices.Clone(cfg.Vats)
	vats = append(vats, VatConfig{Name: VatAdminName, BundleName: vat.AdminGoName, Critical: true})
	roots := map[string]vat.KRef{}
	for _, v := range vats {
		root, err := k.createStaticVat(v)
		if err != nil {
			return err
		}
		roots[v.Name] = root
	}
	if cfg.Bootstrap == "" {
		return nil
	}
	return k.hostCrank(func() error {
		vatsRec := &capdata.Record{}
		for _, name := range sortedKeys(roots) {
			vatsRec.Set(name, capdata.Slot{Ref: string(roots[name]), Kind: capdata.Remotable})
		}
		devRec := &capdata.Record{}
		for _, name := range k.state.DeviceNames() {
			devRec.Set(name, capdata.Slot{Ref: string(k.deviceRoot(name)), Kind: capdata.Remotable})
		}
		kp, err := k.queueToRoot(roots[cfg.Bootstrap], "bootstrap", []capdata.Value{vatsRec, devRec}, false)
		if err != nil {
			return err
		}
		k.state.SetBootstrapResult(kp)
		return nil
	})
}

// createStaticVat defines a static vat and runs its startVat delivery.
func (k *Kernel) createStaticVat(v VatConfig) (root vat.KRef, err error) {
	src := state.Source{BundleID: v.BundleID, BundleName: v.BundleName}
	opts := state.VatOptions{Name: v.Name, Critical: v.Critical, EnablePipelining: v.EnablePipelining, DeliveryLimit: v.DeliveryLimit, MemoryLimit: v.MemoryLimit}
	params, err := encodeKernel(v.Parameters)
	if v.Parameters == nil {
		params, err = encodeKernel(capdata.Undefined{})
	}
	if err != nil {
		return "", fmt.Errorf("vat %q parameters: %w", v.Name, err)
	}
	err = k.hostCrank(func() error {
		id := k.state.AllocateVatID()
		k.state.AddStaticVat(v.Name, id)
		var failure string
		root, failure = k.startVat(id, src, opts, params)
		if failure != "" {
			return fmt.Errorf("vat %q: %s", v.Name, failure)
		}
		return nil
	})
	return root, err
}

// startVat writes a new vat's definition, starts its worker and delivers
// startVat. It returns the root object, or why the vat could not start; on
// failure the caller must abort the crank.
func (k *Kernel) startVat(id vat.ID, src state.Source, opts state.VatOptions, params state.CapData) (vat.KRef, string) {
	k.state.InitVat(id, src, opts, params)
	root := k.state.AllocateObject(id)
	k.state.AddCList(id, root, vat.RootVRef)
	h, failure := k.startIncarnation(id, opts, params, 0, func() {
		k.emit(Event{Type: EventCreateVat, VatID: id, Name: opts.Name, Source: src.String()})
	})
	if failure != "" {
		if h != nil {
			h.worker.Close()
			delete(k.vats, id)
		}
		return "", failure
	}
	return root, ""
}

// startIncarnation starts a worker for vat id (recording the metering
// version it runs under), calls started, and delivers startVat. It returns
// the worker's handle (also in k.vats) and why the incarnation could not
// start ("" if it did); h is nil when no worker could be made.
func (k *Kernel) startIncarnation(id vat.ID, opts state.VatOptions, params state.CapData, incarnation uint64, started func()) (h *vatHandle, failure string) {
	h, err := k.startWorker(id, opts)
	if err != nil {
		return nil, err.Error()
	}
	if v, ok := h.worker.(vat.MeteringVersioner); ok {
		opts.MeteringVersion = v.MeteringVersion()
		h.opts = opts
		k.state.SetVatOptions(id, opts)
	}
	if started != nil {
		started()
	}
	k.vats[id] = h
	out, d := k.deliver(h, vat.Delivery{Kind: vat.DeliverStartVat, VatParameters: k.capToVat(id, params), Incarnation: incarnation})
	switch {
	case out.Err != "":
		return h, out.Err
	case d.illegal != "":
		return h, d.illegal
	case d.exit != nil:
		return h, "vat exited during startVat"
	}
	return h, ""
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func sortedVatIDs[V any](m map[vat.ID]V) []vat.ID {
	ids := make([]vat.ID, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b vat.ID) int { return cmpVatID(a, b) })
	return ids
}

// cmpVatID orders vat IDs by number.
func cmpVatID(a, b vat.ID) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
