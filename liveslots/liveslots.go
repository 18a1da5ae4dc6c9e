// Package liveslots is the vat side of the kernel interface, shared by every
// kind of worker. It owns a vat's tables of exported objects, imported
// presences and promises; it turns each delivery into calls on language
// objects, and language-level sends, promise subscriptions and resolutions
// into syscalls.
//
// The language itself (Go vats, JavaScript engines) stays behind the [Face]
// interface: liveslots sees values as [capdata.Value] trees whose references
// are opaque language objects, compared by identity.
//
// Promise tracking follows SwingSet's liveslots (its vpid-tracking.md):
//   - registration maps a vpid to a language promise and back;
//   - exported vpids are promises the kernel knows and this vat decides: the
//     vat follows each one and resolves it with syscall.resolve when it
//     settles;
//   - imported vpids are promises the kernel knows and decides: the vat keeps
//     the functions that settle the language promise, for dispatch.notify;
//   - a promise first serialized into a send or a resolution is exported at
//     once; if it has already settled, its resolution goes to the kernel in
//     the same syscall.resolve batch, after the resolution that introduced it
//     (so the kernel always learns of a vpid before it is resolved);
//   - a vat that becomes the decider of a promise it imported (the result of
//     an inbound message) keeps the language promise it already handed out,
//     forwarding it to the method's result;
//   - a vpid is retired once resolved, by the vat or by a notify; a later send
//     of the same language promise allocates a new vpid.
package liveslots

import (
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/cooper-kernel/cooper/capdata"
	"github.com/cooper-kernel/cooper/vat"
)

// Face is the language side of liveslots.
type Face interface {
	// StartVat calls the vat's buildRootObject and returns its root object
	// (or a promise for it).
	StartVat(params capdata.Value) (root any, err error)
	// NewPresence makes the language object for an imported object or device node.
	NewPresence(ref vat.VRef, iface string) any
	// NewPromise makes an unresolved language promise and the function that
	// settles it; fulfilling it with another language promise adopts that one.
	NewPromise() (p any, settle func(rejected bool, v capdata.Value))
	// Classify tells whether v is a local remotable (with its interface name) or a
	// promise; ok is false for anything that cannot be sent by reference.
	Classify(v any) (kind capdata.SlotKind, iface string, ok bool)
	// Settled reports whether the language promise p has already settled, and how.
	Settled(p any) (rejected bool, v capdata.Value, ok bool)
	// Invoke calls method on a local object with args. The result may be a
	// promise; a synchronous throw is returned as a rejected promise.
	Invoke(obj any, method string, args []capdata.Value) any
	// Watch calls settled once v (a promise or a plain value) settles, from a
	// later turn of the vat's job queue.
	Watch(v any, settled func(rejected bool, v capdata.Value))
	// RunJobs runs the vat's job queue until it is empty.
	RunJobs()
	// Abort stops vat code at once: the delivery failed with err.
	Abort(err error)
}

// Follower is a Face that can invoke a method and follow its result in one
// step, for engines where each crossing costs: InvokeFollow does what
// Invoke, then Classify of the result, then Watch of it (WatchKey with key,
// for a Restorable face) would do, in that order, and reports whether the
// result is a promise.
type Follower interface {
	InvokeFollow(obj any, method string, args []capdata.Value, key string, settled func(rejected bool, v capdata.Value)) (res any, isPromise bool)
}

// Liveslots holds one vat's reference tables. It is used from one goroutine.
type Liveslots struct {
	id   vat.ID
	face Face
	sys  vat.Syscaller
	// failed is the first fatal error of the current delivery.
	failed error

	nextExport  uint64
	nextPromise uint64
	nextErrorID uint64
	// promiseBase is the first vpid number of this incarnation: vpids
	// below it were allocated by earlier incarnations (see startVat).
	promiseBase uint64

	// Registration: vref ↔ language object, for exports, imports and promises.
	slotToVal map[vat.VRef]any
	valToSlot map[any]vat.VRef
	// holders counts, per language object, the slotToVal entries holding
	// it: a value may stay there under a retired (pinned) or a second vref.
	holders map[any]int
	// dropped, when recorded (RecordDropped), are the language objects
	// that may have stopped being held since TakeDropped last ran.
	dropped       []any
	recordDropped bool
	// exportedVPIDs are kernel-known promises this vat decides.
	exportedVPIDs map[vat.VRef]any
	// importedVPIDs are kernel-known promises the kernel decides.
	importedVPIDs map[vat.VRef]*promiseRecord
	// pinned are the vpids the vat's virtual data (its vatstore) refers to:
	// retiring one keeps its language promise for later reads.
	pinned map[vat.VRef]bool
	// importing collects the promises imported while a notify is decoded;
	// nil outside a notify (imports are then subscribed at once).
	importing map[vat.VRef]bool

	marshaller capdata.Marshaller
	started    bool
}

