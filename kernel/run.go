package kernel

import (
	"errors"
	"fmt"

	"github.com/cooper-kernel/cooper/capdata"
	"github.com/cooper-kernel/cooper/kernel/state"
	"github.com/cooper-kernel/cooper/vat"
)

// Policy decides after each crank whether [Kernel.Run] goes on.
type Policy interface {
	Continue(c CrankInfo) bool
}

// CrankInfo describes a finished crank, for run policies.
type CrankInfo struct {
	// Delivered is the vat that got a delivery; "" for cranks without one.
	Delivered  vat.ID
	Computrons uint64
}

// PolicyFunc adapts a function to a Policy.
type PolicyFunc func(CrankInfo) bool

// Continue calls f.
func (f PolicyFunc) Continue(c CrankInfo) bool { return f(c) }

// UntilEmpty runs until the run queue is empty.
func UntilEmpty() Policy { return PolicyFunc(func(CrankInfo) bool { return true }) }

// CrankLimit runs at most n cranks.
func CrankLimit(n int) Policy {
	return PolicyFunc(func(CrankInfo) bool {
		n--
		return n > 0
	})
}

// Run runs cranks until the run queue is empty or policy says stop, and
// returns how many ran. It does not commit.
func (k *Kernel) Run(policy Policy) (int, error) {
	n := 0
	for {
		info, ran, err := k.step()
		if err != nil {
			return n, err
		}
		if !ran {
			return n, nil
		}
		n++
		if !policy.Continue(info) {
			return n, nil
		}
	}
}

// Step runs one crank; it reports false when the run queue was empty.
func (k *Kernel) Step() (bool, error) {
	_, ran, err := k.step()
	return ran, err
}

// RunQueueLength returns how many items wait on the run queue.
func (k *Kernel) RunQueueLength() uint64 { return k.state.RunQueueLength() }

// crankOutcome says how to finish a crank after its item was processed.
type crankOutcome struct {
	info CrankInfo
	// abort rolls the crank back; consume then drops the item again, else
	// it stays at the head of the queue and is retried (to splat against
	// the terminated vat, as SwingSet does).
	abort, consume bool
	terminate      *termination
	// after runs in the finishing crank, after any rollback.
	after func()
}

type termination struct {
	vat    vat.ID
	reject bool
	info   state.CapData
}

