package kernel

import (
	"fmt"

	"github.com/cooper-kernel/cooper/kernel/state"
	"github.com/cooper-kernel/cooper/vat"
)

// Limits bound what a vat, or the host, can hand the kernel. They are part
// of the kernel's state (set when the kernel is created, stored under
// kernel.limits) because they decide which deliveries fail: every replica
// and every replay must apply the same ones. A vat that breaks a limit in a
// syscall is terminated with an error naming the limit; the host gets an
// error.
type Limits = state.Limits

// DefaultLimits are the limits of a kernel created without its own:
// SwingSet's syscall capdata limits (10 MB of body, 10,000 slots), a vatstore
// value as large as a message, and per-delivery caps that keep a flood of
// syscalls from exhausting the host (each syscall costs computrons, so a
// metered vat runs out of budget first).
var DefaultLimits = Limits{
	MaxCapDataBytes:            10_000_000,
	MaxSlots:                   10_000,
	MaxVatstoreKeyBytes:        2_048,
	MaxVatstoreValueBytes:      10_000_000,
	MaxSyscallsPerDelivery:     100_000,
	MaxSyscallBytesPerDelivery: 64 << 20,
	SyscallComputrons:          1_000,
	DeliveryComputrons:         DefaultDeliveryLimit,
}

// withDefaults fills the zero fields of l from DefaultLimits.
func withDefaults(l Limits) Limits {
	d := DefaultLimits
	set := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	set(&l.MaxCapDataBytes, d.MaxCapDataBytes)
	set(&l.MaxSlots, d.MaxSlots)
	set(&l.MaxVatstoreKeyBytes, d.MaxVatstoreKeyBytes)
	set(&l.MaxVatstoreValueBytes, d.MaxVatstoreValueBytes)
	set(&l.MaxSyscallsPerDelivery, d.MaxSyscallsPerDelivery)
	set(&l.MaxSyscallBytesPerDelivery, d.MaxSyscallBytesPerDelivery)
	if l.SyscallComputrons == 0 {
		l.SyscallComputrons = d.SyscallComputrons
	}
	if l.DeliveryComputrons == 0 {
		l.DeliveryComputrons = d.DeliveryComputrons
	}
	return l
}

// syscallSize is the number of bytes a syscall hands the kernel.
func syscallSize(s vat.Syscall) int {
	n := len(s.Target) + len(s.Method) + len(s.Result) + len(s.VPID) + len(s.Key) + len(s.Value)
	n += capSize(s.Methargs) + capSize(s.Info)
	for _, r := range s.Resolutions {
		n += len(r.VPID) + capSize(r.Data)
	}
	return n
}

func capSize(c vat.CapData) int {
	n := len(c.Body)
	for _, s := range c.Slots {
		n += len(s)
	}
	return n
}

// checkSyscallLimits refuses a syscall that breaks a limit; d accumulates
// what the delivery has handed the kernel so far.
func (k *Kernel) checkSyscallLimits(h *vatHandle, d *delivery, s vat.Syscall) error {
	l := &k.limits
	d.syscalls++
	size := syscallSize(s)
	d.bytes += size
	d.computrons += l.SyscallComputrons + uint64(size)
	if d.syscalls > l.MaxSyscallsPerDelivery {
		return illegal("too many syscalls: more than %d in one delivery", l.MaxSyscallsPerDelivery)
	}
	if d.bytes > l.MaxSyscallBytesPerDelivery {
		return illegal("too much data: more than %d bytes of syscalls in one delivery", l.MaxSyscallBytesPerDelivery)
	}
	if limit := h.deliveryLimit; limit > 0 && d.computrons > limit {
		return illegal("Compute meter exceeded: syscalls cost %d computrons > limit %d", d.computrons, limit)
	}
	checkCapData := func(what string, cds ...vat.CapData) error {
		body, slots := 0, 0
		for _, c := range cds {
			body += len(c.Body)
			slots += len(c.Slots)
		}
		if body > l.MaxCapDataBytes {
			return illegal("%s too large: %d bytes > limit %d", what, body, l.MaxCapDataBytes)
		}
		if slots > l.MaxSlots {
			return illegal("%s has too many references: %d slots > limit %d", what, slots, l.MaxSlots)
		}
		return nil
	}
	switch s.Kind {
	case vat.SysSend:
		return checkCapData("message", s.Methargs)
	case vat.SysCallNow:
		return checkCapData("device call", s.Methargs)
	case vat.SysExit:
		return checkCapData("exit value", s.Info)
	case vat.SysResolve:
		cds := make([]vat.CapData, len(s.Resolutions))
		for i, r := range s.Resolutions {
			cds[i] = r.Data
		}
		return checkCapData("resolution", cds...)
	case vat.SysVatstoreGet, vat.SysVatstoreSet, vat.SysVatstoreDelete, vat.SysVatstoreGetNextKey:
		if len(s.Key) > l.MaxVatstoreKeyBytes {
			return illegal("vatstore key too large: %d bytes > limit %d", len(s.Key), l.MaxVatstoreKeyBytes)
		}
		if len(s.Value) > l.MaxVatstoreValueBytes {
			return illegal("vatstore value too large: %d bytes > limit %d", len(s.Value), l.MaxVatstoreValueBytes)
		}
	}
	return nil
}

// checkHostCapData refuses arguments from the host that break the limits.
func (k *Kernel) checkHostCapData(cd state.CapData) error {
	if len(cd.Body) > k.limits.MaxCapDataBytes {
		return fmt.Errorf("arguments too large: %d bytes > limit %d", len(cd.Body), k.limits.MaxCapDataBytes)
	}
	if len(cd.Slots) > k.limits.MaxSlots {
		return fmt.Errorf("arguments have too many references: %d slots > limit %d", len(cd.Slots), k.limits.MaxSlots)
	}
	return nil
}
