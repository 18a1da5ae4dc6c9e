package kernel

import (
	"fmt"

	"github.com/cooper-kernel/cooper/capdata"
	"github.com/cooper-kernel/cooper/kernel/state"
	"github.com/cooper-kernel/cooper/vat"
)

// processCreateVat creates a dynamic vat requested through vat-admin and
// tells vat-admin how it went. A failed creation leaves no key of the vat.
func (k *Kernel) processCreateVat(item state.RunQueueItem) crankOutcome {
	id := item.VatID
	opts := *item.Options
	opts.Dynamic = true
	root, failure := k.startVat(id, *item.Source, opts, *item.Params)
	if failure != "" {
		return crankOutcome{abort: true, consume: true, after: func() {
			k.queueToVatAdmin("newVatCallback", string(id), capdata.NewRecord("error", "Vat Creation Error: "+failure))
		}}
	}
	// The item's references to the parameters now belong to vNN.vatParameters.
	k.state.AddDynamicVat(id)
	k.queueToVatAdmin("newVatCallback", string(id),
		capdata.NewRecord("rootObject", capdata.Slot{Ref: string(root), Kind: capdata.Remotable}))
	return crankOutcome{info: CrankInfo{Delivered: id}}
}

// terminateVat ends a vat at once, as SwingSet's terminateVat does in its
// synchronous part: the vat leaves the live set, every promise it decided is
// rejected with "vat terminated" (in the order of its c-list's vpids, as
// SwingSet walks them), its objects are orphaned (later sends splat), its
// c-list, vatstore, transcript and definition are deleted, and vat-admin
// hears about it. Messages already queued to the vat splat when they come
// up. The worker stops when the crank ends. A critical vat's failure stops
// the kernel instead: terminateVat returns a *fatalError.
func (k *Kernel) terminateVat(id vat.ID, reject bool, info state.CapData) error {
	if !k.state.IsLive(id) {
		return nil
	}
	opts, err := k.state.VatOptions(id)
	if err != nil {
		k.bug("terminate %s: %v", id, err)
	}
	reason := describeCap(info)
	if opts.Critical {
		return &fatalError{fmt.Sprintf("critical vat %s (%s) failed: %s", id, opts.Name, reason)}
	}
	if opts.Dynamic {
		k.state.RemoveDynamicVat(id)
	}
	k.state.MarkTerminated(id, reason)
	if h := k.vats[id]; h != nil {
		h.terminated = true
		k.afterCommit = append(k.afterCommit, func() {
			if k.vats[id] == h {
				delete(k.vats, id)
			}
			h.worker.Close()
		})
	}
	for _, kp := range k.state.CListPromises(id) {
		if pr, ok := k.state.GetPromise(kp); ok && pr.State == state.Unresolved && pr.Decider == id {
			k.rejectWith(kp, "vat terminated")
		}
	}
	krefs := k.state.CListKRefs(id)
	for _, kref := range krefs {
		if kref.Kind() != vat.Object {
			continue
		}
		if owner, ok := k.state.ObjectOwner(kref); ok && owner == id {
			k.state.OrphanObject(kref)
		}
	}
	for _, kref := range krefs {
		k.dropCList(id, kref)
	}
	// (a static vat's first parameters hold no references; an upgrade's may)
	k.decRefs(k.state.VatParameters(id).Slots)
	k.state.DeleteVatState(id)
	k.store.DeleteTranscript(string(id))
	k.store.DeleteSnapshot(string(id))
	k.emit(Event{Type: EventTerminateVat, VatID: id, Name: opts.Name, Rejected: reject, Reason: reason})
	infoVal, err := decodeKernel(info)
	if err != nil {
		infoVal = &capdata.Error{Name: "Error", Message: reason}
	}
	k.queueToVatAdmin("vatTerminated", string(id), reject, infoVal)
	return nil
}

// describeCap renders kernel capdata for messages.
func describeCap(cd state.CapData) string {
	v, err := decodeKernel(cd)
	if err != nil {
		return cd.Body
	}
	if e, ok := v.(*capdata.Error); ok {
		return e.Message
	}
	return capdata.Format(v)
}

// queueToVatAdmin sends a message (without result) to the vat-admin vat's root.
func (k *Kernel) queueToVatAdmin(method string, args ...capdata.Value) {
	id, ok := k.state.VatIDByName(VatAdminName)
	if !ok || !k.state.IsLive(id) {
		return
	}
	root, ok := k.state.CListKRef(id, vat.RootVRef)
	if !ok {
		return
	}
	methargs, err := encodeKernel([]capdata.Value{method, args})
	if err != nil {
		k.bug("encode %s: %v", method, err)
	}
	k.queueSend(root, state.Message{Methargs: methargs})
}
