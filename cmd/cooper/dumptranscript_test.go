package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cooper-kernel/cooper/kernel"
	"github.com/cooper-kernel/cooper/store"
)

// TestCLIDumpDamagedTranscript damages the overflow page of one large
// transcript item, a page only reading the item itself reaches: dump (which
// reads every item to size the transcripts) fails with one line naming the
// vat's transcript and the page, where it once printed the dump and exited 0.
func TestCLIDumpDamagedTranscript(t *testing.T) {
	clean := jsKernel(t)
	// An extra argument alice ignores makes one item span overflow pages.
	big := strings.Repeat("overflow", 2000)
	// The item must be read by nothing else: a later call keeps it from
	// being the last item, whose hash (stored after the item) the head of
	// the transcript is read from; an earlier one puts it in a leaf of the
	// b-tree, not in an interior page, where every lookup would compare
	// against the whole record.
	for _, args := range [][]string{{"5"}, {"1", big}, {"1"}} {
		if _, _, err := cli(t, append([]string{"call", clean, "alice", "sequential"}, args...)...); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(clean, kernel.DBName)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// A full overflow page of the item (pages hold about 4 KB of it).
	i := bytes.Index(data, []byte(big[:3000]))
	if i < 0 {
		t.Fatal("the large transcript item is not in the database file")
	}
	i += 1500
	data[i+1] ^= 0x04
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, err := cli(t, "dump", clean)
	wantErr := fmt.Sprintf("corrupt page %d of %s", i/4096+1, path)
	if err == nil || !errors.Is(err, store.ErrCorrupt) || !strings.Contains(err.Error(), wantErr) || !strings.Contains(err.Error(), "read transcript v1:") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("dump of a damaged transcript = %v\n%s\nwant one line naming the transcript and %q", err, out, wantErr)
	}
	if out != "" {
		t.Fatalf("dump printed part of a damaged kernel:\n%s", out)
	}
}
