package wasm

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

// TestGenerationV2Frozen: the sources of version 2 are those the vats
// metered by it ran (and their snapshots hold); an edit would make those
// vats diverge on replay and refuse their snapshots.
func TestGenerationV2Frozen(t *testing.T) {
	for _, c := range []struct{ name, src, sum string }{
		{"v2/glue.js", glueV2, "fb1049231cfcf4e3c63fcc69bb49035e121103ec94d9b1c42d9a3826c732b509"},
		{"v2/prelude.js", preludeV2, "2d94bd5f48f701c3a03dfedf5b4f72bc2ac8f3c8d914d4571b262ce7c6adf8ea"},
		{"v2/passable.js", passableV2, "3bb5d46226e8693b94c763c3091527b1b954a15987e7e265bcb9ea7afe9d4298"},
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
