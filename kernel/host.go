package kernel

import (
	"fmt"
	"strings"

	"github.com/cooper-kernel/cooper/capdata"
	"github.com/cooper-kernel/cooper/kernel/state"
	"github.com/cooper-kernel/cooper/vat"
)

// FindVat returns the live vat called name: a static vat's name, a dynamic
// vat's name option, or a vat ID such as "v3".
func (k *Kernel) FindVat(name string) (vat.ID, error) {
	if id, ok := k.state.VatIDByName(name); ok && k.state.IsLive(id) {
		return id, nil
	}
	var found []string
	for _, id := range k.state.LiveVats() {
		if string(id) == name {
			return id, nil
		}
		if opts, err := k.state.VatOptions(id); err == nil && opts.Name == name {
			found = append(found, string(id))
		}
	}
	switch len(found) {
	case 1:
		return vat.ID(found[0]), nil
	case 0:
	default:
		return "", fmt.Errorf("vat name %q is ambiguous: %s have it (use a vat ID)", name, strings.Join(found, ", "))
	}
	if id, ok := k.state.VatIDByName(name); ok && k.state.IsTerminated(id) {
		return "", fmt.Errorf("vat %q (%s) is terminated%s", name, id, k.terminationSuffix(id))
	}
	if id := vat.ID(name); k.state.IsTerminated(id) {
		return "", fmt.Errorf("vat %s is terminated%s", id, k.terminationSuffix(id))
	}
	// The names of terminated dynamic vats are gone with their options:
	// name the last few terminated vats instead.
	var ended []string
	dead := k.state.TerminatedVats()
	for _, id := range dead[max(0, len(dead)-3):] {
		ended = append(ended, string(id)+k.terminationSuffix(id))
	}
	if len(ended) > 0 {
		return "", fmt.Errorf("no vat named %q (recently terminated: %s)", name, strings.Join(ended, "; "))
	}
	return "", fmt.Errorf("no vat named %q", name)
}

// TerminationReason returns why a terminated vat ended ("" if it is not
// terminated or the reason was not recorded).
func (k *Kernel) TerminationReason(id vat.ID) string {
	r, _ := k.state.TerminationReason(id)
	return r
}

func (k *Kernel) terminationSuffix(id vat.ID) string {
	if r := k.TerminationReason(id); r != "" {
		return ": " + r
	}
	return ""
}

// VatName returns the name of a vat (its ID if it has none).
func (k *Kernel) VatName(id vat.ID) string {
	if opts, err := k.state.VatOptions(id); err == nil && opts.Name != "" {
		return opts.Name
	}
	return string(id)
}

// QueueToVatRoot queues method(args...) to the root object of the named vat
// and returns the kernel promise for the result. The host holds a reference
// to that promise until [Kernel.ReleaseKP]. References in args are
// capdata.Slot values naming krefs.
func (k *Kernel) QueueToVatRoot(vatName, method string, args []capdata.Value) (vat.KRef, error) {
	var kp vat.KRef
	err := k.hostCrank(func() error {
		id, err := k.FindVat(vatName)
		if err != nil {
			return err
		}
		root, ok := k.state.CListKRef(id, vat.RootVRef)
		if !ok {
			k.bug("vat %s has no root object", id)
		}
		kp, err = k.queueToRoot(root, method, args, true)
		return err
	})
	return kp, err
}

// queueToRoot queues a message with a result promise the host holds;
// arguments from the host (not the kernel's own bootstrap) must keep to the
// limits.
func (k *Kernel) queueToRoot(target vat.KRef, method string, args []capdata.Value, fromHost bool) (vat.KRef, error) {
	if args == nil {
		args = []capdata.Value{}
	}
	methargs, err := encodeKernel([]capdata.Value{method, args})
	if err != nil {
		return "", fmt.Errorf("arguments: %w", err)
	}
	if fromHost {
		if err := k.checkHostCapData(methargs); err != nil {
			return "", err
		}
	}
	for _, s := range methargs.Slots {
		if !k.state.Exists(s) && s.Kind() != vat.Device {
			return "", fmt.Errorf("arguments: unknown kernel reference %s", s)
		}
	}
	kp := k.state.AllocatePromise("")
	k.pin(kp)
	k.queueSend(target, state.Message{Methargs: methargs, Result: kp})
	return kp, nil
}

func (k *Kernel) pin(kp vat.KRef) {
	k.state.SetPins(kp, k.state.Pins(kp)+1)
	k.incRef(kp)
}

// ReleaseKP drops the host's reference to a promise returned by
// QueueToVatRoot; a settled promise nobody else holds is then deleted.
func (k *Kernel) ReleaseKP(kp vat.KRef) error {
	return k.hostCrank(func() error {
		n := k.state.Pins(kp)
		if n == 0 {
			return fmt.Errorf("the host holds no reference to %s", kp)
		}
		k.state.SetPins(kp, n-1)
		k.decRef(kp)
		return nil
	})
}

// KPStatus returns the state of a kernel promise ("" if it does not exist).
func (k *Kernel) KPStatus(kp vat.KRef) state.PromiseState { return k.state.PromiseState(kp) }

// KPResolution returns how a settled kernel promise was resolved; references
// in the value are capdata.Slot values naming krefs.
func (k *Kernel) KPResolution(kp vat.KRef) (rejected bool, v capdata.Value, err error) {
	pr, ok := k.state.GetPromise(kp)
	if !ok {
		return false, nil, fmt.Errorf("no promise %s", kp)
	}
	if pr.State == state.Unresolved {
		return false, nil, fmt.Errorf("promise %s is unresolved", kp)
	}
	v, err = decodeKernel(pr.Data)
	return pr.State == state.Rejected, v, err
}

// Failed returns the error that stopped the kernel, or nil.
func (k *Kernel) Failed() error { return k.failed }
