// Package jsvat holds the vat environment every JavaScript engine of Cooper
// runs before a vat's bundle: the prelude (harden, Far, E, the built-in
// modules, the determinism rules) and the list of modules vat code may import.
//
// The prelude is a function expression of one argument, the bridge: an
// object of host functions the engine provides (see worker/js/bridge.go for
// the contract). It returns the environment the engine needs: require,
// vatPowers, makeBaggage, makePresence, kindOf, ifaceOf, tagOf, makeTagged,
// harden, sealFresh, noop, watch, makeError, reanimate and vatDataHook.
//
// patterns.js (rank order, key encoding, patterns, heap stores and exos) and
// vatdata.js (baggage and @agoric/vat-data: collections, kinds and promise
// watchers in the vatstore) are spliced into the prelude at their
// placeholders and built on first use.
package jsvat

import (
	_ "embed"
	"fmt"
	"slices"
	"strings"
)

//go:embed prelude.js
var preludeSource string

//go:embed patterns.js
var patternsSource string

//go:embed vatdata.js
var vatdataSource string

// Prelude is the source of the vat environment (a function of the bridge).
var Prelude = SplicePrelude(preludeSource)

// SplicePrelude returns src, a prelude source with the placeholders of
// prelude.js (an older one a worker keeps for the vats recorded under
// it), with patterns.js and vatdata.js spliced in.
func SplicePrelude(src string) string {
	return splice(splice(src, "patterns.js", patternsSource), "vatdata.js", vatdataSource)
}

// splice puts the source of a file where prelude.js holds its placeholder
// ("/*@@name@@*/ null").
func splice(prelude, name, source string) string {
	placeholder := "/*@@" + name + "@@*/ null"
	if strings.Count(prelude, placeholder) != 1 {
		panic("jsvat: prelude.js must hold the " + name + " placeholder once")
	}
	return strings.Replace(prelude, placeholder, strings.TrimSpace(source), 1)
}

// Passable is the source of the passable checks every engine applies to
// what leaves a vat (a function of the prelude's env; see passable.js).
//
//go:embed passable.js
var Passable string

// BuiltinModules are the import specifiers vat code may use.
var BuiltinModules = []string{
	"@agoric/assert",
	"@agoric/base-zone",
	"@agoric/base-zone/heap.js",
	"@agoric/kmarshal",
	"@agoric/store",
	"@agoric/vat-data",
	"@agoric/zone",
	"@agoric/zone/durable.js",
	"@agoric/zone/heap.js",
	"@agoric/zone/virtual.js",
	"@endo/errors",
	"@endo/eventual-send",
	"@endo/exo",
	"@endo/exo/tools.js",
	"@endo/far",
	"@endo/marshal",
	"@endo/nat",
	"@endo/pass-style",
	"@endo/patterns",
	"@endo/promise-kit",
}

// IsBuiltin reports whether vat code may import spec.
func IsBuiltin(spec string) bool { return slices.Contains(BuiltinModules, spec) }

// alternatives name, for modules SwingSet vats import that Cooper does not
// build in, where what they are used for is found.
var alternatives = map[string]string{
	"@agoric/internal": "Far and E are in @endo/far, Fail, q and makeError in @endo/errors",
}

// ImportError is the error for a vat importing spec, which is not built
// in: it names the alternative where there is one, and the modules there are.
func ImportError(spec string) error {
	alt := ""
	if a, ok := alternatives[spec]; ok {
		alt = "; " + a
	}
	return fmt.Errorf("cannot import %q: not a built-in module of Cooper vats%s (have %s)", spec, alt, strings.Join(BuiltinModules, ", "))
}