func (k *Kernel) step() (info CrankInfo, ran bool, err error) {
	if k.failed != nil {
		return info, false, k.failed
	}
	err = k.crank("delivery", func() error {
		item, ok := k.state.PopRunQueue()
		if !ok {
			return errEmpty
		}
		ran = true
		k.emit(Event{Type: "crank-start", CrankType: item.Type, Item: &item})
		out := k.process(item)
		info = out.info
		if out.abort {
			k.store.AbortCrank()
			clear(k.maybeFree)
			k.store.BeginCrank()
			if out.consume {
				it, _ := k.state.PopRunQueue()
				k.decRefs(itemRefs(&it))
			}
		}
		if out.after != nil {
			out.after()
		}
		if t := out.terminate; t != nil {
			if err := k.terminateVat(t.vat, t.reject, t.info); err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, errEmpty) {
		return info, false, nil
	}
	return info, ran, err
}

var errEmpty = errors.New("run queue empty")

// hostCrank runs a change requested by the host as a crank of its own.
func (k *Kernel) hostCrank(body func() error) error {
	if k.failed != nil {
		return k.failed
	}
	return k.crank("host", body)
}

// crank runs body as one crank: committed whole to the block, or rolled
// back whole if body returns an error. A panic (a kernel bug or corrupt
// state) stops the kernel.
func (k *Kernel) crank(kind string, body func() error) (err error) {
	k.store.BeginCrank()
	defer func() {
		if r := recover(); r != nil {
			if k.store.InCrank() {
				k.store.AbortCrank()
			}
			clear(k.maybeFree)
			if e, ok := r.(error); ok {
				k.failed = fmt.Errorf("%w: %w", ErrPanicked, e)
			} else {
				k.failed = fmt.Errorf("%w: %v", ErrPanicked, r)
			}
			err = k.failed
		}
	}()
	if err := body(); err != nil {
		k.store.AbortCrank()
		clear(k.maybeFree)
		var fatal *fatalError
		if errors.As(err, &fatal) {
			k.failed = fmt.Errorf("%w: %w", ErrPanicked, err)
			return k.failed
		}
		return err
	}
	k.freeDeadPromises()
	k.state.IncrementCrankNumber()
	crankHash, activityHash, err := k.store.EndCrank()
	if err != nil {
		k.failed = fmt.Errorf("%w: %w", ErrPanicked, err)
		return k.failed
	}
	k.emit(Event{Type: "crank-finish", CrankType: kind, CrankHash: crankHash, ActivityHash: activityHash})
	k.crankNum++
	return nil
}

// fatalError stops the kernel (a critical vat failed).
type fatalError struct{ msg string }

func (e *fatalError) Error() string { return e.msg }

// process handles one run-queue item.
func (k *Kernel) process(item state.RunQueueItem) crankOutcome {
	switch item.Type {
	case "send":
		return k.processSend(item)
	case "notify":
		return k.processNotify(item)
	case "create-vat":
		return k.processCreateVat(item)
	case "terminate-vat":
		k.decRefs(itemRefs(&item))
		if k.state.IsLive(item.VatID) {
			return crankOutcome{terminate: &termination{vat: item.VatID, reject: item.Reject, info: *item.Info}}
		}
		return crankOutcome{}
	}
	k.bug("unknown run-queue item %q", item.Type)
	return crankOutcome{}
}

// processSend routes a message and delivers it, queues it on a promise, or
// rejects its result.
func (k *Kernel) processSend(item state.RunQueueItem) crankOutcome {
	defer k.decRefs(itemRefs(&item))
	msg := item.Msg
	id, target, ok := k.route(item.Target, msg)
	if !ok {
		return crankOutcome{}
	}
	h := k.vats[id]
	vtarget, ok := k.state.CListVRef(id, target)
	if !ok {
		k.bug("%s has no c-list entry for its target %s", id, target)
	}
	vd := vat.Delivery{Kind: vat.DeliverMessage, Target: vtarget, Methargs: k.capToVat(id, msg.Methargs)}
	if msg.Result != "" {
		k.state.SetDecider(msg.Result, id)
		vd.Result = k.toVat(id, msg.Result)
	}
	return k.deliverAndFinish(h, vd)
}

// route decides where a message goes: the vat and kernel object (or
// pipelined promise) to deliver to. It returns ok=false when the message was
// queued on a promise or its result was rejected.
func (k *Kernel) route(target vat.KRef, msg *state.Message) (vat.ID, vat.KRef, bool) {
	splat := func(data state.CapData) (vat.ID, vat.KRef, bool) {
		if msg.Result != "" {
			k.resolve(msg.Result, true, data)
		}
		return "", "", false
	}
	toObject := func(ko vat.KRef) (vat.ID, vat.KRef, bool) {
		owner, ok := k.state.ObjectOwner(ko)
		if !ok || k.vats[owner] == nil {
			return splat(kernelError("vat terminated"))
		}
		return owner, ko, true
	}
	switch target.Kind() {
	case vat.Object:
		return toObject(target)
	case vat.Promise:
		pr, ok := k.state.GetPromise(target)
		if !ok {
			k.bug("send to unknown promise %s", target)
		}
		switch pr.State {
		case state.Fulfilled:
			if ko, ok := singleObject(pr.Data); ok {
				return toObject(ko)
			}
			method, _ := methodOf(msg.Methargs)
			return splat(kernelError("data is not callable, has no method " + method))
		case state.Rejected:
			return splat(pr.Data)
		}
		if pr.Decider != "" {
			h := k.vats[pr.Decider]
			if h == nil {
				return splat(kernelError("vat terminated"))
			}
			if h.opts.EnablePipelining {
				return pr.Decider, target, true
			}
		}
		k.state.EnqueueOnPromise(target, *msg)
		k.incRefs(msgRefs(msg))
		return "", "", false
	}
	k.bug("send to %s", target)
	return "", "", false
}

// singleObject reports whether data is exactly one object reference.
func singleObject(data state.CapData) (vat.KRef, bool) {
	if len(data.Slots) != 1 || data.Slots[0].Kind() != vat.Object {
		return "", false
	}
	v, err := decodeKernel(data)
	if s, ok := v.(capdata.Slot); ok && err == nil {
		return vat.KRef(s.Ref), true
	}
	return "", false
}

// processNotify tells a subscriber how a promise settled.
func (k *Kernel) processNotify(item state.RunQueueItem) crankOutcome {
	defer k.decRefs(itemRefs(&item))
	h := k.vats[item.VatID]
	if h == nil {
		return crankOutcome{}
	}
	vpid, ok := k.state.CListVRef(item.VatID, item.KPID)
	if !ok {
		return crankOutcome{} // already told
	}
	pr, _ := k.state.GetPromise(item.KPID)
	if pr.State == state.Unresolved {
		k.bug("notify of unresolved %s", item.KPID)
	}
	res := vat.Resolution{VPID: vpid, Rejected: pr.State == state.Rejected, Data: k.capToVat(item.VatID, pr.Data)}
	// The vat retires the vpid once told; so does its c-list.
	k.dropCList(item.VatID, item.KPID)
	return k.deliverAndFinish(h, vat.Delivery{Kind: vat.DeliverNotify, Resolutions: []vat.Resolution{res}})
}

// deliverAndFinish delivers to h and decides, from how the delivery went,
// how the crank ends (SwingSet's deliveryCrankResults).
func (k *Kernel) deliverAndFinish(h *vatHandle, vd vat.Delivery) crankOutcome {
	out, d := k.deliver(h, vd)
	res := crankOutcome{info: CrankInfo{Delivered: h.id, Computrons: out.Computrons}}
	res.after = k.meterAfter(h, out.Computrons, &res)
	switch {
	case d.illegal != "":
		res.abort = true
		res.terminate = &termination{vat: h.id, reject: true, info: kernelError(d.illegal)}
	case out.Err != "":
		res.abort = true
		res.terminate = &termination{vat: h.id, reject: true, info: kernelError(out.Err)}
	case res.terminate != nil:
		res.abort = true // meter underflow
	case d.exit != nil:
		info := d.exit.info
		if d.exit.failure && len(info.Slots) > 0 {
			// The rollback forgets the refs the reason named.
			info = kernelError("vat exited with a failure reason holding references")
		}
		res.abort = d.exit.failure
		res.terminate = &termination{vat: h.id, reject: d.exit.failure, info: info}
	}
	return res
}
