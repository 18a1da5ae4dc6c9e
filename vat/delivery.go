package vat

import (
	"fmt"
	"strings"
)

// CapData is serialized data in a vat's reference space.
type CapData struct {
	Body  string
	Slots []VRef
}

// DeliveryKind names a kind of delivery from the kernel to a vat.
type DeliveryKind string

// The kinds of delivery.
const (
	DeliverMessage  DeliveryKind = "message"
	DeliverNotify   DeliveryKind = "notify"
	DeliverStartVat DeliveryKind = "startVat"
)

// Delivery is one kernel → vat delivery, in the vat's reference space.
type Delivery struct {
	Kind DeliveryKind
	// message
	Target   VRef
	Methargs CapData
	Result   VRef // "" when the sender wants no result
	// notify
	Resolutions []Resolution
	// startVat
	VatParameters CapData
	// Incarnation numbers the vat's incarnation a startVat begins: 0 for a
	// new vat, n after its n-th upgrade.
	Incarnation uint64
}

// Resolution settles one promise: fulfilled to Data, or rejected with it.
type Resolution struct {
	VPID     VRef
	Rejected bool
	Data     CapData
}

// SyscallKind names a kind of syscall from a vat to the kernel.
type SyscallKind string

// The kinds of syscall.
const (
	SysSend               SyscallKind = "send"
	SysSubscribe          SyscallKind = "subscribe"
	SysResolve            SyscallKind = "resolve"
	SysExit               SyscallKind = "exit"
	SysVatstoreGet        SyscallKind = "vatstoreGet"
	SysVatstoreSet        SyscallKind = "vatstoreSet"
	SysVatstoreDelete     SyscallKind = "vatstoreDelete"
	SysVatstoreGetNextKey SyscallKind = "vatstoreGetNextKey"
	SysCallNow            SyscallKind = "callNow"
)

// Syscall is one vat → kernel request made during a delivery, in the vat's
// reference space. Which fields are set depends on Kind.
type Syscall struct {
	Kind SyscallKind
	// send (Target, Methargs, Result), callNow (Target is a device node, Method, Methargs holds the args)
	Target   VRef
	Method   string
	Methargs CapData
	Result   VRef
	// subscribe
	VPID VRef
	// resolve
	Resolutions []Resolution
	// exit
	Failure bool
	Info    CapData
	// vatstore
	Key, Value string
}

// SyscallResult is the kernel's answer to a syscall.
type SyscallResult struct {
	// Err is set when the syscall was illegal; the vat is terminated and its
	// worker must stop running vat code at once.
	Err string
	// Value and Found answer vatstoreGet (the value) and vatstoreGetNextKey (the key).
	Value string
	Found bool
	// Data answers callNow.
	Data CapData
}

// OK returns the result of syscalls that return nothing.
func OK() SyscallResult { return SyscallResult{} }

// Syscaller executes a syscall on behalf of a vat and returns its result.
type Syscaller func(Syscall) SyscallResult

// Outcome is how a delivery ended.
type Outcome struct {
	// Err is "" when the delivery completed; otherwise why it failed, and the
	// vat must be terminated (e.g. "Compute meter exceeded").
	Err string
	// Computrons is the compute the delivery used (0 for unmetered workers).
	Computrons uint64
}

// String describes d in one line, for logs and test output.
func (d Delivery) String() string {
	switch d.Kind {
	case DeliverMessage:
		s := fmt.Sprintf("message %s %s", d.Target, d.Methargs)
		if d.Result != "" {
			s += " → " + string(d.Result)
		}
		return s
	case DeliverNotify:
		return "notify " + resolutionsString(d.Resolutions)
	case DeliverStartVat:
		return "startVat " + d.VatParameters.String()
	}
	return string(d.Kind)
}

// String describes s in one line, for logs and test output.
func (s Syscall) String() string {
	switch s.Kind {
	case SysSend:
		out := fmt.Sprintf("send %s %s", s.Target, s.Methargs)
		if s.Result != "" {
			out += " → " + string(s.Result)
		}
		return out
	case SysSubscribe:
		return "subscribe " + string(s.VPID)
	case SysResolve:
		return "resolve " + resolutionsString(s.Resolutions)
	case SysExit:
		return fmt.Sprintf("exit failure=%t %s", s.Failure, s.Info)
	case SysVatstoreGet, SysVatstoreDelete, SysVatstoreGetNextKey:
		return fmt.Sprintf("%s %q", s.Kind, s.Key)
	case SysVatstoreSet:
		return fmt.Sprintf("%s %q %q", s.Kind, s.Key, s.Value)
	case SysCallNow:
		return fmt.Sprintf("callNow %s.%s %s", s.Target, s.Method, s.Methargs)
	}
	return string(s.Kind)
}

// String shows the body and slots.
func (c CapData) String() string {
	if len(c.Slots) == 0 {
		return c.Body
	}
	refs := make([]string, len(c.Slots))
	for i, s := range c.Slots {
		refs[i] = string(s)
	}
	return c.Body + " [" + strings.Join(refs, " ") + "]"
}

func resolutionsString(rs []Resolution) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		verb := "fulfill"
		if r.Rejected {
			verb = "reject"
		}
		parts[i] = fmt.Sprintf("%s %s %s", r.VPID, verb, r.Data)
	}
	return strings.Join(parts, "; ")
}
