package wasm

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"testing"

	"github.com/cooper-kernel/cooper/capdata"
	"github.com/cooper-kernel/cooper/vat"
)

// TestGenerationV2Frozen: the sources of version 2 are those the vats
// metered by it ran (and their snapshots hold); an edit would make those
// vats diverge on replay and refuse their snapshots.
func TestGenerationV2Frozen(t *testing.T) {
	for _, c := range []struct{ name, src, sum string }{
		{"v2/glue.js", glueV2, "fb1049231cfcf4e3c63fcc69bb49035e121103ec94d9b1c42d9a3826c732b509"},
		{"v2/prelude.js", preludeV2, "2d94bd5f48f701c3a03dfedf5b4f72bc2ac8f3c8d914d4571b262ce7c6adf8ea"},
		{"v2/passable.js", passableV2, "3bb5d46226e8693b94c763c3091527b1b954a15987e7e265bcb9ea7afe9d4298"},
		// Version 2's prelude with jsvat's patterns.js and vatdata.js spliced
		// in: to change those two files, first freeze their version 2 copies
		// in v2/ and splice them here.
		{"v2 prelude as spliced (jsvat's patterns.js, vatdata.js)", generations[2].prelude, "9477af1781a876acbe3b1515ac461c141240219a1da8c0e32824f7c811d9c389"},
	} {
		if sum := sha256.Sum256([]byte(c.src)); hex.EncodeToString(sum[:]) != c.sum {
			t.Errorf("%s changed: the vats metered by cooper-wasm-2 run it as it was", c.name)
		}
	}
}

func TestGenerationOf(t *testing.T) {
	for _, c := range []struct {
		metering string
		want     int
	}{
		{"", current.version},
		{"cooper-wasm-2 (100 fuel/computron, quickjs-ng v0.15.1, wasmfuel-1, module 65186cb76d01957d)", 2},
		{"cooper-wasm-3 (100 fuel/computron, quickjs-ng v0.15.1, wasmfuel-1, module 65186cb76d01957d)", 3},
		{"cooper-wasm-1 (100 fuel/computron, quickjs-ng v0.15.1)", current.version}, // refused by the kernel's check
		{"cooper-wasm-x", current.version},
		{"cooper-meter-v1", current.version},
	} {
		if got := generationOf(c.metering).version; got != c.want {
			t.Errorf("generationOf(%q) = %d, want %d", c.metering, got, c.want)
		}
	}
}

// FuzzSendArgs: the send payload of the glue ([target, promise, arg
// wire...] NUL method) is parsed without a panic, and a well-formed one
// gives back its parts.
func FuzzSendArgs(f *testing.F) {
	f.Add("[3,5,1,\"a\",[\"a\",true]]\x00ping", true)
	f.Add("[3,0]\x00a\x00b", true)
	f.Add("[3,5,[\"h\",9]]\x00", false)
	f.Add("[3]\x00m", false)
	f.Add("3,5]\x00m", false)
	f.Fuzz(func(t *testing.T, payload string, _ bool) {
		w := newWorker(vat.Spec{}, current)
		var target, promise handle
		var method string
		var args []capdata.Value
		if err := w.sendArgs(payload, &target, &method, &args, &promise); err != nil {
			return
		}
		head, name, _ := strings.Cut(payload, "\x00")
		if name != method || !strings.HasPrefix(head, "["+strconv.FormatUint(uint64(target), 10)+",") {
			t.Fatalf("%q: target %d, method %q", payload, target, method)
		}
		for _, a := range args {
			if _, err := encodeWire(a); err != nil {
				t.Fatalf("%q: argument %#v does not encode: %v", payload, a, err)
			}
		}
	})
}
