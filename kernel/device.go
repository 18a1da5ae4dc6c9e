package kernel

import (
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"

	"github.com/cooper-kernel/cooper/capdata"
	"github.com/cooper-kernel/cooper/kernel/state"
	"github.com/cooper-kernel/cooper/vat"
)

// device is a synchronous kernel-side endpoint that vats reach with
// syscall.callNow. Devices are not transcripted; their state lives in the kv.
type device interface {
	// invoke runs method on node with args (kernel space) and returns the
	// result; a failure is returned as an Error value.
	invoke(caller vat.ID, node vat.KRef, method string, args state.CapData) state.CapData
}

// initDevices creates the devices of a new kernel.
func (k *Kernel) initDevices() {
	d := k.state.AddDevice(VatAdminName)
	root := k.state.AllocateDeviceNode(d)
	k.state.AddDeviceCList(d, root, "d+0")
}

// startDevices makes the in-memory device objects.
func (k *Kernel) startDevices() {
	if d, ok := k.state.DeviceIDByName(VatAdminName); ok {
		k.devices[d] = &vatAdminDevice{k: k}
	}
}

// deviceRoot returns the root node of the named device.
func (k *Kernel) deviceRoot(name string) vat.KRef {
	d, ok := k.state.DeviceIDByName(name)
	if !ok {
		k.bug("no device %q", name)
	}
	root, ok := k.state.DeviceCListKRef(d, "d+0")
	if !ok {
		k.bug("device %s has no root node", d)
	}
	return root
}

// vatAdminDevice is the kernel side of vat-admin: the vat-admin vat calls it
// to create and terminate vats and to manage meters (SwingSet's vatAdmin
// device).
type vatAdminDevice struct{ k *Kernel }

// deviceError is what a device returns for a failed call.
func deviceError(format string, args ...any) state.CapData {
	return kernelError(fmt.Sprintf(format, args...))
}

func (d *vatAdminDevice) invoke(caller vat.ID, node vat.KRef, method string, args state.CapData) state.CapData {
	v, err := decodeKernel(args)
	if err != nil {
		return deviceError("vatAdmin.%s: %v", method, err)
	}
	list, _ := v.([]capdata.Value)
	out, err := d.call(method, list)
	if err != nil {
		return deviceError("%s", err.Error())
	}
	cd, err := encodeKernel(out)
	if err != nil {
		return deviceError("vatAdmin.%s: %v", method, err)
	}
	return cd
}

// deviceArgs are the arguments of one device call, read with checks.
type deviceArgs struct {
	method string
	list   []capdata.Value
}

// str reads argument i as a string.
func (a deviceArgs) str(i int) (string, error) {
	if i >= len(a.list) {
		return "", fmt.Errorf("vatAdmin.%s: missing argument %d", a.method, i)
	}
	s, ok := a.list[i].(string)
	if !ok {
		return "", fmt.Errorf("vatAdmin.%s: argument %d must be a string, not %s", a.method, i, capdata.Format(a.list[i]))
	}
	return s, nil
}

// nat reads argument i as a natural number.
func (a deviceArgs) nat(i int) (uint64, error) {
	if i >= len(a.list) {
		return 0, fmt.Errorf("vatAdmin.%s: missing argument %d", a.method, i)
	}
	return natural(a.list[i])
}

// vatAdminMethods are the vat-admin device's methods, one function each.
var vatAdminMethods = map[string]func(*Kernel, deviceArgs) (capdata.Value, error){
	"createVat":            adminCreateVat,
	"createVatByName":      adminCreateVatByName,
	"createVatByBundle":    adminCreateVatByBundle,
	"terminateWithFailure": adminTerminateWithFailure,
	"upgradeVat":           adminUpgradeVat,
	"hasBundle":            adminHasBundle,
	"getBundleIDByName":    adminGetBundleIDByName,
	"hasBundleName":        adminHasBundleName,
	"createMeter":          adminCreateMeter,
	"createUnlimitedMeter": adminCreateUnlimitedMeter,
	"addMeterRemaining":    adminAddMeterRemaining,
	"setMeterThreshold":    adminSetMeterThreshold,
	"getMeter":             adminGetMeter,
}

