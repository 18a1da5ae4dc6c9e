package kernel

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/cooper-kernel/cooper/kernel/state"
	"github.com/cooper-kernel/cooper/store"
	"github.com/cooper-kernel/cooper/vat"
)

// Heap snapshots (DESIGN.md 7a; SwingSet's snapStore). A worker that can
// save its whole state (vat.Snapshotter: the wasm JS worker) is
// snapshotted after every kernel.snapshotInterval-th delivery since its
// last snapshot, in the crank of that delivery, and at a clean Close. A
// restart restores the snapshot and replays only the transcript from the
// snapshot's position on. Snapshots and their positions live outside the
// hashed kv (the store's snapshot tables): when and whether a vat was
// snapshotted never changes the activity hash.

// logger returns where the kernel logs what a host should know about but
// that is no error (a snapshot that cannot be used).
func (k *Kernel) logger() *slog.Logger {
	if k.opts.Logger != nil {
		return k.opts.Logger
	}
	return slog.Default()
}

// maybeSnapshot snapshots h once it has had snapshotInterval deliveries
// since its last snapshot; next is the transcript length after the
// delivery just made. A worker that cannot snapshot now is logged and
// tried again an interval later.
func (k *Kernel) maybeSnapshot(h *vatHandle, next uint64) {
	interval := k.snapshotInterval
	if interval == 0 || next-h.snapPos < interval {
		return
	}
	if s, ok := h.worker.(vat.Snapshotter); ok {
		k.takeSnapshot(h, s, next)
	}
}

// takeSnapshot saves h's state as of transcript position next (in the open
// crank, or in the block between cranks) and prunes the transcript before
// it if the kernel is configured so. It reports false if the worker could
// not be snapshotted.
func (k *Kernel) takeSnapshot(h *vatHandle, s vat.Snapshotter, next uint64) bool {
	h.snapPos = next
	var data []byte
	var err error
	if a, ok := s.(vat.SnapshotAppender); ok {
		data, err = a.AppendSnapshot(k.store.SnapshotBuffer())
	} else {
		data, err = s.Snapshot()
	}
	if err != nil {
		k.logger().Warn("heap snapshot skipped", "vat", h.id, "name", h.name(), "position", next, "err", err)
		return false
	}
	info := k.store.SaveSnapshot(string(h.id), next, s.SnapshotBuild(), data)
	if k.state.PruneTranscripts() && next > 0 {
		// The last entry stays: a reopened store reads the transcript's
		// length from it.
		k.store.PruneTranscript(string(h.id), next-1)
	}
	k.emit(Event{Type: EventSnapshot, VatID: h.id, Name: h.name(), DeliveryNum: next, Snapshot: info.Hash})
	return true
}

// snapshotAll snapshots every live vat that had deliveries since its last
// snapshot, and commits them. It runs at Close, only if the block is
// committed (else the workers are ahead of the database).
func (k *Kernel) snapshotAll() {
	if k.failed != nil || k.store.Err() != nil || k.store.Pending() || k.state == nil {
		return
	}
	defer func() {
		if r := recover(); r != nil { // a store failure: keep the old snapshots
			k.logger().Warn("heap snapshots at close skipped", "err", r)
		}
	}()
	if k.snapshotInterval == 0 {
		return
	}
	for _, id := range sortedVatIDs(k.vats) {
		h := k.vats[id]
		s, ok := h.worker.(vat.Snapshotter)
		if !ok || h.terminated {
			continue
		}
		if next := k.store.TranscriptLength(string(id)); next > h.snapPos {
			k.takeSnapshot(h, s, next)
		}
	}
	if err := k.store.Commit(); err != nil {
		k.logger().Warn("heap snapshots at close not saved", "err", err)
	}
}

// resumeWorker starts the worker of a vat being restored, from its heap
// snapshot when there is a usable one, and returns where its replay
// starts. A snapshot of another build, or one that cannot be loaded, is
// logged and the whole transcript is replayed instead, if the store still
// holds it; else that is an error naming the vat.
func (k *Kernel) resumeWorker(id vat.ID, start uint64) (*vatHandle, uint64, error) {
	opts, err := k.state.VatOptions(id)
	if err != nil {
		return nil, 0, err
	}
	r, ok := k.opts.Maker.(vat.Restorer)
	info, has := k.store.Snapshot(string(id))
	if !ok || k.opts.FullReplay || !has || info.Pos < start {
		return k.fullWorker(id, opts, start)
	}
	h, spec, err := k.newHandle(id, opts)
	if err != nil {
		return nil, 0, err
	}
	build, err := r.SnapshotBuild(spec)
	if err != nil {
		return nil, 0, err
	}
	if build == "" {
		return k.fallback(id, opts, start, info, fmt.Errorf("%w: it was taken by %.21s, and the engine chosen for this vat takes none", ErrSnapshotBuild, info.Build))
	}
	if build != info.Build {
		return k.fallback(id, opts, start, info, fmt.Errorf("%w: it was taken by %.21s, this binary is %.21s", ErrSnapshotBuild, info.Build, build))
	}
	_, data, _, err := k.store.LoadSnapshot(string(id))
	if err == nil {
		h.worker, err = r.RestoreWorker(spec, data)
	}
	if err != nil {
		if store.IsFailure(err) {
			return nil, 0, err
		}
		return k.fallback(id, opts, start, info, err)
	}
	h.snapPos = info.Pos
	k.emit(Event{Type: EventSnapshotLoad, VatID: id, Name: opts.Name, DeliveryNum: info.Pos, Snapshot: info.Hash})
	return h, info.Pos, nil
}

// ErrSnapshotBuild is wrapped by restart errors about a heap snapshot made
// by another build of the worker.
var ErrSnapshotBuild = errors.New("kernel: heap snapshot of a different build")

// fallback starts a vat whose snapshot cannot be used without it, if its
// transcript is whole since start.
func (k *Kernel) fallback(id vat.ID, opts state.VatOptions, start uint64, info store.SnapshotInfo, why error) (*vatHandle, uint64, error) {
	if first := k.store.TranscriptFirst(string(id)); first > start {
		return nil, 0, fmt.Errorf("snapshot at delivery %d unusable (%w), and the transcript before delivery %d is pruned", info.Pos, why, first)
	}
	k.logger().Warn("heap snapshot not used: replaying the whole transcript", "vat", id, "name", opts.Name, "position", info.Pos, "err", why)
	return k.fullWorker(id, opts, start)
}

// fullWorker starts a fresh worker that replays from start.
func (k *Kernel) fullWorker(id vat.ID, opts state.VatOptions, start uint64) (*vatHandle, uint64, error) {
	if first := k.store.TranscriptFirst(string(id)); first > start {
		return nil, 0, fmt.Errorf("the transcript before delivery %d is pruned: it restarts only from its heap snapshot", first)
	}
	h, err := k.startWorker(id, opts)
	if err != nil {
		return nil, 0, err
	}
	h.snapPos = start
	return h, start, nil
}
