//go:build !unix

package kernel

// LockName is the lock file a running kernel holds in its directory.
const LockName = "kernel.lock"

// dirLock is a no-op where flock is not available.
type dirLock struct{}

func lockDir(string) (*dirLock, error) { return &dirLock{}, nil }

func (l *dirLock) release() {}
