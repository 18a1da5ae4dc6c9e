// Package kernel runs cranks: it takes the next item off the run queue,
// routes it, translates references through the c-lists, delivers it to a vat
// through the vat manager, applies the syscalls the vat makes, and commits
// or rolls back the crank. It is one goroutine's worth of sequential,
// deterministic logic: no clocks, randomness, goroutines or map order reach
// its state.
//
// The host drives it through the controller API: [Create] or [Open] a kernel
// on a directory, queue messages with [Kernel.QueueToVatRoot], run cranks
// with [Kernel.Step] or [Kernel.Run], and [Kernel.Commit] a block.
package kernel

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/cooper-kernel/cooper/kernel/state"
	"github.com/cooper-kernel/cooper/store"
	"github.com/cooper-kernel/cooper/vat"
)

// DBName is the kernel database's file name inside a kernel directory.
const DBName = "kernel.sqlite"

// ErrNotKernel is returned by Open for a directory that holds no kernel.
var ErrNotKernel = errors.New("kernel: not a kernel directory")

// ErrInUse is returned when another process runs the kernel in a directory.
var ErrInUse = errors.New("kernel: directory in use by another process")

// ErrPanicked is wrapped by every error of a kernel that has stopped (a
// bug, a damaged database, a store failure): it serves nothing more.
var ErrPanicked = errors.New("kernel: stopped")

// Options configure a kernel.
type Options struct {
	// Maker creates workers; required.
	Maker vat.Maker
	// Store configures the SQLite store.
	Store store.Options
	// Console receives vat console output (not during replay).
	Console func(vatName, level, line string)
	// Observer receives every kernel event (the event log).
	Observer func(Event)
	// Stopper, when set, lets the host interrupt the kernel from another
	// goroutine (on SIGINT, say): the current delivery or replay stops and
	// the kernel returns ErrInterrupted, leaving the open block uncommitted.
	Stopper *Stopper
	// Progress, when set, is told how restart replay advances.
	Progress func(vatID vat.ID, name string, done, total uint64)
	// FullReplay makes a restart ignore heap snapshots and replay every
	// vat's transcript from the start of its incarnation.
	FullReplay bool
	// Logger receives warnings that are no errors (a heap snapshot that
	// cannot be used); nil means slog.Default().
	Logger *slog.Logger
}

// DefaultDeliveryLimit is the per-delivery computron limit of metered vats
// in DefaultLimits.
const DefaultDeliveryLimit = 100_000_000

// Kernel is a running kernel on one directory. It is not safe for
// concurrent use.
type Kernel struct {
	dir   string
	store Storage
	// db is the database as opened, for Store; the kernel itself reaches
	// it only through store.
	db      *store.Store
	state   *state.State
	opts    Options
	vats    map[vat.ID]*vatHandle
	devices map[vat.DeviceID]device

	limits Limits
	// snapshotInterval and maxVatsOnline are the node-local settings, fixed
	// at init and read once (they are consulted at every delivery and crank).
	snapshotInterval, maxVatsOnline uint64
	// lazy leaves vats with a usable snapshot offline at start (an explicit
	// maxVatsOnline); else every vat is restored, so checked, at start.
	lazy      bool
	maybeFree map[vat.KRef]struct{}
	// accepted holds the items the current crank queued, routed when it
	// ends (SwingSet's acceptance queue; it is always empty between cranks).
	accepted []state.RunQueueItem
	// afterCommit runs once the current crank has ended (closing the
	// workers of vats it terminated).
	afterCommit []func()
	crankNum    uint64
	// failed is set once the kernel has stopped; every later call returns it.
	failed error
	// fatal is set during a crank that must stop the kernel when it ends
	// (a device terminated a critical vat).
	fatal error
	lock  *dirLock
}

func newKernel(dir string, st Storage, opts Options) *Kernel {
	return &Kernel{
		dir:       dir,
		store:     st,
		state:     state.New(st),
		opts:      opts,
		vats:      map[vat.ID]*vatHandle{},
		devices:   map[vat.DeviceID]device{},
		maybeFree: map[vat.KRef]struct{}{},
	}
}

// Exists reports whether dir holds a kernel database.
func Exists(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, DBName))
	return err == nil
}

