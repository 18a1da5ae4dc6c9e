// Package vat holds what kernel and workers exchange: vat, kernel and vat-local
// reference types, deliveries, syscalls and their results, and the Worker
// interface that every kind of vat implements.
//
// References come in two spaces that must never mix:
//
//	kernel refs (KRef)   koN  object      kpN  promise      kdN  device node
//	vat refs (VRef)      o+N  object exported by the vat    o-N  object imported
//	                     p+N  promise allocated by the vat  p-N  promise imported
//	                     d-N  device node imported
//	                     o+vK/I[:F]  virtual object I of kind K (facet F)
//	                     o+dK/I[:F]  durable object I of kind K (facet F)
//
// "+" refs are allocated by the vat, "-" refs by the kernel; o+0 is the vat's
// root object. Each vat's c-list translates between the two spaces.
package vat

import (
	"fmt"
	"strconv"
	"strings"
)

// ID names a vat: "v1", "v2", ...
type ID string

// DeviceID names a device: "d1", "d2", ...
type DeviceID string

// KRef is a kernel-wide reference: koN, kpN or kdN.
type KRef string

// VRef is a vat-local reference: o±N, p±N, d±N, or o+vK/I / o+dK/I.
type VRef string

// RefKind is what a reference designates.
type RefKind byte

// The kinds of reference.
const (
	Object  RefKind = 'o'
	Promise RefKind = 'p'
	Device  RefKind = 'd'
)

// Kind reports what r designates; 0 if r is malformed.
func (r KRef) Kind() RefKind {
	if len(r) < 3 || r[0] != 'k' {
		return 0
	}
	switch RefKind(r[1]) {
	case Object, Promise, Device:
		return RefKind(r[1])
	}
	return 0
}

// Num returns the number of r (kp7 → 7); 0 if r is malformed.
func (r KRef) Num() uint64 {
	if len(r) < 3 {
		return 0
	}
	n, _ := strconv.ParseUint(string(r[2:]), 10, 64)
	return n
}

// ParseKRef checks that s is a well-formed kernel reference.
func ParseKRef(s string) (KRef, error) {
	r := KRef(s)
	if r.Kind() == 0 || !isNum(s[2:]) {
		return "", fmt.Errorf("malformed kref %q", s)
	}
	return r, nil
}

// MakeKRef builds the kernel reference of a kind and number.
func MakeKRef(kind RefKind, n uint64) KRef {
	return KRef("k" + string(kind) + strconv.FormatUint(n, 10))
}

// Kind reports what r designates; 0 if r is malformed.
func (r VRef) Kind() RefKind {
	if len(r) < 3 {
		return 0
	}
	switch RefKind(r[0]) {
	case Object, Promise, Device:
		if r[1] == '+' || r[1] == '-' {
			return RefKind(r[0])
		}
	}
	return 0
}

// Allocated reports whether the vat allocated r ("+") rather than the kernel ("-").
func (r VRef) Allocated() bool { return len(r) > 1 && r[1] == '+' }

// Num returns the number of r (p-7 → 7); 0 if r is malformed.
func (r VRef) Num() uint64 {
	if len(r) < 3 {
		return 0
	}
	n, _ := strconv.ParseUint(string(r[2:]), 10, 64)
	return n
}

// ParseVRef checks that s is a well-formed vat reference.
func ParseVRef(s string) (VRef, error) {
	r := VRef(s)
	if r.Kind() == 0 || !(isNum(s[2:]) || r.Kind() == Object && r.Allocated() && isVirtualTail(s[2:])) {
		return "", fmt.Errorf("malformed vref %q", s)
	}
	return r, nil
}

// isVirtualTail reports whether s is the tail of a virtual or durable
// object's vref after "o+": v or d, a kind number, "/", an instance number
// and an optional ":" facet number.
func isVirtualTail(s string) bool {
	if len(s) < 4 || s[0] != 'v' && s[0] != 'd' {
		return false
	}
	kind, rest, ok := strings.Cut(s[1:], "/")
	if !ok || !isNum(kind) {
		return false
	}
	inst, facet, faceted := strings.Cut(rest, ":")
	return isNum(inst) && (!faceted || isNum(facet))
}

// Virtual reports whether r is a virtual or durable object's vref (o+v…, o+d…),
// whose state lives in the vat's vatstore rather than its heap.
func (r VRef) Virtual() bool {
	return len(r) > 3 && r[0] == 'o' && r[1] == '+' && (r[2] == 'v' || r[2] == 'd')
}

// Durable reports whether r is a durable object's vref (o+d…), which
// survives an upgrade of its vat.
func (r VRef) Durable() bool { return len(r) > 3 && r[0] == 'o' && r[1] == '+' && r[2] == 'd' }

// MakeVRef builds a vat reference; allocated is true for "+" refs.
func MakeVRef(kind RefKind, allocated bool, n uint64) VRef {
	sign := "-"
	if allocated {
		sign = "+"
	}
	return VRef(string(kind) + sign + strconv.FormatUint(n, 10))
}

// RootVRef is the vref of every vat's root object.
const RootVRef VRef = "o+0"

// isNum reports whether s is a canonical decimal number (no sign, no leading zeros).
func isNum(s string) bool {
	if s == "" || len(s) > 19 || (len(s) > 1 && s[0] == '0') {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ParseID checks that s names a vat ("v" and a number) and returns it.
func ParseID(s string) (ID, error) {
	if len(s) < 2 || s[0] != 'v' {
		return "", fmt.Errorf("%q is not a vat ID (v1, v2, ...)", s)
	}
	if _, err := strconv.ParseUint(s[1:], 10, 64); err != nil || (len(s) > 2 && s[1] == '0') {
		return "", fmt.Errorf("%q is not a vat ID (v1, v2, ...)", s)
	}
	return ID(s), nil
}
