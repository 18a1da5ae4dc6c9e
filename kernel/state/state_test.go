package state

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/cooper-kernel/cooper/store"
	"github.com/cooper-kernel/cooper/vat"
)

// mapKV is a KV in a map.
type mapKV map[string]string

func (m mapKV) Get(k string) (string, bool) { v, ok := m[k]; return v, ok }
func (m mapKV) Has(k string) bool           { _, ok := m[k]; return ok }
func (m mapKV) Set(k, v string)             { m[k] = v }
func (m mapKV) Delete(k string)             { delete(m, k) }
func (m mapKV) GetNextKey(prev string) (string, bool) {
	for _, k := range m.KeysWithPrefix("") {
		if k > prev {
			return k, true
		}
	}
	return "", false
}
func (m mapKV) KeysWithPrefix(p string) []string {
	var out []string
	for k := range m {
		if strings.HasPrefix(k, p) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// catch runs fn under Recover.
func catch(fn func()) (err error) {
	defer Recover(&err)
	fn()
	return nil
}

func TestCorruptValuesAreErrors(t *testing.T) {
	for _, tc := range []struct {
		key, value, want string
		read             func(*State)
	}{
		{"kp1.pinned", "twice", `state: corrupt: kp1.pinned = "twice"`, func(s *State) { s.Pins("kp1") }},
		{"runQueue", "[3,1]", `state: corrupt: runQueue = "[3,1]": head after tail`, func(s *State) { s.RunQueue() }},
		{"ko1.refCount", "-", `state: corrupt: ko1.refCount = "-"`, func(s *State) { s.RefCount("ko1") }},
		{"crankNumber", "", `state: corrupt: crankNumber = ""`, func(s *State) { s.CrankNumber() }},
	} {
		kv := mapKV{}
		s := New(kv)
		s.Initialize()
		kv[tc.key] = tc.value
		err := catch(func() { tc.read(s) })
		if !errors.Is(err, ErrCorrupt) || err.Error() != tc.want {
			t.Errorf("%s = %q: %v, want %q", tc.key, tc.value, err, tc.want)
		}
	}
	// A well-formed pin count reads back.
	kv := mapKV{}
	s := New(kv)
	s.Initialize()
	s.SetPins(vat.KRef("kp1"), 2)
	if n := s.Pins("kp1"); n != 2 {
		t.Fatalf("Pins = %d", n)
	}
}

func TestRecoverLetsBugsThrough(t *testing.T) {
	err := catch(func() { panic(&store.Error{Op: "get x", Path: "k.sqlite", Corrupt: true, Err: errors.New("bad")}) })
	if !errors.Is(err, store.ErrCorrupt) {
		t.Fatalf("store failure not recovered: %v", err)
	}
	defer func() {
		if r := recover(); r != "a kernel bug" {
			t.Fatalf("recovered %v", r)
		}
	}()
	catch(func() { panic("a kernel bug") })
}

// TestIncompleteRunQueueItems: an item that lacks what its type needs (a
// damaged or hand-edited database) is a corruption error, not a nil
// dereference in the kernel.
func TestIncompleteRunQueueItems(t *testing.T) {
	for _, item := range []string{
		`{"type":"send","target":"ko1"}`,
		`{"type":"notify","vatID":"v1"}`,
		`{"type":"create-vat","vatID":"v3","source":{"bundleName":"x"}}`,
		`{"type":"upgrade-vat","vatID":"v3","upgradeID":"up1","vatParameters":{"body":"#null","slots":[]}}`,
		`{"type":"terminate-vat","vatID":"v3"}`,
	} {
		kv := mapKV{}
		s := New(kv)
		s.Initialize()
		kv["runQueue"] = "[0,1]"
		kv["runQueue.0"] = item
		err := catch(func() { s.PopRunQueue() })
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "runQueue.0") {
			t.Errorf("%s: %v, want a corruption error naming runQueue.0", item, err)
		}
	}
	// A complete item pops.
	kv := mapKV{}
	s := New(kv)
	s.Initialize()
	s.PushRunQueue(RunQueueItem{Type: ItemNotify, VatID: "v1", KPID: "kp1"})
	if err := catch(func() { s.PopRunQueue() }); err != nil {
		t.Fatal(err)
	}
}

// TestAddDynamicVatBytes: appending to the dynamic vat list as text writes
// exactly what encoding/json writes for the list, through additions and
// removals, and an ID JSON would escape takes the encoding/json path.
func TestAddDynamicVatBytes(t *testing.T) {
	kv := mapKV{"vat.dynamicIDs": "[]"}
	s := New(kv)
	var want []vat.ID
	check := func(step string) {
		t.Helper()
		b, _ := json.Marshal(want)
		if kv["vat.dynamicIDs"] != string(b) {
			t.Fatalf("after %s: %s, encoding/json writes %s", step, kv["vat.dynamicIDs"], b)
		}
		if got := s.DynamicVatIDs(); !slices.Equal(got, want) {
			t.Fatalf("after %s: read back %v, want %v", step, got, want)
		}
	}
	for _, op := range []string{"+v3", "+v4", "-v3", "-v4", "+v5", "+v10", `+v"<&>`, "+v11", "-v5"} {
		id := vat.ID(op[1:])
		if op[0] == '+' {
			s.AddDynamicVat(id)
			want = append(want, id)
		} else {
			s.RemoveDynamicVat(id)
			want = slices.DeleteFunc(want, func(x vat.ID) bool { return x == id })
			if want == nil {
				want = []vat.ID{}
			}
		}
		check(op)
	}
}
