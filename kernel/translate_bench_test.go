package kernel

import (
	"path/filepath"
	"testing"

	"github.com/cooper-kernel/cooper/kernel/state"
	"github.com/cooper-kernel/cooper/store"
	"github.com/cooper-kernel/cooper/vat"
)

// BenchmarkCListTranslation translates a message's capdata (three refs)
// from a vat into kernel space and into another vat, as a send does.
func BenchmarkCListTranslation(b *testing.B) {
	st, err := store.Create(filepath.Join(b.TempDir(), DBName), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	k := newKernel(b.TempDir(), st, Options{})
	st.BeginCrank()
	defer st.AbortCrank()
	k.state.Initialize()
	for _, id := range []vat.ID{"v1", "v2"} {
		k.state.InitVat(id, state.Source{BundleName: "x"}, state.VatOptions{Name: string(id)}, state.CapData{Body: "#null"})
	}
	out := vat.CapData{Body: `#["$0.Alleged: a","$1","&2"]`, Slots: []vat.VRef{"o+1", "o+2", "p+3"}}
	if _, err := k.capToKernel("v1", out); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		kcd, err := k.capToKernel("v1", out)
		if err != nil {
			b.Fatal(err)
		}
		k.capToVat("v2", kcd)
	}
}

func TestCListTranslationRoundTrip(t *testing.T) {
	st, err := store.Create(filepath.Join(t.TempDir(), DBName), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	k := newKernel(t.TempDir(), st, Options{})
	st.BeginCrank()
	defer st.AbortCrank()
	k.state.Initialize()
	for _, id := range []vat.ID{"v1", "v2"} {
		k.state.InitVat(id, state.Source{BundleName: "x"}, state.VatOptions{Name: string(id)}, state.CapData{Body: "#null"})
	}
	kcd, err := k.capToKernel("v1", vat.CapData{Body: "#x", Slots: []vat.VRef{"o+1", "p+2", "o+1"}})
	if err != nil {
		t.Fatal(err)
	}
	if kcd.Slots[0] != kcd.Slots[2] || kcd.Slots[0].Kind() != vat.Object || kcd.Slots[1].Kind() != vat.Promise {
		t.Fatalf("exports became %v", kcd.Slots)
	}
	in := k.capToVat("v2", kcd)
	if in.Slots[0] != "o-1" || in.Slots[1] != "p-1" || in.Slots[2] != "o-1" {
		t.Fatalf("imports became %v", in.Slots)
	}
	back, err := k.capToKernel("v2", in)
	if err != nil || back.Slots[0] != kcd.Slots[0] || back.Slots[1] != kcd.Slots[1] {
		t.Fatalf("v2's refs map back to %v, %v", back.Slots, err)
	}
	if _, err := k.capToKernel("v2", vat.CapData{Body: "#x", Slots: []vat.VRef{"o-9"}}); err == nil {
		t.Fatal("a forged import was accepted")
	}
}