type promiseRecord struct {
	handle any
	settle func(rejected bool, v capdata.Value)
}

// New returns the liveslots of vat id speaking to the language through face.
func New(id vat.ID, face Face) *Liveslots {
	ls := &Liveslots{
		id:            id,
		face:          face,
		nextExport:    1,
		nextPromise:   1,
		nextErrorID:   70_000,
		slotToVal:     map[vat.VRef]any{},
		valToSlot:     map[any]vat.VRef{},
		holders:       map[any]int{},
		exportedVPIDs: map[vat.VRef]any{},
		importedVPIDs: map[vat.VRef]*promiseRecord{},
		pinned:        map[vat.VRef]bool{},
	}
	ls.marshaller = capdata.Marshaller{ToSlot: ls.toSlot, FromSlot: ls.fromSlot, ErrorID: ls.errorID}
	return ls
}

// incarnationVPIDShift places each incarnation's vpids in a range of its own.
const incarnationVPIDShift = 40

// ErrAborted is returned by syscall helpers after the delivery has failed.
var ErrAborted = errors.New("liveslots: delivery aborted")

// Deliver runs one delivery to completion and returns "" or why it failed.
func (ls *Liveslots) Deliver(d vat.Delivery, sys vat.Syscaller) string {
	ls.sys = sys
	ls.failed = nil
	defer func() { ls.sys = nil }()
	var err error
	switch d.Kind {
	case vat.DeliverStartVat:
		err = ls.startVat(d.VatParameters, d.Incarnation)
	case vat.DeliverMessage:
		err = ls.deliverMessage(d.Target, d.Methargs, d.Result)
	case vat.DeliverNotify:
		err = ls.notify(d.Resolutions)
	default:
		err = fmt.Errorf("unknown delivery %q", d.Kind)
	}
	if err == nil && ls.failed == nil {
		ls.face.RunJobs()
	}
	if ls.failed != nil {
		return ls.failed.Error()
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

// fail records the first fatal error and stops vat code.
func (ls *Liveslots) fail(err error) {
	if ls.failed == nil {
		ls.failed = err
		ls.face.Abort(err)
	}
}

// Fail ends the current delivery with err (the worker calls it when vat code
// cannot go on: meter exhausted, stack overflow).
func (ls *Liveslots) Fail(err error) { ls.fail(err) }

// Failed reports the fatal error of the current delivery, if any.
func (ls *Liveslots) Failed() error { return ls.failed }

func (ls *Liveslots) syscall(s vat.Syscall) (vat.SyscallResult, bool) {
	if ls.failed != nil || ls.sys == nil {
		if ls.failed == nil {
			ls.fail(fmt.Errorf("syscall %s outside a delivery", s.Kind))
		}
		return vat.SyscallResult{}, false
	}
	r := ls.sys(s)
	if r.Err != "" {
		ls.fail(fmt.Errorf("syscall.%s failed: %s", s.Kind, r.Err))
		return r, false
	}
	return r, true
}

// errorID names the next error this vat serializes, as Endo's marshal does
// for liveslots (marshalName "liveSlots:vNN", numbers from 70001).
func (ls *Liveslots) errorID() string {
	ls.nextErrorID++
	return "error:liveSlots:" + string(ls.id) + "#" + strconv.FormatUint(ls.nextErrorID, 10)
}

func (ls *Liveslots) startVat(params vat.CapData, incarnation uint64) error {
	if ls.started {
		return errors.New("startVat delivered twice")
	}
	ls.started = true
	if incarnation > 0 {
		// Each incarnation allocates its vpids from its own range, so that
		// promises an earlier incarnation sent (and the kernel still
		// decides, for durable watchers) are never allocated again.
		ls.promiseBase = incarnation << incarnationVPIDShift
		ls.nextPromise = ls.promiseBase + 1
	}
	// The bundle's module body runs first, inside the delivery.
	if e, ok := ls.face.(Evaluator); ok {
		if err := e.Evaluate(); err != nil {
			return err
		}
	}
	p, err := ls.unserialize(params)
	if err != nil {
		return fmt.Errorf("vatParameters: %w", err)
	}
	if incarnation > 0 {
		// An upgrade: the language drops the old incarnation's virtual
		// (non-durable) data before the new code runs.
		if err := ls.durableHook("upgrade"); err != nil {
			return fmt.Errorf("upgrade: %w", err)
		}
	}
	root, err := ls.face.StartVat(p)
	var evalErr *EvaluationError
	if errors.As(err, &evalErr) {
		return err
	}
	if err != nil {
		return fmt.Errorf("buildRootObject failed: %w", err)
	}
	var rootErr error
	set := func(v any) {
		if kind, _, ok := ls.face.Classify(v); !ok || kind != capdata.Remotable {
			rootErr = fmt.Errorf("buildRootObject() for vat %s returned %s, which is not Far", ls.id, describe(v))
			return
		}
		ls.register(vat.RootVRef, v)
	}
	if kind, _, ok := ls.face.Classify(root); ok && kind == capdata.Promise {
		settled := false
		ls.face.Watch(root, func(rejected bool, v capdata.Value) {
			settled = true
			if rejected {
				rootErr = fmt.Errorf("buildRootObject failed: %s", capdata.Format(v))
				return
			}
			set(v)
		})
		ls.face.RunJobs()
		if !settled && ls.failed == nil {
			return errors.New("Error: buildRootObject unresolved")
		}
	} else {
		set(root)
	}
	if rootErr == nil && ls.failed == nil && incarnation > 0 {
		rootErr = ls.durableHook("upgraded")
	}
	return rootErr
}

// describe names a value for error messages without Go type names.
func describe(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case capdata.Undefined:
		return "undefined"
	case bool:
		return "a boolean"
	case float64:
		return "a number"
	case string:
		return "a string"
	case []capdata.Value:
		return "an array"
	case *capdata.Record:
		return "a record"
	case *capdata.Error:
		return "an error"
	}
	return "a non-remotable value"
}

// register records that vref designates the language object v.
func (ls *Liveslots) register(vref vat.VRef, v any) {
	ls.setSlot(vref, v)
	ls.valToSlot[v] = vref
}

// unregister forgets a retired vpid. A vpid the vat's virtual data refers
// to still reads back as its (settled) language promise; a later send of
// that promise allocates a new vpid all the same.
func (ls *Liveslots) unregister(vpid vat.VRef) {
	if v, ok := ls.slotToVal[vpid]; ok {
		if ls.valToSlot[v] == vpid {
			ls.deleteVal(v)
		}
		if !ls.pinned[vpid] {
			ls.deleteSlot(vpid)
		}
	}
}

// setSlot makes vref designate v in slotToVal.
func (ls *Liveslots) setSlot(vref vat.VRef, v any) {
	if old, ok := ls.slotToVal[vref]; ok {
		if old == v {
			return
		}
		ls.unhold(old)
	}
	ls.slotToVal[vref] = v
	ls.holders[v]++
}

// deleteSlot removes vref from slotToVal.
func (ls *Liveslots) deleteSlot(vref vat.VRef) {
	if old, ok := ls.slotToVal[vref]; ok {
		delete(ls.slotToVal, vref)
		ls.unhold(old)
	}
}

// deleteVal removes v from valToSlot.
func (ls *Liveslots) deleteVal(v any) {
	delete(ls.valToSlot, v)
	ls.noteDropped(v)
}

// unhold counts one slotToVal entry less holding v.
func (ls *Liveslots) unhold(v any) {
	if n := ls.holders[v] - 1; n > 0 {
		ls.holders[v] = n
	} else {
		delete(ls.holders, v)
	}
	ls.noteDropped(v)
}

func (ls *Liveslots) noteDropped(v any) {
	if ls.recordDropped {
		ls.dropped = append(ls.dropped, v)
	}
}

// RecordDropped makes liveslots note the language objects it may stop
// holding, for TakeDropped: a worker that keeps objects on the language's
// side while liveslots holds them learns which to check, rather than
// asking about every one after each delivery.
func (ls *Liveslots) RecordDropped() { ls.recordDropped = true }

// TakeDropped returns the language objects liveslots may have stopped
// holding (see Holds) since it last returned, and forgets them; one may be
// listed more than once, or be held again.
func (ls *Liveslots) TakeDropped() []any {
	d := ls.dropped
	ls.dropped = nil
	return d
}

func (ls *Liveslots) deliverMessage(target vat.VRef, methargs vat.CapData, result vat.VRef) error {
	obj, ok := ls.slotToVal[target]
	if !ok && target.Virtual() {
		v, err := ls.reanimate(target)
		if err != nil {
			return fmt.Errorf("message to %s: %w", target, err)
		}
		obj, ok = v, true
	}
	if !ok || !target.Allocated() || target.Kind() != vat.Object {
		return fmt.Errorf("message to unknown export %s", target)
	}
	method, args, err := ls.marshaller.DecodeMethargs(methargs.Capdata())
	if err != nil {
		return fmt.Errorf("message to %s: %w", target, err)
	}
	if ls.failed != nil {
		return nil
	}
	if result != "" && result.Kind() != vat.Promise {
		return fmt.Errorf("message result %s is not a promise", result)
	}
	if f, ok := ls.face.(Follower); ok && result != "" {
		if _, imported := ls.importedVPIDs[result]; !imported {
			return ls.invokeFollow(f, obj, method, args, result)
		}
	}
	res := ls.face.Invoke(obj, method, args)
	if result == "" || ls.failed != nil {
		return nil
	}
	p := res
	if rec, ok := ls.importedVPIDs[result]; ok {
		// We imported this promise earlier and now decide it: keep the
		// language promise the vat already holds, forwarded to the result.
		delete(ls.importedVPIDs, result)
		rec.settle(false, res)
		p = rec.handle
	} else if kind, _, ok := ls.face.Classify(res); ok && kind == capdata.Promise {
		ls.register(result, res)
	}
	ls.followForKernel(result, p)
	return nil
}

// invokeFollow is the rest of deliverMessage through a Follower, for a
// result the vat did not import before: what Invoke, Classify and
// followForKernel do.
func (ls *Liveslots) invokeFollow(f Follower, obj any, method string, args []capdata.Value, result vat.VRef) error {
	res, isPromise := f.InvokeFollow(obj, method, args, followKey(result), func(rejected bool, v capdata.Value) { ls.followed(result, rejected, v) })
	if ls.failed != nil {
		return nil
	}
	if _, imported := ls.importedVPIDs[result]; imported {
		// Nothing the method can do imports its own result vpid: the
		// kernel names it for this message only.
		return fmt.Errorf("message result %s was imported during its own delivery", result)
	}
	if isPromise {
		ls.register(result, res)
	}
	ls.exportedVPIDs[result] = res
	return nil
}

// followForKernel makes vpid an exported promise: when p settles, the vat
// resolves vpid (with any already-settled promises its resolution names).
func (ls *Liveslots) followForKernel(vpid vat.VRef, p any) {
	ls.exportedVPIDs[vpid] = p
	ls.watch(p, followKey(vpid), func(rejected bool, v capdata.Value) { ls.followed(vpid, rejected, v) })
}

// followed resolves the exported vpid once its language promise settled.
func (ls *Liveslots) followed(vpid vat.VRef, rejected bool, v capdata.Value) {
	if ls.failed != nil {
		return
	}
	if _, ok := ls.exportedVPIDs[vpid]; !ok {
		return
	}
	rs := ls.newCollector()
	rs.collect(vpid, rejected, v)
	ls.emitResolutions(rs.out, nil)
}

// collector gathers a batch of resolutions: a primary one, then every promise
// its data names that the kernel does not know yet and that has already
// settled (SwingSet's resolutionCollector).
type collector struct {
	ls   *Liveslots
	out  []vat.Resolution
	done map[vat.VRef]bool
}

func (ls *Liveslots) newCollector() *collector {
	return &collector{ls: ls, done: map[vat.VRef]bool{}}
}

func (c *collector) collect(vpid vat.VRef, rejected bool, v capdata.Value) {
	ls := c.ls
	c.done[vpid] = true
	data, err := ls.serialize(v)
	if err != nil {
		data, _ = ls.serialize(&capdata.Error{Name: "TypeError", Message: err.Error()})
		rejected = true
	}
	c.out = append(c.out, vat.Resolution{VPID: vpid, Rejected: rejected, Data: data})
	c.scan(data.Slots)
}

// scan collects the resolutions of settled promises in slots that the
// kernel has not been told about.
func (c *collector) scan(slots []vat.VRef) {
	ls := c.ls
	for _, s := range slots {
		if s.Kind() != vat.Promise || c.done[s] || ls.kernelKnows(s) {
			continue
		}
		p, ok := ls.slotToVal[s]
		if !ok {
			continue
		}
		if rejected, v, ok := ls.face.Settled(p); ok {
			c.collect(s, rejected, v)
		}
	}
}

func (ls *Liveslots) kernelKnows(vpid vat.VRef) bool {
	if _, ok := ls.exportedVPIDs[vpid]; ok {
		return true
	}
	_, ok := ls.importedVPIDs[vpid]
	return ok
}

// emitResolutions sends a batch of resolutions, retires the vpids it
// resolved, and exports every other promise named by the batch or by the
// slots of the syscall that preceded it.
func (ls *Liveslots) emitResolutions(rs []vat.Resolution, mentioned []vat.VRef) {
	maybeNew := map[vat.VRef]bool{}
	for _, s := range mentioned {
		maybeNew[s] = true
	}
	if len(rs) > 0 {
		if _, ok := ls.syscall(vat.Syscall{Kind: vat.SysResolve, Resolutions: rs}); !ok {
			return
		}
		for _, r := range rs {
			for _, s := range r.Data.Slots {
				maybeNew[s] = true
			}
		}
		for _, r := range rs {
			delete(maybeNew, r.VPID)
			delete(ls.exportedVPIDs, r.VPID)
			ls.unregister(r.VPID)
		}
	}
	for _, vpid := range sortedRefs(maybeNew) {
		ls.maybeExportPromise(vpid)
	}
}

// maybeExportPromise follows a vpid the kernel has just been told about.
func (ls *Liveslots) maybeExportPromise(vref vat.VRef) {
	if vref.Kind() != vat.Promise || ls.kernelKnows(vref) {
		return
	}
	if p, ok := ls.slotToVal[vref]; ok {
		ls.followForKernel(vref, p)
	}
}

func sortedRefs(set map[vat.VRef]bool) []vat.VRef {
	out := make([]vat.VRef, 0, len(set))
	for r := range set {
		out = append(out, r)
	}
	slices.Sort(out)
	return out
}

func (ls *Liveslots) notify(rs []vat.Resolution) error {
	ls.importing = map[vat.VRef]bool{}
	defer func() { ls.importing = nil }()
	var retired []vat.VRef
	for _, r := range rs {
		if r.VPID.Kind() != vat.Promise {
			return fmt.Errorf("notify of non-promise %s", r.VPID)
		}
		rec, ok := ls.importedVPIDs[r.VPID]
		if !ok {
			continue // stale: we became its decider, or never asked
		}
		v, err := ls.unserialize(r.Data)
		if err != nil {
			return fmt.Errorf("notify %s: %w", r.VPID, err)
		}
		rec.settle(r.Rejected, v)
		retired = append(retired, r.VPID)
	}
	for _, vpid := range retired {
		ls.unregister(vpid)
		delete(ls.importedVPIDs, vpid)
		delete(ls.importing, vpid)
	}
	for _, vpid := range sortedRefs(ls.importing) {
		if _, ok := ls.importedVPIDs[vpid]; ok {
			ls.syscall(vat.Syscall{Kind: vat.SysSubscribe, VPID: vpid})
		}
	}
	return nil
}

// Send sends method(args) to target, which must be a presence or a promise
// the kernel knows; it returns the language promise for the result.
func (ls *Liveslots) Send(target vat.VRef, method string, args []capdata.Value) any {
	p, settle := ls.face.NewPromise()
	methargs, err := ls.encodeMethargs(method, args)
	if err != nil {
		settle(true, &capdata.Error{Name: "TypeError", Message: err.Error()})
		return p
	}
	result := ls.allocatePromiseID()
	ls.importedVPIDs[result] = &promiseRecord{handle: p, settle: settle}
	ls.register(result, p)
	if _, ok := ls.syscall(vat.Syscall{Kind: vat.SysSend, Target: target, Methargs: methargs, Result: result}); !ok {
		return p
	}
	ls.afterSend(methargs.Slots)
	ls.syscall(vat.Syscall{Kind: vat.SysSubscribe, VPID: result})
	return p
}

// afterSend tells the kernel how the already-settled promises among slots
// ended, and follows the others.
func (ls *Liveslots) afterSend(slots []vat.VRef) {
	c := ls.newCollector()
	c.scan(slots)
	ls.emitResolutions(c.out, slots)
}

// SendOnly sends method(args) to target without asking for a result.
func (ls *Liveslots) SendOnly(target vat.VRef, method string, args []capdata.Value) error {
	methargs, err := ls.encodeMethargs(method, args)
	if err != nil {
		return err
	}
	if _, ok := ls.syscall(vat.Syscall{Kind: vat.SysSend, Target: target, Methargs: methargs}); ok {
		ls.afterSend(methargs.Slots)
	}
	return nil
}

func (ls *Liveslots) encodeMethargs(method string, args []capdata.Value) (vat.CapData, error) {
	if args == nil {
		args = []capdata.Value{}
	}
	return ls.serialize([]capdata.Value{method, args})
}

func (ls *Liveslots) allocatePromiseID() vat.VRef {
	r := vat.MakeVRef(vat.Promise, true, ls.nextPromise)
	ls.nextPromise++
	return r
}

// CallNow invokes a device node synchronously and returns its answer.
// Promises cannot be passed to or from devices.
func (ls *Liveslots) CallNow(device vat.VRef, method string, args []capdata.Value) (capdata.Value, error) {
	if args == nil {
		args = []capdata.Value{}
	}
	data, err := ls.serialize(args)
	if err != nil {
		return nil, err
	}
	for _, s := range data.Slots {
		if s.Kind() == vat.Promise {
			return nil, errors.New("device calls cannot carry promises")
		}
	}
	r, ok := ls.syscall(vat.Syscall{Kind: vat.SysCallNow, Target: device, Method: method, Methargs: data})
	if !ok {
		return nil, ErrAborted
	}
	return ls.unserialize(r.Data)
}

// RefOf returns the vref under which the kernel knows v: an imported
// presence or device node, or a promise whose resolution the kernel will
// tell us (so sends to it can be pipelined through the kernel). ok is false
// for local objects and local promises.
func (ls *Liveslots) RefOf(v any) (ref vat.VRef, ok bool) {
	r, ok := ls.valToSlot[v]
	if !ok {
		return "", false
	}
	switch {
	case r.Kind() == vat.Promise:
		_, imported := ls.importedVPIDs[r]
		return r, imported
	case !r.Allocated():
		return r, true
	}
	return "", false
}

// Holds reports whether liveslots still refers to the language object v
// (an export, an import, a promise the kernel knows). A worker that keeps
// language objects in tables for liveslots may drop the others after a
// delivery.
func (ls *Liveslots) Holds(v any) bool {
	if _, ok := ls.valToSlot[v]; ok {
		return true
	}
	return ls.holders[v] > 0 // v under a retired (pinned) or a second vref
}

// Exit ends the vat: a clean exit with a completion value, or a failure with a reason.
func (ls *Liveslots) Exit(failure bool, info capdata.Value) {
	data, err := ls.serialize(info)
	if err != nil {
		data, _ = ls.serialize(&capdata.Error{Name: "TypeError", Message: err.Error()})
	}
	ls.syscall(vat.Syscall{Kind: vat.SysExit, Failure: failure, Info: data})
}

// VatstoreGet reads the vat's own durable store.
func (ls *Liveslots) VatstoreGet(key string) (string, bool) {
	r, ok := ls.syscall(vat.Syscall{Kind: vat.SysVatstoreGet, Key: key})
	return r.Value, ok && r.Found
}

// VatstoreSet writes the vat's own durable store.
func (ls *Liveslots) VatstoreSet(key, value string) {
	ls.syscall(vat.Syscall{Kind: vat.SysVatstoreSet, Key: key, Value: value})
}

// VatstoreDelete deletes from the vat's own durable store.
func (ls *Liveslots) VatstoreDelete(key string) {
	ls.syscall(vat.Syscall{Kind: vat.SysVatstoreDelete, Key: key})
}

// VatstoreGetNextKey returns the first key of the vat's store after prev.
func (ls *Liveslots) VatstoreGetNextKey(prev string) (string, bool) {
	r, ok := ls.syscall(vat.Syscall{Kind: vat.SysVatstoreGetNextKey, Key: prev})
	return r.Value, ok && r.Found
}

// Serialize encodes v, allocating refs for local objects and promises it contains.
func (ls *Liveslots) Serialize(v capdata.Value) (vat.CapData, error) { return ls.serialize(v) }

// SerializeForStore encodes v for the vat's own vatstore (virtual data):
// as Serialize, and the promises it names stay readable after they settle.
func (ls *Liveslots) SerializeForStore(v capdata.Value) (vat.CapData, error) {
	cd, err := ls.serialize(v)
	if err == nil {
		for _, s := range cd.Slots {
			if s.Kind() == vat.Promise {
				ls.pinned[s] = true
			}
		}
	}
	return cd, err
}

func (ls *Liveslots) serialize(v capdata.Value) (vat.CapData, error) {
	cd, err := ls.marshaller.Encode(v)
	if err != nil {
		return vat.CapData{}, err
	}
	return vat.FromCapdata(cd), nil
}

func (ls *Liveslots) unserialize(cd vat.CapData) (capdata.Value, error) {
	return ls.marshaller.Decode(cd.Capdata())
}

func (ls *Liveslots) toSlot(v any) (capdata.Slot, error) {
	kind, iface, ok := ls.face.Classify(v)
	if r, known := ls.valToSlot[v]; known {
		if r.Kind() == vat.Promise {
			return capdata.Slot{Ref: string(r), Kind: capdata.Promise}, nil
		}
		return capdata.Slot{Ref: string(r), Kind: capdata.Remotable, Iface: iface}, nil
	}
	if !ok {
		return capdata.Slot{}, fmt.Errorf("cannot pass %s", describe(v))
	}
	if kind == capdata.Remotable {
		r := vat.MakeVRef(vat.Object, true, ls.nextExport)
		ls.nextExport++
		ls.register(r, v)
		return capdata.Slot{Ref: string(r), Kind: capdata.Remotable, Iface: iface}, nil
	}
	// A new promise: the caller's syscall tells the kernel about it, and
	// the vat then follows it (or resolves it in the same batch).
	r := ls.allocatePromiseID()
	ls.register(r, v)
	return capdata.Slot{Ref: string(r), Kind: capdata.Promise}, nil
}

func (ls *Liveslots) fromSlot(s capdata.Slot) (any, error) {
	r, err := vat.ParseVRef(s.Ref)
	if err != nil {
		return nil, err
	}
	if (r.Kind() == vat.Promise) != (s.Kind == capdata.Promise) {
		return nil, fmt.Errorf("slot %s used as the wrong kind of reference", r)
	}
	if v, ok := ls.slotToVal[r]; ok {
		return v, nil
	}
	switch r.Kind() {
	case vat.Object, vat.Device:
		if r.Virtual() {
			return ls.reanimate(r)
		}
		if r.Allocated() {
			return nil, fmt.Errorf("I don't remember allocating %s", r)
		}
		p := ls.face.NewPresence(r, s.Iface)
		ls.register(r, p)
		return p, nil
	default:
		if r.Allocated() && r.Num() >= ls.promiseBase {
			return nil, fmt.Errorf("I don't remember allocating %s", r)
		}
		// An import, or a promise an earlier incarnation sent that the
		// kernel decides (revived by a durable promise watcher).
		p, settle := ls.face.NewPromise()
		ls.importedVPIDs[r] = &promiseRecord{handle: p, settle: settle}
		ls.register(r, p)
		if ls.importing != nil {
			ls.importing[r] = true // subscribed when the notify is decoded
		} else {
			ls.syscall(vat.Syscall{Kind: vat.SysSubscribe, VPID: r})
		}
		return p, nil
	}
}
