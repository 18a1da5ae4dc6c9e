package wasm

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"

	"github.com/cooper-kernel/cooper/capdata"
	"github.com/cooper-kernel/cooper/liveslots"
	"github.com/cooper-kernel/cooper/vat"
	"github.com/cooper-kernel/cooper/worker/wasm/qjs"
)

// A vat snapshot is everything a wasm worker needs to resume a vat without
// replaying its past:
//
//	"CWASMVAT" u32le(version) u32le(len(state)) state  qjs snapshot
//
// state is the JSON of [savedWorker] (the Go side: liveslots' tables, the
// pending Watch callbacks by key, the handles known to be promises) and
// the qjs snapshot is the instance's memory and globals ([qjs.Snapshot]).

// ErrBadSnapshot is wrapped by the errors of [DecodeVatSnapshot] and
// [Maker.Restore] for bytes that are not a vat snapshot of this build.
var ErrBadSnapshot = errors.New("wasm: malformed vat snapshot")

// watch is a pending Watch callback; key names it in snapshots ("" if it
// cannot be rebuilt, which makes a snapshot fail while it is pending).
type watch struct {
	key     string
	settled func(bool, capdata.Value)
	// value is what settled gets, if valued: a primitive result the glue
	// returned as itself, reported in a later job of the same delivery.
	value  capdata.Value
	valued bool
}

const (
	vatSnapshotMagic   = "CWASMVAT"
	vatSnapshotVersion = 1
)

// savedWorker is the Go side of a wasm vat between deliveries.
type savedWorker struct {
	Liveslots json.RawMessage `json:"liveslots"`
	NextWatch uint64          `json:"nextWatch"`
	Watches   []savedWatch    `json:"watches"`
	Promises  []handle        `json:"promises"`
	Kept      []handle        `json:"kept"`
	// Release are the handles the next glue call tells the instance to forget.
	Release []handle `json:"release,omitempty"`
}

type savedWatch struct {
	N   uint64 `json:"n"`
	Key string `json:"key"`
}

// VatSnapshot is a decoded vat snapshot.
type VatSnapshot struct {
	state savedWorker
	heap  *qjs.Snapshot
}

// SnapshotBuild names the code that snapshots of this worker belong to: the
// instrumented module, the glue and prelude sources and the snapshot and
// metering formats. A snapshot of another build is never loaded.
func (w *Worker) SnapshotBuild() string { return build(w.in.Engine(), w.gen) }

// builds caches build's answers (an engine and a generation live as long
// as the process).
var builds sync.Map // buildKey → string

type buildKey struct {
	e *qjs.Engine
	g *generation
}

func build(e *qjs.Engine, g *generation) string {
	if b, ok := builds.Load(buildKey{e, g}); ok {
		return b.(string)
	}
	h := sha256.New()
	for _, part := range []string{"cooper-wasm-vat-snapshot", strconv.Itoa(vatSnapshotVersion),
		strconv.Itoa(FuelPerComputron), e.ModuleHash(), g.glue, g.prelude, g.passable, moduleHead, moduleTail} {
		binary.Write(h, binary.LittleEndian, uint64(len(part)))
		h.Write([]byte(part))
	}
	b := "wasm-" + hex.EncodeToString(h.Sum(nil))
	builds.Store(buildKey{e, g}, b)
	return b
}

// Build returns the snapshot build of this binary's wasm workers for spec
// (see [Worker.SnapshotBuild]: its generation's); it compiles the module
// on first use.
func (m *Maker) Build(spec vat.Spec) (string, error) {
	e, err := qjs.Shared()
	if err != nil {
		return "", fmt.Errorf("wasm worker: %w", err)
	}
	gen, err := m.generation(spec)
	if err != nil {
		return "", err
	}
	return build(e, gen), nil
}

// Snapshot returns the vat's whole state between deliveries.
func (w *Worker) Snapshot() ([]byte, error) { return w.AppendSnapshot(nil) }

// AppendSnapshot writes the vat's whole state between deliveries into
// buf[:0] (see vat.SnapshotAppender).
func (w *Worker) AppendSnapshot(buf []byte) ([]byte, error) {
	if err := w.in.Err(); err != nil {
		return nil, fmt.Errorf("wasm worker: the vat's instance is dead: %w", err)
	}
	if len(w.fresh) > 0 {
		return nil, errors.New("wasm worker: snapshot during a delivery")
	}
	ls, err := w.ls.Save()
	if err != nil {
		return nil, err
	}
	s := savedWorker{Liveslots: ls, NextWatch: w.nextWatch}
	for n, wt := range w.watches {
		if wt.key == "" || wt.valued {
			return nil, fmt.Errorf("wasm worker: watch %d cannot be saved", n)
		}
		s.Watches = append(s.Watches, savedWatch{N: n, Key: wt.key})
	}
	slices.SortFunc(s.Watches, func(a, b savedWatch) int { return cmp(a.N, b.N) })
	s.Promises = sortedHandles(w.isPromise)
	s.Kept = sortedHandles(w.kept)
	s.Release = w.release
	return w.in.AppendSnapshot(append(buf[:0], encodeState(s)...))
}

