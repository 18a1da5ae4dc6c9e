package liveslots

import (
	"slices"
	"testing"
)

// TestHoldsAndDropped: Holds follows every way a value leaves or stays in
// the tables (a retired vpid, a pinned one, a value under a second vref,
// a virtual object's representative replaced), and TakeDropped lists every
// value that may have stopped being held, so a worker checking only those
// finds all it may release.
func TestHoldsAndDropped(t *testing.T) {
	ls := New("v1", nil)
	ls.RecordDropped()
	type obj struct{ n int }
	a, b, c, d := &obj{1}, &obj{2}, &obj{3}, &obj{4}

	ls.register("p+1", a)
	ls.register("p+2", b)
	ls.register("o-3", b) // b under a second vref: valToSlot says o-3
	if !ls.Holds(a) || !ls.Holds(b) || ls.Holds(c) {
		t.Fatal("registered values not held")
	}
	if got := ls.TakeDropped(); len(got) != 0 {
		t.Fatalf("nothing was dropped, got %v", got)
	}

	ls.unregister("p+1")
	if ls.Holds(a) {
		t.Error("a retired vpid still holds its promise")
	}
	if got := ls.TakeDropped(); !slices.Contains(got, any(a)) {
		t.Errorf("a's retirement not reported: %v", got)
	}

	ls.unregister("o-3")
	if !ls.Holds(b) {
		t.Error("b is still under p+2")
	}
	ls.unregister("p+2")
	if ls.Holds(b) {
		t.Error("b under no vref is held")
	}
	if got := ls.TakeDropped(); !slices.Contains(got, any(b)) {
		t.Errorf("b's retirement not reported: %v", got)
	}

	ls.pinned["p+5"] = true
	ls.register("p+5", c)
	ls.unregister("p+5")
	if !ls.Holds(c) {
		t.Error("a pinned vpid's promise is not held")
	}
	ls.TakeDropped()

	if err := ls.RegisterVirtual("o+v10/1", a); err != nil {
		t.Fatal(err)
	}
	if err := ls.RegisterVirtual("o+v10/1", d); err != nil {
		t.Fatal(err)
	}
	if ls.Holds(a) || !ls.Holds(d) {
		t.Errorf("a replaced representative: holds a %v, d %v", ls.Holds(a), ls.Holds(d))
	}
	if got := ls.TakeDropped(); !slices.Contains(got, any(a)) {
		t.Errorf("the replaced representative not reported: %v", got)
	}
	if got := ls.TakeDropped(); len(got) != 0 {
		t.Errorf("TakeDropped did not forget: %v", got)
	}

	// Without RecordDropped nothing is kept.
	quiet := New("v2", nil)
	quiet.register("p+1", a)
	quiet.unregister("p+1")
	if got := quiet.TakeDropped(); len(got) != 0 {
		t.Errorf("dropped values recorded without RecordDropped: %v", got)
	}
}
