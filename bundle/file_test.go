package bundle

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadFileLimit(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	os.WriteFile(p, []byte("12345"), 0o644)
	if data, err := ReadFileLimit(p, 5, "test"); err != nil || string(data) != "12345" {
		t.Fatalf("at the limit: %q %v", data, err)
	}
	for _, path := range []string{p, "/dev/zero"} {
		_, err := ReadFileLimit(path, 4, "test")
		var tl *TooLargeError
		if !errors.As(err, &tl) || !strings.HasSuffix(err.Error(), "is larger than the 4-byte limit of a test file") {
			t.Fatalf("%s over the limit: %v", path, err)
		}
	}
	if _, err := ReadFileLimit(filepath.Join(t.TempDir(), "none"), 4, "test"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
	if _, err := Build("/dev/zero"); err == nil || !strings.Contains(err.Error(), "/dev/zero is larger than the 16 MiB limit of a source file") {
		t.Fatalf("Build(/dev/zero): %v", err)
	}
}
