package cooper_test

import (
	"errors"
	"maps"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cooper-kernel/cooper"
	"github.com/cooper-kernel/cooper/capdata"
	"github.com/cooper-kernel/cooper/kernel"
)

func TestConfigLimits(t *testing.T) {
	for _, tc := range []struct {
		limits string
		err    string
	}{
		{`{"maxSlots": -1}`, "limits.maxSlots is negative (-1)"},
		{`{"maxSlot": 3}`, `unknown field "maxSlot"`},
		{`{"maxCapDataBytes": "big"}`, "cannot unmarshal string"},
		{`{"maxCapDataBytes": 100, "maxSlots": 2}`, ""},
	} {
		cfg := `{"limits": ` + tc.limits + `, "vats": {"c": {"bundleName": "go-counter"}}}`
		_, err := cooper.ParseConfig([]byte(cfg))
		if tc.err == "" {
			if err != nil {
				t.Errorf("limits %s: %v", tc.limits, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("limits %s: error %v, want %q", tc.limits, err, tc.err)
		}
	}
}

// TestLimitsStoredWithKernel: limits are fixed at init; zero fields take the
// defaults and a reopened kernel applies the stored ones.
func TestLimitsStoredWithKernel(t *testing.T) {
	dir := t.TempDir()
	k := jsKernel(t, dir, `{"limits": {"maxCapDataBytes": 100},
	  "vats": {"c": {"bundleName": "go-counter"}}}`, demoOptions())
	k.Close()
	k, err := cooper.Open(dir, demoOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	got := k.State().GetLimits()
	want := kernel.DefaultLimits
	want.MaxCapDataBytes = 100
	if got != want {
		t.Fatalf("stored limits %+v, want %+v", got, want)
	}
	_, err = k.QueueToVatRoot("c", "label", []any{strings.Repeat("z", 200)})
	if err == nil || !strings.Contains(err.Error(), "arguments too large: ") || !strings.Contains(err.Error(), "> limit 100") {
		t.Fatalf("oversized host arguments: %v", err)
	}
}

// TestStopperInterruptsDelivery stops a delivery that never ends: Run
// returns ErrInterrupted, the kernel keeps nothing of the block, and a
// reopened kernel answers from the last commit.
func TestStopperInterruptsDelivery(t *testing.T) {
	dir := t.TempDir()
	stopper := kernel.NewStopper()
	config := `{"limits": {"deliveryComputrons": 1000000000000000},
	  "vats": {"spinner": {"sourceSpec": "spinner.js"}}}`
	k := jsKernel(t, dir, config, cooper.Options{
		Stopper: stopper,
		Console: func(vatName, level, line string) {
			if line == "spinning" {
				stopper.Stop() // from inside the delivery, as a signal would
			}
		},
	})
	if err := k.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := k.QueueToVatRoot("spinner", "spin", nil); err != nil {
		t.Fatal(err)
	}
	_, err := k.Run(kernel.UntilEmpty())
	if !errors.Is(err, kernel.ErrInterrupted) {
		t.Fatalf("Run = %v, want ErrInterrupted", err)
	}
	if !stopper.Stopped() {
		t.Fatal("stopper not stopped")
	}
	k.Close()

	k, err = cooper.Open(dir, cooper.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	if _, v := call(t, k, "spinner", "count"); v != 0.0 && v != int64(0) {
		t.Fatalf("count after the interrupted block = %v, want 0", v)
	}
}

// TestDefaultLimitsStopHostileVats: at the default limits, a 50 MB string
// sent vat to vat and a delivery sending 100,001 messages end the sending
// vat alone, with the limit named, and none of its sends is delivered; the
// kernel commits, reopens and the other vats answer.
func TestDefaultLimitsStopHostileVats(t *testing.T) {
	for _, tc := range []struct {
		name, method string
		n            float64
		reason       string
	}{
		{"50 MB string", "sendHuge", 50 << 20, "message too large"},
		// Syscalls are charged to the delivery's meter: at the defaults the
		// meter runs out before the syscall cap is reached.
		{"flood", "flood", float64(kernel.DefaultLimits.MaxSyscallsPerDelivery + 1), "Compute meter exceeded: syscalls cost"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "k")
			var reasons []string
			observe := func(e kernel.Event) {
				if e.Type == kernel.EventTerminateVat {
					reasons = append(reasons, e.Reason)
				}
			}
			k := jsKernel(t, dir, `{"bootstrap": "bad", "vats": {"bad": {"sourceSpec": "hostile-sender.js"}, "sink": {"sourceSpec": "hostile-sender.js"}}}`, cooper.Options{Observer: observe})
			rejected, v := call(t, k, "bad", tc.method, "sink", tc.n)
			if !rejected || !strings.Contains(capdata.Format(v), "vat terminated") {
				t.Fatalf("%s: rejected %v, %s", tc.method, rejected, capdata.Format(v))
			}
			if len(reasons) != 1 || !strings.Contains(reasons[0], tc.reason) {
				t.Fatalf("terminations %q, want one naming %q", reasons, tc.reason)
			}
			k = reopen(t, k, dir)
			defer k.Close()
			if n := callNumber(t, k, "sink", "count"); n != 0 {
				t.Fatalf("the sink received %v messages of the ended delivery", n)
			}
		})
	}
}

// TestStopperInterruptsReplay: a kernel interrupted while a restart
// replays its vats stops with ErrInterrupted, having written nothing; the
// next open replays them and answers.
func TestStopperInterruptsReplay(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "k")
	k := jsKernel(t, dir, `{"vats": {"logger": {"sourceSpec": "logger.js"}}}`, cooper.Options{})
	for range 5 {
		call(t, k, "logger", "log", "x")
	}
	if err := k.Commit(); err != nil {
		t.Fatal(err)
	}
	k.Close()
	before := kvSnapshot(t, dir)
	stopper := kernel.NewStopper()
	stopper.Stop() // as a signal arriving during the replay would
	if _, err := cooper.Open(dir, cooper.Options{Stopper: stopper, FullReplay: true}); !errors.Is(err, kernel.ErrInterrupted) {
		t.Fatalf("open under an interrupt = %v, want ErrInterrupted", err)
	}
	if after := kvSnapshot(t, dir); !maps.Equal(before, after) {
		t.Fatal("an interrupted replay changed the database")
	}
	k, err := cooper.Open(dir, cooper.Options{FullReplay: true})
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	if n := callNumber(t, k, "logger", "log", "y"); n != 6 {
		t.Fatalf("after the interrupted open log = %v, want 6", n)
	}
}
