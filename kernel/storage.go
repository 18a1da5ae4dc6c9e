package kernel

import (
	"github.com/cooper-kernel/cooper/kernel/state"
	"github.com/cooper-kernel/cooper/store"
)

// Storage is the database a kernel runs on, as the kernel sees it: the
// key-value state, the bundles and the vat transcripts, changed in cranks
// and made durable in blocks. [*store.Store] implements it; only the code
// that opens or creates the database ([Open], [Build], [Verify]) names
// that type. Methods without an error result panic with a [store.Error]
// when the database fails (see [store.Recover]).
type Storage interface {
	state.KV
	Bundles
	Transcripts
	Snapshots

	// BeginCrank starts a crank: later writes can be undone by AbortCrank.
	BeginCrank()
	// InCrank reports whether a crank is open.
	InCrank() bool
	// AbortCrank discards everything written since BeginCrank.
	AbortCrank()
	// EndCrank folds the crank into the open block and returns its hash and
	// the new activity hash.
	EndCrank() (crankHash, activityHash string, err error)
	// Commit makes the open block durable.
	Commit() error
	// Close closes the database, discarding an uncommitted block.
	Close() error
	// Pending reports whether changes wait for Commit.
	Pending() bool
	// Err returns the first I/O error, after which the store refuses work.
	Err() error
}

// Bundles is the kernel's bundle table, keyed by bundle ID.
type Bundles interface {
	HasBundle(id string) bool
	GetBundle(id string) ([]byte, error)
	PutBundle(id string, data []byte)
}

// Transcripts holds each vat's transcript, by vat ID.
type Transcripts interface {
	TranscriptLength(vat string) uint64
	AppendTranscript(vat string, incarnation int, item []byte) uint64
	ReadTranscript(vat string, from uint64, fn func(store.TranscriptEntry) error) error
	PruneTranscript(vat string, before uint64)
	DeleteTranscript(vat string)
}

// Snapshots holds each vat's current heap snapshot, by vat ID (see
// snapshot.go); snapshots are outside the hashed kv.
type Snapshots interface {
	SaveSnapshot(vat string, pos uint64, build string, data []byte) store.SnapshotInfo
	// SetSnapshotBase names the image vat's worker started from, which its
	// first snapshot is hashed against (see vat.SnapshotBaser).
	SetSnapshotBase(vat, key string, image []byte)
	// SnapshotBuffer returns a buffer the store no longer uses, for the
	// next snapshot to be made in (vat.SnapshotAppender), or nil.
	SnapshotBuffer() []byte
	Snapshot(vat string) (store.SnapshotInfo, bool)
	LoadSnapshot(vat string) (info store.SnapshotInfo, data []byte, ok bool, err error)
	DeleteSnapshot(vat string)
	TranscriptFirst(vat string) uint64
}

var _ Storage = (*store.Store)(nil)
