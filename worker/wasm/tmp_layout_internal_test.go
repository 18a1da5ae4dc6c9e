package wasm

import (
	"bytes"
	"testing"
)

func TestTmpLayout(t *testing.T) {
	p, err := shared()
	if err != nil {
		t.Fatal(err)
	}
	mem := p.template.Memory
	zero := make([]byte, 4096)
	nz := 0
	first, last := -1, -1
	for i := 0; i < len(mem); i += 4096 {
		if !bytes.Equal(mem[i:i+4096], zero) {
			nz++
			if first < 0 {
				first = i / 4096
			}
			last = i / 4096
		}
	}
	t.Logf("template %d bytes, %d pages of 4K, %d nonzero (first %d last %d)", len(mem), len(mem)/4096, nz, first, last)
}
