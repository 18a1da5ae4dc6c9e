package vat

// Worker runs one vat's code. The kernel calls it from one goroutine only.
type Worker interface {
	// Deliver runs d to completion: the vat's code and every reaction it
	// triggers inside the vat. The worker calls sys for each syscall, in
	// order, and must stop running vat code as soon as a result carries Err.
	Deliver(d Delivery, sys Syscaller) Outcome
	// Close stops the worker and frees what it holds.
	Close() error
}

// Interrupter is implemented by workers whose delivery can be stopped from
// another goroutine (the host stopping the kernel): Interrupt makes the
// current delivery return as soon as it can; its outcome is discarded.
type Interrupter interface {
	Interrupt()
}

// MeteringVersioner is implemented by workers whose computron counts depend
// on an engine version; the version is stored with the vat so that a replay
// under different metering is refused instead of diverging.
type MeteringVersioner interface {
	MeteringVersion() string
}

// ManagerType is the managerType a vat was created with (SwingSet's
// creation option, stored with the vat). Which kind of worker runs a vat
// is the [Maker]'s choice, made from the vat's code.
type ManagerType string

// AdminGoName is the name of the Go vat the vat-admin vat is made of: the
// kernel creates it, the vats/vatadmin package implements it.
const AdminGoName = "vat-admin"

// Spec is everything a worker needs to start a vat. Exactly one of Bundle
// and GoName is set.
type Spec struct {
	ID   ID
	Name string
	// Bundle is the vat's JS bundle.
	Bundle []byte
	// GoName is the registered name of a Go vat compiled into the binary.
	GoName string
	// DeliveryLimit is the computron budget of one delivery; 0 means unlimited.
	DeliveryLimit uint64
	// MeteringVersion is the computron schedule the vat was metered with so
	// far ("" for a new vat): it tells which engine ran it.
	MeteringVersion string
	// MemoryLimit caps the vat's memory in bytes where the worker can
	// (the wasm worker); 0 means the worker's default.
	MemoryLimit uint64
	// Console receives the vat's console and testLog output, one line per call.
	Console func(level, line string)
}

// Maker creates workers: the host's table of worker kinds and Go vats.
// The kernel sees workers only through it.
type Maker interface {
	// NewWorker starts a worker for spec, of the kind the maker chooses for
	// its code. Starting does not run vat code; that happens in the
	// startVat delivery.
	NewWorker(spec Spec) (Worker, error)
	// HasGoVat reports whether a Go vat of that name is compiled in.
	HasGoVat(name string) bool
}

// BundleChecker is implemented by makers that can validate a bundle handed
// over at run time (createVat(bundle)): it returns the bundle's ID and its
// canonical bytes, or why the bundle cannot run.
type BundleChecker interface {
	CheckBundle(data []byte) (id string, canonical []byte, err error)
}

// Snapshotter is implemented by workers whose whole state can be saved
// between deliveries (a heap snapshot), so that a restart resumes from the
// snapshot and replays only the transcript since it.
type Snapshotter interface {
	// SnapshotBuild names the code the worker's snapshots belong to: only
	// a worker of the same build may restore one.
	SnapshotBuild() string
	// Snapshot returns the worker's state. It is called between deliveries.
	Snapshot() ([]byte, error)
}

// SnapshotAppender is implemented by Snapshotters that can write a
// snapshot into a buffer the caller gives, overwriting what it held (so a
// snapshot need not allocate and clear megabytes).
type SnapshotAppender interface {
	// AppendSnapshot appends the worker's state to buf[:0] and returns it.
	AppendSnapshot(buf []byte) ([]byte, error)
}

// SnapshotBaser is implemented by Snapshotters whose state starts as a
// copy of a shared image (a template), so that their first snapshot
// shares most of its pages with that image.
type SnapshotBaser interface {
	// SnapshotBase returns the image, laid out as the end of a snapshot
	// is, and a name for its bytes (the same name only for the same
	// bytes); nil if there is none. The caller must not change it.
	SnapshotBase() (key string, image []byte)
}

// Restorer is implemented by makers that can start a worker from a
// snapshot a [Snapshotter] took.
type Restorer interface {
	// SnapshotBuild returns the build of the snapshots a worker for spec
	// takes, or "" if such a worker takes none.
	SnapshotBuild(spec Spec) (string, error)
	// RestoreWorker starts a worker for spec in the state snapshot holds;
	// no vat code runs.
	RestoreWorker(spec Spec, snapshot []byte) (Worker, error)
}
