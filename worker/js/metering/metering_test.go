package metering

import (
	"errors"
	"strings"
	"testing"

	"github.com/dop251/goja"
)

// run evaluates src instrumented in a fresh metered runtime.
func run(t testing.TB, src string, limit uint64) (goja.Value, *Meter, error) {
	t.Helper()
	prog, err := Instrument("test.js", src)
	if err != nil {
		t.Fatalf("Instrument: %v", err)
	}
	rt := goja.New()
	m := NewMeter(rt)
	if err := Install(rt, m, Options{MaxCallStackSize: 500}); err != nil {
		t.Fatalf("Install: %v", err)
	}
	m.Reset(limit)
	v, err := rt.RunProgram(prog)
	return v, m, err
}

func isExceeded(err error) bool {
	var ie *goja.InterruptedError
	if !errors.As(err, &ie) {
		return false
	}
	e, ok := ie.Value().(error)
	return ok && errors.Is(e, ErrComputeExceeded)
}

func TestExceeded(t *testing.T) {
	tests := []struct {
		name, src string
		limit     uint64 // 0: 1e6
	}{
		{"while", `while (true) {}`, 0},
		{"while caught", `try { while (true) {} } catch (e) {} finally { while (true) {} }`, 0},
		{"caught in loop", `for (;;) { try { for (;;) {} } catch (e) {} }`, 0},
		{"for", `for (;;) {}`, 0},
		{"for no block", `let i = 0; for (;;) i++;`, 0},
		{"do-while", `do {} while (true)`, 0},
		{"for-of", `const a = [1]; for (const x of a) { a.push(x); }`, 0},
		{"for-in", `for (const k in { a: 1 }) { while (true) {} }`, 0},
		{"arrow recursion in loop", `const f = () => 1; for (;;) f();`, 0},
		{"promise loop", `const f = () => Promise.resolve().then(f); f();`, 1e5}, // a growing promise chain: ~20µs per hop in goja
		{"repeat", `"x".repeat(1e9)`, 0},
		{"repeat caught", `try { "x".repeat(1e9) } catch (e) {} "done"`, 0},
		{"repeat coerced", `"xy".repeat({ valueOf() { return 1e9; } })`, 0},
		{"new Array", `new Array(1e9)`, 0},
		{"Array call", `Array(1e9)`, 0},
		{"Array.from", `Array.from({ length: 1e9 })`, 0},
		{"constructor", `new ([].constructor)(1e9)`, 0},
		{"padStart", `"a".padStart(1e9)`, 0},
		{"padEnd", `"a".padEnd(1e9, "xy")`, 0},
		{"doubling", `let s = "x"; for (;;) s = s + s;`, 0},
		{"doubling +=", `let s = "x"; for (;;) s += s;`, 0},
		{"doubling template", "let s = 'x'; for (;;) s = `${s}${s}`;", 0},
		{"doubling concat", `let s = "x"; for (;;) s = s.concat(s);`, 0},
		{"doubling array", `let a = [1]; for (;;) a = [...a, ...a];`, 0},
		{"doubling push", `let a = [1]; for (;;) a.push(...a);`, 0},
		{"doubling array concat", `let a = [1]; for (;;) a = a.concat(a);`, 0},
		{"join sparse", `const a = []; a.length = 1e9; a.join("")`, 0},
		{"indexOf sparse", `const a = []; a.length = 4e9; a.indexOf(1)`, 0},
		{"fill", `new Array(1e5).fill(0); Array.prototype.fill.call({ length: 1e9 }, 0)`, 0},
		{"typed array", `new Uint8Array(1e9)`, 0},
		{"ArrayBuffer", `new ArrayBuffer(1e9)`, 0},
		{"JSON.parse", `const s = "[" + "1,".repeat(3e5) + "1]"; for (;;) JSON.parse(s);`, 0},
		{"JSON.stringify", `const a = new Array(1e4).fill("xxxxxxxx"); for (;;) JSON.stringify(a);`, 0},
		{"class", `class A { constructor() { this.x = 1; } get y() { return 1; } m() { return this.y; } } for (;;) new A().m();`, 0},
		{"generator", `function* g() { for (;;) yield 1; } for (const x of g()) {}`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			limit := tt.limit
			if limit == 0 {
				limit = 1e6
			}
			_, m, err := run(t, tt.src, limit)
			if !isExceeded(err) {
				t.Fatalf("err = %v (%T), want InterruptedError(ErrComputeExceeded)", err, err)
			}
			if !m.Exhausted() {
				t.Error("meter not exhausted")
			}
		})
	}
}

