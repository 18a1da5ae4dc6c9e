// Package vatadmin is the built-in vat-admin vat: the vat side of dynamic
// vat creation, as SwingSet's vat-vat-admin. The bootstrap vat reaches it as
//
//	svc = await E(vats.vatAdmin).createVatAdminService(devices.vatAdmin)
//
// and then creates vats with E(svc).createVat(bundleCap, options) or
// E(svc).createVatByName(name, options), each answering {root, adminNode}.
// The vat-admin device does the kernel's part; the kernel reports back with
// newVatCallback, vatTerminated and meterCrossedThreshold.
package vatadmin

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"

	"github.com/cooper-kernel/cooper/capdata"
	"github.com/cooper-kernel/cooper/worker/gonative"
)

type vatAdmin struct {
	p       *gonative.Powers
	device  any
	service *gonative.Far
	// criticalKey is the capability createVat needs to make a critical vat
	// (SwingSet's criticalVatKey).
	criticalKey *gonative.Far
	// Lookups only: maps are never iterated, so vat behaviour stays deterministic.
	pending    map[string]*kit // vatID → creation result
	upgrades   map[string]*kit // upgradeID → upgrade result
	running    map[string]*kit // vatID → done(), while the vat runs
	exiting    map[string]bool // vatID → termination requested
	ended      map[string]*kit // vatID → done(), once the vat has ended
	bundleCaps map[string]*gonative.Far
	bundleIDs  map[*gonative.Far]string
	meterIDs   map[*gonative.Far]string
	meters     map[string]*meter
}

type kit struct {
	promise *gonative.Promise
	resolve func(any)
	reject  func(any)
}

func (va *vatAdmin) newKit() *kit {
	p, res, rej := va.p.NewPromise()
	return &kit{p, res, rej}
}

// Build is the vat-admin vat's constructor.
func Build(p *gonative.Powers, _ any, _ *gonative.Baggage) any {
	va := &vatAdmin{
		p:           p,
		criticalKey: gonative.NewFar("criticalVatKey", gonative.Methods{}),
		pending:     map[string]*kit{},
		upgrades:    map[string]*kit{},
		running:     map[string]*kit{},
		exiting:     map[string]bool{},
		ended:       map[string]*kit{},
		bundleCaps:  map[string]*gonative.Far{},
		bundleIDs:   map[*gonative.Far]string{},
		meterIDs:    map[*gonative.Far]string{},
		meters:      map[string]*meter{},
	}
	return gonative.NewFar("vatAdmin", gonative.Methods{
		"createVatAdminService": va.createService,
		"getCriticalVatKey":     func([]any) (any, error) { return va.criticalKey, nil },
		"newVatCallback":        va.newVatCallback,
		"vatUpgradeCallback":    va.vatUpgradeCallback,
		"upgradeStaticVat":      va.upgradeStaticVat,
		"vatTerminated":         va.vatTerminated,
		"meterCrossedThreshold": va.meterCrossedThreshold,
	})
}

func (va *vatAdmin) createService(args []any) (any, error) {
	if len(args) != 1 {
		return nil, errors.New("createVatAdminService(vatAdminDevice) takes one argument")
	}
	if va.service != nil {
		return nil, errors.New("createVatAdminService may be called only once")
	}
	va.device = args[0]
	va.service = gonative.NewFar("vatAdminService", gonative.Methods{
		"createVat":            va.createVat,
		"createVatByName":      va.createVatByName,
		"getBundleCap":         va.getBundleCap,
		"getNamedBundleCap":    va.getNamedBundleCap,
		"getBundleIDByName":    va.getBundleIDByName,
		"createMeter":          va.createMeter,
		"createUnlimitedMeter": va.createUnlimitedMeter,
	})
	return va.service, nil
}

// call invokes the vat-admin device; a returned Error is a failure.
func (va *vatAdmin) call(method string, args ...any) (any, error) {
	v, err := va.p.Call(va.device, method, args...)
	if err != nil {
		return nil, err
	}
	if e, ok := v.(*capdata.Error); ok {
		return nil, e
	}
	return v, nil
}

