package gonative

import (
	"fmt"
	"sort"
	"strings"

	"github.com/cooper-kernel/cooper/capdata"
	"github.com/cooper-kernel/cooper/liveslots"
	"github.com/cooper-kernel/cooper/vat"
)

// Method is one method of a [Far] object. It returns a value, a *Promise for
// one, or an error, which rejects the caller's result promise.
type Method func(args []any) (any, error)

// Methods maps method names to their implementations.
type Methods map[string]Method

// Far is a local object other vats can hold and send messages to.
type Far struct {
	iface   string
	methods Methods
}

// NewFar makes a remotable object with an interface name (shown to others as
// "Alleged: iface") and its methods.
func NewFar(iface string, methods Methods) *Far {
	return &Far{iface: iface, methods: methods}
}

// String shows the object for logs.
func (f *Far) String() string { return "[Alleged: " + f.iface + "]" }

// Iface returns the interface name given to NewFar.
func (f *Far) Iface() string { return f.iface }

func (f *Far) methodNames() string {
	names := make([]string, 0, len(f.methods))
	for n := range f.methods {
		names = append(names, n)
	}
	sort.Strings(names)
	return "[" + strings.Join(names, ", ") + "]"
}

// Presence stands for an object in another vat, or a device node.
type Presence struct {
	ref   vat.VRef
	iface string
}

// Iface returns the interface name the sender gave the object ("Alleged: …").
func (p *Presence) Iface() string { return p.iface }

// String shows the vat-local reference, for logs.
func (p *Presence) String() string { return "[Presence " + string(p.ref) + "]" }

// Powers is what a Go vat gets from its worker: eventual sends, promises,
// devices, logging and exit.
type Powers struct{ w *Worker }

// Sender sends messages to one target: see [Powers.E].
type Sender struct {
	w      *Worker
	target any
}

// E prepares an eventual send to target: a presence, a promise (the message
// goes to what it resolves to, pipelined through the kernel when the kernel
// knows the promise) or a local *Far.
func (p *Powers) E(target any) Sender { return Sender{w: p.w, target: target} }

// Send sends method(args...) and returns a promise for the result.
func (s Sender) Send(method string, args ...any) *Promise {
	w := s.w
	switch t := s.target.(type) {
	case *Presence:
		return w.ls.Send(t.ref, method, args).(*Promise)
	case *Promise:
		if ref, ok := w.ls.RefOf(t); ok {
			return w.ls.Send(ref, method, args).(*Promise)
		}
		return t.Then(func(v any) (any, error) {
			return Sender{w: w, target: v}.Send(method, args...), nil
		}, nil)
	case *Far:
		result := w.newPromise()
		w.queueJob(func() {
			result.settle(false, (*face)(w).Invoke(t, method, args))
		})
		return result
	}
	p := w.newPromise()
	p.settle(true, &capdata.Error{Name: "TypeError", Message: fmt.Sprintf("cannot send %q to %s", method, describe(s.target))})
	return p
}

// SendOnly sends method(args...) without asking for a result.
func (s Sender) SendOnly(method string, args ...any) {
	if t, ok := s.target.(*Presence); ok {
		if err := s.w.ls.SendOnly(t.ref, method, args); err != nil {
			s.w.console("error", "sendOnly: "+err.Error())
		}
		return
	}
	s.Send(method, args...)
}

// NewPromise returns an unresolved promise and the functions that settle it.
func (p *Powers) NewPromise() (promise *Promise, resolve func(any), reject func(any)) {
	pr := p.w.newPromise()
	return pr, func(v any) { pr.settle(false, v) }, func(r any) { pr.settle(true, r) }
}

// Resolved returns a promise fulfilled with v (or following v if it is a promise).
func (p *Powers) Resolved(v any) *Promise {
	pr := p.w.newPromise()
	pr.settle(false, v)
	return pr
}

// All returns a promise for the values of all ps, in order, or the first rejection.
func (p *Powers) All(ps []*Promise) *Promise {
	out := p.w.newPromise()
	vals := make([]any, len(ps))
	left := len(ps)
	if left == 0 {
		out.settle(false, vals)
		return out
	}
	for i, pr := range ps {
		pr.then(func(v any) {
			vals[i] = v
			left--
			if left == 0 {
				out.settle(false, vals)
			}
		}, func(r any) { out.settle(true, r) })
	}
	return out
}

// Call invokes a device node synchronously.
func (p *Powers) Call(device any, method string, args ...any) (any, error) {
	pr, ok := device.(*Presence)
	if !ok || pr.ref.Kind() != vat.Device {
		return nil, fmt.Errorf("%s is not a device node", describe(device))
	}
	return p.w.ls.CallNow(pr.ref, method, args)
}

// TestLog writes one line to the vat's log (vatPowers.testLog in SwingSet).
func (p *Powers) TestLog(format string, args ...any) {
	p.w.console("log", fmt.Sprintf(format, args...))
}

// ExitVat ends the vat cleanly; completion goes to whoever waits on done().
func (p *Powers) ExitVat(completion any) { p.w.ls.Exit(false, completion) }

// ExitVatWithFailure ends the vat with a failure reason; its last delivery is unwound.
func (p *Powers) ExitVatWithFailure(reason any) { p.w.ls.Exit(true, reason) }

func (w *Worker) console(level, line string) {
	if w.spec.Console != nil {
		w.spec.Console(level, line)
	}
}

// Baggage is the vat's durable key-value store of plain data, kept in the
// vatstore so that it outlives the vat's heap (liveslots' one
// implementation, shared with JS vats).
type Baggage = liveslots.Baggage