func (d *vatAdminDevice) call(method string, args []capdata.Value) (capdata.Value, error) {
	fn, ok := vatAdminMethods[method]
	if !ok {
		return nil, fmt.Errorf("vatAdmin device has no method %q", method)
	}
	return fn(d.k, deviceArgs{method: method, list: args})
}

// createOptions reads createVat's options (argument 1): a record or absent.
func (a deviceArgs) createOptions() (*capdata.Record, error) {
	if len(a.list) < 2 {
		return nil, nil
	}
	if r, ok := a.list[1].(*capdata.Record); ok {
		return r, nil
	}
	if _, ok := a.list[1].(capdata.Undefined); ok {
		return nil, nil
	}
	return nil, fmt.Errorf("options must be a record, not %s", capdata.Format(a.list[1]))
}

// createFrom queues the creation of a vat of src with a's options.
func createFrom(k *Kernel, src state.Source, a deviceArgs) (capdata.Value, error) {
	opts, err := a.createOptions()
	if err != nil {
		return nil, err
	}
	id, err := k.requestVat(src, opts)
	return string(id), err
}

// adminCreateVat is createVat(bundleID, options).
func adminCreateVat(k *Kernel, a deviceArgs) (capdata.Value, error) {
	if _, err := a.createOptions(); err != nil {
		return nil, err
	}
	id, err := a.str(0)
	if err != nil {
		return nil, err
	}
	return createFrom(k, state.Source{BundleID: id}, a)
}

// adminCreateVatByName is createVatByName(bundleName, options).
func adminCreateVatByName(k *Kernel, a deviceArgs) (capdata.Value, error) {
	if _, err := a.createOptions(); err != nil {
		return nil, err
	}
	name, err := a.str(0)
	if err != nil {
		return nil, err
	}
	return createFrom(k, state.Source{BundleName: name}, a)
}

// adminCreateVatByBundle is createVat(bundle, options): the bundle is
// stored first.
func adminCreateVatByBundle(k *Kernel, a deviceArgs) (capdata.Value, error) {
	if _, err := a.createOptions(); err != nil {
		return nil, err
	}
	rec, ok := argAt(a.list, 0).(*capdata.Record)
	if !ok {
		return nil, errors.New("createVat(bundle) does not look like a bundle")
	}
	id, err := k.installBundle(rec)
	if err != nil {
		return nil, fmt.Errorf("Vat Creation Error: %w", err)
	}
	return createFrom(k, state.Source{BundleID: id}, a)
}

// adminTerminateWithFailure is terminateWithFailure(vatID, reason).
func adminTerminateWithFailure(k *Kernel, a deviceArgs) (capdata.Value, error) {
	id, err := a.str(0)
	if err != nil {
		return nil, err
	}
	info, err := encodeKernel(argAt(a.list, 1))
	if err != nil {
		return nil, err
	}
	if err := k.terminateVat(vat.ID(id), true, info); err != nil {
		// A critical vat: the kernel stops when the crank ends.
		k.fatal = err
	}
	return capdata.Undefined{}, nil
}

// adminUpgradeVat is upgradeVat(vatID, bundleID, vatParameters,
// upgradeMessage): it returns the upgrade's ID.
func adminUpgradeVat(k *Kernel, a deviceArgs) (capdata.Value, error) {
	id, err := a.str(0)
	if err != nil {
		return nil, err
	}
	bundleID, err := a.str(1)
	if err != nil {
		return nil, err
	}
	message, err := a.str(3)
	if err != nil {
		return nil, err
	}
	return k.requestUpgrade(vat.ID(id), bundleID, argAt(a.list, 2), message)
}

// adminHasBundle is hasBundle(bundleID).
func adminHasBundle(k *Kernel, a deviceArgs) (capdata.Value, error) {
	id, err := a.str(0)
	if err != nil {
		return nil, err
	}
	return k.store.HasBundle(id), nil
}

