package kernel

import (
	"errors"
	"fmt"
	"slices"

	"github.com/cooper-kernel/cooper/capdata"
	"github.com/cooper-kernel/cooper/kernel/state"
	"github.com/cooper-kernel/cooper/vat"
)

// requestUpgrade validates an upgrade asked of the vat-admin device and
// queues it; it returns the upgrade ID vat-admin waits on.
func (k *Kernel) requestUpgrade(id vat.ID, bundleID string, params capdata.Value, message string) (string, error) {
	if !k.state.IsLive(id) {
		return "", fmt.Errorf("vat %s is not running", id)
	}
	src, err := k.upgradeSource(id, bundleID)
	if err != nil {
		return "", err
	}
	if params == nil {
		params = capdata.Undefined{}
	}
	pcd, err := encodeKernel(params)
	if err != nil {
		return "", fmt.Errorf("vatParameters: %w", err)
	}
	upgradeID := k.state.AllocateUpgradeID()
	k.push(state.RunQueueItem{Type: state.ItemUpgradeVat, VatID: id, UpgradeID: upgradeID,
		Source: &src, Params: &pcd, UpgradeMessage: message})
	return upgradeID, nil
}

// upgradeSource resolves what a vat is upgraded to: an installed bundle for
// a JS vat, or the name of a Go vat of this binary for a Go vat (Go vats
// upgrade by registering a new constructor under a new name).
func (k *Kernel) upgradeSource(id vat.ID, ref string) (state.Source, error) {
	cur, err := k.state.VatSource(id)
	if err != nil {
		return state.Source{}, err
	}
	isGo := cur.BundleName != "" && k.opts.Maker.HasGoVat(cur.BundleName)
	if _, named := k.state.NamedBundle(cur.BundleName); named {
		isGo = false
	}
	switch {
	case !isGo && k.store.HasBundle(ref):
		return state.Source{BundleID: ref}, nil
	case isGo && k.opts.Maker.HasGoVat(ref):
		return state.Source{BundleName: ref}, nil
	case isGo:
		return state.Source{}, fmt.Errorf("vat-upgrade failure: %s is a Go vat and this binary has no Go vat named %q", id, ref)
	}
	return state.Source{}, fmt.Errorf("vat-upgrade failure: unknown bundle %s", ref)
}

// processUpgradeVat replaces a vat's code, keeping its identity, its root
// object and its vatstore, as SwingSet 0.33's processUpgradeVat does:
// promises the old incarnation decided are rejected with the upgrade
// disconnection object (and forgotten, unless it subscribed to them), its
// exports other than the root and durable objects are abandoned (sends to
// them reject), and a new worker runs the new bundle's startVat with the
// new parameters and incarnation number; the transcript of the new
// incarnation starts there. If startVat fails, the whole crank is
// undone (the old incarnation runs on, untouched) and vat-admin hears
// "vat-upgrade failure".
func (k *Kernel) processUpgradeVat(item state.RunQueueItem) crankOutcome {
	id := item.VatID
	old := k.liveVat(id)
	fail := func(reason string) crankOutcome {
		return crankOutcome{abort: true, consume: true, after: func() {
			k.queueToVatAdmin("vatUpgradeCallback", item.UpgradeID, false,
				&capdata.Error{Name: "Error", Message: reason})
		}}
	}
	if old == nil {
		return fail("vat terminated")
	}
	oldIncarnation := old.incarnation
	disconnection, err := encodeKernel(capdata.NewRecord(
		"name", "vatUpgraded",
		"upgradeMessage", item.UpgradeMessage,
		"incarnationNumber", float64(oldIncarnation)))
	if err != nil {
		k.bug("encode upgrade disconnection: %v", err)
	}

	// The old incarnation's promises: the ones it decided are rejected; the
	// ones it imported stay, so that durable promise watchers can follow
	// them, and so do the rejected ones it subscribed to (a durable watcher
	// of its own promise hears the rejection). The new incarnation allocates
	// its vpids from a range of its own, so the old ones never clash.
	promises := k.state.CListPromises(id)
	var decided []vat.KRef
	for _, kp := range promises {
		pr, ok := k.state.GetPromise(kp)
		if !ok || pr.State != state.Unresolved || pr.Decider == id {
			decided = append(decided, kp)
		}
	}
	for _, kp := range decided {
		pr, ok := k.state.GetPromise(kp)
		if ok && pr.State == state.Unresolved {
			k.resolve(kp, true, disconnection)
		}
		if !ok || !slices.Contains(pr.Subscribers, id) {
			k.dropCList(id, kp)
		}
	}
	// Its exports other than the root object and durable objects are abandoned.
	for _, kref := range k.state.CListKRefs(id) {
		if kref.Kind() != vat.Object {
			continue
		}
		vref, _ := k.state.CListVRef(id, kref)
		if owner, ok := k.state.ObjectOwner(kref); ok && owner == id && vref != vat.RootVRef && !vref.Durable() {
			k.state.OrphanObject(kref)
			k.dropCList(id, kref)
		}
	}

	// The new incarnation: source, parameters (the item's references now
	// belong to vNN.vatParameters), number and transcript span.
	k.decRefs(k.state.VatParameters(id).Slots)
	k.state.SetVatSource(id, *item.Source)
	k.state.SetVatParameters(id, *item.Params)
	newIncarnation := oldIncarnation + 1
	k.state.SetIncarnation(id, newIncarnation)
	k.state.SetTranscriptStart(id, k.store.TranscriptLength(string(id)))
	k.store.DeleteSnapshot(string(id)) // the old incarnation's

	h, failure := k.startIncarnation(id, old.opts, *item.Params, uint64(newIncarnation), nil)
	if h == nil {
		return fail("vat-upgrade failure")
	}
	opts := h.opts
	if failure != "" {
		res := fail("vat-upgrade failure")
		queue := res.after
		res.after = func() {
			h.worker.Close()
			k.vats[id] = old
			k.emit(Event{Type: EventUpgradeVat, VatID: id, Name: opts.Name, Reason: failure, Rejected: true})
			// vat-admin hears only "vat-upgrade failure" (as in SwingSet); the
			// host's console gets the cause.
			if k.opts.Console != nil {
				k.opts.Console(opts.Name, "warn", fmt.Sprintf("%s failed to upgrade from incarnation %d (startVat): %s", id, oldIncarnation, failure))
			}
			queue()
		}
		return res
	}
	if k.state.PruneOldIncarnations() {
		k.store.PruneTranscript(string(id), k.state.TranscriptStart(id))
	}
	k.afterCommit = append(k.afterCommit, func() { old.worker.Close() })
	k.emit(Event{Type: EventUpgradeVat, VatID: id, Name: opts.Name, Source: item.Source.String()})
	k.queueToVatAdmin("vatUpgradeCallback", item.UpgradeID, true, capdata.Undefined{}, float64(newIncarnation))
	return crankOutcome{info: CrankInfo{Delivered: id}}
}

