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
	"errors"
	"fmt"
	"math/big"

	"github.com/cooper-kernel/cooper/capdata"
	"github.com/cooper-kernel/cooper/worker/gonative"
)

// GoName is the Go vat name the kernel creates the vat-admin vat from.
const GoName = "vat-admin"

type vatAdmin struct {
	p      *gonative.Powers
	device any
	// Lookups only: maps are never iterated, so vat behaviour stays deterministic.
	pending    map[string]*kit // vatID → creation result
	done       map[string]*kit // vatID → done()
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
		p:          p,
		pending:    map[string]*kit{},
		done:       map[string]*kit{},
		bundleCaps: map[string]*gonative.Far{},
		bundleIDs:  map[*gonative.Far]string{},
		meterIDs:   map[*gonative.Far]string{},
		meters:     map[string]*meter{},
	}
	return gonative.NewFar("vatAdmin", gonative.Methods{
		"createVatAdminService": va.createService,
		"newVatCallback":        va.newVatCallback,
		"vatTerminated":         va.vatTerminated,
		"meterCrossedThreshold": va.meterCrossedThreshold,
	})
}

func (va *vatAdmin) createService(args []any) (any, error) {
	if len(args) != 1 {
		return nil, errors.New("createVatAdminService(vatAdminDevice) takes one argument")
	}
	if va.device != nil {
		return nil, errors.New("createVatAdminService may be called only once")
	}
	va.device = args[0]
	return gonative.NewFar("vatAdminService", gonative.Methods{
		"createVat":            va.createVat,
		"createVatByName":      va.createVatByName,
		"getBundleCap":         va.getBundleCap,
		"getNamedBundleCap":    va.getNamedBundleCap,
		"getBundleIDByName":    va.getBundleIDByName,
		"createMeter":          va.createMeter,
		"createUnlimitedMeter": va.createUnlimitedMeter,
	}), nil
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

func (va *vatAdmin) createVat(args []any) (any, error) {
	if len(args) == 0 {
		return nil, errors.New("createVat(bundleCap, options) needs a bundle cap or bundle ID")
	}
	var id string
	switch b := args[0].(type) {
	case string:
		id = b
	case *gonative.Far:
		var ok bool
		if id, ok = va.bundleIDs[b]; !ok {
			return nil, errors.New("createVat: not a bundle cap")
		}
	default:
		return nil, fmt.Errorf("createVat: %s is not a bundle cap or bundle ID", capdata.Format(b))
	}
	return va.create("createVat", id, args[1:])
}

func (va *vatAdmin) createVatByName(args []any) (any, error) {
	if len(args) == 0 {
		return nil, errors.New("createVatByName(bundleName, options) needs a name")
	}
	name, ok := args[0].(string)
	if !ok {
		return nil, fmt.Errorf("createVatByName: bundle name %s is not a string", capdata.Format(args[0]))
	}
	return va.create("createVatByName", name, args[1:])
}

func (va *vatAdmin) create(method, ref string, rest []any) (any, error) {
	var opts any = capdata.Undefined{}
	if len(rest) > 0 {
		opts = rest[0]
	}
	if r, ok := opts.(*capdata.Record); ok {
		if m, ok := r.Get("meter"); ok {
			far, isFar := m.(*gonative.Far)
			id, known := va.meterIDs[far]
			if !isFar || !known {
				return nil, errors.New("createVat: option meter is not a meter")
			}
			r = copyRecord(r)
			r.Set("meter", id)
			opts = r
		}
	}
	v, err := va.call(method, ref, opts)
	if err != nil {
		return nil, err
	}
	vatID, _ := v.(string)
	k := va.newKit()
	va.pending[vatID] = k
	va.done[vatID] = va.newKit()
	return k.promise, nil
}

func copyRecord(r *capdata.Record) *capdata.Record {
	c := &capdata.Record{}
	for i, k := range r.Keys {
		c.Set(k, r.Values[i])
	}
	return c
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
		if d := va.done[vatID]; d != nil {
			d.reject(&capdata.Error{Name: "Error", Message: m})
			delete(va.done, vatID)
		}
		return capdata.Undefined{}, nil
	}
	root, _ := res.Get("rootObject")
	k.resolve(capdata.NewRecord("root", root, "adminNode", va.adminNode(vatID)))
	return capdata.Undefined{}, nil
}

func (va *vatAdmin) adminNode(vatID string) *gonative.Far {
	return gonative.NewFar("adminNode", gonative.Methods{
		"done": func([]any) (any, error) {
			if d := va.done[vatID]; d != nil {
				return d.promise, nil
			}
			return nil, fmt.Errorf("unknown vat %s", vatID)
		},
		"terminateWithFailure": func(args []any) (any, error) {
			var reason any = capdata.Undefined{}
			if len(args) > 0 {
				reason = args[0]
			}
			_, err := va.call("terminateWithFailure", vatID, reason)
			return capdata.Undefined{}, err
		},
		"upgrade": func([]any) (any, error) {
			return nil, errors.New("vat upgrade is not yet supported")
		},
	})
}

func (va *vatAdmin) vatTerminated(args []any) (any, error) {
	if len(args) != 3 {
		return nil, errors.New("vatTerminated(vatID, shouldReject, info)")
	}
	vatID, _ := args[0].(string)
	reject, _ := args[1].(bool)
	d := va.done[vatID]
	if d == nil {
		return capdata.Undefined{}, nil // a static vat
	}
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
