// Package demo holds the example kernels of the README and `cooper demo`:
// JS ping-pong, dynamic counter vats made from a bundle, durable counters
// that are upgraded, and a Go-vat ping-pong. Each directory is a config with its vat sources; the Go vats
// of the Go ping-pong are compiled in and registered by [GoVats].
package demo

import (
	"embed"

	"github.com/cooper-kernel/cooper/vats/examples"
	"github.com/cooper-kernel/cooper/worker/gonative"
)

// FS holds every example directory.
//
//go:embed pingpong dynamic durable go-pingpong
var FS embed.FS

// GoVats returns the example Go vats the demos name in bundleName (pass
// them as cooper.Options.GoVats): go-counter, go-alice, go-bob,
// go-bootstrap-pingpong and go-bootstrap-dynamic.
func GoVats() gonative.Registry {
	return gonative.Registry{
		"go-counter":            examples.Counter,
		"go-alice":              examples.Alice,
		"go-bob":                examples.Bob,
		"go-bootstrap-pingpong": examples.BootstrapPingPong,
		"go-bootstrap-dynamic":  examples.BootstrapDynamic,
	}
}
