package wasm

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/cooper-kernel/cooper/capdata"
	"github.com/cooper-kernel/cooper/vat"
	"github.com/cooper-kernel/cooper/worker/wasm/qjs"
)

// face implements liveslots.Face on handles: language objects are JS
// values kept by the instance, compared by handle number.
type face Worker

func (f *face) w() *Worker { return (*Worker)(f) }

// followFace is the face of a glue that has InvokeFollow (liveslots.Follower).
type followFace struct{ *face }

func (f *face) StartVat(params capdata.Value) (any, error) {
	w := f.w()
	p, err := encodeWire(params)
	if err != nil {
		return nil, fmt.Errorf("vatParameters: %w", err)
	}
	r, ok := w.call('S', p)
	if !ok {
		return nil, w.ls.Failed()
	}
	if strings.HasPrefix(r, "x") {
		return nil, errors.New(r[1:])
	}
	return w.handleOf(strings.TrimPrefix(r, "h")), nil
}

func (f *face) NewPresence(ref vat.VRef, iface string) any {
	w := f.w()
	r, ok := w.call('P', iface)
	if !ok {
		return handle(0)
	}
	return w.handleOf(r)
}

func (f *face) NewPromise() (any, func(bool, capdata.Value)) {
	w := f.w()
	h := w.prepared
	w.prepared = 0
	if h == 0 {
		r, ok := w.call('N', "")
		if !ok {
			return handle(0), func(bool, capdata.Value) {}
		}
		h = w.handleOf(r)
	}
	w.isPromise[h] = true
	return h, f.Settler(h)
}

// Settler returns the function that settles p, a promise NewPromise made
// (the glue keeps its resolvers by handle).
func (f *face) Settler(p any) func(bool, capdata.Value) {
	w := f.w()
	h, _ := p.(handle)
	return func(rejected bool, v capdata.Value) {
		s, err := encodeWire(v)
		if err != nil {
			s, _ = encodeWire(&capdata.Error{Name: "TypeError", Message: err.Error()})
			rejected = true
		}
		w.call('R', "["+strconv.FormatUint(uint64(h), 10)+","+strconv.FormatBool(rejected)+","+s+"]")
	}
}

// RefNumber returns the handle number of a language object.
func (f *face) RefNumber(v any) (uint64, bool) {
	h, ok := v.(handle)
	return uint64(h), ok && h != 0
}

// RefValue returns the language object of handle number n.
func (f *face) RefValue(n uint64) (any, bool) {
	if n == 0 || n > math.MaxUint32 {
		return nil, false
	}
	return handle(n), true
}

func (f *face) Classify(v any) (capdata.SlotKind, string, bool) {
	w := f.w()
	h, ok := v.(handle)
	if !ok || h == 0 {
		return 0, "", false
	}
	r, ok := w.call('C', strconv.FormatUint(uint64(h), 10))
	if !ok {
		return 0, "", false
	}
	switch {
	case strings.HasPrefix(r, "r"):
		return capdata.Remotable, r[1:], true
	case r == "p":
		w.isPromise[h] = true
		return capdata.Promise, "", true
	}
	return 0, "", false
}

func (f *face) Settled(p any) (bool, capdata.Value, bool) {
	w := f.w()
	h, ok := p.(handle)
	if !ok || h == 0 {
		return false, nil, false
	}
	r, ok := w.call('T', strconv.FormatUint(uint64(h), 10))
	if !ok || r == "" {
		return false, nil, false
	}
	v, err := w.decode(r[1:])
	if err != nil {
		w.fatal(fmt.Errorf("wasm worker: settled: %w", err))
		return false, nil, false
	}
	return r[0] == 'r', v, true
}

func (f *face) Invoke(obj any, method string, args []capdata.Value) any {
	w := f.w()
	if !w.gen.follows {
		return f.invokeV2(obj, method, args)
	}
	payload, err := invokePayload(obj, 0, method, args)
	if err != nil {
		return f.rejected("TypeError", err.Error())
	}
	r, ok := w.call('I', payload)
	if !ok {
		return handle(0)
	}
	if strings.HasPrefix(r, "v") {
		return w.valueOf(r[1:])
	}
	return w.handleOf(strings.TrimPrefix(r, "h"))
}

