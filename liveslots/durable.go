package liveslots

import (
	"fmt"

	"github.com/cooper-kernel/cooper/capdata"
	"github.com/cooper-kernel/cooper/vat"
)

// Durable is implemented by faces whose language keeps virtual and durable
// objects (and collections) in the vatstore, as SwingSet's vat-data does:
// their vrefs (o+vK/I, o+dK/I) are allocated by the language, which
// registers each representative it makes with [Liveslots.RegisterVirtual].
type Durable interface {
	// Reanimate returns the representative of a virtual or durable object
	// the heap no longer has (after a restart or an upgrade, or one never
	// seen in this worker).
	Reanimate(vref vat.VRef) (any, error)
	// DurableHook tells the language that an event of an upgrade happened:
	// "upgrade" before the new incarnation's buildRootObject runs (drop the
	// old virtual data), "upgraded" once it has returned its root (every
	// durable kind must have been re-prepared, watched promises resume).
	DurableHook(event string) error
}

// Evaluator is implemented by faces that evaluate the vat's bundle in its
// startVat delivery, as SwingSet does, so that module-level code may make
// syscalls. Evaluate runs first in startVat (before the vat parameters are
// decoded) and once per worker.
type Evaluator interface {
	Evaluate() error
}

// EvaluationError is a face's Evaluate (or StartVat) error when the vat's bundle failed
// to evaluate (before buildRootObject could run).
type EvaluationError struct{ Err error }

func (e *EvaluationError) Error() string { return "evaluating the bundle: " + e.Err.Error() }

// Unwrap returns the cause.
func (e *EvaluationError) Unwrap() error { return e.Err }

// RegisterVirtual records that the language object v represents the
// virtual or durable object vref.
func (ls *Liveslots) RegisterVirtual(vref vat.VRef, v any) error {
	if _, err := vat.ParseVRef(string(vref)); err != nil || !vref.Virtual() {
		return fmt.Errorf("registerVirtual: %q is not a virtual object's vref", vref)
	}
	if old, ok := ls.slotToVal[vref]; ok && old != v {
		ls.deleteVal(old)
	}
	ls.register(vref, v)
	return nil
}

// WatchablePromise returns the vpid of the language promise p, made known
// to the kernel if it was not, so that the vat hears how it settles whoever
// decides it (SwingSet's watchPromise): a promise the vat decides is
// exported (followed) and subscribed to, so that an upgrade's rejection of
// it reaches the next incarnation.
func (ls *Liveslots) WatchablePromise(p any) (vat.VRef, error) {
	if ref, ok := ls.RefOf(p); ok && ref.Kind() == vat.Promise {
		return ref, nil // imported: already subscribed
	}
	if kind, _, ok := ls.face.Classify(p); !ok || kind != capdata.Promise {
		return "", fmt.Errorf("watchPromise only watches promises")
	}
	slot, err := ls.toSlot(p)
	if err != nil {
		return "", err
	}
	vpid := vat.VRef(slot.Ref)
	if !ls.kernelKnows(vpid) {
		ls.followForKernel(vpid, p)
	}
	if _, ok := ls.syscall(vat.Syscall{Kind: vat.SysSubscribe, VPID: vpid}); !ok {
		return "", ErrAborted
	}
	return vpid, nil
}

// Unserialize decodes capdata of this vat (as stored in its vatstore),
// making presences and representatives for the references it holds.
func (ls *Liveslots) Unserialize(cd vat.CapData) (capdata.Value, error) { return ls.unserialize(cd) }

// reanimate makes the representative of a virtual vref through the face.
func (ls *Liveslots) reanimate(vref vat.VRef) (any, error) {
	d, ok := ls.face.(Durable)
	if !ok {
		return nil, fmt.Errorf("I don't remember allocating %s", vref)
	}
	v, err := d.Reanimate(vref)
	if err != nil {
		return nil, fmt.Errorf("reanimate %s: %w", vref, err)
	}
	if ls.failed != nil {
		return nil, ls.failed
	}
	if got, ok := ls.slotToVal[vref]; !ok || got != v {
		ls.register(vref, v)
	}
	return v, nil
}

// durableHook runs a life-cycle hook of a Durable face.
func (ls *Liveslots) durableHook(event string) error {
	d, ok := ls.face.(Durable)
	if !ok {
		return nil
	}
	return d.DurableHook(event)
}
