//go:build unix

package qjs

import (
	"bytes"
	"testing"
)

// TestReusedMemoryIsZero: an instance restored into memory a closed
// instance left behind (the reservation pool) holds exactly the snapshot,
// zero pages included, and a fresh instance there starts as on fresh
// memory.
func TestReusedMemoryIsZero(t *testing.T) {
	e := engine(t)
	// A snapshot of a mostly empty heap.
	c := newInstance(t, Options{})
	snap, err := c.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	pool.Lock()
	pool.free = nil
	pool.Unlock()
	// An instance that dirties memory (its C stack, by deep recursion,
	// and its heap), then is closed.
	a := newInstance(t, Options{})
	a.SetFuel(1e10)
	if _, err := a.EvalString("function deep(n) { return n === 0 ? 0 : 1 + deep(n - 1) } deep(2000)"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.EvalString("globalThis.junk = []; for (let i = 0; i < 200; i++) junk.push('z'.repeat(20000) + i); junk.length"); err != nil {
		t.Fatal(err)
	}
	a.Close()
	pool.Lock()
	kept := len(pool.free)
	pool.Unlock()
	if kept != 1 {
		t.Fatalf("%d reservations kept, want 1", kept)
	}
	b, err := e.Restore(snap, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	mem, ok := b.mod.Memory().Read(0, b.mod.Memory().Size())
	if !ok || !bytes.Equal(mem, snap.Memory) {
		t.Fatal("the restored memory differs from the snapshot")
	}
	pool.Lock()
	kept = len(pool.free)
	pool.Unlock()
	if kept != 0 {
		t.Fatalf("the reservation was not reused (%d kept)", kept)
	}
	b.SetFuel(1e9)
	if out, err := b.EvalString("typeof junk + ':' + (6 * 7)"); err != nil || out != "undefined:42" {
		t.Fatalf("restored instance: %q, %v", out, err)
	}
}

// TestDataEnd: instantiation writes nothing at or above the module's
// DataEnd (what copyMemory relies on to skip a snapshot's zero pages), and
// something just below it.
func TestDataEnd(t *testing.T) {
	e := engine(t)
	pool.Lock()
	pool.free = nil // a fresh reservation
	pool.Unlock()
	in, err := e.instantiate(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	mem, ok := in.mod.Memory().Read(0, in.mod.Memory().Size())
	if !ok {
		t.Fatal("no memory")
	}
	end := int(e.info.DataEnd)
	if end == 0 || end > len(mem) {
		t.Fatalf("DataEnd %d, memory %d bytes", end, len(mem))
	}
	for i := len(mem) - 1; i >= end; i-- {
		if mem[i] != 0 {
			t.Fatalf("instantiation wrote at %d, above DataEnd %d", i, end)
		}
	}
	if bytes.Count(mem[:end], []byte{0}) == end {
		t.Fatal("nothing below DataEnd")
	}
}