// createVat(bundleOrBundleCap, options): a bundle cap from this service, a
// bundle ID (Cooper's addition), or a whole bundle object.
func (va *vatAdmin) createVat(args []any) (any, error) {
	if len(args) == 0 {
		return nil, errors.New("Vat Creation Error: createVat() requires a bundlecap")
	}
	opts, err := va.convertOptions(args[1:])
	if err != nil {
		return nil, err
	}
	switch b := args[0].(type) {
	case string:
		return va.create("createVat", b, opts)
	case *gonative.Far:
		id, ok := va.bundleIDs[b]
		if !ok {
			return nil, errors.New("Vat Creation Error: createVat() requires a bundlecap")
		}
		return va.create("createVat", id, opts)
	case *capdata.Record:
		if _, ok := b.Get("moduleFormat"); !ok {
			return nil, errors.New("createVat(bundle) does not look like a bundle")
		}
		return va.create("createVatByBundle", b, opts)
	case *gonative.Presence:
		return nil, errors.New("Vat Creation Error: createVat() requires a bundlecap")
	}
	return nil, errors.New("createVat(bundle) does not look like a bundle")
}

func (va *vatAdmin) createVatByName(args []any) (any, error) {
	if len(args) == 0 {
		return nil, errors.New("createVatByName() requires bundleName to be a string")
	}
	name, ok := args[0].(string)
	if !ok {
		return nil, errors.New("createVatByName() requires bundleName to be a string")
	}
	opts, err := va.convertOptions(args[1:])
	if err != nil {
		return nil, err
	}
	return va.create("createVatByName", name, opts)
}

// managerTypes are the managerType values SwingSet accepts; Cooper runs
// every JS vat on its own JS worker whichever is named.
var managerTypes = []string{"local", "node-subprocess", "xsnap", "xs-worker"}

// convertOptions checks createVat's options as SwingSet's vat-admin does
// (with its error texts) and turns them into what the device takes:
// the meter becomes its ID and the critical key a boolean.
func (va *vatAdmin) convertOptions(rest []any) (*capdata.Record, error) {
	out := &capdata.Record{}
	if len(rest) == 0 {
		return out, nil
	}
	if _, undef := rest[0].(capdata.Undefined); undef {
		return out, nil
	}
	opts, ok := rest[0].(*capdata.Record)
	if !ok {
		return nil, fmt.Errorf("CreateVatOptions: options must be a record, not %s", capdata.Format(rest[0]))
	}
	var unknown []string
	for i, key := range opts.Keys {
		v := opts.Values[i]
		if isFalsy(v) && key != "vatParameters" {
			continue
		}
		switch key {
		case "name":
			name, ok := v.(string)
			if !ok {
				return nil, errors.New("CreateVatOptions((a string))")
			}
			if len([]rune(name)) >= 200 {
				return nil, fmt.Errorf("CreateVatOptions: oversized vat name %s", quote(name))
			}
			if !validName(name) {
				return nil, fmt.Errorf("CreateVatOptions: bad vat name %s", quote(name))
			}
			out.Set("name", name)
		case "managerType":
			mt, ok := v.(string)
			if !ok {
				return nil, errors.New("CreateVatOptions((a string))")
			}
			if !slices.Contains(managerTypes, mt) {
				return nil, fmt.Errorf("CreateVatOptions: bad managerType %s", mt)
			}
		case "enableSetup", "enablePipelining", "useTranscript":
			b, ok := v.(bool)
			if !ok {
				return nil, errors.New("CreateVatOptions((a string))")
			}
			if key == "enablePipelining" {
				out.Set(key, b)
			}
		case "memoryLimitBytes":
			// Cooper's own option: the vat's memory cap (wasm JS vats).
			if _, ok := v.(float64); !ok {
				return nil, errors.New("CreateVatOptions: memoryLimitBytes must be a number")
			}
			out.Set(key, v)
		case "reapInterval":
			if _, ok := v.(float64); !ok {
				return nil, errors.New("CreateVatOptions((a string))")
			}
		case "nodeOptions":
			return nil, errors.New("CreateVatOptions: nodeOptions requires managerType='node-subprocess'")
		case "meter":
			far, _ := v.(*gonative.Far)
			id, known := va.meterIDs[far]
			if !known {
				return nil, errors.New("CreateVatOptions: meter is not a meter made by this vat-admin service")
			}
			out.Set("meter", id)
		case "critical":
			if v != any(va.criticalKey) {
				return nil, errors.New("invalid criticalVatKey")
			}
			out.Set("critical", true)
		case "vatParameters":
			out.Set("vatParameters", v)
		default:
			unknown = append(unknown, key)
		}
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("CreateVatOptions: unknown options %s", quote(strings.Join(unknown, ",")))
	}
	return out, nil
}

