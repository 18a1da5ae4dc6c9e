package kernel

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/cooper-kernel/cooper/vat"
)

// Lazy vat loading (SwingSet's vat warehouse, its maxVatsOnline LRU
// policy). After each crank, while more than K vats that take snapshots are
// online, the least recently used is paged out: snapshotted if it had
// deliveries since its last snapshot, and its worker closed; a vat comes
// online (restored from its snapshot, plus the transcript since) when a
// crank first needs it. K is local.maxVatsOnline when the config set it
// (0: no bound), else state.DefaultMaxVatsOnline (none if snapshots are
// off). With an explicit K > 0 a restart also leaves offline every vat
// that a heap snapshot can bring back; by default it restores every vat,
// so a vat that cannot come back stops the restart, and pages out the
// excess as it goes. Vats that take no snapshots (Go vats, goja) always
// stay online. Which vats are online never changes the kernel's state: a
// vat restored from its snapshot continues exactly as it would have.

// lazyStart reports whether vat id may stay offline at start: loading is
// lazy and the vat has a snapshot of this build for its incarnation.
func (k *Kernel) lazyStart(id vat.ID) bool {
	if !k.lazy || k.opts.FullReplay {
		return false
	}
	r, ok := k.opts.Maker.(vat.Restorer)
	info, has := k.store.Snapshot(string(id))
	if !ok || !has || info.Pos < k.state.TranscriptStart(id) {
		return false
	}
	opts, err := k.state.VatOptions(id)
	if err != nil {
		return false
	}
	_, spec, err := k.newHandle(id, opts)
	if err != nil {
		return false
	}
	build, err := r.SnapshotBuild(spec)
	return err == nil && build == info.Build
}

// bringOnline restores an offline live vat; a failure stops the kernel,
// as it would have stopped the restart.
func (k *Kernel) bringOnline(id vat.ID) *vatHandle {
	if err := k.restoreVat(id); err != nil {
		panic(fmt.Errorf("bring %s online: %w", id, err))
	}
	return k.vats[id]
}

// pageOut closes the least recently used vats while more than
// maxVatsOnline of those that take heap snapshots are online; snapshot
// snapshots each first if it had deliveries since its last snapshot (not
// needed at start: a vat just restored comes back the same way again).
func (k *Kernel) pageOut(snapshot bool) {
	limit := k.maxVatsOnline
	if limit == 0 {
		return
	}
	var cands []*vatHandle
	for _, h := range k.vats {
		if _, ok := h.worker.(vat.Snapshotter); ok && !h.terminated {
			cands = append(cands, h)
		}
	}
	if uint64(len(cands)) <= limit {
		return
	}
	slices.SortFunc(cands, func(a, b *vatHandle) int {
		if c := cmp.Compare(a.lastUsed, b.lastUsed); c != 0 {
			return c
		}
		return cmpVatID(a.id, b.id)
	})
	for _, h := range cands[:uint64(len(cands))-limit] {
		next := k.store.TranscriptLength(string(h.id))
		if snapshot && next > h.snapPos && !k.takeSnapshot(h, h.worker.(vat.Snapshotter), next) {
			continue // it stays online
		}
		h.worker.Close()
		delete(k.vats, h.id)
		k.emit(Event{Type: EventPageOut, VatID: h.id, Name: h.name(), DeliveryNum: next})
	}
}

// OnlineVats returns the vats whose workers are running, in ID order.
func (k *Kernel) OnlineVats() []vat.ID { return sortedVatIDs(k.vats) }