func TestStackOverflow(t *testing.T) {
	for _, src := range []string{
		`function f() { return f(); } f()`,
		`const f = () => f(); try { f() } catch (e) {}`,
		`class A { get x() { return this.x; } } new A().x`,
	} {
		_, _, err := run(t, src, 0)
		var so *goja.StackOverflowError
		if !errors.As(err, &so) {
			t.Errorf("%s: err = %v (%T), want *goja.StackOverflowError", src, err, err)
		}
	}
}

// workload is a normal delivery: a loop, calls, closures and strings.
const workload = `
function add(a, b) { return a + b; }
let sum = 0;
for (let i = 0; i < 1000; i++) {
  sum = add(sum, i);
}
const words = ['a', 'bb', 'ccc'].map(w => w.toUpperCase());
const msg = ` + "`sum=${sum} ${words.join('-')}`" + `;
[sum, msg]
`

// workloadComputrons is the golden charge of workload: update it (and
// Version) only when the charges change on purpose.
//
// program 1 + loop 1000 + add calls 1000 + map: Array species construction 1,
// map itself 1, callbacks 3 + join 1+1 + template 1 = 2009.
const workloadComputrons = 2009

func TestDeterministic(t *testing.T) {
	v1, m1, err := run(t, workload, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, m2, err := run(t, workload, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := v1.Export().([]any); got[0] != int64(499500) || got[1] != "sum=499500 A-BB-CCC" {
		t.Errorf("result = %v", got)
	}
	if m1.Used() != m2.Used() {
		t.Errorf("Used differs: %d vs %d", m1.Used(), m2.Used())
	}
	if m1.Used() != workloadComputrons {
		t.Errorf("Used = %d, want %d (charges changed: bump Version and the golden)", m1.Used(), workloadComputrons)
	}
	// The same workload fits exactly into its budget.
	if _, _, err := run(t, workload, workloadComputrons); err != nil {
		t.Errorf("limit %d: %v", workloadComputrons, err)
	}
	if _, _, err := run(t, workload, workloadComputrons-1); !isExceeded(err) {
		t.Errorf("limit %d: err = %v, want exceeded", workloadComputrons-1, err)
	}
}

func TestReset(t *testing.T) {
	prog, err := Instrument("loop.js", `(function (n) { let s = 0; for (let i = 0; i < n; i++) { s += i; } return s; })`)
	if err != nil {
		t.Fatal(err)
	}
	rt := goja.New()
	m := NewMeter(rt)
	if err := Install(rt, m, Options{}); err != nil {
		t.Fatal(err)
	}
	m.Reset(0)
	fv, err := rt.RunProgram(prog)
	if err != nil {
		t.Fatal(err)
	}
	f, _ := goja.AssertFunction(fv)
	deliver := func(limit uint64, n int) error {
		m.Reset(limit)
		_, err := f(goja.Undefined(), rt.ToValue(n))
		return err
	}
	if err := deliver(1000, 10); err != nil {
		t.Fatalf("small delivery: %v", err)
	}
	small := m.Used()
	if err := deliver(1000, 1e6); !isExceeded(err) {
		t.Fatalf("big delivery: err = %v", err)
	}
	// A charge after exhaustion interrupts again.
	if _, err := f(goja.Undefined(), rt.ToValue(1)); !isExceeded(err) {
		t.Fatalf("call after exhaustion: err = %v", err)
	}
	if err := deliver(1000, 10); err != nil {
		t.Fatalf("delivery after Reset: %v", err)
	}
	if m.Used() != small || m.Exhausted() {
		t.Errorf("after Reset: Used = %d, want %d; Exhausted = %v", m.Used(), small, m.Exhausted())
	}
}

func TestInstrumentErrors(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"call hook", `$cooper_meter_fn()`, "test.js:1:1: identifier $cooper_meter_fn is reserved"},
		{"shadow hook", "function f() {\n  let $cooper_meter_loop = () => {};\n}", "test.js:2:7: identifier $cooper_meter_loop is reserved"},
		{"param", `(function ($cooper_x) {})`, "reserved"},
		{"property", `globalThis.$cooper_meter_fn`, "reserved"},
		{"with", `with ({}) {}`, "with statement"},
		{"syntax", "let a = 1;\nlet = = 2;", "test.js:2:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Instrument("test.js", tt.src)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// TestSemantics checks that instrumentation and wrapped built-ins keep JS
// behaviour.
func TestSemantics(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"use strict kept", `(function () { 'use strict'; return this === undefined; })()`, "true"},
		// Vat code is strict, as ES modules are.
		{"strict this", `(function () { return this === undefined; })()`, "true"},
		{"strict globals", `try { undeclared = 1; 'created' } catch (e) { e.name }`, "ReferenceError"},
		{"strict frozen", `const o = Object.freeze({ a: 1 }); try { o.a = 2; 'ignored' } catch (e) { e.name }`, "TypeError"},
		{"concise arrow", `[1, 2].map(x => x * 2).join()`, "2,4"},
		{"object arrow", `(() => ({ a: 1 }))().a`, "1"},
		{"plus", `[1 + 2, "1" + 2, 1 + "2", [1] + [2], ({ valueOf() { return 5; } }) + 1, 1n + 2n, null + 1].join()`, "3,12,12,12,6,3,1"},
		{"plus-assign member once", `let n = 0; const o = { a: "x" }; o[(n++, "a")] += "y"; o.a + n`, "xy1"},
		{"template", "`a${1}b${'c'}`", "a1bc"},
		{"tagged template", "((s, ...v) => s.raw.join('|') + v.join())`a${1}b`", "a|b1"},
		{"spread", `Math.max(...[1, 5, 3]) + [...'ab'].length`, "7"},
		{"fn names", `(() => { const f = () => 1; class C { m() {} } return f.name + new C().m.name; })()`, "fm"},
		{"repeat", `"ab".repeat(3) + "".repeat(5) + String.prototype.repeat.call(12, 2)`, "ababab1212"},
		{"repeat errors", `try { "a".repeat(-1) } catch (e) { e instanceof RangeError }`, "true"},
		{"repeat null", `try { String.prototype.repeat.call(null, 1) } catch (e) { e instanceof TypeError }`, "true"},
		{"pad", `"5".padStart(3, "0") + "x".padEnd(3) + "|"`, "005x  |"},
		{"names", `[String.prototype.repeat.name, String.prototype.repeat.length, String.prototype.padStart.length, Array.prototype.join.name, Array.name, Array.length, JSON.parse.length].join()`, "repeat,1,1,join,Array,1,2"},
		{"array identity", `[[] instanceof Array, [].constructor === Array, Array.prototype.constructor === Array, Array.isArray(new Array(2)), new Array(3).length, Array(1, 2).join(), Array.of(7).length].join()`, "true,true,true,true,3,1,2,1"},
		{"subclass", `class L extends Array {} const l = new L(2); [l instanceof L, l.length, l.map(x => x) instanceof L].join()`, "true,2,true"},
		{"typed", `[new Uint8Array([1, 2, 3]).length, new Float64Array(4).byteLength, new Uint8Array(new ArrayBuffer(8), 2).length, Uint8Array.name, new Uint8Array(2).constructor === Uint8Array].join()`, "3,32,6,Uint8Array,true"},
		{"json", `JSON.stringify(JSON.parse('{"a":[1,2]}'))`, `{"a":[1,2]}`},
		{"wrappers fixed", `'use strict'; let ok = 0; try { String.prototype.repeat = null } catch (e) { ok++ } try { delete Array.prototype.join } catch (e) { ok++ } try { globalThis.Array = null } catch (e) { ok++ } try { globalThis['$cooper_meter_loop'] = null } catch (e) { ok++ } ok`, "4"},
		{"not constructors", `try { new String.prototype.repeat() } catch (e) { e instanceof TypeError }`, "true"},
		{"async", `let r; (async () => { await null; r = 1; })(); 'ok'`, "ok"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, _, err := run(t, tt.src, 1e6)
			if err != nil {
				t.Fatal(err)
			}
			if got := v.String(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