// isFalsy reports the values SwingSet's option checks skip (undefined,
// null, false, 0, "").
func isFalsy(v any) bool {
	switch x := v.(type) {
	case nil, capdata.Undefined:
		return true
	case bool:
		return !x
	case float64:
		return x == 0
	case string:
		return x == ""
	}
	return false
}

// quote renders s as @endo/errors' q() does: as JSON.
func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// validName is SwingSet's rule for vat names.
func validName(name string) bool {
	if name == "" {
		return false
	}
	for _, c := range []byte(name) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
		if !ok {
			return false
		}
	}
	return true
}

// create asks the device for a new vat and answers a promise for its
// {root, adminNode}; the vat counts as running from now on.
func (va *vatAdmin) create(method string, ref any, opts *capdata.Record) (any, error) {
	v, err := va.call(method, ref, opts)
	if err != nil {
		return nil, err
	}
	vatID, _ := v.(string)
	k := va.newKit()
	va.pending[vatID] = k
	va.running[vatID] = va.newKit()
	return k.promise, nil
}

func (va *vatAdmin) newVatCallback(args []any) (any, error) {
	if len(args) != 2 {
		return nil, errors.New("newVatCallback(vatID, result)")
	}
	vatID, _ := args[0].(string)
	res, _ := args[1].(*capdata.Record)
	k := va.pending[vatID]
	if k == nil || res == nil {
		return nil, fmt.Errorf("newVatCallback for unknown vat %s", vatID)
	}
	delete(va.pending, vatID)
	if msg, ok := res.Get("error"); ok {
		m, _ := msg.(string)
		k.reject(&capdata.Error{Name: "Error", Message: m})
		if d := va.running[vatID]; d != nil {
			delete(va.running, vatID)
			va.ended[vatID] = d
			d.reject(&capdata.Error{Name: "Error", Message: m})
		}
		return capdata.Undefined{}, nil
	}
	root, _ := res.Get("rootObject")
	k.resolve(capdata.NewRecord("root", root, "adminNode", va.adminNode(vatID)))
	return capdata.Undefined{}, nil
}

// assertRunning refuses an operation on a vat that has ended (or, unless
// exitingOK, is being terminated), with SwingSet's words.
func (va *vatAdmin) assertRunning(vatID, op string, exitingOK bool) error {
	if va.running[vatID] != nil && (exitingOK || !va.exiting[vatID]) {
		return nil
	}
	return fmt.Errorf("vatAdminService rejecting attempt to perform %s() on non-running vat %s", quote(op), quote(vatID))
}

func (va *vatAdmin) adminNode(vatID string) *gonative.Far {
	return gonative.NewFar("adminNode", gonative.Methods{
		// done answers how the vat ended; unlike SwingSet's, it also
		// answers after the vat has ended (DESIGN.md §6).
		"done": func([]any) (any, error) {
			if d := va.running[vatID]; d != nil {
				return d.promise, nil
			}
			if d := va.ended[vatID]; d != nil {
				return d.promise, nil
			}
			return nil, va.assertRunning(vatID, "done", true)
		},
		"terminateWithFailure": func(args []any) (any, error) {
			if err := va.assertRunning(vatID, "terminateWithFailure", false); err != nil {
				return nil, err
			}
			var reason any = capdata.Undefined{}
			if len(args) > 0 {
				reason = args[0]
			}
			va.exiting[vatID] = true
			_, err := va.call("terminateWithFailure", vatID, reason)
			return capdata.Undefined{}, err
		},
		"upgrade": func(args []any) (any, error) {
			if err := va.assertRunning(vatID, "upgrade", false); err != nil {
				return nil, err
			}
			bc, _ := argOr(args, 0).(*gonative.Far)
			bundleID, ok := va.bundleIDs[bc]
			if !ok {
				return nil, fmt.Errorf("vatAdmin.upgrade() requires a bundlecap: %s", capdata.Format(argOr(args, 0)))
			}
			return va.upgrade(vatID, bundleID, argOr(args, 1))
		},
		"changeOptions": func(args []any) (any, error) {
			if err := va.assertRunning(vatID, "changeOptions", false); err != nil {
				return nil, err
			}
			opts, _ := argOr(args, 0).(*capdata.Record)
			if opts == nil {
				return nil, errors.New("changeOptions(options) needs a record")
			}
			for i, key := range opts.Keys {
				if key != "reapInterval" {
					return nil, fmt.Errorf("invalid option %s", quote(key))
				}
				if n, ok := opts.Values[i].(float64); !(ok && n >= 0 && n == float64(uint64(n))) && opts.Values[i] != "never" {
					return nil, errors.New("invalid reapInterval value")
				}
			}
			return capdata.Undefined{}, nil // Cooper has no reaping to tune
		},
	})
}

