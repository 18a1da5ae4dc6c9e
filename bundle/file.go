package bundle

import (
	"fmt"
	"io"
	"os"
)

// Size limits on what is read from files, so a huge or endless file (say
// /dev/zero given as a sourceSpec) is refused with an error instead of
// being read forever.
const (
	// MaxSourceSize bounds each module file a bundle is built from.
	MaxSourceSize = 16 << 20
	// MaxBundleSize bounds a bundle file (bundleSpec) or an inline bundle.
	MaxBundleSize = 64 << 20
)

// TooLargeError is the error of a file over its size limit.
type TooLargeError struct {
	Path  string
	Limit int64
	What  string // the kind of file: "source", "bundle", "config"
}

// Error says which file is too large and the limit.
func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s is larger than the %s limit of a %s file", e.Path, sizeString(e.Limit), e.What)
}

// ReadFile reads a bundle file, refusing one over MaxBundleSize.
func ReadFile(path string) ([]byte, error) {
	return ReadFileLimit(path, MaxBundleSize, "bundle")
}

// ReadFileLimit reads at most limit bytes of the file at path; a longer
// file is a *TooLargeError (what says what kind of file it is).
func ReadFileLimit(path string, limit int64, what string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(data)) > limit {
		return nil, &TooLargeError{Path: path, Limit: limit, What: what}
	}
	return data, nil
}

// sizeString writes a limit in MiB (or bytes below one).
func sizeString(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d-byte", n)
}