// Open restarts the kernel stored in dir: every live vat, static and dynamic,
// is rebuilt from what the database holds and its transcript is replayed.
// No config file or source file is needed. A vat that cannot be brought back
// stops Open with an error naming it.
func Open(dir string, opts Options) (*Kernel, error) {
	if opts.Maker == nil {
		return nil, errors.New("kernel: Options.Maker is required")
	}
	if !Exists(dir) {
		return nil, fmt.Errorf("%s: %w", dir, ErrNotKernel)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	st, err := store.Open(filepath.Join(dir, DBName), opts.Store)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrNotStore) {
		lock.release()
		return nil, fmt.Errorf("%s: %w", dir, ErrNotKernel)
	}
	if err != nil {
		lock.release()
		return nil, err
	}
	k := newKernel(dir, st, opts)
	k.db = st
	k.lock = lock
	if err := k.start(); err != nil {
		k.Close()
		return nil, err
	}
	return k, nil
}

// start loads the kernel's devices and vats from the store.
func (k *Kernel) start() (err error) {
	defer k.recoverCorrupt(&err)
	if err := k.state.CheckVersion(); err != nil {
		return err
	}
	k.crankNum = k.state.CrankNumber()
	k.limits = withDefaults(k.state.GetLimits())
	k.loadLocalSettings()
	k.startDevices()
	for _, id := range k.state.LiveVats() {
		if k.lazyStart(id) {
			continue // comes online when a crank needs it
		}
		if err := k.restoreVat(id); err != nil {
			k.closeWorkers()
			return err
		}
		// Restored, so known to come back: past the bound it goes offline
		// again, its snapshot and transcript unchanged.
		k.pageOut(false)
	}
	return nil
}

// loadLocalSettings reads the node-local snapshot and loading settings.
func (k *Kernel) loadLocalSettings() {
	k.snapshotInterval = k.state.SnapshotInterval()
	n, set := k.state.MaxVatsOnline()
	switch {
	case set:
		k.maxVatsOnline, k.lazy = n, n > 0
	case k.snapshotInterval != 0:
		k.maxVatsOnline, k.lazy = state.DefaultMaxVatsOnline, false
	default:
		k.maxVatsOnline, k.lazy = 0, false // no snapshots: nothing to page out to
	}
}

// recoverCorrupt turns a panic of the state layer (corrupt state) or of
// the store (a damaged or unreadable database) into an error.
func (k *Kernel) recoverCorrupt(err *error) {
	if r := recover(); r != nil {
		if e, ok := r.(error); ok && (errors.Is(e, state.ErrCorrupt) || store.IsFailure(e)) {
			*err = e
			return
		}
		panic(r)
	}
}

// restoreVat brings back one live vat: its worker, from its heap snapshot
// if it has a usable one, then the transcript since.
func (k *Kernel) restoreVat(id vat.ID) error {
	opts, err := k.state.VatOptions(id)
	if err != nil {
		return fmt.Errorf("cannot restore %s: %w", id, err)
	}
	// Only the current incarnation's deliveries are replayed.
	h, start, err := k.resumeWorker(id, k.state.TranscriptStart(id))
	if err != nil {
		return fmt.Errorf("cannot restore %s (%s): %w", id, opts.Name, err)
	}
	if v, ok := h.worker.(vat.MeteringVersioner); ok && opts.MeteringVersion != "" && v.MeteringVersion() != opts.MeteringVersion {
		h.worker.Close()
		return fmt.Errorf("cannot restore %s (%s): it was metered by %s, this binary meters with %s",
			id, opts.Name, opts.MeteringVersion, v.MeteringVersion())
	}
	total := k.store.TranscriptLength(string(id)) - start
	k.emit(Event{Type: EventReplayStart, VatID: id, Name: opts.Name, Deliveries: total, DeliveryNum: start})
	var n uint64
	err = k.store.ReadTranscript(string(id), start, func(e store.TranscriptEntry) error {
		h.replaying = true
		defer func() { h.replaying = false }()
		if err := k.replayEntry(h, e.Pos, e.Item); err != nil {
			return err
		}
		n++
		if k.opts.Progress != nil {
			k.opts.Progress(id, opts.Name, n, total)
		}
		return nil
	})
	if err != nil {
		h.worker.Close()
		return err
	}
	k.emit(Event{Type: EventReplayFinish, VatID: id, Name: opts.Name, Deliveries: n})
	k.vats[id] = h
	return nil
}

