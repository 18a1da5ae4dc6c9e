// Package gonative runs Go vats: vat code compiled into the binary, created by
// name, with liveslots in Go. A Go vat is a [Constructor] that returns its
// root object, made with [Far]; it reaches other vats through presences and
// [Powers.E], and waits on [Promise] values.
//
// Go vats are trusted code: they are not metered, and they must be
// deterministic like any vat — no clocks, randomness, goroutines or map
// iteration order in anything they send or store.
package gonative

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/cooper-kernel/cooper/capdata"
	"github.com/cooper-kernel/cooper/liveslots"
	"github.com/cooper-kernel/cooper/vat"
)

// Constructor builds a Go vat: it is the vat's buildRootObject and returns
// the root object, normally a [*Far].
type Constructor func(p *Powers, vatParameters any, baggage *Baggage) any

// Registry is a table of Go vats by name.
type Registry map[string]Constructor

// Worker runs one Go vat.
type Worker struct {
	spec    vat.Spec
	ctor    Constructor
	ls      *liveslots.Liveslots
	powers  *Powers
	jobs    []func()
	running bool
}

// abortPanic unwinds vat code after a fatal error in the delivery.
type abortPanic struct{ err error }

// New returns a worker for spec running the vat built by ctor.
func New(spec vat.Spec, ctor Constructor) *Worker {
	w := &Worker{spec: spec, ctor: ctor}
	w.ls = liveslots.New(spec.ID, (*face)(w))
	w.powers = &Powers{w: w}
	return w
}

// Deliver runs one delivery to completion.
func (w *Worker) Deliver(d vat.Delivery, sys vat.Syscaller) (out vat.Outcome) {
	defer func() {
		if r := recover(); r != nil {
			w.jobs = nil
			if a, ok := r.(abortPanic); ok {
				out.Err = a.err.Error()
				return
			}
			out.Err = fmt.Sprintf("liveslots panic: %v", r)
		}
	}()
	out.Err = w.ls.Deliver(d, sys)
	return out
}

// Close stops the worker.
func (w *Worker) Close() error { return nil }

func (w *Worker) queueJob(job func()) { w.jobs = append(w.jobs, job) }

// runJobs drains the job queue, including jobs queued by jobs.
func (w *Worker) runJobs() {
	if w.running {
		return
	}
	w.running = true
	defer func() { w.running = false }()
	for len(w.jobs) > 0 {
		job := w.jobs[0]
		w.jobs[0] = nil
		w.jobs = w.jobs[1:]
		job()
	}
}

// callSafely runs vat code, turning a panic into an error as a JavaScript
// throw would be; the abort of a failed delivery still unwinds.
func (w *Worker) callSafely(f func() (any, error)) (v any, err error) {
	defer func() {
		if r := recover(); r != nil {
			if a, ok := r.(abortPanic); ok {
				panic(a)
			}
			err = fmt.Errorf("panic: %v", r)
			if w.spec.Console != nil {
				w.spec.Console("error", fmt.Sprintf("panic in vat code: %v\n%s", r, firstFrames(debug.Stack())))
			}
		}
	}()
	return f()
}

func firstFrames(stack []byte) string {
	lines := strings.Split(string(stack), "\n")
	if len(lines) > 16 {
		lines = lines[:16]
	}
	return strings.Join(lines, "\n")
}

// face implements liveslots.Face for Go values.
type face Worker

func (f *face) w() *Worker { return (*Worker)(f) }

func (f *face) StartVat(params capdata.Value) (any, error) {
	w := f.w()
	return w.callSafely(func() (any, error) {
		return w.ctor(w.powers, params, w.ls.Baggage()), nil
	})
}

func (f *face) NewPresence(ref vat.VRef, iface string) any {
	return &Presence{ref: ref, iface: iface}
}

func (f *face) NewPromise() (any, func(bool, capdata.Value)) {
	p := f.w().newPromise()
	return p, func(rejected bool, v capdata.Value) { p.settle(rejected, v) }
}

func (f *face) Classify(v any) (capdata.SlotKind, string, bool) {
	switch v := v.(type) {
	case *Far:
		return capdata.Remotable, "Alleged: " + v.iface, true
	case *Presence:
		return capdata.Remotable, v.iface, true
	case *Promise:
		return capdata.Promise, "", true
	}
	return 0, "", false
}

func (f *face) Invoke(obj any, method string, args []capdata.Value) any {
	w := f.w()
	p := w.newPromise()
	far, ok := obj.(*Far)
	if !ok {
		p.settle(true, &capdata.Error{Name: "TypeError", Message: fmt.Sprintf("target %s is not a local object", describe(obj))})
		return p
	}
	m, ok := far.methods[method]
	if !ok {
		p.settle(true, &capdata.Error{Name: "TypeError", Message: fmt.Sprintf("target has no method %q, has %s", method, far.methodNames())})
		return p
	}
	out, err := w.callSafely(func() (any, error) { return m(args) })
	if err != nil {
		p.settle(true, errorValue(err))
	} else {
		p.settle(false, out)
	}
	return p
}

func (f *face) Watch(v any, settled func(bool, capdata.Value)) {
	w := f.w()
	if p, ok := v.(*Promise); ok {
		p.then(func(v any) { settled(false, v) }, func(r any) { settled(true, r) })
		return
	}
	w.queueJob(func() { settled(false, v) })
}

func (f *face) RunJobs() { f.w().runJobs() }

func (f *face) Abort(err error) { panic(abortPanic{err}) }

func describe(v any) string {
	if v == nil {
		return "null"
	}
	return capdata.Format(v)
}

func (f *face) Settled(p any) (bool, capdata.Value, bool) {
	pr, ok := p.(*Promise)
	if !ok {
		return false, nil, false
	}
	done, rejected, v := pr.Settled()
	return rejected, v, done
}