// invokeV2 is Invoke for the glue of version 2: [id, method, ["a",
// arg wire...]] answered with the handle of the result.
func (f *face) invokeV2(obj any, method string, args []capdata.Value) any {
	w := f.w()
	h, _ := obj.(handle)
	var b strings.Builder
	b.WriteByte('[')
	b.WriteString(strconv.FormatUint(uint64(h), 10))
	b.WriteByte(',')
	appendString(&b, method)
	b.WriteString(`,["a"`)
	for i, a := range args {
		b.WriteByte(',')
		if err := appendWire(&b, a, 1); err != nil {
			return f.rejected("TypeError", fmt.Sprintf("argument %d: %v", i, err))
		}
	}
	b.WriteString("]]")
	r, ok := w.call('I', b.String())
	if !ok {
		return handle(0)
	}
	return w.handleOf(r)
}

// InvokeFollow is Invoke, Classify of the result and WatchKey of it in one
// glue call (liveslots.Follower). A method's primitive result comes back
// as itself. Only a promise whose watch could run vat code (its own
// constructor or then, another prototype) is watched by a second call,
// once liveslots registered it, as Invoke, Classify and WatchKey do.
func (f followFace) InvokeFollow(obj any, method string, args []capdata.Value, key string, settled func(bool, capdata.Value)) (any, bool) {
	w := f.w()
	n := w.addWatch(key, settled)
	payload, err := invokePayload(obj, n, method, args)
	if err != nil {
		p := f.rejected("TypeError", err.Error())
		f.watchNumbered(p, n)
		return p, true
	}
	r, ok := w.call('F', payload)
	if !ok || r == "" {
		return handle(0), false
	}
	switch r[0] {
	case 'v':
		v := w.valueOf(r[1:])
		wt := w.watches[n]
		wt.value, wt.valued = v, true
		w.watches[n] = wt
		return v, false
	case 'w':
		h := w.handleOf(r[1:])
		w.isPromise[h] = true
		return h, true
	case 'p':
		h := w.handleOf(r[1:])
		w.isPromise[h] = true
		f.watchNumbered(h, n)
		return h, true
	}
	return w.handleOf(strings.TrimPrefix(r, "o")), false
}

// invokePayload is the glue's [target, (watch,) method, arg wire...].
func invokePayload(obj any, watch uint64, method string, args []capdata.Value) (string, error) {
	h, _ := obj.(handle)
	var b strings.Builder
	b.WriteByte('[')
	b.WriteString(strconv.FormatUint(uint64(h), 10))
	b.WriteByte(',')
	if watch != 0 {
		b.WriteString(strconv.FormatUint(watch, 10))
		b.WriteByte(',')
	}
	appendString(&b, method)
	for i, a := range args {
		b.WriteByte(',')
		if err := appendWire(&b, a, 1); err != nil {
			return "", fmt.Errorf("argument %d: %v", i, err)
		}
	}
	b.WriteByte(']')
	return b.String(), nil
}

// valueOf decodes the wire of a primitive the glue returned for a result.
func (w *Worker) valueOf(s string) capdata.Value {
	v, err := w.decode(s)
	if err != nil {
		w.fatal(fmt.Errorf("wasm worker: result: %w", err))
		return nil
	}
	return v
}

// rejected returns a promise rejected with a new error.
func (f *face) rejected(name, message string) any {
	p, settle := f.NewPromise()
	settle(true, &capdata.Error{Name: name, Message: message})
	return p
}

func (f *face) Watch(v any, settled func(bool, capdata.Value)) { f.WatchKey(v, "", settled) }

// WatchKey is Watch with a key that names settled in snapshots ("" for none).
func (f *face) WatchKey(v any, key string, settled func(bool, capdata.Value)) {
	f.watchNumbered(v, f.w().addWatch(key, settled))
}

