// Package wasm runs JavaScript vats in WebAssembly: each vat has its own
// QuickJS-NG instance (package qjs) with its own linear memory, capped, and
// fuel metering that counts the work inside built-ins as well as the vat's
// own code. The vat environment (package jsvat) and the liveslots (package
// liveslots) are the same as the goja worker's; only the engine differs.
//
// Every way a delivery can run away — endless loops, catastrophic regular
// expressions, huge strings or arrays, deep recursion in JS or in C — ends
// that delivery (and so the vat) with a precise error: "Compute meter
// exceeded", "memory limit exceeded" or "stack overflow". The host's own
// memory and stack are never at stake.
package wasm

import (
	_ "embed"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/cooper-kernel/cooper/bundle"
	"github.com/cooper-kernel/cooper/capdata"
	"github.com/cooper-kernel/cooper/liveslots"
	"github.com/cooper-kernel/cooper/vat"
	"github.com/cooper-kernel/cooper/worker/jsvat"
	"github.com/cooper-kernel/cooper/worker/wasm/qjs"
)

// FuelPerComputron converts the instance's fuel (about one wasm instruction
// per unit) into computrons, the unit of delivery limits and meters.
const FuelPerComputron = 100

// moduleHead and moduleTail wrap a bundle's source into the function the
// glue evaluates; vat code is strict, as ES modules are (and as goja
// compiles it).
const (
	moduleHead = "(function (require, exports, module) { 'use strict';\n"
	moduleTail = "\n})"
)

// MeteringPrefix starts the metering version of every wasm worker.
const MeteringPrefix = "cooper-wasm-"

// DefaultMemoryLimit is the linear memory of a vat unless told otherwise.
const DefaultMemoryLimit = qjs.DefaultMemoryLimit

// Host call operations of glue.js (OP there).
const (
	opIsRemote = iota + 1
	opSend
	opSendOnly
	opConsole
	opTestLog
	opExit
	_ // 7–10: the data-only baggage of earlier versions
	_
	_
	_
	opKser
	opKunser
	opWatched
	opVatstore
	opSerialize
	opUnserialize
	opRegisterVirtual
	opWatchablePromise
	opWatchedValue
)

// maxKunserSlots bounds the slots kunser accepts.
const maxKunserSlots = 10_000

// Options configure a [Maker].
type Options struct {
	// MemoryLimit caps each vat's linear memory in bytes (DefaultMemoryLimit if 0).
	MemoryLimit uint64
	// Version is the metering version of the vats it creates (0: the
	// newest, CurrentVersion): a network keeps the one all its nodes have
	// until it upgrades. A vat it restores keeps its own.
	Version int
}

// Maker starts wasm workers. Every maker of the process shares one
// compiled module and one snapshot of an instance with the vat environment
// ready, so that starting a vat is a memory copy plus the vat's own bundle.
type Maker struct {
	opts Options
}

// NewMaker returns a maker; the module is compiled on first use.
func NewMaker(opts Options) *Maker { return &Maker{opts: opts} }

type prepared struct {
	engine   *qjs.Engine
	template *qjs.Snapshot
}

// prepare makes the template of generation g (see generation.shared).
func prepare(g *generation) (prepared, error) {
	e, err := qjs.Shared()
	if err != nil {
		return prepared{}, err
	}
	t, err := prepareTemplate(e, g)
	if err != nil {
		return prepared{}, err
	}
	return prepared{e, t}, nil
}

// prepareTemplate runs the prelude and the glue of generation g in a fresh
// instance and snapshots it.
func prepareTemplate(e *qjs.Engine, g *generation) (*qjs.Snapshot, error) {
	in, err := e.New(qjs.Options{})
	if err != nil {
		return nil, err
	}
	defer in.Close()
	in.SetFuel(math.MaxInt64 / 2)
	// The prelude and the passable checks, as [prelude, passable].
	expr := func(src string) string { return strings.TrimRight(strings.TrimSpace(src), ";") }
	prelude, err := in.Eval("[\n"+expr(g.prelude)+",\n"+expr(g.passable)+"\n]", "cooper-prelude.js")
	if err != nil {
		return nil, fmt.Errorf("prelude: %w", err)
	}
	glue, err := in.Eval(g.glue, "cooper-glue.js")
	if err != nil {
		return nil, fmt.Errorf("glue: %w", err)
	}
	dispatch, err := in.CallValue(glue, in.HostFunction(), prelude)
	if err != nil {
		return nil, fmt.Errorf("glue: %w", err)
	}
	if err := in.SetRoot(dispatch); err != nil {
		return nil, err
	}
	// Every vat starts with the patterns and vat-data kits built and its
	// baggage's representative made: making them was most of the work of
	// a small vat's startVat.
	if g.follows {
		if _, err := in.CallString(dispatch, "Z"); err != nil {
			return nil, fmt.Errorf("prepare: %w", err)
		}
	}
	for _, v := range []qjs.Value{prelude, glue} {
		if err := in.FreeValue(v); err != nil {
			return nil, err
		}
	}
	if err := in.RunGC(); err != nil {
		return nil, err
	}
	snap, err := in.Snapshot()
	if err != nil {
		return nil, err
	}
	snap.Share() // every vat starts from it
	return snap, nil
}