func argOr(args []any, i int) any {
	if i < len(args) {
		return args[i]
	}
	return capdata.Undefined{}
}

func (va *vatAdmin) vatTerminated(args []any) (any, error) {
	if len(args) != 3 {
		return nil, errors.New("vatTerminated(vatID, shouldReject, info)")
	}
	vatID, _ := args[0].(string)
	reject, _ := args[1].(bool)
	if k := va.pending[vatID]; k != nil {
		// The vat died in its startVat: the creation fails with the reason.
		delete(va.pending, vatID)
		k.reject(&capdata.Error{Name: "Error", Message: "Vat Creation Error: " + capdata.Format(args[2])})
	}
	d := va.running[vatID]
	if d == nil {
		return capdata.Undefined{}, nil // a static vat
	}
	delete(va.running, vatID)
	delete(va.exiting, vatID)
	va.ended[vatID] = d
	if reject {
		d.reject(args[2])
	} else {
		d.resolve(args[2])
	}
	return capdata.Undefined{}, nil
}

func (va *vatAdmin) bundleCap(id string) *gonative.Far {
	if bc, ok := va.bundleCaps[id]; ok {
		return bc
	}
	bc := gonative.NewFar("BundleCap", gonative.Methods{
		"getBundleID": func([]any) (any, error) { return id, nil },
	})
	va.bundleCaps[id] = bc
	va.bundleIDs[bc] = id
	return bc
}

func stringArg(method string, args []any) (string, error) {
	if len(args) < 1 {
		return "", fmt.Errorf("%s needs a string argument", method)
	}
	s, ok := args[0].(string)
	if !ok {
		return "", fmt.Errorf("%s: %s is not a string", method, capdata.Format(args[0]))
	}
	return s, nil
}

func (va *vatAdmin) getBundleCap(args []any) (any, error) {
	id, err := stringArg("getBundleCap", args)
	if err != nil {
		return nil, err
	}
	ok, err := va.call("hasBundle", id)
	if err != nil {
		return nil, err
	}
	if ok != true {
		return nil, fmt.Errorf("bundleID not yet installed: %s", id)
	}
	return va.bundleCap(id), nil
}

func (va *vatAdmin) getNamedBundleCap(args []any) (any, error) {
	id, err := va.getBundleIDByName(args)
	if err != nil {
		return nil, err
	}
	return va.bundleCap(id.(string)), nil
}

func (va *vatAdmin) getBundleIDByName(args []any) (any, error) {
	name, err := stringArg("getBundleIDByName", args)
	if err != nil {
		return nil, err
	}
	return va.call("getBundleIDByName", name)
}

// meter is a budget of computrons held as an object; vats created with it
// draw on it. Its notifier fires when remaining drops below the threshold.
type meter struct {
	id      string
	updates uint64
	waiters []*kit
	last    any
}

func (va *vatAdmin) createMeter(args []any) (any, error) {
	if len(args) != 2 {
		return nil, errors.New("createMeter(remaining, threshold)")
	}
	id, err := va.call("createMeter", args[0], args[1])
	if err != nil {
		return nil, err
	}
	return va.meterObject(id.(string)), nil
}

func (va *vatAdmin) createUnlimitedMeter([]any) (any, error) {
	id, err := va.call("createUnlimitedMeter")
	if err != nil {
		return nil, err
	}
	return va.meterObject(id.(string)), nil
}

func (va *vatAdmin) meterObject(id string) *gonative.Far {
	m := &meter{id: id}
	va.meters[id] = m
	notifier := gonative.NewFar("MeterNotifier", gonative.Methods{
		// getUpdateSince(count) answers {value, updateCount} once an update
		// newer than count exists, as @agoric/notifier does.
		"getUpdateSince": func(args []any) (any, error) {
			var since uint64
			if len(args) > 0 {
				if n, ok := args[0].(float64); ok && n >= 0 {
					since = uint64(n)
				}
			}
			if m.updates > since {
				return m.update(), nil
			}
			k := va.newKit()
			m.waiters = append(m.waiters, k)
			return k.promise, nil
		},
	})
	far := gonative.NewFar("meter", gonative.Methods{
		"addRemaining": func(args []any) (any, error) {
			if len(args) != 1 {
				return nil, errors.New("addRemaining(delta)")
			}
			_, err := va.call("addMeterRemaining", id, args[0])
			return capdata.Undefined{}, err
		},
		"setThreshold": func(args []any) (any, error) {
			if len(args) != 1 {
				return nil, errors.New("setThreshold(threshold)")
			}
			_, err := va.call("setMeterThreshold", id, args[0])
			return capdata.Undefined{}, err
		},
		"get":         func([]any) (any, error) { return va.call("getMeter", id) },
		"getNotifier": func([]any) (any, error) { return notifier, nil },
	})
	va.meterIDs[far] = id
	return far
}

