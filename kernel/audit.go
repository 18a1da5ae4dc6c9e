package kernel

import (
	"fmt"
	"slices"

	"github.com/cooper-kernel/cooper/kernel/state"
	"github.com/cooper-kernel/cooper/vat"
)

// RefCountMismatch is a kernel ref whose stored reference count differs from
// the references the kernel tables hold.
type RefCountMismatch struct {
	KRef    vat.KRef
	Stored  uint64
	Counted uint64
}

// AuditRefCounts recounts every kernel object's and promise's references —
// c-list entries (but an exporter's own), run-queue items, messages queued
// on promises, promise resolutions, vat parameters and host pins — and
// returns the refs whose stored count differs, in kref order.
func AuditRefCounts(st *state.State) []RefCountMismatch {
	counted := map[vat.KRef]uint64{}
	count := func(refs ...vat.KRef) {
		for _, r := range refs {
			if r.Kind() != vat.Device {
				counted[r]++
			}
		}
	}
	for _, id := range st.LiveVats() {
		for _, kref := range st.CListKRefs(id) {
			vref, _ := st.CListVRef(id, kref)
			if kref.Kind() == vat.Object && vref.Allocated() {
				continue
			}
			count(kref)
		}
		count(st.VatParameters(id).Slots...)
	}
	for _, it := range st.RunQueue() {
		count(itemRefs(&it)...)
	}
	all := st.CountedRefs()
	for _, kref := range all {
		if kref.Kind() != vat.Promise {
			continue
		}
		p, ok := st.GetPromise(kref)
		if !ok {
			continue
		}
		if p.State == state.Unresolved {
			for _, m := range st.PromiseQueue(kref) {
				count(msgRefs(&m)...)
			}
		}
		count(p.Data.Slots...)
		for range st.Pins(kref) {
			count(kref)
		}
	}
	for r := range counted {
		if !slices.Contains(all, r) {
			all = append(all, r)
		}
	}
	slices.SortFunc(all, cmpKRef)
	var out []RefCountMismatch
	for _, r := range all {
		if stored := st.RefCount(r); stored != counted[r] {
			out = append(out, RefCountMismatch{KRef: r, Stored: stored, Counted: counted[r]})
		}
	}
	return out
}

// AuditCLists checks that each live vat's c-list has both directions of
// every entry (vNN.c.<kref> = "R <vref>" and vNN.c.<vref> = <kref>) and
// that they agree; it describes each entry that does not, in vat order.
func AuditCLists(st *state.State) []string {
	var out []string
	for _, id := range st.LiveVats() {
		for _, kref := range st.CListKRefs(id) {
			vref, _ := st.CListVRef(id, kref)
			if back, ok := st.CListKRef(id, vref); !ok || back != kref {
				out = append(out, fmt.Sprintf("%s.c.%s = %s, but %s.c.%s = %q", id, kref, vref, id, vref, back))
			}
		}
		for _, vref := range st.CListVRefs(id) {
			kref, _ := st.CListKRef(id, vref)
			if back, ok := st.CListVRef(id, kref); !ok || back != vref {
				out = append(out, fmt.Sprintf("%s.c.%s = %s, but %s.c.%s = %q", id, vref, kref, id, kref, back))
			}
		}
	}
	return out
}