// adminGetBundleIDByName is getBundleIDByName(name).
func adminGetBundleIDByName(k *Kernel, a deviceArgs) (capdata.Value, error) {
	name, err := a.str(0)
	if err != nil {
		return nil, err
	}
	id, ok := k.state.NamedBundle(name)
	if !ok {
		return nil, fmt.Errorf("unknown bundle name %q", name)
	}
	return id, nil
}

// adminHasBundleName is hasBundleName(name): a named bundle or a Go vat.
func adminHasBundleName(k *Kernel, a deviceArgs) (capdata.Value, error) {
	name, err := a.str(0)
	if err != nil {
		return nil, err
	}
	_, ok := k.state.NamedBundle(name)
	return ok || k.opts.Maker.HasGoVat(name), nil
}

// adminCreateMeter is createMeter(remaining, threshold).
func adminCreateMeter(k *Kernel, a deviceArgs) (capdata.Value, error) {
	remaining, err := a.nat(0)
	if err != nil {
		return nil, err
	}
	threshold, err := a.nat(1)
	if err != nil {
		return nil, err
	}
	return k.state.AllocateMeter(state.Meter{Remaining: remaining, Threshold: threshold}), nil
}

// adminCreateUnlimitedMeter is createUnlimitedMeter().
func adminCreateUnlimitedMeter(k *Kernel, _ deviceArgs) (capdata.Value, error) {
	return k.state.AllocateMeter(state.Meter{Unlimited: true}), nil
}

// meterArgs reads (meterID, n) and the meter.
func meterArgs(k *Kernel, a deviceArgs) (string, state.Meter, uint64, error) {
	id, err := a.str(0)
	if err != nil {
		return "", state.Meter{}, 0, err
	}
	n, err := a.nat(1)
	if err != nil {
		return "", state.Meter{}, 0, err
	}
	m, ok := k.state.GetMeter(id)
	if !ok {
		return "", state.Meter{}, 0, fmt.Errorf("unknown meter %s", id)
	}
	return id, m, n, nil
}

// adminAddMeterRemaining is addMeterRemaining(meterID, n).
func adminAddMeterRemaining(k *Kernel, a deviceArgs) (capdata.Value, error) {
	id, m, n, err := meterArgs(k, a)
	if err != nil {
		return nil, err
	}
	if !m.Unlimited {
		m.Remaining += n
	}
	k.state.SetMeter(id, m)
	return capdata.Undefined{}, nil
}

// adminSetMeterThreshold is setMeterThreshold(meterID, n).
func adminSetMeterThreshold(k *Kernel, a deviceArgs) (capdata.Value, error) {
	id, m, n, err := meterArgs(k, a)
	if err != nil {
		return nil, err
	}
	m.Threshold = n
	k.state.SetMeter(id, m)
	return capdata.Undefined{}, nil
}

// adminGetMeter is getMeter(meterID): {remaining, threshold}.
func adminGetMeter(k *Kernel, a deviceArgs) (capdata.Value, error) {
	id, err := a.str(0)
	if err != nil {
		return nil, err
	}
	m, ok := k.state.GetMeter(id)
	if !ok {
		return nil, fmt.Errorf("unknown meter %s", id)
	}
	var rem capdata.Value = new(big.Int).SetUint64(m.Remaining)
	if m.Unlimited {
		rem = "unlimited"
	}
	return capdata.NewRecord("remaining", rem, "threshold", new(big.Int).SetUint64(m.Threshold)), nil
}

// natural reads a non-negative integer given as a bigint or a number.
func natural(v capdata.Value) (uint64, error) {
	switch n := v.(type) {
	case *big.Int:
		if n.Sign() >= 0 && n.IsUint64() {
			return n.Uint64(), nil
		}
	case float64:
		if n >= 0 && n == float64(uint64(n)) {
			return uint64(n), nil
		}
	}
	return 0, fmt.Errorf("%s is not a natural number", capdata.Format(v))
}

// The bounds of a vat's memory limit: enough for the JS engine and its
// prelude, at most a wasm32 instance's 4 GiB.
const (
	MinMemoryLimit = 16 << 20
	MaxMemoryLimit = 4 << 30
)

