// Package store holds a kernel's durable state in one SQLite database: a
// string→string kv with ordered iteration, an append-only transcript per vat
// and a content-addressed bundle store.
//
// Writes happen inside cranks. A crank's changes are buffered in memory; an
// aborted crank leaves nothing behind, an ended one joins the block. Commit
// writes the block — each key once, however many cranks changed it — in one
// SQLite transaction, so a process killed at any moment leaves the database
// as of the last Commit.
package store

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/ncruces/go-sqlite3"
)

// Format identifies a Cooper store; it is kept in the meta table.
const Format = "cooper-store-v1"

// Errors returned by Create and Open.
var (
	ErrNotFound = errors.New("store: no database")
	ErrExists   = errors.New("store: database already exists")
	ErrNotStore = errors.New("store: not a Cooper database")
)

// Options tune the database connection.
type Options struct {
	// Synchronous is SQLite's synchronous pragma: "full" (default), "normal" or "off".
	Synchronous string
	// CacheEntries bounds the kv read cache; 0 means 100,000 entries.
	CacheEntries int
	// ReadOnly opens a database for reading only (dump, replay): Commit is
	// refused, the file is not scanned before use (a writer in another
	// process may be writing pages) and a database without page checksums
	// is read as it is instead of being converted.
	ReadOnly bool
	// Note, when set, is told of one-time events worth a line on the
	// console: the conversion of an old database to page checksums.
	Note func(msg string)

	// noChecksums makes Create write the format of stores made before
	// page checksums (tests of the conversion).
	noChecksums bool
}

// Store is an open kernel database. It is not safe for concurrent use.
type Store struct {
	path string
	db   *sqlite3.Conn
	opts Options
	err  error // first I/O error; the store refuses further work

	cache  map[string]cached // committed values
	inRead bool              // a read transaction is open (between commits)
	block  *layer            // ended cranks since the last commit
	crank  *layer            // the open crank, or nil
	spare  *layer            // a reset layer for the next crank
	hasher crankHasher

	stmts       map[string]*sqlite3.Stmt
	transcripts map[string]*transcriptHead
	// snapTables is 1 if the snapshot tables exist, -1 if not, 0 if not known yet.
	snapTables int
	codec      codec     // snapshot page compression
	pageCache  pageCache // snapshot pages read last
	lastSaved  lastSaved // the snapshots saved last, to hash only what changed
	// spareBuffer is a snapshot buffer the store no longer uses (SnapshotBuffer).
	spareBuffer []byte
}

type cached struct {
	value   string
	present bool
}

