//go:build !linux

package bench

// CurrentRSS is the process's resident set size in bytes now (0: unknown here).
func CurrentRSS() int64 { return 0 }