// InstallBundle stores a bundle (JSON, as `cooper bundle` writes it) so
// vats can be created or upgraded from it, and returns its ID.
func (k *Kernel) InstallBundle(data []byte) (string, error) {
	checker, ok := k.opts.Maker.(vat.BundleChecker)
	if !ok {
		return "", errors.New("this kernel cannot install bundles at run time")
	}
	id, canonical, err := checker.CheckBundle(data)
	if err != nil {
		return "", err
	}
	err = k.hostCrank(func() error {
		if !k.store.HasBundle(id) {
			k.store.PutBundle(id, canonical)
		}
		return nil
	})
	return id, err
}

// UpgradeStaticVat asks vat-admin to upgrade the named vat to the installed
// bundle bundleID (for a Go vat: to the Go vat of this binary named
// bundleID), as SwingSet's controller.upgradeStaticVat does. The
// returned promise (held by the host until [Kernel.ReleaseKP]) fulfills
// with {incarnationNumber} or rejects with "vat-upgrade failure".
func (k *Kernel) UpgradeStaticVat(vatName, bundleID string, vatParameters capdata.Value, upgradeMessage string) (vat.KRef, error) {
	var kp vat.KRef
	err := k.hostCrank(func() error {
		id, err := k.FindVat(vatName)
		if err != nil {
			return err
		}
		if id == k.vatAdminID() {
			return errors.New("the vat-admin vat cannot be upgraded")
		}
		adminID := k.vatAdminID()
		root, ok := k.state.CListKRef(adminID, vat.RootVRef)
		if !ok {
			return errors.New("this kernel has no vat-admin vat")
		}
		if vatParameters == nil {
			vatParameters = capdata.Undefined{}
		}
		if upgradeMessage == "" {
			upgradeMessage = "vat upgraded"
		}
		opts := capdata.NewRecord("vatParameters", vatParameters, "upgradeMessage", upgradeMessage)
		device := capdata.Slot{Ref: string(k.deviceRoot(VatAdminName)), Kind: capdata.Remotable}
		kp, err = k.queueToRoot(root, "upgradeStaticVat",
			[]capdata.Value{string(id), capdata.Undefined{}, bundleID, opts, device}, true)
		return err
	})
	return kp, err
}

// vatAdminID returns the vat-admin vat's ID ("" if it has none).
func (k *Kernel) vatAdminID() vat.ID {
	id, _ := k.state.VatIDByName(VatAdminName)
	return id
}
