package store

import (
	"errors"
	"fmt"

	"github.com/ncruces/go-sqlite3"
)

// ErrCorrupt is wrapped by every error the store returns, or panics with,
// because the database file is damaged: a page whose checksum does not
// match its contents, or a structure SQLite finds malformed. Test it with
// errors.Is; the *Error it comes in names the page or the operation.
var ErrCorrupt = errors.New("store: corrupt")

// errChecksum says a page's stored checksum does not match its contents.
var errChecksum = errors.New("checksum mismatch")

// Error is a failure of the database under a store operation. Reads that
// have no error result (Get, KeysWithPrefix, …) panic with an *Error;
// callers that must not unwind (the kernel's start-up, dump, replay)
// recover it with [Recover].
type Error struct {
	Op      string // what the store was doing: "get v3.o.nextID", "commit"
	Path    string // the database file
	Page    int64  // the damaged page (1-based); 0 when not known
	Corrupt bool   // the file is damaged; errors.Is(err, ErrCorrupt) holds
	Err     error  // the underlying error
}

// Error returns one line: what is damaged, and what the store was doing.
func (e *Error) Error() string {
	switch {
	case e.Corrupt && e.Page > 0:
		return fmt.Sprintf("store: %s: corrupt page %d of %s (%v)", e.Op, e.Page, e.Path, e.Err)
	case e.Corrupt:
		return fmt.Sprintf("store: %s: corrupt database %s (%v)", e.Op, e.Path, e.Err)
	}
	return fmt.Sprintf("store: %s: %s: %v", e.Op, e.Path, e.Err)
}

// Unwrap returns ErrCorrupt (for a damaged file) and the underlying error.
func (e *Error) Unwrap() []error {
	if e.Corrupt {
		return []error{ErrCorrupt, e.Err}
	}
	return []error{e.Err}
}

// Recover turns a panic carrying a store failure (an error wrapping an
// *Error) into *errp and lets every other panic through. Use it deferred:
//
//	defer store.Recover(&err)
func Recover(errp *error) {
	r := recover()
	if r == nil {
		return
	}
	if e, ok := r.(error); ok && IsFailure(e) {
		*errp = e
		return
	}
	panic(r)
}

// IsFailure reports whether err is, or wraps, a store failure.
func IsFailure(err error) bool {
	var se *Error
	return errors.As(err, &se)
}

// wrap makes a store error of an SQLite error, marking corruption: a page
// checksum mismatch (the damaged page is then found by scanning the file),
// a malformed structure, or a file that is not a database.
func (s *Store) wrap(op string, err error) *Error {
	var se *Error
	if errors.As(err, &se) {
		return se
	}
	e := &Error{Op: op, Path: s.path, Err: err}
	switch {
	case errors.Is(err, sqlite3.IOERR_DATA):
		e.Corrupt, e.Err = true, errChecksum
		if d, _ := findDamage(s.path); d != nil {
			e.Page, e.Err = d.page, d.why
		}
	case errors.Is(err, sqlite3.CORRUPT), errors.Is(err, sqlite3.NOTADB):
		e.Corrupt = true
		if d, _ := findDamage(s.path); d != nil {
			e.Page = d.page
		}
	}
	return e
}
