//go:build !(linux || freebsd || netbsd || openbsd || dragonfly || darwin)

package bench

// PeakRSS is the process's peak resident set size in bytes: 0, unknown on
// this system.
func PeakRSS() int64 { return 0 }
