package kernel

import (
	"errors"
	"sync"

	"github.com/cooper-kernel/cooper/vat"
)

// ErrInterrupted is returned by a kernel its host stopped with [Stopper.Stop]:
// the work under way was abandoned and nothing since the last commit is kept.
var ErrInterrupted = errors.New("kernel: interrupted")

// Stopper lets a host interrupt a kernel from another goroutine, as a
// signal handler does. The kernel itself never starts a goroutine: it
// registers, around each delivery and replayed delivery, how to interrupt
// the worker running it, and checks the stopper between cranks.
// A Stopper is safe for concurrent use.
type Stopper struct {
	mu      sync.Mutex
	stopped bool
	current func() // interrupts the worker running now, if any
}

// NewStopper returns a Stopper that has not stopped.
func NewStopper() *Stopper { return &Stopper{} }

// Stop interrupts the kernel: the delivery or replay under way ends as soon
// as its worker can stop, and the kernel returns ErrInterrupted.
func (s *Stopper) Stop() {
	if s == nil {
		return
	}
	s.mu.Lock()
	s.stopped = true
	f := s.current
	s.mu.Unlock()
	if f != nil {
		f()
	}
}

// Stopped reports whether Stop was called.
func (s *Stopper) Stopped() bool {
	if s == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopped
}

// running registers w as the worker to interrupt until the returned
// function is called; a worker that cannot be interrupted finishes its
// delivery first.
func (s *Stopper) running(w any) (done func()) {
	if s == nil {
		return func() {}
	}
	i, ok := w.(vat.Interrupter)
	if !ok {
		return func() {}
	}
	s.mu.Lock()
	s.current = i.Interrupt
	stopped := s.stopped
	s.mu.Unlock()
	if stopped {
		i.Interrupt()
	}
	return func() {
		s.mu.Lock()
		s.current = nil
		s.mu.Unlock()
	}
}
