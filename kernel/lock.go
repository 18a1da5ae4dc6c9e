//go:build unix

package kernel

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// LockName is the lock file a running kernel holds in its directory.
const LockName = "kernel.lock"

// dirLock is an exclusive advisory lock on a kernel directory: two
// processes running one kernel would each commit from their own view.
type dirLock struct{ f *os.File }

func lockDir(dir string) (*dirLock, error) {
	f, err := os.OpenFile(filepath.Join(dir, LockName), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", dir, ErrInUse)
	}
	return &dirLock{f: f}, nil
}

func (l *dirLock) release() {
	if l != nil {
		l.f.Close()
	}
}