// Worker runs one JS vat in its own wasm instance.
type Worker struct {
	// base is the template the instance started from, nil for a vat
	// restored from its own snapshot.
	base     *qjs.Snapshot
	spec     vat.Spec
	gen      *generation
	in       *qjs.Instance
	ls       *liveslots.Liveslots
	dispatch qjs.Value
	// abortErr is why liveslots stopped vat code, if it did.
	abortErr error
	// watches are the pending Watch callbacks, by number.
	watches   map[uint64]watch
	nextWatch uint64
	// fresh are the handles Go saw during this delivery; isPromise marks
	// the promise handles; kept are the promises liveslots held after an
	// earlier delivery (it may retire them later).
	fresh     map[handle]bool
	isPromise map[handle]bool
	kept      map[handle]bool
	// hostCalls counts the calls vat code made to Go.
	hostCalls int
	// prepared is the promise the glue made for the send under way, which
	// NewPromise returns (0 if none).
	prepared handle
	// release are the handles the instance is to forget, sorted, told in
	// the prefix of the next glue call.
	release []handle
	// moduleFn is the bundle's module body until the startVat delivery
	// evaluates it (Evaluate); zero once evaluated.
	moduleFn qjs.Value
	// bundleKey names the bundle's evaluated template.
	bundleKey [32]byte
}

// evaluated is a snapshot of the template after a bundle's module body
// ran in it, and the fuel that took.
type evaluated struct {
	snap *qjs.Snapshot
	fuel int64
}

// bundleTemplates keeps, per process, the evaluated templates of the last
// bundles vats were made from, by the SHA-256 of the bundle, so that the
// next vat of a bundle starts as a memory copy. Only an evaluation that
// called nothing in Go is kept (its console output, say, is not repeated).
var bundleTemplates struct {
	sync.Mutex
	m     map[[32]byte]evaluated
	order [][32]byte // oldest first
}

// maxBundleTemplates bounds bundleTemplates (each holds a heap of a few MB).
const maxBundleTemplates = 8

func bundleTemplate(key [32]byte) (evaluated, bool) {
	bundleTemplates.Lock()
	defer bundleTemplates.Unlock()
	ev, ok := bundleTemplates.m[key]
	return ev, ok
}

func keepBundleTemplate(key [32]byte, ev evaluated) {
	bundleTemplates.Lock()
	defer bundleTemplates.Unlock()
	if bundleTemplates.m == nil {
		bundleTemplates.m = map[[32]byte]evaluated{}
	}
	if _, ok := bundleTemplates.m[key]; ok {
		return
	}
	if len(bundleTemplates.order) == maxBundleTemplates {
		delete(bundleTemplates.m, bundleTemplates.order[0])
		bundleTemplates.order = bundleTemplates.order[1:]
	}
	bundleTemplates.m[key] = ev
	bundleTemplates.order = append(bundleTemplates.order, key)
}

// New starts a worker for spec: the vat environment comes from the
// template and the bundle's module body is evaluated. buildRootObject runs
// in the startVat delivery. A vat of a bundle evaluated before in this
// process starts from a copy of that evaluation (bundleTemplates), with
// the same memory and fuel as a fresh one.
func (m *Maker) New(spec vat.Spec) (*Worker, error) {
	b, err := bundle.Parse(spec.Bundle)
	if err != nil {
		return nil, err
	}
	for _, imp := range b.Imports {
		if !jsvat.IsBuiltin(imp) {
			return nil, jsvat.ImportError(imp)
		}
	}
	gen, err := m.generation(spec)
	if err != nil {
		return nil, err
	}
	p, err := gen.shared()
	e, tmpl := p.engine, p.template
	if err != nil {
		return nil, fmt.Errorf("wasm worker: %w", err)
	}
	w := newWorker(spec, gen)
	w.ls = liveslots.New(spec.ID, w.face())
	w.ls.RecordDropped()
	budget := w.budget()
	opts := qjs.Options{MemoryLimit: m.memoryLimit(spec), Handler: w.host}
	key := templateKey(gen, spec.Bundle)
	if ev, ok := bundleTemplate(key); ok && ev.fuel < budget {
		// A restore that fails (a smaller memory limit) takes the fresh path,
		// which fails the same way or succeeds the same way.
		if w.in, err = e.Restore(ev.snap, opts); err == nil {
			w.dispatch = w.in.Root()
			w.in.SetFuel(budget - ev.fuel)
			w.base = ev.snap
			return w, nil
		}
	}
	w.in, err = e.Restore(tmpl, opts)
	if err != nil {
		return nil, fmt.Errorf("wasm worker: %w", err)
	}
	w.base = tmpl
	w.dispatch = w.in.Root()
	w.in.SetFuel(budget)
	w.moduleFn, err = w.in.Eval(moduleHead+b.Source+moduleTail, "bundle.js")
	if err != nil {
		w.in.Close()
		return nil, describe("evaluating the bundle", err)
	}
	w.bundleKey = key
	return w, nil
}

