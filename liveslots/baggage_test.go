package liveslots_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/cooper-kernel/cooper/capdata"
	"github.com/cooper-kernel/cooper/liveslots"
	"github.com/cooper-kernel/cooper/vat"
	"github.com/cooper-kernel/cooper/worker/gonative"
)

// vatstore answers vatstore syscalls from a map, as the kernel does.
type vatstore map[string]string

func (m vatstore) sys(s vat.Syscall) vat.SyscallResult {
	switch s.Kind {
	case vat.SysVatstoreGet:
		v, ok := m[s.Key]
		return vat.SyscallResult{Value: v, Found: ok}
	case vat.SysVatstoreSet:
		m[s.Key] = s.Value
	case vat.SysVatstoreDelete:
		delete(m, s.Key)
	case vat.SysVatstoreGetNextKey:
		var keys []string
		for k := range m {
			if k > s.Key {
				keys = append(keys, k)
			}
		}
		if len(keys) > 0 {
			return vat.SyscallResult{Value: slices.Min(keys), Found: true}
		}
	}
	return vat.SyscallResult{}
}

// withBaggage runs fn on a Go vat's baggage inside a delivery.
func withBaggage(t *testing.T, store vatstore, fn func(b *liveslots.Baggage)) {
	t.Helper()
	w := gonative.New(vat.Spec{ID: "v1", Name: "b"}, func(_ *gonative.Powers, _ any, b *gonative.Baggage) any {
		return gonative.NewFar("root", gonative.Methods{"run": func([]any) (any, error) {
			fn(b)
			return capdata.Undefined{}, nil
		}})
	})
	defer w.Close()
	if out := w.Deliver(vat.Delivery{Kind: vat.DeliverStartVat, VatParameters: vat.CapData{Body: `#"#undefined"`}}, store.sys); out.Err != "" {
		t.Fatal(out.Err)
	}
	if out := w.Deliver(message("run", "p-1"), store.sys); out.Err != "" {
		t.Fatal(out.Err)
	}
}

// TestBaggage: data round-trips, keys come in order and stay under their
// prefix, references are refused and a corrupt entry is an error, not a
// missing key.
func TestBaggage(t *testing.T) {
	store := vatstore{"other": "x", "baggage": "not an entry"}
	withBaggage(t, store, func(b *liveslots.Baggage) {
		rec := capdata.NewRecord("__proto__", 1.0, "s", "\xed\xa0\x80")
		for k, v := range map[string]capdata.Value{"b": rec, "a": []capdata.Value{true, nil}} {
			if err := b.Set(k, v); err != nil {
				t.Fatal(err)
			}
		}
		if got, ok, err := b.Get("b"); err != nil || !ok || capdata.Format(got) != capdata.Format(rec) {
			t.Errorf("Get(b) = %s, %v, %v", capdata.Format(got), ok, err)
		}
		if keys := b.Keys(); !slices.Equal(keys, []string{"a", "b"}) {
			t.Errorf("Keys() = %q", keys)
		}
		err := b.Set("ref", []capdata.Value{capdata.Slot{Ref: "o-1", Kind: capdata.Remotable}})
		if !errors.Is(err, liveslots.ErrBaggageData) || !strings.Contains(err.Error(), `baggage "ref"`) {
			t.Errorf("Set(reference) = %v", err)
		}
		err = b.Set("far", gonative.NewFar("x", gonative.Methods{}))
		if !errors.Is(err, liveslots.ErrBaggageData) {
			t.Errorf("Set(Far) = %v", err)
		}
		b.Delete("a")
		if b.Has("a") || !b.Has("b") {
			t.Error("Delete removed the wrong key")
		}
		if _, ok, err := b.Get("missing"); ok || err != nil {
			t.Errorf("Get(missing) = %v, %v", ok, err)
		}
	})
	if store["baggage.b"] == "" || store["other"] != "x" {
		t.Fatalf("vatstore %q", store)
	}
	store["baggage.b"] = "#{broken"
	withBaggage(t, store, func(b *liveslots.Baggage) {
		if _, ok, err := b.Get("b"); ok || !errors.Is(err, liveslots.ErrBaggageCorrupt) || !strings.Contains(err.Error(), `"b"`) {
			t.Errorf("Get(corrupt) = %v, %v", ok, err)
		}
	})
}

// TestBaggageHoldsImports: an imported object stored in baggage comes back
// as the same presence, also in a new worker (a restart or an upgrade); a
// local object or a promise is refused.
func TestBaggageHoldsImports(t *testing.T) {
	store := vatstore{}
	var got []string
	ctor := func(p *gonative.Powers, _ any, b *gonative.Baggage) any {
		return gonative.NewFar("root", gonative.Methods{
			"keep": func(args []any) (any, error) {
				if err := b.Set("imp", capdata.NewRecord("it", args[0])); err != nil {
					return nil, err
				}
				v, _, err := b.Get("imp")
				if err != nil {
					return nil, err
				}
				got = append(got, fmt.Sprint(v.(*capdata.Record).Values[0] == args[0]))
				if err := b.Set("far", gonative.NewFar("local", gonative.Methods{})); !errors.Is(err, liveslots.ErrBaggageData) {
					got = append(got, fmt.Sprintf("Set(Far) = %v", err))
				}
				forged := []capdata.Value{capdata.Slot{Ref: "o-9", Kind: capdata.Remotable}}
				if err := b.Set("forged", forged); !errors.Is(err, liveslots.ErrBaggageData) {
					got = append(got, fmt.Sprintf("Set(forged slot) = %v", err))
				}
				return capdata.Undefined{}, nil
			},
			"read": func([]any) (any, error) {
				v, ok, err := b.Get("imp")
				if err != nil || !ok {
					return nil, fmt.Errorf("Get = %v, %v", ok, err)
				}
				got = append(got, fmt.Sprint(v.(*capdata.Record).Values[0]))
				return capdata.Undefined{}, nil
			},
		})
	}
	for i, ds := range [][]vat.Delivery{
		{{Kind: vat.DeliverMessage, Target: vat.RootVRef, Methargs: vat.CapData{Body: `#["keep",["$0.Alleged: thing"]]`, Slots: []vat.VRef{"o-1"}}, Result: "p-1"}},
		{message("read", "p-2")},
	} {
		w := gonative.New(vat.Spec{ID: "v1", Name: "b"}, ctor)
		if out := w.Deliver(vat.Delivery{Kind: vat.DeliverStartVat, VatParameters: vat.CapData{Body: `#"#undefined"`}}, store.sys); out.Err != "" {
			t.Fatal(out.Err)
		}
		for _, d := range ds {
			if out := w.Deliver(d, store.sys); out.Err != "" {
				t.Fatalf("worker %d: %s", i, out.Err)
			}
		}
		w.Close()
	}
	if want := []string{"true", "[Presence o-1]"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if !strings.Contains(store["baggage.imp"], `"slots":["o-1"]`) {
		t.Errorf("stored entry %q", store["baggage.imp"])
	}
}
