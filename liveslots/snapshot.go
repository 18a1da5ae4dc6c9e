package liveslots

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/cooper-kernel/cooper/capdata"
	"github.com/cooper-kernel/cooper/vat"
)

// Restorable is a Face whose language objects are numbered references
// that live in the language's heap, so that liveslots' tables can be saved
// beside a snapshot of that heap ([Liveslots.Save]) and rebuilt from it
// ([Restore]). Its pending Watch callbacks are data too: each has a key,
// and a restored face gets the callback of a key from [Liveslots.Watcher].
type Restorable interface {
	Face
	// RefNumber returns the number of language object v; ok is false for
	// a value the face did not number.
	RefNumber(v any) (n uint64, ok bool)
	// RefValue returns the language object numbered n; ok is false if n
	// cannot be one.
	RefValue(n uint64) (v any, ok bool)
	// Settler returns the settle function of p, a promise NewPromise made.
	Settler(p any) func(rejected bool, v capdata.Value)
	// WatchKey is Watch where key names settled (see [Liveslots.Watcher]).
	WatchKey(v any, key string, settled func(rejected bool, v capdata.Value))
}

// ErrBadState is wrapped by the errors of [Restore] and [Liveslots.Watcher]
// for saved tables that do not decode.
var ErrBadState = errors.New("liveslots: malformed saved state")

// savedVersion is the version of the saved form; a change of liveslots'
// tables or of the meaning of a watch key needs a new one.
const savedVersion = 1

// saved is the data form of a Liveslots between deliveries. Tables are
// lists sorted by vref (vals by number), so equal tables encode equally.
type saved struct {
	Version     int        `json:"version"`
	ID          vat.ID     `json:"id"`
	Started     bool       `json:"started"`
	NextExport  uint64     `json:"nextExport"`
	NextPromise uint64     `json:"nextPromise"`
	NextErrorID uint64     `json:"nextErrorID"`
	PromiseBase uint64     `json:"promiseBase"`
	Pinned      []vat.VRef `json:"pinned,omitempty"`
	Slots       []savedRef `json:"slots"`    // slotToVal
	Vals        []savedRef `json:"vals"`     // valToSlot
	Exported    []savedRef `json:"exported"` // exportedVPIDs
	Imported    []savedRef `json:"imported"` // importedVPIDs
}

type savedRef struct {
	VRef vat.VRef `json:"r"`
	N    uint64   `json:"n"`
}

// followKey is the Watch key of the callback that resolves an exported vpid.
func followKey(vpid vat.VRef) string { return "follow " + string(vpid) }

// watch is Face.Watch, with a key when the face keeps them.
func (ls *Liveslots) watch(p any, key string, settled func(bool, capdata.Value)) {
	if r, ok := ls.face.(Restorable); ok {
		r.WatchKey(p, key, settled)
		return
	}
	ls.face.Watch(p, settled)
}

// Watcher returns the callback a restored face keeps for a Watch key.
func (ls *Liveslots) Watcher(key string) (func(rejected bool, v capdata.Value), error) {
	ref, ok := strings.CutPrefix(key, "follow ")
	if !ok {
		return nil, fmt.Errorf("%w: unknown watch key %q", ErrBadState, key)
	}
	vpid, err := vat.ParseVRef(ref)
	if err != nil || vpid.Kind() != vat.Promise {
		return nil, fmt.Errorf("%w: watch key %q names no promise", ErrBadState, key)
	}
	return func(rejected bool, v capdata.Value) { ls.followed(vpid, rejected, v) }, nil
}