// SnapshotBase returns the memory of the template the vat started from
// (vat.SnapshotBaser): a snapshot ends with the memory, so the pages the
// vat did not write line up with the template's.
func (w *Worker) SnapshotBase() (string, []byte) {
	if w.base == nil {
		return "", nil
	}
	return "wasm-template-" + w.base.MemoryHash(), w.base.Memory
}

// Evaluate runs the bundle's module body, first thing in the startVat
// delivery, as SwingSet does: code at module level may use the vatstore
// (defineKind, makeKindHandle). It has a budget of its own, not charged to
// the delivery. An evaluation that called nothing in Go is kept as the
// bundle's template for the next vat of the bundle in this process.
func (f *face) Evaluate() error {
	w := f.w()
	if w.moduleFn == 0 {
		return nil
	}
	fn := w.moduleFn
	w.moduleFn = 0
	budget := w.budget()
	w.in.SetFuel(budget)
	w.hostCalls = 0
	r, err := w.in.CallString(w.dispatch, "M", fn)
	if err == nil && strings.HasPrefix(r, "x") {
		err = errors.New(r[1:])
	}
	used := budget - w.in.Fuel()
	if err == nil && w.in.Fuel() < 0 {
		err = qjs.ErrComputeExceeded
	}
	if err != nil {
		if failed := w.ls.Failed(); failed != nil {
			err = failed
		}
		var js *qjs.JSError
		if errors.As(err, &js) {
			err = errors.New(js.Message)
		}
		return &liveslots.EvaluationError{Err: err}
	}
	if w.hostCalls == 0 {
		if snap, err := w.in.Snapshot(); err == nil {
			snap.Share()
			keepBundleTemplate(w.bundleKey, evaluated{snap: snap, fuel: used})
		}
	}
	w.in.SetFuel(budget)
	return nil
}

