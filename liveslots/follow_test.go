package liveslots

import (
	"slices"
	"strings"
	"testing"

	"github.com/cooper-kernel/cooper/capdata"
	"github.com/cooper-kernel/cooper/vat"
)

// followFace is a numFace that is a Follower and logs what liveslots asks.
type followFace struct {
	numFace
	calls     []string
	settled   func(bool, capdata.Value)
	isPromise bool
}

func (f *followFace) Invoke(obj any, method string, args []capdata.Value) any {
	f.calls = append(f.calls, "Invoke")
	return f.numFace.Invoke(obj, method, args)
}

func (f *followFace) Classify(v any) (capdata.SlotKind, string, bool) {
	f.calls = append(f.calls, "Classify")
	return f.numFace.Classify(v)
}

func (f *followFace) WatchKey(_ any, key string, settled func(bool, capdata.Value)) {
	f.calls = append(f.calls, "Watch "+key)
	f.settled = settled
}

func (f *followFace) InvokeFollow(_ any, _ string, _ []capdata.Value, key string, settled func(bool, capdata.Value)) (any, bool) {
	f.calls = append(f.calls, "InvokeFollow "+key)
	f.settled = settled
	return f.fresh(), f.isPromise
}

// TestFollower: a message with a result the vat did not import goes
// through InvokeFollow; one without a result, or whose result the vat
// imported, through Invoke, Classify and Watch; a promise result is
// registered under the result vpid either way.
func TestFollower(t *testing.T) {
	for _, tc := range []struct {
		name      string
		result    vat.VRef
		isPromise bool
		hold      bool // import the result first
		calls     []string
		resolve   string
	}{
		{name: "value", result: "p-1", calls: []string{"InvokeFollow follow p-1"}, resolve: `resolve p-1 fulfill #"done"`},
		{name: "promise", result: "p-1", isPromise: true, calls: []string{"InvokeFollow follow p-1"}, resolve: `resolve p-1 fulfill #"done"`},
		{name: "no result", calls: []string{"Invoke"}},
		{name: "imported result", result: "p-7", hold: true, calls: []string{"Invoke", "Watch follow p-7"}, resolve: `resolve p-7 fulfill #"done"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &followFace{numFace: numFace{next: 1}, isPromise: tc.isPromise}
			ls := New("v1", f)
			var syscalls []string
			sys := func(s vat.Syscall) vat.SyscallResult {
				syscalls = append(syscalls, s.String())
				return vat.SyscallResult{}
			}
			if err := ls.Deliver(vat.Delivery{Kind: vat.DeliverStartVat, VatParameters: vat.CapData{Body: `#"#undefined"`}}, sys); err != "" {
				t.Fatal(err)
			}
			if tc.hold {
				d := vat.Delivery{Kind: vat.DeliverMessage, Target: vat.RootVRef, Methargs: vat.CapData{Body: `#["hold",["&0"]]`, Slots: []vat.VRef{tc.result}}}
				if err := ls.Deliver(d, sys); err != "" {
					t.Fatal(err)
				}
			}
			f.calls, syscalls = nil, nil
			d := vat.Delivery{Kind: vat.DeliverMessage, Target: vat.RootVRef, Methargs: vat.CapData{Body: `#["m",[]]`}, Result: tc.result}
			if err := ls.Deliver(d, sys); err != "" {
				t.Fatal(err)
			}
			if !slices.Equal(f.calls, tc.calls) {
				t.Errorf("face calls %q, want %q", f.calls, tc.calls)
			}
			if tc.isPromise {
				if _, ok := ls.slotToVal[tc.result]; !ok {
					t.Errorf("the promise result is not registered under %s", tc.result)
				}
			}
			if f.settled != nil {
				syscalls = nil
				ls.sys = sys
				f.settled(false, "done")
				ls.sys = nil
			}
			if got := strings.Join(syscalls, "\n"); got != tc.resolve {
				t.Errorf("syscalls %q, want %q", got, tc.resolve)
			}
		})
	}
}