const schemaSQL = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS kvStore (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS transcriptItems (
	vatID TEXT NOT NULL,
	position INTEGER NOT NULL,
	incarnation INTEGER NOT NULL,
	item BLOB NOT NULL,
	hash TEXT NOT NULL,
	PRIMARY KEY (vatID, position)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS bundles (bundleID TEXT PRIMARY KEY, bundle BLOB NOT NULL) WITHOUT ROWID;
` + snapshotSQL

// Create makes a new database at path, with page checksums; it fails with
// ErrExists if a file is there.
func Create(path string, opts Options) (*Store, error) {
	if _, err := os.Stat(path); err == nil {
		return nil, fmt.Errorf("%s: %w", path, ErrExists)
	}
	db, err := openDB(path, sqlite3.OPEN_READWRITE|sqlite3.OPEN_CREATE)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	if !opts.noChecksums {
		// An empty database: reserving the bytes costs nothing yet.
		if err := db.EnableChecksums("main"); err != nil {
			db.Close()
			return nil, fmt.Errorf("create %s: page checksums: %w", path, err)
		}
	}
	s, err := newStore(path, db, opts)
	if err == nil {
		err = s.db.Exec("PRAGMA journal_mode=WAL")
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	err = s.db.Exec(schemaSQL)
	if err == nil {
		err = s.exec("INSERT INTO meta (key, value) VALUES ('format', ?)", Format)
	}
	if err == nil {
		err = s.endRead()
	}
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	return s, nil
}

// Open opens an existing database; ErrNotFound if there is none, ErrNotStore
// if the file is not a Cooper database. Unless opts.ReadOnly, it checks the
// checksum of every page first (an error wrapping ErrCorrupt names the
// first damaged page) and converts a database made before page checksums,
// once, telling opts.Note.
func Open(path string, opts Options) (*Store, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, ErrNotFound)
	}
	if fi.IsDir() {
		return nil, fmt.Errorf("%s is a directory: %w", path, ErrNotStore)
	}
	db, err := openDB(path, sqlite3.OPEN_READWRITE)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	s, err := newStore(path, db, opts)
	if err != nil {
		db.Close()
		if d, _ := findDamage(path); d != nil {
			return nil, &Error{Op: "open", Path: path, Page: d.page, Corrupt: true, Err: d.why}
		}
		if isNotADB(err) {
			return nil, fmt.Errorf("%s: %w", path, ErrNotStore)
		}
		return nil, s0(path).wrap("open", err)
	}
	if err := s.check(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// s0 is a store with only a path, for wrapping errors met before it opens.
func s0(path string) *Store { return &Store{path: path} }

// check makes sure an opened file is a Cooper store, verifies its pages and
// converts it to page checksums if it has none.
func (s *Store) check() error {
	isStore, err := s.hasMetaTable()
	if err != nil {
		if d, _ := findDamage(s.path); d == nil && isNotADB(err) {
			return fmt.Errorf("%s: %w", s.path, ErrNotStore)
		}
		return s.wrap("open", err)
	}
	if !isStore {
		return fmt.Errorf("%s: %w", s.path, ErrNotStore)
	}
	format, err := s.meta("format")
	if err != nil {
		return s.wrap("open", err)
	}
	if format != Format {
		return fmt.Errorf("%s: format %q: %w", s.path, format, ErrNotStore)
	}
	if s.opts.ReadOnly {
		return nil
	}
	// Only now that the file is known to be a store: the journal mode is
	// written in the file (a store has it already; this is a no-op then).
	if err := s.endRead(); err != nil {
		return err
	}
	if err := s.db.Exec("PRAGMA journal_mode=WAL"); err != nil {
		return s.wrap("open", err)
	}
	// Pages a crash left in the write-ahead log go into the file first, so
	// the scan sees what SQLite will read.
	if err := s.endRead(); err != nil {
		return err
	}
	if _, _, err := s.db.WALCheckpoint("main", sqlite3.CHECKPOINT_TRUNCATE); err != nil {
		return s.wrap("checkpoint", err)
	}
	if err := verifyPages(s.path); err != nil {
		return err
	}
	converted, err := s.ensureChecksums()
	if err != nil {
		return s.wrap("add page checksums", err)
	}
	if err := s.endRead(); err != nil {
		return err
	}
	if err := s.db.Exec(snapshotSQL); err != nil {
		return s.wrap("create snapshot tables", err)
	}
	if converted && s.opts.Note != nil {
		s.opts.Note(fmt.Sprintf("%s: added page checksums (a one-time conversion of a database made by an older version)", s.path))
	}
	migrated, err := s.migrateSnapshots()
	if err != nil {
		return s.wrap("convert heap snapshots to pages", err)
	}
	if migrated && s.opts.Note != nil {
		s.opts.Note(fmt.Sprintf("%s: stored heap snapshots by page (a one-time conversion of a database made by an older version)", s.path))
	}
	return nil
}

// hasMetaTable reports whether the database has the meta table of a store.
func (s *Store) hasMetaTable() (bool, error) {
	st, err := s.stmt("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'meta'")
	if err != nil {
		return false, err
	}
	defer st.Reset()
	if st.Step() {
		return true, nil
	}
	return false, st.Err()
}

func isNotADB(err error) bool {
	return errors.Is(err, sqlite3.NOTADB)
}

func newStore(path string, db *sqlite3.Conn, opts Options) (*Store, error) {
	if opts.CacheEntries <= 0 {
		opts.CacheEntries = 100_000
	}
	if err := setPragmas(db, opts); err != nil {
		return nil, err
	}
	s := &Store{
		path:        path,
		db:          db,
		opts:        opts,
		cache:       make(map[string]cached),
		block:       newLayer(),
		stmts:       make(map[string]*sqlite3.Stmt),
		transcripts: make(map[string]*transcriptHead),
	}
	s.hasher.reset()
	s.lastSaved.release = s.releaseBuffer
	return s, nil
}

// setPragmas configures a connection: the synchronous mode of opts, a lock
// timeout and a 64 MiB page cache. (The write-ahead log is set by Create,
// and by Open once it knows the file is a store: it is written in the file.)
func setPragmas(db *sqlite3.Conn, opts Options) error {
	sync := strings.ToUpper(opts.Synchronous)
	switch sync {
	case "":
		sync = "FULL"
	case "FULL", "NORMAL", "OFF":
	default:
		return fmt.Errorf("unknown synchronous mode %q (full, normal or off)", opts.Synchronous)
	}
	for _, pragma := range []string{
		"PRAGMA synchronous=" + sync,
		"PRAGMA busy_timeout=5000",
		"PRAGMA cache_size=-65536",
	} {
		if err := db.Exec(pragma); err != nil {
			return err
		}
	}
	return nil
}

// Path returns the database file name.
func (s *Store) Path() string { return s.path }

// Err returns the first I/O error the store met, after which it refuses work.
func (s *Store) Err() error { return s.err }

// Close discards an uncommitted block and closes the database.
func (s *Store) Close() error {
	if s.db == nil {
		return nil
	}
	err := s.endRead()
	for _, st := range s.stmts {
		st.Close()
	}
	clear(s.stmts)
	if cerr := s.db.Close(); err == nil && cerr != nil {
		err = s.wrap("close", cerr)
	}
	s.db = nil
	return err
}

// DBSize returns the size in bytes of the database and its write-ahead log.
func (s *Store) DBSize() int64 {
	var n int64
	for _, suffix := range []string{"", "-wal"} {
		if fi, err := os.Stat(s.path + suffix); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// fail records the first I/O error.
func (s *Store) fail(err error) error {
	if s.err == nil {
		s.err = err
	}
	return s.err
}

// beginRead opens a read transaction that lasts until the next commit, so
// reads between commits share one snapshot and one lock instead of taking
// the WAL lock each time.
func (s *Store) beginRead() {
	if !s.inRead && s.db.GetAutocommit() {
		if s.db.Exec("BEGIN DEFERRED") == nil {
			s.inRead = true
		}
	}
}

// endRead ends the read transaction, if one is open.
func (s *Store) endRead() error {
	if !s.inRead {
		return nil
	}
	s.inRead = false
	if err := s.db.Exec("COMMIT"); err != nil {
		return s.fail(s.wrap("end read transaction", err))
	}
	return nil
}

// stmt returns a cached prepared statement, reset and with bindings cleared.
func (s *Store) stmt(sql string) (*sqlite3.Stmt, error) {
	s.beginRead()
	if st, ok := s.stmts[sql]; ok {
		st.Reset()
		st.ClearBindings()
		return st, nil
	}
	st, _, err := s.db.Prepare(sql)
	if err != nil {
		return nil, err
	}
	s.stmts[sql] = st
	return st, nil
}

// exec runs a statement with text or blob arguments.
func (s *Store) exec(sql string, args ...any) error {
	st, err := s.stmt(sql)
	if err != nil {
		return err
	}
	if err := bind(st, args); err != nil {
		return err
	}
	err = st.Exec()
	st.Reset()
	return err
}

func bind(st *sqlite3.Stmt, args []any) error {
	for i, a := range args {
		var err error
		switch a := a.(type) {
		case string:
			err = st.BindText(i+1, a)
		case []byte:
			err = st.BindBlob(i+1, a)
		case int64:
			err = st.BindInt64(i+1, a)
		case int:
			err = st.BindInt64(i+1, int64(a))
		case uint64:
			err = st.BindInt64(i+1, int64(a))
		default:
			panic(fmt.Sprintf("store: cannot bind %T", a))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) meta(key string) (string, error) {
	st, err := s.stmt("SELECT value FROM meta WHERE key = ?")
	if err != nil {
		return "", err
	}
	defer st.Reset()
	st.BindText(1, key)
	if st.Step() {
		return st.ColumnText(0), nil
	}
	if err := st.Err(); err != nil {
		return "", err
	}
	return "", fmt.Errorf("no meta key %q", key)
}

// readErr stops the crank with an I/O error met while reading: it panics
// with an *Error (see [Recover]) and the store refuses further work.
func (s *Store) readErr(what string, err error) {
	e := s.wrap(what, err)
	s.fail(e)
	panic(e)
}
