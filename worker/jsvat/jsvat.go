// Package jsvat holds the vat environment every JavaScript engine of Cooper
// runs before a vat's bundle: the prelude (harden, Far, E, the built-in
// modules, the determinism rules) and the list of modules vat code may import.
//
// The prelude is a function expression of one argument, the bridge: an
// object of host functions the engine provides (see worker/js/bridge.go for
// the contract). It returns the environment the engine needs: require,
// vatPowers, makeBaggage, makePresence, kindOf, ifaceOf, tagOf, makeTagged,
// harden, noop, watch and makeError.
package jsvat

import (
	_ "embed"
	"slices"
)

// Prelude is the source of the vat environment (a function of the bridge).
//
//go:embed prelude.js
var Prelude string

// BuiltinModules are the import specifiers vat code may use.
var BuiltinModules = []string{
	"@agoric/assert",
	"@agoric/kmarshal",
	"@endo/errors",
	"@endo/eventual-send",
	"@endo/far",
	"@endo/marshal",
	"@endo/pass-style",
	"@endo/promise-kit",
}

// IsBuiltin reports whether vat code may import spec.
func IsBuiltin(spec string) bool { return slices.Contains(BuiltinModules, spec) }