// Encode serializes s (see [DecodeVatSnapshot]).
func (s *VatSnapshot) Encode() []byte {
	return append(encodeState(s.state), s.heap.Encode()...)
}

// encodeState returns the head of a vat snapshot: everything before the
// qjs snapshot.
func encodeState(s savedWorker) []byte {
	state, _ := json.Marshal(s) // plain data: cannot fail
	out := append([]byte(vatSnapshotMagic), 0, 0, 0, 0, 0, 0, 0, 0)
	binary.LittleEndian.PutUint32(out[len(vatSnapshotMagic):], vatSnapshotVersion)
	binary.LittleEndian.PutUint32(out[len(vatSnapshotMagic)+4:], uint32(len(state)))
	return append(out, state...)
}

func cmp(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func sortedHandles(set map[handle]bool) []handle {
	out := make([]handle, 0, len(set))
	for h, ok := range set {
		if ok {
			out = append(out, h)
		}
	}
	slices.Sort(out)
	return out
}

// DecodeVatSnapshot parses what [Worker.Snapshot] returned.
func DecodeVatSnapshot(b []byte) (*VatSnapshot, error) {
	head := len(vatSnapshotMagic) + 8
	if len(b) < head || string(b[:len(vatSnapshotMagic)]) != vatSnapshotMagic {
		return nil, fmt.Errorf("%w: bad magic", ErrBadSnapshot)
	}
	if v := binary.LittleEndian.Uint32(b[len(vatSnapshotMagic):]); v != vatSnapshotVersion {
		return nil, fmt.Errorf("%w: version %d, want %d", ErrBadSnapshot, v, vatSnapshotVersion)
	}
	n := uint64(binary.LittleEndian.Uint32(b[len(vatSnapshotMagic)+4:]))
	if n > uint64(len(b)-head) {
		return nil, fmt.Errorf("%w: state of %d bytes in %d", ErrBadSnapshot, n, len(b))
	}
	s := &VatSnapshot{}
	if err := json.Unmarshal(b[head:head+int(n)], &s.state); err != nil {
		return nil, fmt.Errorf("%w: state: %v", ErrBadSnapshot, err)
	}
	for _, list := range [][]handle{s.state.Promises, s.state.Kept, s.state.Release} {
		for _, h := range list {
			if h == 0 {
				return nil, fmt.Errorf("%w: handle 0", ErrBadSnapshot)
			}
		}
	}
	for _, wt := range s.state.Watches {
		if wt.N == 0 || wt.N > s.state.NextWatch {
			return nil, fmt.Errorf("%w: watch %d of %d", ErrBadSnapshot, wt.N, s.state.NextWatch)
		}
	}
	heap, err := qjs.DecodeSnapshot(b[head+int(n):])
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadSnapshot, err)
	}
	s.heap = heap
	return s, nil
}

// Restore starts a worker for spec in the state a snapshot saved: no vat
// code runs. A snapshot of another build is refused (qjs.ErrWrongModule);
// one that does not decode is an error wrapping ErrBadSnapshot.
func (m *Maker) Restore(spec vat.Spec, data []byte) (*Worker, error) {
	s, err := DecodeVatSnapshot(data)
	if err != nil {
		return nil, err
	}
	e, err := qjs.Shared() // no template: the snapshot holds the realm
	if err != nil {
		return nil, fmt.Errorf("wasm worker: %w", err)
	}
	gen, err := m.generation(spec)
	if err != nil {
		return nil, err
	}
	w := newWorker(spec, gen)
	w.ls, err = liveslots.Restore(spec.ID, w.face(), s.state.Liveslots)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadSnapshot, err)
	}
	w.ls.RecordDropped()
	for _, wt := range s.state.Watches {
		settled, err := w.ls.Watcher(wt.Key)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadSnapshot, err)
		}
		w.watches[wt.N] = watch{key: wt.Key, settled: settled}
	}
	w.nextWatch = s.state.NextWatch
	for _, h := range s.state.Promises {
		w.isPromise[h] = true
	}
	for _, h := range s.state.Kept {
		w.kept[h] = true
	}
	w.release = s.state.Release
	w.in, err = e.Restore(s.heap, qjs.Options{MemoryLimit: m.memoryLimit(spec), Handler: w.host})
	if err != nil {
		return nil, fmt.Errorf("wasm worker: restore: %w", err)
	}
	w.dispatch = w.in.Root()
	return w, nil
}