func (m *meter) update() any {
	return capdata.NewRecord("value", m.last, "updateCount", float64(m.updates))
}

func (va *vatAdmin) meterCrossedThreshold(args []any) (any, error) {
	if len(args) != 2 {
		return nil, errors.New("meterCrossedThreshold(meterID, remaining)")
	}
	id, _ := args[0].(string)
	m := va.meters[id]
	if m == nil {
		return capdata.Undefined{}, nil
	}
	rem, _ := args[1].(*big.Int)
	m.updates++
	m.last = capdata.NewRecord("remaining", rem)
	ws := m.waiters
	m.waiters = nil
	for _, w := range ws {
		w.resolve(m.update())
	}
	return capdata.Undefined{}, nil
}

// upgrade asks the device to upgrade vatID to bundleID with options
// {vatParameters, upgradeMessage} and answers a promise for
// {incarnationNumber}, as SwingSet's upgradeVat.
func (va *vatAdmin) upgrade(vatID, bundleID string, options any) (any, error) {
	var params any = capdata.Undefined{}
	message := "vat upgraded"
	switch o := options.(type) {
	case capdata.Undefined:
	case *capdata.Record:
		var unknown []string
		for i, key := range o.Keys {
			switch key {
			case "vatParameters":
				params = o.Values[i]
			case "upgradeMessage":
				m, ok := o.Values[i].(string)
				if !ok {
					return nil, errors.New("upgradeMessage not a string")
				}
				message = m
			default:
				unknown = append(unknown, key)
			}
		}
		if len(unknown) > 0 {
			return nil, fmt.Errorf("upgrade() received unknown options: %s", quote(strings.Join(unknown, ",")))
		}
	default:
		return nil, fmt.Errorf("upgrade() options must be a record, not %s", capdata.Format(options))
	}
	v, err := va.call("upgradeVat", vatID, bundleID, params, message)
	if err != nil {
		return nil, err
	}
	upgradeID, _ := v.(string)
	k := va.newKit()
	va.upgrades[upgradeID] = k
	return k.promise, nil
}

// upgradeStaticVat(vatID, pauseTarget, bundleID, options, device) upgrades
// a vat for the host (SwingSet's controller.upgradeStaticVat); the kernel
// passes the vat-admin device along, since the bootstrap may never have
// called createVatAdminService. Cooper has no pause protocol: pauseTarget
// must be undefined.
func (va *vatAdmin) upgradeStaticVat(args []any) (any, error) {
	vatID, _ := argOr(args, 0).(string)
	bundleID, _ := argOr(args, 2).(string)
	if vatID == "" || bundleID == "" {
		return nil, errors.New("upgradeStaticVat(vatID, pauseTarget, bundleID, options)")
	}
	if _, ok := argOr(args, 1).(capdata.Undefined); !ok {
		return nil, errors.New("upgradeStaticVat: pauseTarget is not supported; pass undefined")
	}
	if va.device == nil {
		dev := argOr(args, 4)
		if _, missing := dev.(capdata.Undefined); missing {
			return nil, errors.New("vatAdmin device not configured")
		}
		va.device = dev
	}
	return va.upgrade(vatID, bundleID, argOr(args, 3))
}

// vatUpgradeCallback(upgradeID, success, error, incarnationNumber) settles
// the upgrade's promise.
func (va *vatAdmin) vatUpgradeCallback(args []any) (any, error) {
	upgradeID, _ := argOr(args, 0).(string)
	k := va.upgrades[upgradeID]
	if k == nil {
		return nil, fmt.Errorf("vatUpgradeCallback for unknown upgrade %s", quote(upgradeID))
	}
	delete(va.upgrades, upgradeID)
	if argOr(args, 1) == true {
		k.resolve(capdata.NewRecord("incarnationNumber", argOr(args, 3)))
	} else {
		k.reject(argOr(args, 2))
	}
	return capdata.Undefined{}, nil
}
