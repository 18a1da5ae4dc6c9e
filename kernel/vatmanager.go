package kernel

import (
	"bytes"
	"fmt"

	"github.com/cooper-kernel/cooper/kernel/state"
	"github.com/cooper-kernel/cooper/vat"
)

// vatHandle is a live vat: its definition and its running worker.
type vatHandle struct {
	id          vat.ID
	opts        state.VatOptions
	worker      vat.Worker
	incarnation int
	// deliveryLimit bounds the computrons of one delivery (0: unlimited).
	deliveryLimit uint64
	// replaying is true while the transcript is replayed: console output is
	// suppressed and nothing reaches the kernel.
	replaying bool
	// terminated is set by the crank that terminates the vat; the handle
	// is dropped when that crank ends.
	terminated bool
	// snapPos is the transcript position of the worker's last heap
	// snapshot, or where its replay started.
	snapPos uint64
	// lastUsed is the crank number of its last delivery (lazy loading's LRU).
	lastUsed uint64
}

// name returns the vat's name for messages.
func (h *vatHandle) name() string { return h.opts.Name }

// deliver runs one delivery through the vat manager: the syscalls reach the
// kernel, and the delivery, its syscalls with their results and its outcome
// are appended to the vat's transcript (in the current crank).
func (k *Kernel) deliver(h *vatHandle, vd vat.Delivery) (vat.Outcome, *delivery) {
	d := &delivery{}
	entry := vat.TranscriptEntry{Delivery: vd}
	sys := func(s vat.Syscall) vat.SyscallResult {
		k.emit(Event{Type: EventSyscall, VatID: h.id, Syscall: &s})
		r := k.syscall(h, d, s)
		entry.Syscalls = append(entry.Syscalls, vat.SyscallRecord{Syscall: s, Result: r})
		k.emit(Event{Type: EventSyscallResult, VatID: h.id, SyscallResult: &r})
		return r
	}
	pos := k.store.TranscriptLength(string(h.id))
	h.lastUsed = k.crankNum
	k.emit(Event{Type: EventDeliver, VatID: h.id, DeliveryNum: pos, Delivery: &vd})
	done := k.opts.Stopper.running(h.worker)
	out := h.worker.Deliver(vd, sys)
	done()
	if k.opts.Stopper.Stopped() {
		panic(ErrInterrupted) // the crank is abandoned; the kernel stops
	}
	entry.Outcome = out
	k.store.AppendTranscript(string(h.id), h.incarnation, entry.Encode())
	k.emit(Event{Type: EventDeliverResult, VatID: h.id, DeliveryNum: pos, Outcome: &out})
	if out.Err == "" && d.illegal == "" && d.exit == nil {
		k.maybeSnapshot(h, pos+1)
	}
	return out, d
}

// ReplayError is a divergence between a vat's transcript and what the vat
// does when the transcript is replayed ("anachrophobia" in SwingSet).
type ReplayError struct {
	Vat      vat.ID
	Name     string
	Delivery uint64 // transcript position
	Kind     ReplayErrorKind
	Index    int    // syscall index, for syscall divergences
	Want     string // what the transcript recorded
	Got      string // what the replay did
}

// ReplayErrorKind distinguishes the ways a replay can diverge.
type ReplayErrorKind string

// The kinds of divergence, after Temporal's replayer.
const (
	ReplayMismatch ReplayErrorKind = "syscall mismatch" // a different syscall at this index
	ReplayExtra    ReplayErrorKind = "extra syscall"    // the replay made a syscall the transcript lacks
	ReplayMissing  ReplayErrorKind = "missing syscall"  // the replay ended before a recorded syscall
	ReplayOutcome  ReplayErrorKind = "outcome mismatch" // the delivery ended differently
	ReplayCorrupt  ReplayErrorKind = "corrupt entry"    // the transcript entry does not decode
)

// Error is the one-line report the CLI prints (anachrophobia in …).
func (e *ReplayError) Error() string {
	where := fmt.Sprintf("anachrophobia in %s (%s) delivery %d", e.Vat, e.Name, e.Delivery)
	switch e.Kind {
	case ReplayMismatch, ReplayExtra, ReplayMissing:
		return fmt.Sprintf("%s: %s at index %d: recorded %s, replay made %s", where, e.Kind, e.Index, e.Want, e.Got)
	}
	return fmt.Sprintf("%s: %s: recorded %s, replay gave %s", where, e.Kind, e.Want, e.Got)
}

// replayEntry replays one transcript entry into h's worker.
func (k *Kernel) replayEntry(h *vatHandle, pos uint64, item []byte) error {
	entry, err := vat.DecodeTranscriptEntry(item)
	if err != nil {
		return &ReplayError{Vat: h.id, Name: h.name(), Delivery: pos, Kind: ReplayCorrupt, Want: string(item), Got: err.Error()}
	}
	var divergence *ReplayError
	i := 0
	sys := func(s vat.Syscall) vat.SyscallResult {
		if divergence != nil {
			return vat.SyscallResult{Err: "replay diverged"}
		}
		got := string(vat.AppendSyscall(nil, s))
		if i >= len(entry.Syscalls) {
			divergence = &ReplayError{Kind: ReplayExtra, Index: i, Want: "nothing", Got: got}
			return vat.SyscallResult{Err: "replay diverged"}
		}
		want := vat.AppendSyscall(nil, entry.Syscalls[i].Syscall)
		if !bytes.Equal(want, []byte(got)) {
			divergence = &ReplayError{Kind: ReplayMismatch, Index: i, Want: string(want), Got: got}
			return vat.SyscallResult{Err: "replay diverged"}
		}
		r := entry.Syscalls[i].Result
		i++
		return r
	}
	done := k.opts.Stopper.running(h.worker)
	out := h.worker.Deliver(entry.Delivery, sys)
	done()
	if k.opts.Stopper.Stopped() {
		return ErrInterrupted
	}
	if divergence == nil && i < len(entry.Syscalls) {
		divergence = &ReplayError{Kind: ReplayMissing, Index: i, Want: string(vat.AppendSyscall(nil, entry.Syscalls[i].Syscall)), Got: "nothing"}
	}
	if divergence == nil && (out.Err != entry.Outcome.Err || out.Computrons != entry.Outcome.Computrons) {
		divergence = &ReplayError{Kind: ReplayOutcome,
			Want: string(vat.AppendOutcome(nil, entry.Outcome)), Got: string(vat.AppendOutcome(nil, out))}
	}
	if divergence != nil {
		divergence.Vat, divergence.Name, divergence.Delivery = h.id, h.name(), pos
		return divergence
	}
	return nil
}