// CheckMemoryLimit checks a per-vat memory limit (bytes).
func CheckMemoryLimit(n uint64) error {
	if n < MinMemoryLimit || n > MaxMemoryLimit {
		return fmt.Errorf("%d bytes is outside [%d, %d]", n, uint64(MinMemoryLimit), uint64(MaxMemoryLimit))
	}
	return nil
}

// knownOption reports whether the device's createVat accepts the option
// (vat-admin has already checked and converted the user's options).
func knownOption(key string) bool {
	switch key {
	case "critical", "enablePipelining", "memoryLimitBytes", "meter", "name", "vatParameters":
		return true
	}
	return false
}

func argAt(args []capdata.Value, i int) capdata.Value {
	if i < len(args) {
		return args[i]
	}
	return capdata.Undefined{}
}

// installBundle stores a bundle given as a record (createVat(bundle)) and
// returns its ID.
func (k *Kernel) installBundle(rec *capdata.Record) (string, error) {
	checker, ok := k.opts.Maker.(vat.BundleChecker)
	if !ok {
		return "", errors.New("this kernel cannot install bundles at run time")
	}
	id, canonical, err := checker.CheckBundle(capdata.ToJSON(rec))
	if err != nil {
		return "", err
	}
	if !k.store.HasBundle(id) {
		k.store.PutBundle(id, canonical)
	}
	return id, nil
}

// requestVat validates a createVat request and queues the creation; it
// returns the new vat's ID. The vat is created by a later crank.
func (k *Kernel) requestVat(src state.Source, opts *capdata.Record) (vat.ID, error) {
	if opts == nil {
		opts = &capdata.Record{}
	}
	var unknown []string
	for _, key := range opts.Keys {
		if !knownOption(key) {
			unknown = append(unknown, key)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return "", fmt.Errorf("unknown options %q", strings.Join(unknown, ", "))
	}
	vo := state.VatOptions{}
	if v, ok := opts.Get("name"); ok {
		name, isStr := v.(string)
		if !isStr || !validName(name) {
			return "", fmt.Errorf("invalid vat name %s: use letters, digits, '.', '_' and '-' (under 200 characters)", capdata.Format(v))
		}
		vo.Name = name
	}
	for _, flag := range []struct {
		key string
		dst *bool
	}{{"critical", &vo.Critical}, {"enablePipelining", &vo.EnablePipelining}} {
		if v, ok := opts.Get(flag.key); ok {
			b, isBool := v.(bool)
			if !isBool {
				return "", fmt.Errorf("option %s must be a boolean", flag.key)
			}
			*flag.dst = b
		}
	}
	if v, ok := opts.Get("memoryLimitBytes"); ok {
		n, err := natural(v)
		if err == nil {
			err = CheckMemoryLimit(n)
		}
		if err != nil {
			return "", fmt.Errorf("option memoryLimitBytes: %w", err)
		}
		vo.MemoryLimit = n
	}
	if v, ok := opts.Get("meter"); ok {
		id, isStr := v.(string)
		if _, exists := k.state.GetMeter(id); !isStr || !exists {
			return "", fmt.Errorf("unknown meter %s", capdata.Format(v))
		}
		vo.MeterID = id
	}
	var params capdata.Value = capdata.Undefined{}
	if v, ok := opts.Get("vatParameters"); ok {
		params = v
	}
	pcd, err := encodeKernel(params)
	if err != nil {
		return "", fmt.Errorf("vatParameters: %w", err)
	}
	switch {
	case src.BundleID != "":
		if !k.store.HasBundle(src.BundleID) {
			return "", fmt.Errorf("Vat Creation Error: unknown bundle %s", src.BundleID)
		}
	default:
		if _, ok := k.state.NamedBundle(src.BundleName); !ok && !k.opts.Maker.HasGoVat(src.BundleName) {
			return "", fmt.Errorf("Vat Creation Error: no bundle or Go vat named %q", src.BundleName)
		}
	}
	id := k.state.AllocateVatID()
	if vo.Name == "" {
		vo.Name = string(id)
	}
	k.push(state.RunQueueItem{Type: state.ItemCreateVat, VatID: id, Source: &src, Options: &vo, Params: &pcd})
	return id, nil
}
