package kernel

import (
	"slices"

	"github.com/cooper-kernel/cooper/capdata"
	"github.com/cooper-kernel/cooper/kernel/state"
	"github.com/cooper-kernel/cooper/vat"
)

// Reference counting. A kernel promise counts every c-list entry, run-queue
// item, promise-queue message and promise resolution that names it, plus the
// host's pins. A kernel object counts the same except its owner's c-list
// entry. A promise whose count drops to zero is deleted at the end of the
// crank (SwingSet's processRefcounts); objects are never deleted yet.

func (k *Kernel) incRef(kref vat.KRef) {
	if kref.Kind() == vat.Device {
		return
	}
	k.state.SetRefCount(kref, k.state.RefCount(kref)+1)
}

func (k *Kernel) decRef(kref vat.KRef) {
	if kref.Kind() == vat.Device {
		return
	}
	n := k.state.RefCount(kref)
	if n == 0 {
		k.bug("refcount of %s would go negative", kref)
	}
	k.state.SetRefCount(kref, n-1)
	if n == 1 && kref.Kind() == vat.Promise {
		k.maybeFree[kref] = struct{}{}
	}
}

func (k *Kernel) incRefs(refs []vat.KRef) {
	for _, r := range refs {
		k.incRef(r)
	}
}

func (k *Kernel) decRefs(refs []vat.KRef) {
	for _, r := range refs {
		k.decRef(r)
	}
}

// msgRefs lists the refs a message holds (result, then slots).
func msgRefs(m *state.Message) []vat.KRef {
	refs := make([]vat.KRef, 0, len(m.Methargs.Slots)+1)
	if m.Result != "" {
		refs = append(refs, m.Result)
	}
	return append(refs, m.Methargs.Slots...)
}

// itemRefs lists the refs a run-queue item holds.
func itemRefs(it *state.RunQueueItem) []vat.KRef {
	switch it.Type {
	case state.ItemSend:
		return append([]vat.KRef{it.Target}, msgRefs(it.Msg)...)
	case state.ItemNotify:
		return []vat.KRef{it.KPID}
	case state.ItemCreateVat, state.ItemUpgradeVat:
		if it.Params != nil {
			return it.Params.Slots
		}
	}
	return nil
}

// push accepts an item, counting its references; the item reaches the run
// queue (or a promise queue) when the crank ends (see drainAcceptance).
func (k *Kernel) push(it state.RunQueueItem) {
	k.incRefs(itemRefs(&it))
	k.accepted = append(k.accepted, it)
}

// queueSend queues a message to a kernel object or promise.
func (k *Kernel) queueSend(target vat.KRef, msg state.Message) {
	k.push(state.RunQueueItem{Type: state.ItemSend, Target: target, Msg: &msg})
}

// resolve settles kp and queues what follows: a notify for each subscriber,
// then every message that was waiting for it, accepted again.
func (k *Kernel) resolve(kp vat.KRef, rejected bool, data state.CapData) {
	pr, ok := k.state.GetPromise(kp)
	if !ok || pr.State != state.Unresolved {
		k.bug("resolve %s: not an unresolved promise", kp)
	}
	for _, sub := range pr.Subscribers {
		k.push(state.RunQueueItem{Type: state.ItemNotify, VatID: sub, KPID: kp})
	}
	k.requeuePromise(kp)
	k.state.ResolvePromise(kp, rejected, data)
	k.incRefs(data.Slots)
	k.emit(Event{Type: EventResolve, KPID: kp, Rejected: rejected, Data: &data})
}

// requeuePromise accepts again every message waiting on kp, addressed to
// kp, and empties its queue.
func (k *Kernel) requeuePromise(kp vat.KRef) {
	queue := k.state.PromiseQueue(kp)
	if len(queue) == 0 {
		return
	}
	k.state.ClearPromiseQueue(kp)
	for _, m := range queue {
		k.queueSend(kp, m)
		k.decRefs(msgRefs(&m))
	}
}

// rejectWith settles kp as rejected with an Error value made by the kernel.
func (k *Kernel) rejectWith(kp vat.KRef, message string) {
	k.resolve(kp, true, kernelError(message))
}

// kernelError is the capdata of Error(message), as SwingSet's makeError gives.
func kernelError(message string) state.CapData {
	cd := capdata.MustEncode(&capdata.Error{Name: "Error", Message: message})
	return state.CapData{Body: cd.Body}
}

// freeDeadPromises deletes promises nobody references any more, in kref
// order so the deletions are deterministic.
func (k *Kernel) freeDeadPromises() {
	for len(k.maybeFree) > 0 {
		kps := make([]vat.KRef, 0, len(k.maybeFree))
		for kp := range k.maybeFree {
			kps = append(kps, kp)
		}
		slices.SortFunc(kps, func(a, b vat.KRef) int { return cmpKRef(a, b) })
		clear(k.maybeFree)
		for _, kp := range kps {
			if k.state.RefCount(kp) != 0 || !k.state.Exists(kp) {
				continue
			}
			pr, _ := k.state.GetPromise(kp)
			if pr.State != state.Unresolved {
				k.decRefs(pr.Data.Slots)
			} else {
				for _, m := range k.state.PromiseQueue(kp) {
					k.decRefs(msgRefs(&m))
				}
			}
			k.state.DeletePromise(kp)
		}
	}
}

// cmpKRef orders krefs by kind, then number.
func cmpKRef(a, b vat.KRef) int {
	if a.Kind() != b.Kind() {
		return int(a.Kind()) - int(b.Kind())
	}
	an, bn := a.Num(), b.Num()
	switch {
	case an < bn:
		return -1
	case an > bn:
		return 1
	}
	return 0
}