// addWatch registers a Watch callback and returns its number.
func (w *Worker) addWatch(key string, settled func(bool, capdata.Value)) uint64 {
	w.nextWatch++
	n := w.nextWatch
	w.watches[n] = watch{key: key, settled: settled}
	return n
}

// watchNumbered has the glue watch v (a handle, or a value Invoke
// returned as itself) for the registered callback n.
func (f *face) watchNumbered(v any, n uint64) {
	w := f.w()
	if h, ok := v.(handle); ok {
		w.call('W', "["+strconv.FormatUint(uint64(h), 10)+","+strconv.FormatUint(n, 10)+"]")
		return
	}
	s, err := encodeWire(v)
	if err != nil {
		w.fatal(fmt.Errorf("wasm worker: watch: %w", err))
		return
	}
	w.call('W', "[0,"+strconv.FormatUint(n, 10)+","+s+"]")
}

func (f *face) RunJobs() {
	w := f.w()
	if err := w.in.RunJobs(); err != nil {
		w.fatal(err)
	}
}

func (f *face) Abort(err error) {
	w := f.w()
	w.abortErr = err
	w.in.Abort(err)
}

// host answers the glue's calls (the bridge of the prelude).
func (w *Worker) host(op int, payload string) (string, error) {
	w.hostCalls++
	switch op {
	case opIsRemote:
		h, err := strconv.ParseUint(payload, 10, 32)
		if err != nil {
			return "", throwErr("bad handle")
		}
		if _, remote := w.ls.RefOf(handle(h)); remote {
			return "1", nil
		}
		return "0", nil
	case opSend, opSendOnly:
		var m struct {
			target  handle
			method  string
			args    []capdata.Value
			promise handle
		}
		if err := w.sendArgs(payload, &m.target, &m.method, &m.args, &m.promise); err != nil {
			return "", err
		}
		ref, _ := w.ls.RefOf(m.target)
		if op == opSendOnly {
			if err := w.ls.SendOnly(ref, m.method, m.args); err != nil {
				return "", throwErr(err.Error())
			}
			return "", nil
		}
		w.prepared = m.promise
		p, _ := w.ls.Send(ref, m.method, m.args).(handle)
		if w.prepared != 0 || p != m.promise && w.gen.follows {
			w.prepared = 0
			return "", fmt.Errorf("wasm worker: send: the result is not the promise the glue made")
		}
		return strconv.FormatUint(uint64(p), 10), nil
	case opConsole:
		level, line, _ := strings.Cut(payload, "\x00")
		w.console(level, line)
		return "", nil
	case opTestLog:
		w.console("testLog", payload)
		return "", nil
	case opExit:
		var m []json.RawMessage
		var failure bool
		if json.Unmarshal([]byte(payload), &m) != nil || len(m) != 2 || json.Unmarshal(m[0], &failure) != nil {
			return "", throwErr("exit: bad arguments")
		}
		v, err := w.decode(string(m[1]))
		if err != nil {
			return "", throwErr(err.Error())
		}
		w.ls.Exit(failure, v)
		return "", nil
	case opVatstore:
		var m [3]string
		if json.Unmarshal([]byte(payload), &m) != nil {
			return "", throwErr("vatstore: bad arguments")
		}
		switch m[0] {
		case "get":
			if v, ok := w.ls.VatstoreGet(m[1]); ok {
				return "v" + v, nil
			}
		case "set":
			w.ls.VatstoreSet(m[1], m[2])
		case "delete":
			w.ls.VatstoreDelete(m[1])
		case "next":
			if k, ok := w.ls.VatstoreGetNextKey(m[1]); ok {
				return "v" + k, nil
			}
		default:
			return "", throwErr("vatstore: unknown operation")
		}
		return "", nil
	case opSerialize:
		v, err := w.decode(payload)
		if err != nil {
			return "", throwErr(err.Error())
		}
		cd, err := w.ls.SerializeForStore(v)
		if err != nil {
			return "", throwErr(err.Error())
		}
		slots := cd.Slots
		if slots == nil {
			slots = []vat.VRef{}
		}
		out, _ := json.Marshal([]any{cd.Body, slots})
		return string(out), nil
	case opUnserialize:
		var body string
		var slots []vat.VRef
		var raw []json.RawMessage
		if json.Unmarshal([]byte(payload), &raw) != nil || len(raw) != 2 || json.Unmarshal(raw[0], &body) != nil || json.Unmarshal(raw[1], &slots) != nil {
			return "", throwErr("unserialize: bad arguments")
		}
		v, err := w.ls.Unserialize(vat.CapData{Body: body, Slots: slots})
		if err != nil {
			if failed := w.ls.Failed(); failed != nil {
				return "", failed
			}
			return "", throwErr(err.Error())
		}
		s, err := encodeWire(v)
		if err != nil {
			return "", throwErr(err.Error())
		}
		return s, nil
	case opWatchablePromise:
		h, err := strconv.ParseUint(payload, 10, 32)
		if err != nil {
			return "", throwErr("watchablePromise: bad handle")
		}
		vpid, err := w.ls.WatchablePromise(w.seen(handle(h)))
		if err != nil {
			if failed := w.ls.Failed(); failed != nil {
				return "", failed
			}
			return "", throwErr(err.Error())
		}
		return string(vpid), nil
	case opRegisterVirtual:
		var h uint32
		var vref string
		var raw []json.RawMessage
		if json.Unmarshal([]byte(payload), &raw) != nil || len(raw) != 2 || json.Unmarshal(raw[0], &h) != nil || json.Unmarshal(raw[1], &vref) != nil {
			return "", throwErr("registerVirtual: bad arguments")
		}
		if err := w.ls.RegisterVirtual(vat.VRef(vref), w.seen(handle(h))); err != nil {
			return "", throwErr(err.Error())
		}
		return "", nil
	case opKser:
		return w.kser(payload)
	case opKunser:
		return w.kunser(payload)
	case opWatchedValue:
		// A result the glue returned as itself (InvokeFollow) has settled.
		n, err := strconv.ParseUint(payload, 10, 64)
		if err != nil {
			return "", throwErr("watchedValue: bad arguments")
		}
		wt, ok := w.watches[n]
		if !ok || !wt.valued {
			return "", nil
		}
		delete(w.watches, n)
		wt.settled(false, wt.value)
		return "", nil
	case opWatched:
		var m []json.RawMessage
		var n uint64
		var rejected bool
		if json.Unmarshal([]byte(payload), &m) != nil || len(m) != 3 || json.Unmarshal(m[0], &n) != nil || json.Unmarshal(m[1], &rejected) != nil {
			return "", throwErr("watched: bad arguments")
		}
		wt, ok := w.watches[n]
		if !ok {
			return "", nil
		}
		settled := wt.settled
		delete(w.watches, n)
		v, err := w.decode(string(m[2]))
		if err != nil {
			v, rejected = &capdata.Error{Name: "TypeError", Message: err.Error()}, true
		}
		settled(rejected, v)
		return "", nil
	}
	return "", throwErr(fmt.Sprintf("unknown host operation %d", op))
}

