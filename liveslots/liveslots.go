// Package liveslots is the vat side of the kernel interface, shared by every
// kind of worker. It owns a vat's tables of exported objects, imported
// presences and promises; it turns each delivery into calls on language
// objects, and language-level sends, promise subscriptions and resolutions
// into syscalls.
//
// The language itself (Go vats, JavaScript on goja) stays behind the [Face]
// interface: liveslots sees values as [capdata.Value] trees whose references
// are opaque language objects, compared by identity.
//
// Semantics follow SwingSet's liveslots:
//   - a local remotable gets o+N the first time it is sent, and keeps it;
//   - a local promise gets p+N the first time it is sent; the vat becomes its
//     decider and resolves it with syscall.resolve when it settles;
//   - the result of an outgoing send is a fresh p+N the vat subscribes to;
//   - an imported promise p-N is subscribed to when first seen;
//   - a promise ref is retired (forgotten) once it is resolved, by the vat or by
//     a notify; a later send of the same language promise allocates a new ref.
package liveslots

import (
	"errors"
	"fmt"

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
	// NewPromise makes an unresolved language promise and the function that settles it.
	NewPromise() (p any, settle func(rejected bool, v capdata.Value))
	// Classify tells whether v is a local remotable (with its interface name) or a
	// promise; ok is false for anything that cannot be sent by reference.
	Classify(v any) (kind capdata.SlotKind, iface string, ok bool)
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

// Liveslots holds one vat's reference tables. It is used from one goroutine.
type Liveslots struct {
	id   vat.ID
	face Face
	sys  vat.Syscaller
	// failed is the first fatal error of the current delivery.
	failed error

	nextExport  uint64
	nextPromise uint64

	exports   map[vat.VRef]any
	exportIDs map[any]vat.VRef
	imports   map[vat.VRef]any
	importIDs map[any]vat.VRef
	promises  map[vat.VRef]*promiseRecord
	promiseID map[any]vat.VRef

	marshaller capdata.Marshaller
	started    bool
}

type promiseRecord struct {
	handle any
	// settle is set for promises the kernel will notify us about.
	settle func(rejected bool, v capdata.Value)
}

// New returns the liveslots of vat id speaking to the language through face.
func New(id vat.ID, face Face) *Liveslots {
	ls := &Liveslots{
		id:          id,
		face:        face,
		nextExport:  1,
		nextPromise: 1,
		exports:     map[vat.VRef]any{},
		exportIDs:   map[any]vat.VRef{},
		imports:     map[vat.VRef]any{},
		importIDs:   map[any]vat.VRef{},
		promises:    map[vat.VRef]*promiseRecord{},
		promiseID:   map[any]vat.VRef{},
	}
	ls.marshaller = capdata.Marshaller{ToSlot: ls.toSlot, FromSlot: ls.fromSlot}
	return ls
}

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
		err = ls.startVat(d.VatParameters)
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

func (ls *Liveslots) startVat(params vat.CapData) error {
	if ls.started {
		return errors.New("startVat delivered twice")
	}
	ls.started = true
	p, err := ls.unserialize(params)
	if err != nil {
		return fmt.Errorf("vatParameters: %w", err)
	}
	root, err := ls.face.StartVat(p)
	if err != nil {
		return fmt.Errorf("buildRootObject failed: %w", err)
	}
	var rootErr error
	set := func(v any) {
		if kind, _, ok := ls.face.Classify(v); !ok || kind != capdata.Remotable {
			rootErr = fmt.Errorf("buildRootObject() for vat %s returned %s, which is not Far", ls.id, describe(v))
			return
		}
		ls.exports[vat.RootVRef] = v
		ls.exportIDs[v] = vat.RootVRef
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
			return errors.New("buildRootObject() returned a promise that did not settle")
		}
	} else {
		set(root)
	}
	return rootErr
}

func describe(v any) string {
	if v == nil {
		return "null"
	}
	if _, ok := v.(capdata.Undefined); ok {
		return "undefined"
	}
	return fmt.Sprintf("a %T", v)
}

