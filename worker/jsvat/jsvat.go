// Package jsvat holds the vat environment every JavaScript engine of Cooper
// runs before a vat's bundle: the prelude (harden, Far, E, the built-in
// modules, the determinism rules) and the list of modules vat code may import.
//
// The prelude is a function expression of one argument, the bridge: an
// object of host functions the engine provides (see worker/js/bridge.go for
// the contract). It returns the environment the engine needs: require,
// vatPowers, makeBaggage, makePresence, kindOf, ifaceOf, tagOf, makeTagged,
// harden, noop, watch and makeError.
//
// patterns.js (rank order, key encoding, patterns, heap stores and exos) is
// spliced into the prelude at the placeholder and built on first import.
package jsvat

import (
	_ "embed"
	"slices"
	"strings"
)

//go:embed prelude.js
var preludeSource string

//go:embed patterns.js
var patternsSource string

// patternsPlaceholder marks where prelude.js takes patterns.js.
const patternsPlaceholder = "/*@@patterns.js@@*/ null"

// Prelude is the source of the vat environment (a function of the bridge).
var Prelude = splicePatterns(preludeSource, patternsSource)

func splicePatterns(prelude, patterns string) string {
	if strings.Count(prelude, patternsPlaceholder) != 1 {
		panic("jsvat: prelude.js must hold the patterns.js placeholder once")
	}
	return strings.Replace(prelude, patternsPlaceholder, strings.TrimSpace(patterns), 1)
}

// BuiltinModules are the import specifiers vat code may use.
var BuiltinModules = []string{
	"@agoric/assert",
	"@agoric/kmarshal",
	"@agoric/store",
	"@endo/errors",
	"@endo/eventual-send",
	"@endo/exo",
	"@endo/exo/tools.js",
	"@endo/far",
	"@endo/marshal",
	"@endo/pass-style",
	"@endo/patterns",
	"@endo/promise-kit",
}

// IsBuiltin reports whether vat code may import spec.
func IsBuiltin(spec string) bool { return slices.Contains(BuiltinModules, spec) }