func describe(what string, err error) error {
	var js *qjs.JSError
	if errors.As(err, &js) {
		return fmt.Errorf("%s: %s", what, js.Message)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// memoryLimit is the memory cap of the vat of spec: its own, or the maker's.
func (m *Maker) memoryLimit(spec vat.Spec) uint64 {
	if spec.MemoryLimit != 0 {
		return spec.MemoryLimit
	}
	return m.opts.MemoryLimit
}

// budget is the fuel of one delivery.
func (w *Worker) budget() int64 {
	if w.spec.DeliveryLimit == 0 || w.spec.DeliveryLimit > math.MaxInt64/2/FuelPerComputron {
		return math.MaxInt64 / 2
	}
	return int64(w.spec.DeliveryLimit) * FuelPerComputron
}

// MeteringVersion names the computron schedule this worker charges: its
// generation's (generation.meteringVersion).
func (w *Worker) MeteringVersion() string { return w.gen.meteringVersion(w.in.Engine()) }

// newWorker returns a worker of generation gen for spec, without its
// instance and liveslots.
func newWorker(spec vat.Spec, gen *generation) *Worker {
	return &Worker{spec: spec, gen: gen, watches: map[uint64]watch{}, fresh: map[handle]bool{}, isPromise: map[handle]bool{}, kept: map[handle]bool{}}
}

// face is what liveslots drives: with InvokeFollow if the glue has it.
func (w *Worker) face() liveslots.Restorable {
	if w.gen.follows {
		return followFace{(*face)(w)}
	}
	return (*face)(w)
}

// Deliver runs one delivery to completion.
func (w *Worker) Deliver(d vat.Delivery, sys vat.Syscaller) (out vat.Outcome) {
	if err := w.in.Err(); err != nil {
		return vat.Outcome{Err: "wasm worker: the vat's instance is dead: " + err.Error()}
	}
	w.abortErr = nil
	budget := w.budget()
	w.in.SetFuel(budget)
	defer func() {
		if r := recover(); r != nil {
			out.Err = fmt.Sprintf("worker panic: %v", r)
		}
		used := budget - w.in.Fuel()
		if w.in.Fuel() < 0 {
			used = budget
		}
		out.Computrons = uint64((used + FuelPerComputron - 1) / FuelPerComputron)
	}()
	out.Err = w.ls.Deliver(d, sys)
	if out.Err == "" {
		w.sweep()
	}
	return out
}

// sweep lets the instance forget the handles liveslots no longer holds:
// those Go saw during this delivery that liveslots did not keep, and the
// promises it kept earlier and has since retired. The order of the
// release is sorted, so the instance's work is the same on every run. The
// release rides on a later glue call (a snapshot keeps it), rather than
// costing a call of its own: the first once releaseBatch handles wait.
// Until then the instance keeps them, and a handle the glue names again
// in the meantime (it still has it) is Go's again and is not released.
func (w *Worker) sweep() {
	var drop []handle
	for h := range w.fresh {
		switch {
		case !w.ls.Holds(h):
			drop = append(drop, h)
		case w.isPromise[h]:
			w.kept[h] = true
		}
	}
	clear(w.fresh)
	// A kept promise stops being held only by a change liveslots reports.
	for _, v := range w.ls.TakeDropped() {
		if h, ok := v.(handle); ok && w.kept[h] && !w.ls.Holds(h) {
			drop = append(drop, h)
			delete(w.kept, h)
		}
	}
	if len(drop) == 0 {
		return
	}
	slices.Sort(drop)
	for _, h := range drop {
		delete(w.isPromise, h)
	}
	if !w.gen.follows { // version 2's glue takes them in a call of their own
		w.call('D', releaseList(drop))
		return
	}
	// A delivery that made no glue call left the last one's in place.
	w.release = append(w.release, drop...)
	slices.Sort(w.release)
}

// releaseBatch is how many handles wait for release before a glue call
// takes them: the glue's fixed cost of a release (parsing the list, the
// second dispatch), more than that of releasing a handle, then falls on
// many.
const releaseBatch = 16

// releaseList is the glue's list of handles, [h,...].
func releaseList(hs []handle) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, h := range hs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatUint(uint64(h), 10))
	}
	b.WriteByte(']')
	return b.String()
}

// Interrupt stops the delivery under way, from any goroutine; the vat's
// instance is dead afterwards (the kernel discards the delivery and exits).
func (w *Worker) Interrupt() { w.in.Interrupt() }

// Close frees the instance.
func (w *Worker) Close() error {
	w.in.Close()
	return nil
}

// call runs a glue operation. A failure of vat code (fuel, memory, stack)
// or of the glue fails the delivery; ok is false then.
func (w *Worker) call(op byte, payload string) (string, bool) {
	s := string(op) + payload
	if len(w.release) >= releaseBatch {
		s = "D" + releaseList(w.release) + s // the glue releases them, then runs op
		w.release = nil
	}
	r, err := w.in.Call(w.dispatch, s)
	if err != nil {
		w.fatal(err)
		return "", false
	}
	return r, true
}

// fatal fails the delivery because vat code cannot go on.
func (w *Worker) fatal(err error) {
	if w.abortErr != nil && errors.Is(err, w.abortErr) {
		return // liveslots already knows
	}
	var js *qjs.JSError
	if errors.As(err, &js) {
		err = fmt.Errorf("wasm worker: %s", js.Message)
	}
	w.ls.Fail(err)
}

// seen records a handle Go received during this delivery (and takes it
// off the list to release: the glue named it, so it still has it).
func (w *Worker) seen(h handle) handle {
	if h != 0 {
		w.fresh[h] = true
		if len(w.release) > 0 {
			if i, ok := slices.BinarySearch(w.release, h); ok {
				w.release = slices.Delete(w.release, i, i+1)
			}
		}
	}
	return h
}

// handleOf parses a handle number the glue returned.
func (w *Worker) handleOf(s string) handle {
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		w.fatal(fmt.Errorf("wasm worker: bad handle %q", s))
		return 0
	}
	return w.seen(handle(n))
}

// decode parses wire text from the glue, noting the handles in it.
func (w *Worker) decode(s string) (capdata.Value, error) {
	v, err := decodeWire(s)
	if err != nil {
		return nil, err
	}
	w.note(v)
	return v, nil
}

func (w *Worker) note(v capdata.Value) {
	switch x := v.(type) {
	case handle:
		w.seen(x)
	case []capdata.Value:
		for _, e := range x {
			w.note(e)
		}
	case *capdata.Record:
		for _, e := range x.Values {
			w.note(e)
		}
	case *capdata.Tagged:
		w.note(x.Payload)
	}
}