// throwErr is a host-call error JS sees as a TypeError with message.
func throwErr(message string) error { return &qjs.Throw{Message: message} }

// sendArgs parses [target, result promise (0 for none), arg wire...] NUL
// method.
func (w *Worker) sendArgs(payload string, target *handle, method *string, args *[]capdata.Value, promise *handle) error {
	if !w.gen.follows {
		return w.sendArgsV2(payload, target, method, args)
	}
	bad := throwErr("send: bad arguments")
	j, name, ok := strings.Cut(payload, "\x00")
	if !ok {
		return bad
	}
	j, ok = strings.CutPrefix(j, "[")
	ts, j, ok2 := strings.Cut(j, ",")
	k := strings.IndexAny(j, ",]")
	if !ok || !ok2 || k < 0 {
		return bad
	}
	t, err1 := strconv.ParseUint(ts, 10, 32)
	p, err2 := strconv.ParseUint(j[:k], 10, 32)
	if err1 != nil || err2 != nil {
		return bad
	}
	v, err := w.decode(`["a"` + j[k:])
	if err != nil {
		return throwErr(err.Error())
	}
	list, ok := v.([]capdata.Value)
	if !ok {
		return bad
	}
	*target, *promise, *method, *args = w.seen(handle(t)), w.seen(handle(p)), name, list
	return nil
}