// Save returns the tables of ls, between deliveries, as data. The face
// must be Restorable and must number every language object ls holds.
func (ls *Liveslots) Save() ([]byte, error) {
	r, ok := ls.face.(Restorable)
	if !ok {
		return nil, errors.New("liveslots: the face cannot be restored")
	}
	if ls.sys != nil || ls.importing != nil {
		return nil, errors.New("liveslots: save during a delivery")
	}
	s := saved{Version: savedVersion, ID: ls.id, Started: ls.started,
		NextExport: ls.nextExport, NextPromise: ls.nextPromise, NextErrorID: ls.nextErrorID, PromiseBase: ls.promiseBase}
	var err error
	num := func(v any) uint64 {
		n, ok := r.RefNumber(v)
		if !ok && err == nil {
			err = fmt.Errorf("liveslots: a language object of %s has no number", ls.id)
		}
		return n
	}
	for ref, v := range ls.slotToVal {
		s.Slots = append(s.Slots, savedRef{ref, num(v)})
	}
	for v, ref := range ls.valToSlot {
		s.Vals = append(s.Vals, savedRef{ref, num(v)})
	}
	for ref, v := range ls.exportedVPIDs {
		s.Exported = append(s.Exported, savedRef{ref, num(v)})
	}
	for ref, rec := range ls.importedVPIDs {
		s.Imported = append(s.Imported, savedRef{ref, num(rec.handle)})
	}
	for ref := range ls.pinned {
		s.Pinned = append(s.Pinned, ref)
	}
	slices.Sort(s.Pinned)
	if err != nil {
		return nil, err
	}
	byRef := func(a, b savedRef) int { return strings.Compare(string(a.VRef), string(b.VRef)) }
	slices.SortFunc(s.Slots, byRef)
	slices.SortFunc(s.Vals, func(a, b savedRef) int {
		if a.N != b.N {
			return cmpUint(a.N, b.N)
		}
		return byRef(a, b)
	})
	slices.SortFunc(s.Exported, byRef)
	slices.SortFunc(s.Imported, byRef)
	return json.Marshal(s)
}

func cmpUint(a, b uint64) int {
	if a < b {
		return -1
	}
	return 1
}

// Restore rebuilds the liveslots of vat id from what [Liveslots.Save]
// returned, over face, whose language heap must be the one saved with it.
// Saved tables that do not decode are an error wrapping ErrBadState.
func Restore(id vat.ID, face Restorable, data []byte) (*Liveslots, error) {
	var s saved
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadState, err)
	}
	if s.Version != savedVersion {
		return nil, fmt.Errorf("%w: version %d, want %d", ErrBadState, s.Version, savedVersion)
	}
	if s.ID != id {
		return nil, fmt.Errorf("%w: tables of %s, not %s", ErrBadState, s.ID, id)
	}
	ls := New(id, face)
	ls.started = s.Started
	ls.nextExport, ls.nextPromise, ls.nextErrorID, ls.promiseBase = s.NextExport, s.NextPromise, s.NextErrorID, s.PromiseBase
	for _, ref := range s.Pinned {
		if _, err := vat.ParseVRef(string(ref)); err != nil || ref.Kind() != vat.Promise {
			return nil, fmt.Errorf("%w: pinned %q is not a vpid", ErrBadState, ref)
		}
		ls.pinned[ref] = true
	}
	value := func(r savedRef, promise bool) (any, error) {
		if _, err := vat.ParseVRef(string(r.VRef)); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadState, err)
		}
		if promise && r.VRef.Kind() != vat.Promise {
			return nil, fmt.Errorf("%w: %s is not a promise", ErrBadState, r.VRef)
		}
		v, ok := face.RefValue(r.N)
		if !ok {
			return nil, fmt.Errorf("%w: %s: no language object %d", ErrBadState, r.VRef, r.N)
		}
		return v, nil
	}
	for _, r := range s.Slots {
		v, err := value(r, false)
		if err != nil {
			return nil, err
		}
		ls.setSlot(r.VRef, v)
	}
	for _, r := range s.Vals {
		v, err := value(r, false)
		if err != nil {
			return nil, err
		}
		ls.valToSlot[v] = r.VRef
	}
	for _, r := range s.Exported {
		v, err := value(r, true)
		if err != nil {
			return nil, err
		}
		ls.exportedVPIDs[r.VRef] = v
	}
	for _, r := range s.Imported {
		v, err := value(r, true)
		if err != nil {
			return nil, err
		}
		ls.importedVPIDs[r.VRef] = &promiseRecord{handle: v, settle: face.Settler(v)}
	}
	return ls, nil
}
