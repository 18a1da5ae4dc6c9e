package kernel

import (
	"errors"
	"fmt"
	"slices"

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
	if k.opts.Stopper.Stopped() {
		k.failed = ErrInterrupted
		return info, false, k.failed
	}
	err = k.crank("delivery", func() error {
		item, ok := k.state.PopRunQueue()
		if !ok {
			return errEmpty
		}
		ran = true
		k.emit(Event{Type: EventCrankStart, CrankType: string(item.Type), Item: &item})
		out := k.process(item)
		info = out.info
		if out.abort {
			k.abortCrankChanges()
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
			return k.terminateVat(t.vat, t.reject, t.info)
		}
		return nil
	})
	if errors.Is(err, errEmpty) {
		return info, false, nil
	}
	return info, ran, err
}

var errEmpty = errors.New("kernel: run queue empty")

// hostCrank runs a change requested by the host as a crank of its own.
func (k *Kernel) hostCrank(body func() error) error {
	if k.failed != nil {
		return k.failed
	}
	return k.crank("host", body)
}

// crank runs body as one crank: committed whole to the block, or rolled
// back whole if body returns an error. A panic (a kernel bug or corrupt
// state) stops the kernel. Before the crank ends, the items it accepted
// are routed onto the run queue or promise queues.
func (k *Kernel) crank(kind string, body func() error) (err error) {
	k.store.BeginCrank()
	defer func() {
		if r := recover(); r != nil {
			if k.store.InCrank() {
				k.abortCrankChanges()
			}
			k.afterCommit = nil
			if e, ok := r.(error); ok && errors.Is(e, ErrInterrupted) {
				k.failed = ErrInterrupted
			} else if ok {
				k.failed = fmt.Errorf("%w: %w", ErrPanicked, e)
			} else {
				k.failed = fmt.Errorf("%w: %v", ErrPanicked, r)
			}
			err = k.failed
		}
	}()
	err = body()
	if err == nil && k.fatal != nil {
		err, k.fatal = k.fatal, nil
	}
	if err != nil {
		k.abortCrankChanges()
		k.afterCommit = nil
		var fatal *fatalError
		if errors.As(err, &fatal) {
			k.failed = fmt.Errorf("%w: %w", ErrPanicked, err)
			return k.failed
		}
		return err
	}
	k.drainAcceptance()
	k.freeDeadPromises()
	k.state.IncrementCrankNumber()
	crankHash, activityHash, err := k.store.EndCrank()
	if err != nil {
		k.failed = fmt.Errorf("%w: %w", ErrPanicked, err)
		return k.failed
	}
	for _, f := range k.afterCommit {
		f()
	}
	k.afterCommit = nil
	k.pageOut(true)
	k.emit(Event{Type: EventCrankFinish, CrankType: kind, CrankHash: crankHash, ActivityHash: activityHash})
	k.crankNum++
	return nil
}

// abortCrankChanges discards everything the current crank wrote.
func (k *Kernel) abortCrankChanges() {
	k.store.AbortCrank()
	clear(k.maybeFree)
	k.accepted = k.accepted[:0]
}

// fatalError stops the kernel (a critical vat failed).
type fatalError struct{ msg string }

func (e *fatalError) Error() string { return e.msg }

// process handles one run-queue item.
func (k *Kernel) process(item state.RunQueueItem) crankOutcome {
	switch item.Type {
	case state.ItemSend:
		return k.processSend(item)
	case state.ItemNotify:
		return k.processNotify(item)
	case state.ItemCreateVat:
		return k.processCreateVat(item)
	case state.ItemUpgradeVat:
		return k.processUpgradeVat(item)
	}
	k.bug("unknown run-queue item %q", item.Type)
	return crankOutcome{}
}

// drainAcceptance routes every item the crank accepted, in order, as
// SwingSet's routing cranks do between deliveries: a send goes to the run
// queue addressed to the object it will reach (or to the promise, for a
// pipelining decider), onto the queue of an unresolved promise, or splats
// (its result is rejected); other items go to the run queue. Routing may
// accept more items (a splat notifies); they are routed in turn.
func (k *Kernel) drainAcceptance() {
	for i := 0; i < len(k.accepted); i++ {
		item := k.accepted[i]
		if item.Type != state.ItemSend {
			k.state.PushRunQueue(item)
			continue
		}
		dest, queue, ok := k.routeTarget(item.Target, item.Msg)
		switch {
		case !ok:
			k.decRefs(itemRefs(&item))
		case queue:
			// The promise queue holds the message, not a reference to its target.
			k.state.EnqueueOnPromise(dest, *item.Msg)
			k.decRef(item.Target)
		default:
			if dest != item.Target {
				k.incRef(dest)
				k.decRef(item.Target)
				item.Target = dest
			}
			k.state.PushRunQueue(item)
		}
	}
	k.accepted = k.accepted[:0]
}

