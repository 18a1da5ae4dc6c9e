package qjs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
)

var testEngine = sync.OnceValues(func() (*Engine, error) { return NewEngine(context.Background(), Config{}) })

func engine(t testing.TB) *Engine {
	t.Helper()
	e, err := testEngine()
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func newInstance(t testing.TB, opts Options) *Instance {
	t.Helper()
	in, err := engine(t).New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(in.Close)
	in.SetFuel(1e10)
	return in
}

func TestEvalBasics(t *testing.T) {
	in := newInstance(t, Options{})
	for _, tc := range []struct{ src, want string }{
		{"1+2", "3"},
		{"'h\\u00e9llo ' + '\\u{1F600}'", "héllo 😀"},
		{"typeof std + typeof os + typeof print + typeof scriptArgs", "undefinedundefinedundefinedundefined"},
		{"JSON.stringify([1,{a:2}])", `[1,{"a":2}]`},
		{"Date.now()", "0"}, // the WASI clock is fixed; the prelude hides it from vats anyway
		{"'a\\u0000b'.length", "3"},
	} {
		got, err := in.EvalString(tc.src)
		if err != nil || got != tc.want {
			t.Errorf("%s = %q, %v; want %q", tc.src, got, err, tc.want)
		}
	}
	_, err := in.EvalString("null.x")
	var js *JSError
	if !errors.As(err, &js) || js.Message != "TypeError: cannot read property 'x' of null" {
		t.Errorf("null.x: %v", err)
	}
	if in.Err() != nil {
		t.Errorf("a JS exception killed the instance: %v", in.Err())
	}
}

// glue evaluates a function of the host function and returns it applied.
func glue(t *testing.T, in *Instance, src string) Value {
	t.Helper()
	mk, err := in.Eval(src, "glue.js")
	if err != nil {
		t.Fatal(err)
	}
	f, err := in.CallValue(mk, in.HostFunction())
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestHostCalls(t *testing.T) {
	var in *Instance
	var inner Value
	var log []string
	in = newInstance(t, Options{Handler: func(op int, payload string) (string, error) {
		log = append(log, fmt.Sprintf("%d:%s", op, payload))
		switch op {
		case 1:
			return strings.ToUpper(payload), nil
		case 2:
			return "", &Throw{Message: "refused " + payload}
		case 3: // call back into JS from Go
			return in.Call(inner, payload+"!")
		}
		return "", errors.New("fatal op")
	}})
	f := glue(t, in, `(host) => (s) => {
		const [op, arg] = JSON.parse(s);
		const r = host(op, arg);
		return r;
	}`)
	inner = glue(t, in, `(host) => (s) => 'inner(' + host(1, s) + ')'`)
	for _, tc := range []struct{ in, want string }{
		{`[1, "héllo\u0000"]`, "rHÉLLO\x00"},
		{`[2, "x"]`, "erefused x"},
		{`[3, "abc"]`, "rinner(rABC!)"},
	} {
		got, err := in.Call(f, tc.in)
		if err != nil || got != tc.want {
			t.Errorf("%s: %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	if _, err := in.Call(f, `[4, ""]`); err == nil || err.Error() != "fatal op" {
		t.Errorf("fatal op: %v", err)
	}
	if in.Err() == nil {
		t.Error("a fatal handler error left the instance alive")
	}
	if _, err := in.EvalString("1"); err == nil {
		t.Error("a dead instance still evaluates")
	}
}

func TestFuel(t *testing.T) {
	in := newInstance(t, Options{})
	in.SetFuel(1e7)
	if _, err := in.EvalString("let s = 0; for (let i = 0; i < 100; i++) s += i; s"); err != nil {
		t.Fatal(err)
	}
	used := 1e7 - in.Fuel()
	if used <= 0 || used > 1e6 {
		t.Errorf("a small loop used %d fuel", used)
	}
	in.SetFuel(1e7)
	_, err := in.EvalString("for (;;) {}")
	if !errors.Is(err, ErrComputeExceeded) {
		t.Fatalf("endless loop: %v", err)
	}
	if in.Fuel() > 0 {
		t.Errorf("fuel left after exhaustion: %d", in.Fuel())
	}
	if _, err := in.EvalString("1"); !errors.Is(err, ErrComputeExceeded) {
		t.Errorf("after exhaustion: %v", err)
	}
}

// TestFuelCountsBuiltins checks that work inside built-ins costs fuel in
// proportion to its size.
func TestFuelCountsBuiltins(t *testing.T) {
	cost := func(src string) int64 {
		in := newInstance(t, Options{})
		if _, err := in.EvalString(src); err != nil {
			t.Fatal(err)
		}
		return 1e10 - in.Fuel()
	}
	for _, tc := range []struct{ small, big string }{
		{"'x'.repeat(1e3).length", "'x'.repeat(1e6).length"},
		{"new Uint8Array(10).join('y'.repeat(100)).length", "new Uint8Array(10000).join('y'.repeat(100)).length"},
		{"/^(a+)+b/.test('a'.repeat(5))", "/^(a+)+b/.test('a'.repeat(15))"},
		{"Array.from({length: 1e3}, (_, i) => -i).sort((a, b) => a - b).length", "Array.from({length: 1e5}, (_, i) => -i).sort((a, b) => a - b).length"},
	} {
		s, b := cost(tc.small), cost(tc.big)
		if b < 50*s {
			t.Errorf("%s costs %d, %s only %d", tc.small, s, tc.big, b)
		}
	}
}

func TestDeterministicFuel(t *testing.T) {
	const src = "const m = new Map(); for (let i = 0; i < 1000; i++) m.set('k' + i, {i}); JSON.stringify([...m.keys()]).length"
	var used []int64
	for range 2 {
		in := newInstance(t, Options{})
		if _, err := in.EvalString(src); err != nil {
			t.Fatal(err)
		}
		used = append(used, 1e10-in.Fuel())
	}
	if used[0] != used[1] {
		t.Errorf("fuel differs between identical instances: %d", used)
	}
}

func TestMemoryLimit(t *testing.T) {
	for _, src := range []string{
		"new Array(1e8).fill(0); 1",
		"'x'.repeat(2**29).length",
		// Vat code catches QuickJS's out-of-memory error and goes on: the
		// call still ends with the memory error.
		"let n = 0; try { const a = []; for (;;) a.push('x'.repeat(1e5) + n++) } catch (e) { n = -1 } for (let i = 0; i < 10; i++) n++; n",
	} {
		in := newInstance(t, Options{MemoryLimit: 64 << 20})
		_, err := in.EvalString(src)
		if !errors.Is(err, ErrMemoryExceeded) {
			t.Errorf("%s: %v", src, err)
		}
		if in.MemorySize() > 64<<20 {
			t.Errorf("%s: memory grew to %d", src, in.MemorySize())
		}
	}
}

// TestStackDepth pins the exact recursion depth at which plain JS recursion
// overflows the shadow stack: the same on every machine.
func TestStackDepth(t *testing.T) {
	const f = "function f(n) { return n === 0 ? 0 : 1 + f(n - 1) }; "
	in := newInstance(t, Options{})
	if got, err := in.EvalString(f + "f(2618)"); err != nil || got != "2618" {
		t.Fatalf("f(2618) = %q, %v", got, err)
	}
	in = newInstance(t, Options{})
	if _, err := in.EvalString(f + "f(2619)"); !errors.Is(err, ErrStackOverflow) {
		t.Fatalf("f(2619): %v", err)
	}
	// Caught or not, an overflow ends the call.
	in = newInstance(t, Options{})
	if _, err := in.EvalString(f + "try { f(1e5) } catch (e) { 'caught' }"); !errors.Is(err, ErrStackOverflow) {
		t.Fatalf("caught overflow: %v", err)
	}
}

// TestNativeRecursion covers C recursion that uses no shadow stack: the
// call-depth meter ends it, not wazero's machine-dependent native limit.
func TestNativeRecursion(t *testing.T) {
	for _, src := range []string{
		"JSON.parse('['.repeat(1e6) + ']'.repeat(1e6)).length",
		"let a = []; for (let i = 0; i < 1e5; i++) a = [a]; String(a).length",
	} {
		in := newInstance(t, Options{})
		if _, err := in.EvalString(src); !errors.Is(err, ErrStackOverflow) {
			t.Errorf("%s: %v", src, err)
		}
	}
}

// TestAllocatorAvoidsStack checks the assumption behind the stack
// relocation: malloc never hands out memory in the relocated stack.
func TestAllocatorAvoidsStack(t *testing.T) {
	in := newInstance(t, Options{})
	base, top := in.e.info.StackBase, in.e.info.StackTop
	for _, size := range []uint64{8, 100, 4096, 60000, 1 << 20, 16} {
		for range 50 {
			p, err := in.invoke(fnMalloc, size)
			if err != nil || p == 0 {
				t.Fatalf("malloc(%d): %d, %v", size, p, err)
			}
			if uint32(p)+uint32(size) > base && uint32(p) < top {
				t.Fatalf("malloc(%d) = %d, inside the stack [%d, %d)", size, p, base, top)
			}
		}
	}
}

func TestSnapshotRestore(t *testing.T) {
	e := engine(t)
	in := newInstance(t, Options{})
	if _, err := in.EvalString("globalThis.m = new Map(); for (let i = 0; i < 1000; i++) m.set(i, 'v' + i); m.size"); err != nil {
		t.Fatal(err)
	}
	snap, err := in.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	dec, err := DecodeSnapshot(snap.Encode())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(dec.Memory, snap.Memory) || dec.ModuleHash != e.ModuleHash() {
		t.Fatal("snapshot does not round-trip")
	}
	restored, err := e.Restore(dec, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	const next = "for (let i = 1000; i < 1500; i++) m.set(i, 'w' + i); m.get(1499) + m.size"
	var outs []string
	var fuels []int64
	for _, x := range []*Instance{in, restored} {
		x.SetFuel(1e10)
		out, err := x.EvalString(next)
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, out)
		fuels = append(fuels, 1e10-x.Fuel())
	}
	if outs[0] != "w14991500" || outs[1] != outs[0] || fuels[0] != fuels[1] {
		t.Errorf("after restore: %q fuel %d", outs, fuels)
	}
	wrong := &Snapshot{ModuleHash: strings.Repeat("00", 32), Globals: dec.Globals, Memory: dec.Memory, st: dec.st}
	if _, err := e.Restore(wrong, Options{}); !errors.Is(err, ErrWrongModule) {
		t.Errorf("restore into another module: %v", err)
	}
}

func FuzzDecodeSnapshot(f *testing.F) {
	f.Add((&Snapshot{ModuleHash: strings.Repeat("ab", 32), Globals: []uint64{1, 2}, Memory: make([]byte, pageSize)}).Encode())
	f.Add([]byte("CQJSNAP1"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := DecodeSnapshot(b)
		if err != nil {
			return
		}
		if !bytes.Equal(s.Encode(), b) {
			t.Fatal("decode then encode changed the bytes")
		}
	})
}

// TestFuelFromHandler checks that the host can read and change the fuel
// while JS calls it.
func TestFuelFromHandler(t *testing.T) {
	var in *Instance
	var seen []int64
	in = newInstance(t, Options{Handler: func(op int, _ string) (string, error) {
		seen = append(seen, in.Fuel())
		if op == 1 {
			in.SetFuel(0)
		}
		return "", nil
	}})
	f := glue(t, in, `(host) => () => { host(0, ''); host(0, ''); host(1, ''); for (let i = 0; i < 10; i++); return 'done' }`)
	_, err := in.Call(f, "")
	if !errors.Is(err, ErrComputeExceeded) {
		t.Fatalf("after the handler drained the fuel: %v", err)
	}
	if len(seen) != 3 || !(seen[0] > seen[1] && seen[1] > seen[2]) {
		t.Errorf("fuel seen by the handler: %v", seen)
	}
}

// TestInterruptFromAnotherGoroutine stops an endless loop from another
// goroutine, as a signal handler does.
func TestInterruptFromAnotherGoroutine(t *testing.T) {
	started := make(chan struct{})
	in := newInstance(t, Options{Handler: func(int, string) (string, error) {
		close(started)
		return "", nil
	}})
	in.SetFuel(1 << 60)
	f := glue(t, in, `(host) => () => { host(1, ''); for (;;) {} }`)
	done := make(chan error)
	go func() {
		_, err := in.Call(f, "")
		done <- err
	}()
	<-started
	in.Interrupt()
	if err := <-done; !errors.Is(err, ErrInterrupted) {
		t.Fatalf("interrupted loop: %v", err)
	}
	if _, err := in.EvalString("1"); !errors.Is(err, ErrInterrupted) {
		t.Errorf("after the interrupt: %v", err)
	}
}

// TestSharedSnapshot restores several instances from one shared snapshot
// (mapped copy-on-write on Linux): each runs on its own copy, and neither
// their writes nor their memory growth reach the snapshot or each other.
func TestSharedSnapshot(t *testing.T) {
	e := engine(t)
	in := newInstance(t, Options{})
	if _, err := in.EvalString("globalThis.m = new Map(); for (let i = 0; i < 1000; i++) m.set(i, 'v' + i); m.size"); err != nil {
		t.Fatal(err)
	}
	snap, err := in.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	before := bytes.Clone(snap.Memory)
	snap.Share()
	var outs []string
	for i := range 3 {
		r, err := e.Restore(snap, Options{})
		if err != nil {
			t.Fatal(err)
		}
		r.SetFuel(1e10)
		// Instance i writes i*20,000 more entries: enough to grow the memory.
		out, err := r.EvalString(fmt.Sprintf("for (let j = 0; j < %d; j++) m.set('x' + j, j); m.size + ':' + m.get(999)", i*20000))
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, out)
		if runtime.GOOS == "linux" {
			maps, err := os.ReadFile("/proc/self/maps")
			if err != nil || !bytes.Contains(maps, []byte("memfd:cooper-qjs-snapshot")) {
				t.Errorf("instance %d: the snapshot is not mapped (%v)", i, err)
			}
		}
		if i == 2 {
			defer r.Close()
		} else {
			r.Close()
		}
	}
	if want := []string{"1000:v999", "21000:v999", "41000:v999"}; !slices.Equal(outs, want) {
		t.Errorf("restored instances: %q, want %q", outs, want)
	}
	if !bytes.Equal(snap.Memory, before) {
		t.Error("a restored instance wrote into the shared snapshot")
	}
	if out, err := in.EvalString("m.size"); err != nil || out != "1000" {
		t.Errorf("the original instance: %q, %v", out, err)
	}
}