func (ls *Liveslots) deliverMessage(target vat.VRef, methargs vat.CapData, result vat.VRef) error {
	obj, ok := ls.exports[target]
	if !ok {
		return fmt.Errorf("message to unknown export %s", target)
	}
	method, args, err := ls.marshaller.DecodeMethargs(toCapdata(methargs))
	if err != nil {
		return fmt.Errorf("message to %s: %w", target, err)
	}
	if ls.failed != nil {
		return nil
	}
	res := ls.face.Invoke(obj, method, args)
	if result == "" {
		return nil
	}
	if result.Kind() != vat.Promise {
		return fmt.Errorf("message result %s is not a promise", result)
	}
	// We decide the result promise now: remember it so that the vat's own
	// references to the language promise serialize as this vpid.
	if kind, _, ok := ls.face.Classify(res); ok && kind == capdata.Promise {
		if _, known := ls.promiseID[res]; !known {
			ls.promiseID[res] = result
			ls.promises[result] = &promiseRecord{handle: res}
		}
	}
	ls.face.Watch(res, func(rejected bool, v capdata.Value) {
		ls.resolve(result, rejected, v)
	})
	return nil
}

// resolve tells the kernel how a promise we decide settled, then retires it.
func (ls *Liveslots) resolve(vpid vat.VRef, rejected bool, v capdata.Value) {
	if ls.failed != nil {
		return
	}
	data, err := ls.serialize(v)
	if err != nil {
		data, _ = ls.serialize(&capdata.Error{Name: "TypeError", Message: err.Error()})
		rejected = true
	}
	if rec, ok := ls.promises[vpid]; ok {
		delete(ls.promiseID, rec.handle)
		delete(ls.promises, vpid)
	}
	ls.syscall(vat.Syscall{Kind: vat.SysResolve, Resolutions: []vat.Resolution{{VPID: vpid, Rejected: rejected, Data: data}}})
}

