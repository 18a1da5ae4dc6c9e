package state

// DefaultSnapshotInterval is how many deliveries a vat receives between
// heap snapshots unless the config says otherwise (SwingSet's
// snapshotInterval defaults to 200 too).
const DefaultSnapshotInterval = 200

// The snapshot settings are node-local (local.*, not hashed): when and
// whether a vat is snapshotted changes no hashed state, so replicas may
// choose differently (an archive node keeps every transcript).

// SetSnapshotInterval records how many deliveries a vat receives between
// heap snapshots (0: never); the default is not written.
func (s *State) SetSnapshotInterval(n uint64) {
	if n == DefaultSnapshotInterval {
		s.kv.Delete("local.snapshotInterval")
		return
	}
	s.setUint("local.snapshotInterval", n)
}

// SnapshotInterval returns how many deliveries a vat receives between heap
// snapshots (0: never).
func (s *State) SnapshotInterval() uint64 {
	return s.getUintOr("local.snapshotInterval", DefaultSnapshotInterval)
}

// SetPruneTranscripts records whether a heap snapshot deletes the
// transcript entries it makes unnecessary for restart.
func (s *State) SetPruneTranscripts(prune bool) {
	if prune {
		s.kv.Set("local.pruneTranscripts", "true")
	} else {
		s.kv.Delete("local.pruneTranscripts")
	}
}

// PruneTranscripts reports whether a heap snapshot deletes the transcript
// entries before it.
func (s *State) PruneTranscripts() bool { return s.kv.Has("local.pruneTranscripts") }

// DefaultMaxVatsOnline is how many vats that take heap snapshots a kernel
// keeps online at once when its config does not say (SwingSet's default):
// an online wasm vat costs about 2 MB, so without a bound a vat that
// creates vats could exhaust the host's memory.
const DefaultMaxVatsOnline = 50

// SetMaxVatsOnline records the configured bound on the vats that take heap
// snapshots online at once (0: no bound).
func (s *State) SetMaxVatsOnline(n uint64) { s.setUint("local.maxVatsOnline", n) }

// MaxVatsOnline returns the configured bound on the vats that take heap
// snapshots online at once, and whether the config set one.
func (s *State) MaxVatsOnline() (n uint64, set bool) {
	if !s.kv.Has("local.maxVatsOnline") {
		return 0, false
	}
	return s.getUintOr("local.maxVatsOnline", 0), true
}
