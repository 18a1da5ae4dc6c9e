package liveslots

import (
	"bytes"
	"math"
	"testing"

	"github.com/cooper-kernel/cooper/capdata"
	"github.com/cooper-kernel/cooper/vat"
)

// numFace is a Restorable face whose language objects are numbers.
type numFace struct{ next uint64 }

type num uint64

func (f *numFace) StartVat(capdata.Value) (any, error) { return f.fresh(), nil }
func (f *numFace) NewPresence(vat.VRef, string) any    { return f.fresh() }
func (f *numFace) NewPromise() (any, func(bool, capdata.Value)) {
	p := f.fresh()
	return p, f.Settler(p)
}
func (f *numFace) Classify(v any) (capdata.SlotKind, string, bool) {
	if n, ok := v.(num); ok && n%2 == 1 {
		return capdata.Promise, "", true
	}
	return capdata.Remotable, "thing", true
}
func (f *numFace) Settled(any) (bool, capdata.Value, bool)         { return false, nil, false }
func (f *numFace) Invoke(any, string, []capdata.Value) any         { return f.fresh() }
func (f *numFace) Watch(any, func(bool, capdata.Value))            {}
func (f *numFace) RunJobs()                                        {}
func (f *numFace) Abort(error)                                     {}
func (f *numFace) Settler(any) func(bool, capdata.Value)           { return func(bool, capdata.Value) {} }
func (f *numFace) WatchKey(any, string, func(bool, capdata.Value)) {}
func (f *numFace) RefNumber(v any) (uint64, bool) {
	n, ok := v.(num)
	return uint64(n), ok
}
func (f *numFace) RefValue(n uint64) (any, bool) { return num(n), n != 0 && n < math.MaxUint32 }
func (f *numFace) fresh() any {
	f.next++
	return num(f.next)
}

// TestSaveRestore: tables saved and restored save to the same bytes, and
// the restored liveslots answers like the original.
func TestSaveRestore(t *testing.T) {
	ls := New("v3", &numFace{})
	ls.started = true
	ls.register("o+0", num(2))
	ls.register("o-5", num(4))
	ls.register("p-7", num(5))
	ls.importedVPIDs["p-7"] = &promiseRecord{handle: num(5)}
	ls.followForKernel("p+3", num(7))
	ls.register("p+3", num(7))
	ls.nextPromise, ls.nextExport, ls.nextErrorID = 4, 9, 70_003
	b, err := ls.Save()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Restore("v3", &numFace{}, b)
	if err != nil {
		t.Fatal(err)
	}
	b2, err := back.Save()
	if err != nil || !bytes.Equal(b, b2) {
		t.Fatalf("saved again: %v\n%s\n%s", err, b, b2)
	}
	if r, ok := back.RefOf(num(5)); !ok || r != "p-7" {
		t.Fatalf("RefOf restored import: %s %v", r, ok)
	}
	if _, err := back.Watcher(followKey("p+3")); err != nil {
		t.Fatal(err)
	}
	if _, err := Restore("v4", &numFace{}, b); err == nil {
		t.Fatal("restored another vat's tables")
	}
	for _, key := range []string{"", "follow o+1", "follow x", "other p+1"} {
		if _, err := back.Watcher(key); err == nil {
			t.Errorf("watch key %q accepted", key)
		}
	}
}

func FuzzRestore(f *testing.F) {
	f.Add([]byte(`{"version":1,"id":"v1","started":true,"nextExport":2,"nextPromise":3,"nextErrorID":70000,"slots":[{"r":"o+0","n":2}],"vals":[{"r":"o+0","n":2}],"exported":[{"r":"p+1","n":3}],"imported":[{"r":"p-2","n":5}]}`))
	f.Add([]byte(`{"version":1,"id":"v1","slots":[{"r":"o+0","n":0}]}`))
	f.Add([]byte(`{"version":1,"id":"v1","exported":[{"r":"o+1","n":3}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ls, err := Restore("v1", &numFace{}, b)
		if err != nil {
			return
		}
		saved, err := ls.Save()
		if err != nil {
			t.Fatal(err)
		}
		back, err := Restore("v1", &numFace{}, saved)
		if err != nil {
			t.Fatalf("restore of saved tables: %v", err)
		}
		again, _ := back.Save()
		if !bytes.Equal(saved, again) {
			t.Fatalf("save, restore, save changed the bytes:\n%s\n%s", saved, again)
		}
	})
}
