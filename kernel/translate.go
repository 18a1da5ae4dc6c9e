package kernel

import (
	"fmt"

	"github.com/cooper-kernel/cooper/kernel/state"
	"github.com/cooper-kernel/cooper/vat"
)

// This file is the c-list translator: kernel refs ↔ vat refs for one vat.
// Kernel → vat translation allocates imports (o-N, p-N, d-N) for refs the vat
// has not seen; vat → kernel translation allocates kernel objects and promises
// for refs the vat exports (o+N, p+N) and refuses unknown imports.

// toVat returns the vat's ref for kref, importing it into the vat if needed.
func (k *Kernel) toVat(id vat.ID, kref vat.KRef) vat.VRef {
	if vref, ok := k.state.CListVRef(id, kref); ok {
		return vref
	}
	vref := k.state.AllocateImport(id, kref.Kind())
	k.state.AddCList(id, kref, vref)
	k.incRef(kref)
	return vref
}

// capToVat translates kernel capdata into the vat's space.
func (k *Kernel) capToVat(id vat.ID, cd state.CapData) vat.CapData {
	out := vat.CapData{Body: cd.Body}
	if len(cd.Slots) > 0 {
		out.Slots = make([]vat.VRef, len(cd.Slots))
		for i, s := range cd.Slots {
			out.Slots[i] = k.toVat(id, s)
		}
	}
	return out
}

// syscallError is an illegal syscall: the vat is terminated.
type syscallError struct{ msg string }

func (e *syscallError) Error() string { return e.msg }

func illegal(format string, args ...any) error {
	return &syscallError{fmt.Sprintf(format, args...)}
}

// toKernel returns the kernel ref for a vref the vat uses in a syscall. A
// vat-allocated ref seen for the first time is exported: o+N makes a kernel
// object owned by the vat, p+N a kernel promise it decides.
func (k *Kernel) toKernel(id vat.ID, vref vat.VRef) (vat.KRef, error) {
	if _, err := vat.ParseVRef(string(vref)); err != nil {
		return "", illegal("%v", err)
	}
	if kref, ok := k.state.CListKRef(id, vref); ok {
		return kref, nil
	}
	if !vref.Allocated() {
		return "", illegal("unknown import %s", vref)
	}
	var kref vat.KRef
	switch vref.Kind() {
	case vat.Object:
		kref = k.state.AllocateObject(id)
		k.state.AddCList(id, kref, vref)
		// The owner's c-list entry is not counted: it keeps nothing alive.
		return kref, nil
	case vat.Promise:
		kref = k.state.AllocatePromise(id)
	default:
		return "", illegal("vats cannot export device nodes (%s)", vref)
	}
	k.state.AddCList(id, kref, vref)
	k.incRef(kref)
	return kref, nil
}

// capToKernel translates capdata from a syscall into kernel space.
func (k *Kernel) capToKernel(id vat.ID, cd vat.CapData) (state.CapData, error) {
	out := state.CapData{Body: cd.Body, Slots: make([]vat.KRef, len(cd.Slots))}
	for i, s := range cd.Slots {
		kref, err := k.toKernel(id, s)
		if err != nil {
			return state.CapData{}, err
		}
		out.Slots[i] = kref
	}
	return out, nil
}

// dropCList removes the vat's c-list entry for kref and releases its reference.
func (k *Kernel) dropCList(id vat.ID, kref vat.KRef) {
	vref, ok := k.state.CListVRef(id, kref)
	if !ok {
		return
	}
	k.state.DeleteCList(id, kref, vref)
	if !(kref.Kind() == vat.Object && vref.Allocated()) {
		k.decRef(kref)
	}
}
