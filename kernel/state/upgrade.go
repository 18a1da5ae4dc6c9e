package state

import (
	"strconv"

	"github.com/cooper-kernel/cooper/vat"
)

// ItemUpgradeVat is the run-queue item that upgrades a vat to new code.
const ItemUpgradeVat ItemType = "upgrade-vat"

// SetVatSource replaces the vat's code (an upgrade).
func (s *State) SetVatSource(id vat.ID, src Source) { s.setJSON(string(id)+".source", src) }

// SetVatParameters replaces the vat's parameters (an upgrade).
func (s *State) SetVatParameters(id vat.ID, params CapData) {
	s.setJSON(string(id)+".vatParameters", params)
}

// SetIncarnation records the vat's incarnation number.
func (s *State) SetIncarnation(id vat.ID, n int) { s.setUint(string(id)+".incarnation", uint64(n)) }

// TranscriptStart returns the transcript position where the vat's current
// incarnation begins: a restart replays from there.
func (s *State) TranscriptStart(id vat.ID) uint64 {
	return s.getUintOr(string(id)+".transcriptStart", 0)
}

// SetTranscriptStart records where the vat's current incarnation begins.
func (s *State) SetTranscriptStart(id vat.ID, pos uint64) {
	s.setUint(string(id)+".transcriptStart", pos)
}

// AllocateUpgradeID returns a new upgrade ID ("up1", "up2", …).
func (s *State) AllocateUpgradeID() string {
	return "up" + strconv.FormatUint(s.allocateOr("kernel.nextUpgradeID", 1), 10)
}

// allocateOr is allocate for a counter that may not exist yet (kernels
// made before it), starting at first.
func (s *State) allocateOr(key string, first uint64) uint64 {
	n := s.getUintOr(key, first)
	s.setUint(key, n+1)
	return n
}

// SetPruneOldIncarnations records whether an upgrade deletes the transcript
// of the incarnation it ends.
func (s *State) SetPruneOldIncarnations(prune bool) {
	if prune {
		s.kv.Set("kernel.pruneOldIncarnations", "true")
	} else {
		s.kv.Delete("kernel.pruneOldIncarnations")
	}
}

// PruneOldIncarnations reports whether an upgrade deletes the transcript of
// the incarnation it ends.
func (s *State) PruneOldIncarnations() bool { return s.kv.Has("kernel.pruneOldIncarnations") }
