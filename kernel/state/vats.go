package state

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/cooper-kernel/cooper/vat"
)

// Source is what a vat's code is made from: exactly one field is set.
type Source struct {
	BundleID   string `json:"bundleID,omitempty"`
	BundleName string `json:"bundleName,omitempty"`
}

// String shows the source as stored.
func (s Source) String() string {
	if s.BundleID != "" {
		return "bundle " + s.BundleID
	}
	return "bundleName " + s.BundleName
}

// VatOptions are the options a vat was created with.
type VatOptions struct {
	Name             string          `json:"name"`
	ManagerType      vat.ManagerType `json:"managerType"`
	Critical         bool            `json:"critical,omitempty"`
	EnablePipelining bool            `json:"enablePipelining,omitempty"`
	MeterID          string          `json:"meterID,omitempty"`
	DeliveryLimit    uint64          `json:"deliveryLimit,omitempty"`
	MemoryLimit      uint64          `json:"memoryLimit,omitempty"`
	MeteringVersion  string          `json:"meteringVersion,omitempty"`
	Dynamic          bool            `json:"dynamic,omitempty"`
}

// AllocateVatID returns a fresh vat ID.
func (s *State) AllocateVatID() vat.ID {
	return vat.ID("v" + strconv.FormatUint(s.allocate("vat.nextID"), 10))
}

// StaticVatNames returns the static vats' names in creation order.
func (s *State) StaticVatNames() []string {
	var names []string
	s.getJSON("vat.names", &names)
	return names
}

// AddStaticVat registers a static vat under its name.
func (s *State) AddStaticVat(name string, id vat.ID) {
	names := s.StaticVatNames()
	s.setJSON("vat.names", append(names, name))
	s.kv.Set("vat.name."+name, string(id))
}

// VatIDByName returns the ID of the static vat called name.
func (s *State) VatIDByName(name string) (vat.ID, bool) {
	v, ok := s.kv.Get("vat.name." + name)
	return vat.ID(v), ok
}

// DynamicVatIDs returns the live dynamic vats in creation order.
func (s *State) DynamicVatIDs() []vat.ID {
	var ids []vat.ID
	s.getJSON("vat.dynamicIDs", &ids)
	return ids
}

// AddDynamicVat adds id to the live dynamic vats. The list is appended to
// as text, without reading it, in the bytes encoding/json would write: it
// grows with every vat created.
func (s *State) AddDynamicVat(id vat.ID) {
	cur, ok := s.kv.Get("vat.dynamicIDs")
	if ok && strings.HasPrefix(cur, "[") && strings.HasSuffix(cur, "]") && plainID(string(id)) {
		sep := ","
		if cur == "[]" {
			sep = ""
		}
		s.kv.Set("vat.dynamicIDs", cur[:len(cur)-1]+sep+`"`+string(id)+`"]`)
		return
	}
	s.setJSON("vat.dynamicIDs", append(s.DynamicVatIDs(), id))
}

// plainID reports whether id is letters and digits only, which JSON
// writes as they are.
func plainID(id string) bool {
	for i := 0; i < len(id); i++ {
		if c := id[i]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return id != ""
}

// RemoveDynamicVat removes id from the live dynamic vats.
func (s *State) RemoveDynamicVat(id vat.ID) {
	ids := s.DynamicVatIDs()
	s.setJSON("vat.dynamicIDs", slices.DeleteFunc(ids, func(x vat.ID) bool { return x == id }))
}

// TerminatedVats returns the terminated vats in order of termination.
func (s *State) TerminatedVats() []vat.ID {
	var ids []vat.ID
	s.getJSON("vats.terminated", &ids)
	return ids
}

// MarkTerminated records id as terminated, and why.
func (s *State) MarkTerminated(id vat.ID, reason string) {
	s.setJSON("vats.terminated", append(s.TerminatedVats(), id))
	s.kv.Set("vat.terminated."+string(id), reason)
}

// TerminationReason returns why a terminated vat ended.
func (s *State) TerminationReason(id vat.ID) (string, bool) {
	return s.kv.Get("vat.terminated." + string(id))
}

// IsTerminated reports whether id was terminated.
func (s *State) IsTerminated(id vat.ID) bool {
	return slices.Contains(s.TerminatedVats(), id)
}

// LiveVats returns every live vat, static and dynamic, ordered by vat number.
func (s *State) LiveVats() []vat.ID {
	var ids []vat.ID
	for _, name := range s.StaticVatNames() {
		id, ok := s.VatIDByName(name)
		if !ok {
			panic(fmt.Errorf("%w: static vat %q has no ID", ErrCorrupt, name))
		}
		if !s.IsTerminated(id) {
			ids = append(ids, id)
		}
	}
	ids = append(ids, s.DynamicVatIDs()...)
	slices.SortFunc(ids, func(a, b vat.ID) int { return compareNum(string(a[1:]), string(b[1:])) })
	return ids
}

// compareNum orders decimal strings numerically.
func compareNum(a, b string) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	return strings.Compare(a, b)
}