// sendArgsV2 parses the send of the glue of version 2: [target, method,
// args wire].
func (w *Worker) sendArgsV2(payload string, target *handle, method *string, args *[]capdata.Value) error {
	var m []json.RawMessage
	var t uint32
	if json.Unmarshal([]byte(payload), &m) != nil || len(m) != 3 || json.Unmarshal(m[0], &t) != nil || json.Unmarshal(m[1], method) != nil {
		return throwErr("send: bad arguments")
	}
	*target = w.seen(handle(t))
	v, err := w.decode(string(m[2]))
	if err != nil {
		return throwErr(err.Error())
	}
	list, ok := v.([]capdata.Value)
	if !ok {
		return throwErr("send: arguments are not a list")
	}
	*args = list
	return nil
}

func (w *Worker) kser(payload string) (string, error) {
	v, err := w.decode(payload)
	if err != nil {
		return "", throwErr("kser: " + err.Error())
	}
	m := capdata.Marshaller{ToSlot: func(x any) (capdata.Slot, error) {
		kind, iface, ok := (*face)(w).Classify(x)
		if !ok {
			return capdata.Slot{}, errors.New("cannot serialize a non-passable reference")
		}
		h, _ := x.(handle)
		r, ok := w.call('K', strconv.FormatUint(uint64(h), 10))
		if !ok || !strings.HasPrefix(r, "r") {
			return capdata.Slot{}, errors.New("kser: a reference is not a kslot stand-in")
		}
		return capdata.Slot{Ref: r[1:], Kind: kind, Iface: iface}, nil
	}}
	cd, err := m.Encode(v)
	if err != nil {
		return "", throwErr("kser: " + err.Error())
	}
	slots := cd.Slots
	if slots == nil {
		slots = []string{}
	}
	out, _ := json.Marshal([]any{cd.Body, slots})
	return string(out), nil
}

func (w *Worker) kunser(payload string) (string, error) {
	var m struct {
		body  string
		slots []string
	}
	var raw []json.RawMessage
	if json.Unmarshal([]byte(payload), &raw) != nil || len(raw) != 2 || json.Unmarshal(raw[0], &m.body) != nil || json.Unmarshal(raw[1], &m.slots) != nil {
		return "", throwErr("kunser: bad arguments")
	}
	if len(m.slots) > maxKunserSlots {
		return "", throwErr("kunser: too many slots")
	}
	mar := capdata.Marshaller{FromSlot: func(s capdata.Slot) (any, error) {
		q, _ := json.Marshal([]string{s.Ref, s.Iface})
		r, ok := w.call('L', string(q))
		if !ok {
			return nil, fmt.Errorf("kunser: cannot make a stand-in for %s", s.Ref)
		}
		return w.handleOf(r), nil
	}}
	v, err := mar.Decode(capdata.CapData{Body: m.body, Slots: m.slots})
	if err != nil {
		return "", throwErr("kunser: " + err.Error())
	}
	s, err := encodeWire(v)
	if err != nil {
		return "", throwErr("kunser: " + err.Error())
	}
	return s, nil
}

// console hands one line of vat output to the host.
func (w *Worker) console(level, line string) {
	if w.spec.Console != nil {
		w.spec.Console(level, line)
	}
}

func (f *face) Reanimate(vref vat.VRef) (any, error) {
	w := f.w()
	r, ok := w.call('V', string(vref))
	if !ok {
		return nil, w.ls.Failed()
	}
	if strings.HasPrefix(r, "x") {
		return nil, errors.New(r[1:])
	}
	return w.handleOf(strings.TrimPrefix(r, "h")), nil
}

func (f *face) DurableHook(event string) error {
	w := f.w()
	r, ok := w.call('H', event)
	if !ok {
		return w.ls.Failed()
	}
	if strings.HasPrefix(r, "x") {
		return errors.New(r[1:])
	}
	return nil
}
