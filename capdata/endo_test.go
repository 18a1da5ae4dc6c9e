package capdata

import (
	"encoding/json"
	"os"
	"slices"
	"testing"
)

// TestEndoVectors decodes capdata produced by @endo/marshal (see
// testdata/endo_vectors.mjs) and checks that re-encoding reproduces it
// byte for byte.
func TestEndoVectors(t *testing.T) {
	data, err := os.ReadFile("testdata/endo_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var vectors []CapData
	if err := json.Unmarshal(data, &vectors); err != nil {
		t.Fatal(err)
	}
	for i, want := range vectors {
		v, err := Decode(want)
		if err != nil {
			t.Errorf("vector %d: Decode(%s): %v", i, want.Body, err)
			continue
		}
		got, err := Encode(v)
		if err != nil {
			t.Errorf("vector %d: Encode(%s): %v", i, Format(v), err)
			continue
		}
		if got.Body != want.Body || !slices.Equal(got.Slots, want.Slots) {
			t.Errorf("vector %d: re-encoded %s %q, want %s %q", i, got.Body, got.Slots, want.Body, want.Slots)
		}
	}
}
