package store

import (
	"net/url"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/ncruces/go-sqlite3"
	"github.com/ncruces/go-sqlite3/vfs"
)

// vfsName is the SQLite VFS every store connection uses: the default one
// without memory mapping. go-sqlite3 v0.37.0 turns memory mapping off for
// a file once it sees the file has page checksums, yet still answers
// SQLite's unmap call during a checkpoint that grows the file through the
// mapper it no longer has (a nil dereference); a file that never offers
// mapping is never asked to unmap. The checksum layer wraps files of every
// VFS, so checksums are written and verified as before.
const vfsName = "cooper-nommap"

var registerVFS sync.Once

// openDB opens an SQLite connection to path through the store's VFS.
func openDB(path string, flags sqlite3.OpenFlag) (*sqlite3.Conn, error) {
	registerVFS.Do(func() { vfs.Register(vfsName, noMmapVFS{vfs.Find("os")}) })
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	u := url.URL{Scheme: "file", OmitHost: true, Path: filepath.ToSlash(abs), RawQuery: "vfs=" + vfsName}
	return sqlite3.OpenFlags(u.String(), flags|sqlite3.OPEN_URI)
}

// OpenRaw opens a plain SQLite connection to the database at path, with
// none of the store's buffering, for tools and tests that must change a
// closed kernel's database behind its back (simulating corruption). It
// uses the store's VFS, so pages keep their checksums.
func OpenRaw(path string) (*sqlite3.Conn, error) {
	return openDB(path, sqlite3.OPEN_READWRITE)
}

// noMmapVFS is a VFS whose files offer no memory mapping.
type noMmapVFS struct{ vfs.VFS }

func (v noMmapVFS) Open(name string, flags vfs.OpenFlag) (vfs.File, vfs.OpenFlag, error) {
	return wrapNoMmap(v.VFS.Open(name, flags))
}

// OpenFilename opens through the default VFS's OpenFilename, which SQLite
// calls instead of Open.
func (v noMmapVFS) OpenFilename(name *vfs.Filename, flags vfs.OpenFlag) (vfs.File, vfs.OpenFlag, error) {
	if ffs, ok := v.VFS.(vfs.VFSFilename); ok {
		return wrapNoMmap(ffs.OpenFilename(name, flags))
	}
	return wrapNoMmap(v.VFS.Open(name.String(), flags))
}

func wrapNoMmap(f vfs.File, flags vfs.OpenFlag, err error) (vfs.File, vfs.OpenFlag, error) {
	if err != nil {
		return nil, flags, err
	}
	return noMmapFile{f}, flags, nil
}

// noMmapFile passes on every optional interface of the default VFS's files
// that a store uses, except memory mapping.
type noMmapFile struct{ vfs.File }

func (f noMmapFile) Unwrap() vfs.File { return f.File }

func (f noMmapFile) SharedMemory() vfs.SharedMemory {
	if s, ok := f.File.(vfs.FileSharedMemory); ok {
		return s.SharedMemory()
	}
	return nil
}

func (f noMmapFile) LockState() vfs.LockLevel {
	if s, ok := f.File.(vfs.FileLockState); ok {
		return s.LockState()
	}
	return vfs.LOCK_EXCLUSIVE + 1 // unknown
}

func (f noMmapFile) SizeHint(size int64) error {
	if s, ok := f.File.(vfs.FileSizeHint); ok {
		return s.SizeHint(size)
	}
	return nil
}

func (f noMmapFile) HasMoved() (bool, error) {
	if s, ok := f.File.(vfs.FileHasMoved); ok {
		return s.HasMoved()
	}
	return false, nil
}

func (f noMmapFile) PowersafeOverwrite() bool {
	s, ok := f.File.(vfs.FilePowersafeOverwrite)
	return ok && s.PowersafeOverwrite()
}

func (f noMmapFile) SetPowersafeOverwrite(b bool) {
	if s, ok := f.File.(vfs.FilePowersafeOverwrite); ok {
		s.SetPowersafeOverwrite(b)
	}
}

func (f noMmapFile) PersistWAL() bool {
	s, ok := f.File.(vfs.FilePersistWAL)
	return ok && s.PersistWAL()
}

func (f noMmapFile) SetPersistWAL(b bool) {
	if s, ok := f.File.(vfs.FilePersistWAL); ok {
		s.SetPersistWAL(b)
	}
}

// writeFault, when set, is the error every write and sync of every store
// file fails with (FailWrites).
var writeFault atomic.Pointer[error]

// FailWrites makes every write and sync of every store's files in the
// process fail with err, as a full or failing disk would, until restore is
// called. It is for tests of what the kernel does when the disk fails.
func FailWrites(err error) (restore func()) {
	writeFault.Store(&err)
	return func() { writeFault.Store(nil) }
}

func (f noMmapFile) WriteAt(p []byte, off int64) (int, error) {
	if e := writeFault.Load(); e != nil {
		return 0, *e
	}
	return f.File.WriteAt(p, off)
}

func (f noMmapFile) Sync(flags vfs.SyncFlag) error {
	if e := writeFault.Load(); e != nil {
		return *e
	}
	return f.File.Sync(flags)
}
