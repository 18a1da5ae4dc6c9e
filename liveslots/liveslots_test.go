package liveslots_test

import (
	"strings"
	"testing"

	"github.com/cooper-kernel/cooper/capdata"
	"github.com/cooper-kernel/cooper/vat"
	"github.com/cooper-kernel/cooper/worker/gonative"
)

// recorder answers every syscall with success and remembers them.
type recorder struct{ calls []string }

func (r *recorder) sys(s vat.Syscall) vat.SyscallResult {
	r.calls = append(r.calls, s.String())
	return vat.SyscallResult{}
}

// testVat has one method per liveslots rule the tests exercise.
func testVat(p *gonative.Powers, _ any, _ *gonative.Baggage) any {
	var held *gonative.Promise
	return gonative.NewFar("root", gonative.Methods{
		"fail": func([]any) (any, error) {
			return nil, &capdata.Error{Name: "RangeError", Message: "no"}
		},
		"settledInRecord": func([]any) (any, error) {
			return capdata.NewRecord("p", p.Resolved("data")), nil
		},
		"nested": func([]any) (any, error) {
			inner := p.Resolved("inner")
			outer := p.Resolved(capdata.NewRecord("inner", inner))
			return capdata.NewRecord("outer", outer), nil
		},
		"hold": func(args []any) (any, error) {
			held = args[0].(*gonative.Promise)
			held.Then(func(v any) (any, error) {
				p.TestLog("held promise settled: %s", capdata.Format(v))
				return nil, nil
			}, nil)
			return capdata.Undefined{}, nil
		},
		"answer": func(args []any) (any, error) { return "answer", nil },
	})
}

func start(t *testing.T, r *recorder, log *[]string) *gonative.Worker {
	t.Helper()
	w := gonative.New(vat.Spec{ID: "v1", Name: "t", Console: func(_, line string) { *log = append(*log, line) }}, testVat)
	if out := w.Deliver(vat.Delivery{Kind: vat.DeliverStartVat, VatParameters: vat.CapData{Body: `#"#undefined"`}}, r.sys); out.Err != "" {
		t.Fatal(out.Err)
	}
	return w
}

func message(method string, result vat.VRef, slots ...vat.VRef) vat.Delivery {
	body := `#["` + method + `",[]]`
	if len(slots) > 0 {
		body = `#["` + method + `",["&0"]]`
	}
	return vat.Delivery{Kind: vat.DeliverMessage, Target: vat.RootVRef, Methargs: vat.CapData{Body: body, Slots: slots}, Result: result}
}

func TestLiveslotsRules(t *testing.T) {
	for _, tc := range []struct {
		name       string
		deliveries []vat.Delivery
		want       []string // the syscalls of the last delivery
		wantLog    []string
	}{
		{
			// Errors carry an errorId as Endo's marshal gives them in liveslots.
			name:       "errorId",
			deliveries: []vat.Delivery{message("fail", "p-1")},
			want:       []string{`resolve p-1 reject #{"#error":"no","errorId":"error:liveSlots:v1#70001","name":"RangeError"}`},
		},
		{
			// A settled promise in a result is exported and resolved in the
			// same batch, after the resolution that names it.
			name:       "settled promise in a result",
			deliveries: []vat.Delivery{message("settledInRecord", "p-1")},
			want:       []string{`resolve p-1 fulfill #{"p":"&0"} [p+1]; p+1 fulfill #"data"`},
		},
		{
			name:       "settled promises, transitively",
			deliveries: []vat.Delivery{message("nested", "p-1")},
			want:       []string{`resolve p-1 fulfill #{"outer":"&0"} [p+1]; p+1 fulfill #{"inner":"&0"} [p+2]; p+2 fulfill #"inner"`},
		},
		{
			// The vat imports p-5, then becomes its decider (the result of
			// an inbound message): the promise it holds settles with the
			// method's answer, and the kernel hears the resolution.
			name: "decider of an imported promise",
			deliveries: []vat.Delivery{
				message("hold", "", "p-5"),
				message("answer", "p-5"),
			},
			want:    []string{`resolve p-5 fulfill #"answer"`},
			wantLog: []string{`held promise settled: "answer"`},
		},
		{
			// A notify of a promise the vat now decides, or never asked
			// about, is ignored.
			name: "stale notify",
			deliveries: []vat.Delivery{
				{Kind: vat.DeliverNotify, Resolutions: []vat.Resolution{{VPID: "p-9", Data: vat.CapData{Body: "#1"}}}},
			},
			want: nil,
		},
		{
			// A notify batch may resolve a promise its own earlier entry
			// introduced: that one is not subscribed.
			name: "notify batch",
			deliveries: []vat.Delivery{
				message("hold", "", "p-5"),
				{Kind: vat.DeliverNotify, Resolutions: []vat.Resolution{
					{VPID: "p-5", Data: vat.CapData{Body: `#["&0","&1"]`, Slots: []vat.VRef{"p-6", "p-7"}}},
					{VPID: "p-6", Data: vat.CapData{Body: "#6"}},
				}},
			},
			want:    []string{"subscribe p-7"},
			wantLog: []string{`held promise settled: [[Promise],[Promise]]`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &recorder{}
			var log []string
			w := start(t, r, &log)
			for i, d := range tc.deliveries {
				r.calls = nil
				if out := w.Deliver(d, r.sys); out.Err != "" {
					t.Fatalf("delivery %d: %s", i, out.Err)
				}
			}
			if strings.Join(r.calls, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("syscalls:\n%s\nwant:\n%s", strings.Join(r.calls, "\n"), strings.Join(tc.want, "\n"))
			}
			if strings.Join(log, "\n") != strings.Join(tc.wantLog, "\n") {
				t.Errorf("log %q, want %q", log, tc.wantLog)
			}
		})
	}
}

// TestIncarnationVPIDs: after an upgrade (startVat of incarnation n) the
// vat allocates vpids from n<<40, and a vpid of an earlier incarnation that
// the kernel still decides is taken as an import (subscribed), not refused.
func TestIncarnationVPIDs(t *testing.T) {
	r := &recorder{}
	var log []string
	w := gonative.New(vat.Spec{ID: "v1", Name: "t", Console: func(_, line string) { log = append(log, line) }}, testVat)
	defer w.Close()
	if out := w.Deliver(vat.Delivery{Kind: vat.DeliverStartVat, VatParameters: vat.CapData{Body: `#"#undefined"`}, Incarnation: 2}, r.sys); out.Err != "" {
		t.Fatal(out.Err)
	}
	r.calls = nil
	if out := w.Deliver(message("settledInRecord", "p-1"), r.sys); out.Err != "" {
		t.Fatal(out.Err)
	}
	want := `resolve p-1 fulfill #{"p":"&0"} [p+2199023255553]; p+2199023255553 fulfill #"data"`
	if len(r.calls) != 1 || r.calls[0] != want {
		t.Fatalf("syscalls %q, want %q", r.calls, want)
	}
	r.calls = nil
	if out := w.Deliver(message("hold", "", "p+5"), r.sys); out.Err != "" {
		t.Fatalf("an earlier incarnation's vpid: %s", out.Err)
	}
	if len(r.calls) != 1 || r.calls[0] != "subscribe p+5" {
		t.Fatalf("syscalls %q, want a subscribe to p+5", r.calls)
	}
	if out := w.Deliver(message("hold", "", "p+2199023255560"), r.sys); !strings.Contains(out.Err, "I don't remember allocating p+2199023255560") {
		t.Fatalf("an unknown vpid of this incarnation: %q", out.Err)
	}
}