// startWorker makes a worker for the vat from its stored source.
func (k *Kernel) startWorker(id vat.ID, opts state.VatOptions) (*vatHandle, error) {
	h, spec, err := k.newHandle(id, opts)
	if err != nil {
		return nil, err
	}
	w, err := k.opts.Maker.NewWorker(spec)
	if err != nil {
		return nil, err
	}
	h.worker = w
	// The vat will be snapshotted (every interval, or when paged out).
	if b, ok := w.(vat.SnapshotBaser); ok && (k.snapshotInterval != 0 || k.maxVatsOnline != 0) {
		if key, image := b.SnapshotBase(); image != nil {
			k.store.SetSnapshotBase(string(id), key, image)
		}
	}
	return h, nil
}

// newHandle returns the handle of a vat without its worker, and the spec
// its worker is made from.
func (k *Kernel) newHandle(id vat.ID, opts state.VatOptions) (*vatHandle, vat.Spec, error) {
	src, err := k.state.VatSource(id)
	if err != nil {
		return nil, vat.Spec{}, err
	}
	spec, err := k.workerSpec(id, src, opts)
	if err != nil {
		return nil, vat.Spec{}, err
	}
	h := &vatHandle{id: id, opts: opts, incarnation: k.state.Incarnation(id), deliveryLimit: spec.DeliveryLimit,
		snapPos: k.state.TranscriptStart(id)}
	spec.Console = func(level, line string) {
		if h.replaying {
			return
		}
		k.emit(Event{Type: EventConsole, VatID: id, Name: opts.Name, Level: level, Line: line})
		if k.opts.Console != nil {
			k.opts.Console(opts.Name, level, line)
		}
	}
	return h, spec, nil
}

// workerSpec resolves a vat source into the code a worker runs: a bundle's
// bytes or the name of a Go vat. Which kind of worker runs it is the
// Maker's choice. Vats run from bundles are metered: they get the kernel's
// delivery limit unless they have their own.
func (k *Kernel) workerSpec(id vat.ID, src state.Source, opts state.VatOptions) (vat.Spec, error) {
	spec := vat.Spec{ID: id, Name: opts.Name, DeliveryLimit: opts.DeliveryLimit, MemoryLimit: opts.MemoryLimit, MeteringVersion: opts.MeteringVersion}
	bundleID := src.BundleID
	if src.BundleName != "" {
		if bid, ok := k.state.NamedBundle(src.BundleName); ok {
			bundleID = bid
		} else if k.opts.Maker.HasGoVat(src.BundleName) {
			spec.GoName = src.BundleName
			return spec, nil
		} else {
			return spec, fmt.Errorf("no bundle or Go vat named %q", src.BundleName)
		}
	}
	data, err := k.store.GetBundle(bundleID)
	if err != nil {
		return spec, fmt.Errorf("bundle %s: %w", bundleID, err)
	}
	spec.Bundle = data
	if spec.DeliveryLimit == 0 {
		spec.DeliveryLimit = k.limits.DeliveryComputrons
	}
	return spec, nil
}

func (k *Kernel) closeWorkers() {
	for _, id := range sortedVatIDs(k.vats) {
		k.vats[id].worker.Close()
		delete(k.vats, id)
	}
}

// Close snapshots the vats that take heap snapshots (if the block is
// committed), stops every worker and closes the store, discarding an
// uncommitted block.
func (k *Kernel) Close() error {
	k.snapshotAll()
	k.closeWorkers()
	err := k.store.Close()
	k.lock.release()
	k.lock = nil
	return err
}

// Commit ends the block: everything done since the last commit becomes durable.
func (k *Kernel) Commit() error {
	if k.failed != nil {
		return k.failed
	}
	return k.store.Commit()
}

// Dir returns the kernel directory.
func (k *Kernel) Dir() string { return k.dir }

// State gives read access to the kernel tables (for dump and tests).
func (k *Kernel) State() *state.State { return k.state }

// Store gives access to the underlying store (for dump, replay and tests).
func (k *Kernel) Store() *store.Store { return k.db }

// bug stops the kernel on a broken invariant.
func (k *Kernel) bug(format string, args ...any) {
	panic(fmt.Errorf("kernel bug: "+format, args...))
}
