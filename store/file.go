package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ncruces/go-sqlite3"
)

// fileSuffixes are the files SQLite keeps beside a database.
var fileSuffixes = []string{"-wal", "-shm", "-journal"}

// Remove deletes the database at path with the files SQLite keeps beside
// it (write-ahead log, shared memory, rollback journal). A file that is not
// there is not an error.
func Remove(path string) error {
	var errs []error
	for _, suffix := range append([]string{""}, fileSuffixes...) {
		if err := os.Remove(path + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Exists reports whether a database file is at path.
func Exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// MoveTo renames the database to path, which must not exist, and goes on
// with it there. Everything must be committed: the write-ahead log is
// checkpointed into the file and closed first, so the rename moves one
// complete file, and the directory is synced after it. A process killed
// during MoveTo leaves the database whole under one name or the other.
func (s *Store) MoveTo(path string) error {
	if s.crank != nil || !s.block.empty() {
		return fmt.Errorf("store: move %s: uncommitted changes", s.path)
	}
	if Exists(path) {
		return fmt.Errorf("store: move %s: %s: %w", s.path, path, ErrExists)
	}
	if err := s.endRead(); err != nil {
		return err
	}
	if _, _, err := s.db.WALCheckpoint("main", sqlite3.CHECKPOINT_TRUNCATE); err != nil {
		return s.fail(s.wrap("checkpoint", err))
	}
	for _, st := range s.stmts {
		st.Close()
	}
	clear(s.stmts)
	if err := s.db.Close(); err != nil {
		s.db = nil
		return s.fail(s.wrap("close", err))
	}
	s.db = nil
	if err := os.Rename(s.path, path); err != nil {
		return s.fail(fmt.Errorf("store: move %s: %w", s.path, err))
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return s.fail(fmt.Errorf("store: move %s: %w", s.path, err))
	}
	Remove(s.path) // an empty write-ahead log or shared-memory file left by the close
	old := s.path
	s.path = path
	db, err := openDB(path, sqlite3.OPEN_READWRITE)
	if err == nil {
		err = setPragmas(db, s.opts)
	}
	if err != nil {
		return s.fail(fmt.Errorf("store: reopen %s after moving it from %s: %w", path, old, err))
	}
	s.db = db
	return nil
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