// processSend routes a message and delivers it, queues it on a promise, or
// rejects its result.
func (k *Kernel) processSend(item state.RunQueueItem) crankOutcome {
	defer k.decRefs(itemRefs(&item))
	msg := item.Msg
	target, queue, ok := k.routeTarget(item.Target, msg)
	if !ok {
		return crankOutcome{}
	}
	if queue {
		k.state.EnqueueOnPromise(target, *msg)
		k.incRefs(msgRefs(msg))
		return crankOutcome{}
	}
	var id vat.ID
	if target.Kind() == vat.Object {
		id, _ = k.state.ObjectOwner(target)
	} else {
		pr, _ := k.state.GetPromise(target)
		id = pr.Decider
	}
	h := k.liveVat(id)
	vtarget, ok := k.state.CListVRef(id, target)
	if !ok {
		k.bug("%s has no c-list entry for its target %s", id, target)
	}
	vd := vat.Delivery{Kind: vat.DeliverMessage, Target: vtarget, Methargs: k.capToVat(id, msg.Methargs)}
	if msg.Result != "" {
		k.state.SetDecider(msg.Result, id)
		vd.Result = k.toVat(id, msg.Result)
		if h.opts.EnablePipelining {
			// Messages already waiting on the result can now go to its
			// new decider (SwingSet's requeueKernelPromise).
			k.requeuePromise(msg.Result)
		}
	}
	return k.deliverAndFinish(h, vd)
}

// routeTarget decides where a message to target goes: to dest, a kernel
// object or the promise of a pipelining decider (queue false), or onto the
// queue of the unresolved promise dest (queue true). ok is false when the
// message splatted: its result was rejected.
func (k *Kernel) routeTarget(target vat.KRef, msg *state.Message) (dest vat.KRef, queue, ok bool) {
	splat := func(data state.CapData) (vat.KRef, bool, bool) {
		if msg.Result != "" {
			k.resolve(msg.Result, true, data)
		}
		return "", false, false
	}
	toObject := func(ko vat.KRef) (vat.KRef, bool, bool) {
		owner, ok := k.state.ObjectOwner(ko)
		if !ok || k.liveVat(owner) == nil {
			return splat(kernelError("vat terminated"))
		}
		return ko, false, true
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
			h := k.liveVat(pr.Decider)
			if h == nil {
				return splat(kernelError("vat terminated"))
			}
			if h.opts.EnablePipelining {
				return target, false, true
			}
		}
		return target, true, true
	}
	k.bug("send to %s", target)
	return "", false, false
}

// liveVat returns the running vat id, or nil once it is terminated (also
// within the crank that terminated it).
func (k *Kernel) liveVat(id vat.ID) *vatHandle {
	h := k.vats[id]
	if h == nil && k.state.IsLive(id) {
		h = k.bringOnline(id) // lazy loading
	}
	if h == nil || h.terminated {
		return nil
	}
	return h
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

// processNotify tells a subscriber how a promise settled, together with
// every already-settled promise its resolution names, transitively
// (SwingSet's getKpidsToRetire): the vat learns them in one batch and its
// c-list forgets them all.
func (k *Kernel) processNotify(item state.RunQueueItem) crankOutcome {
	defer k.decRefs(itemRefs(&item))
	h := k.liveVat(item.VatID)
	if h == nil {
		return crankOutcome{}
	}
	if _, ok := k.state.CListVRef(item.VatID, item.KPID); !ok {
		return crankOutcome{} // already told
	}
	pr, _ := k.state.GetPromise(item.KPID)
	if pr.State == state.Unresolved {
		k.bug("notify of unresolved %s", item.KPID)
	}
	targets := k.kpidsToRetire(item.KPID, pr)
	rs := make([]vat.Resolution, len(targets))
	for i, kp := range targets {
		tp, _ := k.state.GetPromise(kp)
		rs[i] = vat.Resolution{VPID: k.toVat(item.VatID, kp), Rejected: tp.State == state.Rejected, Data: k.capToVat(item.VatID, tp.Data)}
	}
	// The vat retires these vpids once told; so does its c-list.
	for _, kp := range targets {
		k.dropCList(item.VatID, kp)
	}
	return k.deliverAndFinish(h, vat.Delivery{Kind: vat.DeliverNotify, Resolutions: rs})
}

// kpidsToRetire lists root and the settled promises its data names,
// depth first, each once.
func (k *Kernel) kpidsToRetire(root vat.KRef, rootPromise state.Promise) []vat.KRef {
	seen := []vat.KRef{}
	var scan func(kp vat.KRef, data state.CapData)
	scan = func(kp vat.KRef, data state.CapData) {
		seen = append(seen, kp)
		for _, s := range data.Slots {
			if s.Kind() != vat.Promise || slices.Contains(seen, s) {
				continue
			}
			if p, ok := k.state.GetPromise(s); ok && p.State != state.Unresolved {
				scan(s, p.Data)
			}
		}
	}
	scan(root, rootPromise.Data)
	return seen
}

// deliverAndFinish delivers to h and decides, from how the delivery went,
// how the crank ends (SwingSet's deliveryCrankResults).
func (k *Kernel) deliverAndFinish(h *vatHandle, vd vat.Delivery) crankOutcome {
	out, d := k.deliver(h, vd)
	// The vat pays for its own work and for what its syscalls asked of the kernel.
	computrons := out.Computrons + d.computrons
	res := crankOutcome{info: CrankInfo{Delivered: h.id, Computrons: computrons}}
	res.after = k.meterAfter(h, computrons, &res)
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