func (ls *Liveslots) notify(rs []vat.Resolution) error {
	// Decode everything first: resolutions may refer to each other.
	type settled struct {
		rec      *promiseRecord
		rejected bool
		v        capdata.Value
	}
	var todo []settled
	for _, r := range rs {
		rec, ok := ls.promises[r.VPID]
		if !ok || rec.settle == nil {
			return fmt.Errorf("notify of unknown promise %s", r.VPID)
		}
		delete(ls.promises, r.VPID)
		delete(ls.promiseID, rec.handle)
		v, err := ls.unserialize(r.Data)
		if err != nil {
			return fmt.Errorf("notify %s: %w", r.VPID, err)
		}
		todo = append(todo, settled{rec, r.Rejected, v})
	}
	for _, s := range todo {
		s.rec.settle(s.rejected, s.v)
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
	result := vat.MakeVRef(vat.Promise, true, ls.nextPromise)
	ls.nextPromise++
	ls.promises[result] = &promiseRecord{handle: p, settle: settle}
	ls.promiseID[p] = result
	if _, ok := ls.syscall(vat.Syscall{Kind: vat.SysSend, Target: target, Methargs: methargs, Result: result}); !ok {
		return p
	}
	ls.syscall(vat.Syscall{Kind: vat.SysSubscribe, VPID: result})
	return p
}

// SendOnly sends method(args) to target without asking for a result.
func (ls *Liveslots) SendOnly(target vat.VRef, method string, args []capdata.Value) error {
	methargs, err := ls.encodeMethargs(method, args)
	if err != nil {
		return err
	}
	ls.syscall(vat.Syscall{Kind: vat.SysSend, Target: target, Methargs: methargs})
	return nil
}

func (ls *Liveslots) encodeMethargs(method string, args []capdata.Value) (vat.CapData, error) {
	if args == nil {
		args = []capdata.Value{}
	}
	return ls.serialize([]capdata.Value{method, args})
}

// CallNow invokes a device node synchronously and returns its answer.
func (ls *Liveslots) CallNow(device vat.VRef, method string, args []capdata.Value) (capdata.Value, error) {
	if args == nil {
		args = []capdata.Value{}
	}
	data, err := ls.serialize(args)
	if err != nil {
		return nil, err
	}
	r, ok := ls.syscall(vat.Syscall{Kind: vat.SysCallNow, Target: device, Method: method, Methargs: data})
	if !ok {
		return nil, ErrAborted
	}
	return ls.unserialize(r.Data)
}

// RefOf returns the vref under which the kernel knows v: an imported
// presence, or a promise whose resolution the kernel will tell us.
// ok is false for local objects and local promises.
func (ls *Liveslots) RefOf(v any) (ref vat.VRef, ok bool) {
	if r, ok := ls.importIDs[v]; ok {
		return r, true
	}
	if r, ok := ls.promiseID[v]; ok {
		if rec := ls.promises[r]; rec != nil && rec.settle != nil {
			return r, true
		}
	}
	return "", false
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

func (ls *Liveslots) serialize(v capdata.Value) (vat.CapData, error) {
	cd, err := ls.marshaller.Encode(v)
	if err != nil {
		return vat.CapData{}, err
	}
	return fromCapdata(cd), nil
}

func (ls *Liveslots) unserialize(cd vat.CapData) (capdata.Value, error) {
	return ls.marshaller.Decode(toCapdata(cd))
}

func (ls *Liveslots) toSlot(v any) (capdata.Slot, error) {
	if r, ok := ls.exportIDs[v]; ok {
		_, iface, _ := ls.face.Classify(v)
		return capdata.Slot{Ref: string(r), Kind: capdata.Remotable, Iface: iface}, nil
	}
	if r, ok := ls.importIDs[v]; ok {
		return capdata.Slot{Ref: string(r), Kind: capdata.Remotable}, nil
	}
	if r, ok := ls.promiseID[v]; ok {
		return capdata.Slot{Ref: string(r), Kind: capdata.Promise}, nil
	}
	kind, iface, ok := ls.face.Classify(v)
	if !ok {
		return capdata.Slot{}, fmt.Errorf("cannot pass %s", describe(v))
	}
	switch kind {
	case capdata.Remotable:
		r := vat.MakeVRef(vat.Object, true, ls.nextExport)
		ls.nextExport++
		ls.exports[r] = v
		ls.exportIDs[v] = r
		return capdata.Slot{Ref: string(r), Kind: capdata.Remotable, Iface: iface}, nil
	default:
		r := vat.MakeVRef(vat.Promise, true, ls.nextPromise)
		ls.nextPromise++
		ls.promises[r] = &promiseRecord{handle: v}
		ls.promiseID[v] = r
		ls.face.Watch(v, func(rejected bool, val capdata.Value) {
			if ls.promiseID[v] == r {
				ls.resolve(r, rejected, val)
			}
		})
		return capdata.Slot{Ref: string(r), Kind: capdata.Promise}, nil
	}
}

func (ls *Liveslots) fromSlot(s capdata.Slot) (any, error) {
	r, err := vat.ParseVRef(s.Ref)
	if err != nil {
		return nil, err
	}
	switch r.Kind() {
	case vat.Object, vat.Device:
		if s.Kind != capdata.Remotable {
			return nil, fmt.Errorf("slot %s used as a promise", r)
		}
		if r.Allocated() {
			obj, ok := ls.exports[r]
			if !ok {
				return nil, fmt.Errorf("I don't remember allocating %s", r)
			}
			return obj, nil
		}
		if p, ok := ls.imports[r]; ok {
			return p, nil
		}
		p := ls.face.NewPresence(r, s.Iface)
		ls.imports[r] = p
		ls.importIDs[p] = r
		return p, nil
	default:
		if s.Kind != capdata.Promise {
			return nil, fmt.Errorf("slot %s used as a remotable", r)
		}
		if rec, ok := ls.promises[r]; ok {
			return rec.handle, nil
		}
		if r.Allocated() {
			return nil, fmt.Errorf("I don't remember allocating %s", r)
		}
		p, settle := ls.face.NewPromise()
		ls.promises[r] = &promiseRecord{handle: p, settle: settle}
		ls.promiseID[p] = r
		ls.syscall(vat.Syscall{Kind: vat.SysSubscribe, VPID: r})
		return p, nil
	}
}

func toCapdata(c vat.CapData) capdata.CapData {
	slots := make([]string, len(c.Slots))
	for i, s := range c.Slots {
		slots[i] = string(s)
	}
	return capdata.CapData{Body: c.Body, Slots: slots}
}

func fromCapdata(c capdata.CapData) vat.CapData {
	var slots []vat.VRef
	if len(c.Slots) > 0 {
		slots = make([]vat.VRef, len(c.Slots))
		for i, s := range c.Slots {
			slots[i] = vat.VRef(s)
		}
	}
	return vat.CapData{Body: c.Body, Slots: slots}
}