// IsLive reports whether the vat has state and is not terminated.
func (s *State) IsLive(id vat.ID) bool {
	return s.kv.Has(string(id)+".source") && !s.IsTerminated(id)
}

// InitVat writes the definition of a new vat.
func (s *State) InitVat(id vat.ID, src Source, opts VatOptions, params CapData) {
	p := string(id)
	s.setJSON(p+".source", src)
	s.SetVatOptions(id, opts)
	s.setJSON(p+".vatParameters", params)
	s.kv.Set(p+".incarnation", "0")
	s.kv.Set(p+".o.nextID", "1")
	s.kv.Set(p+".p.nextID", "1")
	s.kv.Set(p+".d.nextID", "1")
}

// VatSource returns what the vat's code is made from.
func (s *State) VatSource(id vat.ID) (Source, error) {
	key := string(id) + ".source"
	v, ok := s.kv.Get(key)
	if !ok {
		return Source{}, fmt.Errorf("missing %s", key)
	}
	var src Source
	if err := json.Unmarshal([]byte(v), &src); err != nil || (src.BundleID == "") == (src.BundleName == "") {
		return Source{}, fmt.Errorf("%w: %s = %s", ErrCorrupt, key, v)
	}
	return src, nil
}

// VatOptions returns the options the vat was created with.
func (s *State) VatOptions(id vat.ID) (VatOptions, error) {
	key := string(id) + ".options"
	v, ok := s.kv.Get(key)
	if !ok {
		return VatOptions{}, fmt.Errorf("missing %s", key)
	}
	var o VatOptions
	if err := json.Unmarshal([]byte(v), &o); err != nil {
		return VatOptions{}, fmt.Errorf("%w: %s = %s", ErrCorrupt, key, v)
	}
	return o, nil
}

// SetVatOptions replaces the vat's options.
func (s *State) SetVatOptions(id vat.ID, o VatOptions) { s.setJSON(string(id)+".options", o) }

// VatParameters returns the parameters the vat was created with.
func (s *State) VatParameters(id vat.ID) CapData {
	var cd CapData
	s.getJSON(string(id)+".vatParameters", &cd)
	return cd
}

// Incarnation returns the vat's incarnation number.
func (s *State) Incarnation(id vat.ID) int {
	return int(s.getUint(string(id) + ".incarnation"))
}

// DeleteVatState removes every key of the vat (definition, c-list, vatstore).
// The caller has already released the references its c-list held.
func (s *State) DeleteVatState(id vat.ID) {
	for _, k := range s.kv.KeysWithPrefix(string(id) + ".") {
		s.kv.Delete(k)
	}
}

// CListVRef translates a kernel ref to the vat's ref, if the vat has one.
func (s *State) CListVRef(id vat.ID, kref vat.KRef) (vat.VRef, bool) {
	v, ok := s.kv.Get(string(id) + ".c." + string(kref))
	if !ok {
		return "", false
	}
	// "R o-4"
	if len(v) < 3 || v[1] != ' ' {
		panic(fmt.Errorf("%w: %s.c.%s = %q", ErrCorrupt, id, kref, v))
	}
	return vat.VRef(v[2:]), true
}

