package gonative

import (
	"github.com/cooper-kernel/cooper/capdata"
)

type promiseState uint8

const (
	pending promiseState = iota
	fulfilled
	rejected
)

// Promise is an eventual value inside a Go vat. Its reactions run as jobs of
// the vat's queue, after the code that settled it, as JavaScript promises do.
type Promise struct {
	w         *Worker
	state     promiseState
	value     any
	reactions []func()
}

func (w *Worker) newPromise() *Promise { return &Promise{w: w} }

// settle fulfills or rejects p; a fulfillment with another promise adopts it.
func (p *Promise) settle(isRejected bool, v any) {
	if p.state != pending {
		return
	}
	if !isRejected {
		if q, ok := v.(*Promise); ok {
			if q == p {
				p.settle(true, &capdata.Error{Name: "TypeError", Message: "promise resolved to itself"})
				return
			}
			q.then(func(v any) { p.settle(false, v) }, func(r any) { p.settle(true, r) })
			return
		}
	}
	p.state, p.value = fulfilled, v
	if isRejected {
		p.state = rejected
	}
	rs := p.reactions
	p.reactions = nil
	for _, r := range rs {
		p.w.queueJob(r)
	}
}

// then registers plain reactions, run as jobs once p settles.
func (p *Promise) then(onFulfilled func(any), onRejected func(any)) {
	react := func() {
		if p.state == fulfilled {
			onFulfilled(p.value)
		} else {
			onRejected(p.value)
		}
	}
	if p.state == pending {
		p.reactions = append(p.reactions, react)
		return
	}
	p.w.queueJob(react)
}

// Then returns a promise for what onFulfilled or onRejected returns once p
// settles. A nil handler passes the value or reason through. A returned
// error rejects the new promise; a returned *Promise is adopted.
func (p *Promise) Then(onFulfilled func(v any) (any, error), onRejected func(reason any) (any, error)) *Promise {
	next := p.w.newPromise()
	run := func(h func(any) (any, error), v any, passRejected bool) {
		if h == nil {
			next.settle(passRejected, v)
			return
		}
		out, err := p.w.callSafely(func() (any, error) { return h(v) })
		if err != nil {
			next.settle(true, errorValue(err))
			return
		}
		next.settle(false, out)
	}
	p.then(func(v any) { run(onFulfilled, v, false) }, func(r any) { run(onRejected, r, true) })
	return next
}

// Catch is Then(nil, onRejected).
func (p *Promise) Catch(onRejected func(reason any) (any, error)) *Promise {
	return p.Then(nil, onRejected)
}

// Settled reports whether p is fulfilled or rejected, and with what.
func (p *Promise) Settled() (done, isRejected bool, v any) {
	return p.state != pending, p.state == rejected, p.value
}

// errorValue turns a Go error into the passable error a rejection carries.
func errorValue(err error) any {
	if e, ok := err.(*capdata.Error); ok {
		return e
	}
	if r, ok := err.(*Rejection); ok {
		return r.Reason
	}
	return &capdata.Error{Name: "Error", Message: err.Error()}
}

// Rejection is an error carrying a rejection reason that is not an Error, as
// `throw "some string"` does in JavaScript.
type Rejection struct{ Reason any }

// Error formats the rejection reason.
func (r *Rejection) Error() string { return "rejected: " + capdata.Format(r.Reason) }

// String shows the promise for logs.
func (p *Promise) String() string { return "[Promise]" }
