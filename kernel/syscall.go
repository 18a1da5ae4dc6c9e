package kernel

import (
	"errors"
	"fmt"

	"github.com/cooper-kernel/cooper/kernel/state"
	"github.com/cooper-kernel/cooper/vat"
)

// delivery tracks what a vat asked for during one delivery, beyond the
// syscalls' immediate effects.
type delivery struct {
	illegal string // first illegal syscall
	exit    *exitRequest
	// what the delivery has handed the kernel so far (see Limits)
	syscalls, bytes int
	computrons      uint64
}

type exitRequest struct {
	failure bool
	info    state.CapData
}

// syscall executes one syscall of vat h, made in the vat's reference space.
// An illegal syscall returns a result with Err set; the vat will be
// terminated when the delivery ends.
func (k *Kernel) syscall(h *vatHandle, d *delivery, s vat.Syscall) vat.SyscallResult {
	if d.illegal != "" {
		return vat.SyscallResult{Err: "vat is being terminated"}
	}
	err := k.checkSyscallLimits(h, d, s)
	var r vat.SyscallResult
	if err == nil {
		r, err = k.doSyscall(h, d, s)
	}
	if err != nil {
		var se *syscallError
		if !errors.As(err, &se) {
			panic(err)
		}
		d.illegal = fmt.Sprintf("syscall.%s failed: %s", s.Kind, err)
		return vat.SyscallResult{Err: err.Error()}
	}
	return r
}

func (k *Kernel) doSyscall(h *vatHandle, d *delivery, s vat.Syscall) (vat.SyscallResult, error) {
	id := h.id
	switch s.Kind {
	case vat.SysSend:
		return vat.OK(), k.syscallSend(id, s)
	case vat.SysSubscribe:
		kp, err := k.toKernel(id, s.VPID)
		if err != nil {
			return vat.OK(), err
		}
		if kp.Kind() != vat.Promise {
			return vat.OK(), illegal("subscribe to non-promise %s", s.VPID)
		}
		if k.state.PromiseState(kp) == state.Unresolved {
			k.state.AddSubscriber(kp, id)
		} else {
			k.push(state.RunQueueItem{Type: state.ItemNotify, VatID: id, KPID: kp})
		}
		return vat.OK(), nil
	case vat.SysResolve:
		return vat.OK(), k.syscallResolve(id, s.Resolutions)
	case vat.SysExit:
		info, err := k.capToKernel(id, s.Info)
		if err != nil {
			return vat.OK(), err
		}
		if d.exit == nil {
			d.exit = &exitRequest{failure: s.Failure, info: info}
		}
		return vat.OK(), nil
	case vat.SysVatstoreGet:
		if err := checkVatstoreKey(s.Key); err != nil {
			return vat.OK(), err
		}
		v, ok := k.state.VatstoreGet(id, s.Key)
		return vat.SyscallResult{Value: v, Found: ok}, nil
	case vat.SysVatstoreSet:
		if err := checkVatstoreKey(s.Key); err != nil {
			return vat.OK(), err
		}
		k.state.VatstoreSet(id, s.Key, s.Value)
		return vat.OK(), nil
	case vat.SysVatstoreDelete:
		if err := checkVatstoreKey(s.Key); err != nil {
			return vat.OK(), err
		}
		k.state.VatstoreDelete(id, s.Key)
		return vat.OK(), nil
	case vat.SysVatstoreGetNextKey:
		next, ok := k.state.VatstoreNextKey(id, s.Key)
		if !ok {
			return vat.OK(), nil
		}
		return vat.SyscallResult{Value: next, Found: true}, nil
	case vat.SysCallNow:
		return k.syscallCallNow(id, s)
	}
	return vat.OK(), illegal("unknown syscall %q", s.Kind)
}

func checkVatstoreKey(key string) error {
	if key == "" {
		return illegal("vatstore key is empty")
	}
	return nil
}

func (k *Kernel) syscallSend(id vat.ID, s vat.Syscall) error {
	target, err := k.toKernel(id, s.Target)
	if err != nil {
		return err
	}
	if target.Kind() == vat.Device {
		return illegal("send to device node %s (use callNow)", s.Target)
	}
	methargs, err := k.capToKernel(id, s.Methargs)
	if err != nil {
		return err
	}
	if _, err := methodOf(methargs); err != nil {
		return illegal("send: %v", err)
	}
	msg := state.Message{Methargs: methargs}
	if s.Result != "" {
		if s.Result.Kind() != vat.Promise {
			return illegal("send result %s is not a promise", s.Result)
		}
		kp, err := k.toKernel(id, s.Result)
		if err != nil {
			return err
		}
		pr, _ := k.state.GetPromise(kp)
		if pr.State != state.Unresolved || pr.Decider != id {
			return illegal("send result %s: vat %s is not the decider of %s", s.Result, id, kp)
		}
		// The decision passes to whoever receives the message.
		k.state.SetDecider(kp, "")
		msg.Result = kp
	}
	k.queueSend(target, msg)
	return nil
}

func (k *Kernel) syscallResolve(id vat.ID, rs []vat.Resolution) error {
	if len(rs) == 0 {
		return illegal("resolve with no resolutions")
	}
	type res struct {
		kp       vat.KRef
		rejected bool
		data     state.CapData
	}
	var todo []res
	for _, r := range rs {
		if r.VPID.Kind() != vat.Promise {
			return illegal("resolve non-promise %s", r.VPID)
		}
		kp, ok := k.state.CListKRef(id, r.VPID)
		if !ok {
			return illegal("resolve unknown promise %s", r.VPID)
		}
		pr, _ := k.state.GetPromise(kp)
		if pr.State != state.Unresolved {
			return illegal("resolve %s (%s): already resolved", r.VPID, kp)
		}
		if pr.Decider != id {
			return illegal("resolve %s (%s): vat %s is not the decider", r.VPID, kp, id)
		}
		data, err := k.capToKernel(id, r.Data)
		if err != nil {
			return err
		}
		if err := checkCap(data); err != nil {
			return illegal("resolve %s: %v", r.VPID, err)
		}
		todo = append(todo, res{kp, r.Rejected, data})
	}
	for _, r := range todo {
		k.resolve(r.kp, r.rejected, r.data)
		// Resolving uses the vpid up: the vat forgets it, and so do we.
		k.dropCList(id, r.kp)
	}
	return nil
}

func (k *Kernel) syscallCallNow(id vat.ID, s vat.Syscall) (vat.SyscallResult, error) {
	kd, err := k.toKernel(id, s.Target)
	if err != nil {
		return vat.OK(), err
	}
	if kd.Kind() != vat.Device {
		return vat.OK(), illegal("callNow to non-device %s", s.Target)
	}
	args, err := k.capToKernel(id, s.Methargs)
	if err != nil {
		return vat.OK(), err
	}
	devID, ok := k.state.DeviceNodeOwner(kd)
	if !ok {
		return vat.OK(), illegal("callNow to unknown device node %s", kd)
	}
	dev, ok := k.devices[devID]
	if !ok {
		return vat.OK(), illegal("callNow to missing device %s", devID)
	}
	out := dev.invoke(id, kd, s.Method, args)
	return vat.SyscallResult{Data: k.capToVat(id, out)}, nil
}