// CListKRef translates the vat's ref to a kernel ref, if known.
func (s *State) CListKRef(id vat.ID, vref vat.VRef) (vat.KRef, bool) {
	v, ok := s.kv.Get(string(id) + ".c." + string(vref))
	return vat.KRef(v), ok
}

// AddCList records kref ↔ vref in the vat's c-list.
func (s *State) AddCList(id vat.ID, kref vat.KRef, vref vat.VRef) {
	p := string(id) + ".c."
	s.kv.Set(p+string(kref), "R "+string(vref))
	s.kv.Set(p+string(vref), string(kref))
}

// DeleteCList removes kref ↔ vref from the vat's c-list.
func (s *State) DeleteCList(id vat.ID, kref vat.KRef, vref vat.VRef) {
	p := string(id) + ".c."
	s.kv.Delete(p + string(kref))
	s.kv.Delete(p + string(vref))
}

// CListPromises returns the kernel promises in the vat's c-list, in the
// order of their vpids' keys (p+1, p+10, p+2, ..., p-1, ...), the order
// SwingSet walks when it rejects a dead vat's promises.
func (s *State) CListPromises(id vat.ID) []vat.KRef {
	p := string(id) + ".c.p"
	keys := s.kv.KeysWithPrefix(p)
	out := make([]vat.KRef, 0, len(keys))
	for _, k := range keys {
		v, _ := s.kv.Get(k)
		out = append(out, parseKRef(k, v))
	}
	return out
}

// CListKRefs returns the kernel refs in the vat's c-list, in key order.
func (s *State) CListKRefs(id vat.ID) []vat.KRef {
	p := string(id) + ".c.k"
	keys := s.kv.KeysWithPrefix(p)
	out := make([]vat.KRef, len(keys))
	for i, k := range keys {
		out[i] = vat.KRef(k[len(p)-1:])
	}
	return out
}

// CListVRefs lists the vat refs of the vat's c-list (its forward entries),
// in key order.
func (s *State) CListVRefs(id vat.ID) []vat.VRef {
	var out []vat.VRef
	for _, kind := range []string{"d", "o", "p"} {
		p := string(id) + ".c." + kind
		for _, k := range s.kv.KeysWithPrefix(p) {
			out = append(out, vat.VRef(k[len(p)-1:]))
		}
	}
	return out
}

// AllocateImport returns a fresh kernel-allocated vref (o-N, p-N, d-N) for the vat.
func (s *State) AllocateImport(id vat.ID, kind vat.RefKind) vat.VRef {
	n := s.allocate(string(id) + "." + string(kind) + ".nextID")
	return vat.MakeVRef(kind, false, n)
}

// vatstoreKey is the kv key of a vat's own store entry.
func vatstoreKey(id vat.ID, key string) string { return string(id) + ".vs." + key }

// VatstoreGet reads entry key of vat id's own store (its vatstore).
func (s *State) VatstoreGet(id vat.ID, key string) (string, bool) {
	return s.kv.Get(vatstoreKey(id, key))
}

// VatstoreSet writes entry key of vat id's own store.
func (s *State) VatstoreSet(id vat.ID, key, value string) { s.kv.Set(vatstoreKey(id, key), value) }

// VatstoreDelete deletes entry key of vat id's own store.
func (s *State) VatstoreDelete(id vat.ID, key string) { s.kv.Delete(vatstoreKey(id, key)) }

// VatstoreNextKey returns the first key of vat id's own store after key
// in order; ok is false when there is none.
func (s *State) VatstoreNextKey(id vat.ID, key string) (next string, ok bool) {
	prefix := vatstoreKey(id, "")
	next, ok = s.kv.GetNextKey(prefix + key)
	if !ok || !strings.HasPrefix(next, prefix) {
		return "", false
	}
	return next[len(prefix):], true
}
