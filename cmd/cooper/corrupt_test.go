package main

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/cooper-kernel/cooper/kernel"
	"github.com/cooper-kernel/cooper/store"
)

// corruptKV overwrites one kv value behind the kernel's back.
func corruptKV(t *testing.T, dir, key, value string) {
	t.Helper()
	db, err := store.OpenRaw(filepath.Join(dir, kernel.DBName))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Exec(fmt.Sprintf("UPDATE kvStore SET value = '%s' WHERE key = '%s'", value, key)); err != nil {
		t.Fatal(err)
	}
	if db.Changes() != 1 {
		t.Fatalf("no key %s", key)
	}
}

// corruptTranscript replaces old by new in one transcript entry.
func corruptTranscript(t *testing.T, dir, vatID string, pos int, old, new string) {
	t.Helper()
	db, err := store.OpenRaw(filepath.Join(dir, kernel.DBName))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	q := fmt.Sprintf(`UPDATE transcriptItems SET item = CAST(replace(CAST(item AS TEXT), '%s', '%s') AS BLOB) WHERE vatID = '%s' AND position = %d`, old, new, vatID, pos)
	if err := db.Exec(q); err != nil {
		t.Fatal(err)
	}
	if db.Changes() != 1 {
		t.Fatalf("no transcript entry %s[%d]", vatID, pos)
	}
}
