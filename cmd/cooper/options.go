package main

import (
	"fmt"
	"io"

	"github.com/cooper-kernel/cooper"
)

// cooperOptions are the kernel options every command uses: vat console
// output goes to stdout, one line per call, prefixed by the vat name.
func cooperOptions(stdout io.Writer) cooper.Options {
	return cooper.Options{
		Console: func(vatName, level, line string) {
			fmt.Fprintf(stdout, "%s: %s\n", vatName, line)
		},
	}
}
