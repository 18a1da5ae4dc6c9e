// Package demo holds the example kernels of the README and `cooper demo`:
// JS ping-pong, dynamic counter vats made from a bundle, and a Go-vat
// ping-pong. Each directory is a config with its vat sources.
package demo

import "embed"

// FS holds every example directory.
//
//go:embed pingpong dynamic go-pingpong
var FS embed.FS
