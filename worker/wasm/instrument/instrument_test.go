package instrument

import (
	"context"
	"strings"
	"testing"

	quickjswasi "github.com/aperturerobotics/go-quickjs-wasi-reactor"
	"github.com/tetratelabs/wabin/binary"
	"github.com/tetratelabs/wabin/wasm"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

const (
	i32 = wasm.ValueTypeI32
	i64 = wasm.ValueTypeI64
)

// fn is a function of a hand-made test module.
type fn struct {
	name    string // export name, if any
	params  []wasm.ValueType
	results []wasm.ValueType
	locals  []wasm.ValueType
	body    []byte // without the final end
}

// build makes a module with one page of memory, the stack pointer as
// global 0 (at 1024), the functions, and a table holding all of them.
func build(t testing.TB, imports []*wasm.Import, importTypes []*wasm.FunctionType, maxPages *uint32, fns ...fn) []byte {
	t.Helper()
	m := &wasm.Module{
		MemorySection: &wasm.Memory{Min: 1},
		GlobalSection: []*wasm.Global{{
			Type: &wasm.GlobalType{ValType: i32, Mutable: true},
			Init: &wasm.ConstantExpression{Opcode: wasm.OpcodeI32Const, Data: appendS32(nil, 1024)},
		}},
	}
	if maxPages != nil {
		m.MemorySection.Max, m.MemorySection.IsMaxEncoded = *maxPages, true
	}
	m.TypeSection = append(m.TypeSection, importTypes...)
	m.ImportSection = imports
	n := uint32(len(imports))
	var elems []*wasm.Index
	for i, f := range fns {
		m.TypeSection = append(m.TypeSection, &wasm.FunctionType{Params: f.params, Results: f.results})
		m.FunctionSection = append(m.FunctionSection, uint32(len(m.TypeSection)-1))
		m.CodeSection = append(m.CodeSection, &wasm.Code{LocalTypes: f.locals, Body: append(append([]byte(nil), f.body...), opEnd)})
		idx := n + uint32(i)
		elems = append(elems, &idx)
		if f.name != "" {
			m.ExportSection = append(m.ExportSection, &wasm.Export{Type: wasm.ExternTypeFunc, Name: f.name, Index: idx})
		}
	}
	max := uint32(len(fns))
	m.TableSection = []*wasm.Table{{Min: max, Max: &max, Type: wasm.RefTypeFuncref}}
	m.ElementSection = []*wasm.ElementSegment{{
		OffsetExpr: &wasm.ConstantExpression{Opcode: wasm.OpcodeI32Const, Data: appendS32(nil, 0)},
		Init:       elems, Type: wasm.RefTypeFuncref, Mode: wasm.ElementModeActive,
	}}
	return binary.EncodeModule(m)
}

// code concatenates instructions.
func code(parts ...any) []byte {
	var b []byte
	for _, p := range parts {
		switch x := p.(type) {
		case byte:
			b = append(b, x)
		case int:
			b = append(b, byte(x))
		case []byte:
			b = append(b, x...)
		default:
			panic("bad part")
		}
	}
	return b
}

func i32c(v int32) []byte          { return appendS32([]byte{opI32Const}, v) }
func u32(op byte, v uint32) []byte { return appendU32([]byte{op}, v) }

// run instantiates a rewritten module and returns it with its globals.
type instance struct {
	mod         api.Module
	fuel, depth api.MutableGlobal
	trap        api.Global
}

func instantiate(t *testing.T, wasmBytes []byte, host api.GoModuleFunc, hostImport *HostImport) *instance {
	t.Helper()
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler())
	t.Cleanup(func() { r.Close(ctx) })
	if hostImport != nil {
		_, err := r.NewHostModuleBuilder(hostImport.Module).NewFunctionBuilder().
			WithGoModuleFunction(host, hostImport.Params, hostImport.Results).Export(hostImport.Name).Instantiate(ctx)
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := r.NewHostModuleBuilder("env").NewFunctionBuilder().
		WithGoModuleFunction(api.GoModuleFunc(func(_ context.Context, _ api.Module, s []uint64) { s[0] += 100 }), []api.ValueType{i32}, []api.ValueType{i32}).
		Export("plus100").Instantiate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mod, err := r.Instantiate(ctx, wasmBytes)
	if err != nil {
		t.Fatal(err)
	}
	return &instance{
		mod:   mod,
		fuel:  mod.ExportedGlobal(ExportFuel).(api.MutableGlobal),
		depth: mod.ExportedGlobal(ExportDepth).(api.MutableGlobal),
		trap:  mod.ExportedGlobal(ExportTrap),
	}
}

// call runs an export with fuel and returns its results, the fuel used and
// the trap reason.
func (in *instance) call(t *testing.T, name string, fuel int64, args ...uint64) ([]uint64, int64, int32, error) {
	t.Helper()
	in.fuel.Set(uint64(fuel))
	in.trap.(api.MutableGlobal).Set(0)
	res, err := in.mod.ExportedFunction(name).Call(context.Background(), args...)
	return res, fuel - int64(in.fuel.Get()), int32(in.trap.Get()), err
}

func rewrite(t *testing.T, m []byte, opts Options) *Result {
	t.Helper()
	if opts.StackSize == 0 {
		opts.StackSize = 65536
	}
	if opts.DepthBudget == 0 {
		opts.DepthBudget = 1 << 30
	}
	res, err := Rewrite(m, opts)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// countdown(n) loops n times: loop { n = n - 1; br_if n != 0 } return n.
var countdown = fn{name: "countdown", params: []wasm.ValueType{i32}, results: []wasm.ValueType{i32}, body: code(
	opLoop, blockEmpty,
	u32(opLocalGet, 0), i32c(1), opI32Sub, u32(opLocalTee, 0), u32(opBrIf, 0),
	opEnd,
	u32(opLocalGet, 0),
)}

func TestFuelExact(t *testing.T) {
	in := instantiate(t, rewrite(t, build(t, nil, nil, nil, countdown), Options{}).Wasm, nil, nil)
	// Regions: the entry (nothing but the loop), the loop body (5
	// instructions, charged per iteration), the code after br_if (only an
	// end), the code after the loop (local.get).
	for _, n := range []int64{1, 10, 1000} {
		_, used, trap, err := in.call(t, "countdown", 1e9, uint64(n))
		if err != nil || trap != TrapNone || used != 5*n+1 {
			t.Errorf("countdown(%d): used %d, trap %d, %v; want %d", n, used, trap, err, 5*n+1)
		}
	}
	// The loop header checks the fuel: with 5n-1 units the last iteration traps.
	_, _, trap, err := in.call(t, "countdown", 49, 10)
	if err == nil || trap != TrapFuel {
		t.Errorf("countdown(10) with 49 fuel: trap %d, %v", trap, err)
	}
	// Regions after the last check may overdraw: the host sees negative fuel.
	_, used, trap, err := in.call(t, "countdown", 50, 10)
	if err != nil || trap != TrapNone || used != 51 {
		t.Errorf("countdown(10) with 50 fuel: used %d, trap %d, %v", used, trap, err)
	}
}

// rec(n) takes a 16-byte shadow-stack frame and recurses to rec(n-1) until n is 0.
var shadowRec = fn{name: "rec", params: []wasm.ValueType{i32}, locals: []wasm.ValueType{i32}, body: code(
	u32(opGlobalGet, 0), i32c(16), opI32Sub, u32(opLocalTee, 1), u32(opGlobalSet, 0),
	u32(opLocalGet, 1), u32(opLocalGet, 0), 0x36, 2, 0, // i32.store align=2 offset=0
	u32(opLocalGet, 0), opIf, blockEmpty,
	u32(opLocalGet, 0), i32c(1), opI32Sub, u32(opCall, 0),
	opEnd,
	u32(opLocalGet, 1), i32c(16), opI32Add, u32(opGlobalSet, 0),
)}

func TestStackExact(t *testing.T) {
	res := rewrite(t, build(t, nil, nil, nil, shadowRec), Options{StackSize: 65536})
	if res.StackBase != 65536 || res.StackTop != 131072 {
		t.Fatalf("stack [%d, %d)", res.StackBase, res.StackTop)
	}
	in := instantiate(t, res.Wasm, nil, nil)
	// rec(n) uses n+1 frames of 16 bytes; the stack holds (65536-256)/16 = 4080.
	if _, _, trap, err := in.call(t, "rec", 1e9, 4079); err != nil || trap != TrapNone {
		t.Fatalf("rec(4079): trap %d, %v", trap, err)
	}
	sp := in.mod.ExportedGlobal(ExportGlobalPrefix + "0").Get()
	if sp != 131072 {
		t.Errorf("stack pointer after the call: %d", sp)
	}
	if _, _, trap, err := in.call(t, "rec", 1e9, 4080); err == nil || trap != TrapStack {
		t.Fatalf("rec(4080): trap %d, %v", trap, err)
	}
	// Memory below the stack is untouched: the store of the frame that
	// would overflow never happens.
	if b, _ := in.mod.Memory().Read(65536-512, 512); strings.Trim(string(b), "\x00") != "" {
		t.Error("memory below the stack was written")
	}
}

// deep(n) recurses without a shadow stack.
var deep = fn{name: "deep", params: []wasm.ValueType{i32}, results: []wasm.ValueType{i32}, body: code(
	u32(opLocalGet, 0), opI32Eqz, opIf, blockEmpty, i32c(7), opReturn, opEnd,
	u32(opLocalGet, 0), i32c(1), opI32Sub, u32(opCall, 0),
)}

const opI32Eqz = 0x45

func TestDepthExact(t *testing.T) {
	ins, _ := decodeBody(append(append([]byte(nil), deep.body...), opEnd))
	cost := depthCost(1, 0, len(ins))
	res := rewrite(t, build(t, nil, nil, nil, deep, countdown), Options{DepthBudget: 10 * cost})
	if res.Recursive != 1 {
		t.Errorf("%d recursive functions, want 1", res.Recursive)
	}
	in := instantiate(t, res.Wasm, nil, nil)
	for range 3 { // the meter is given back on every exit
		if r, _, trap, err := in.call(t, "deep", 1e9, 9); err != nil || trap != TrapNone || r[0] != 7 {
			t.Fatalf("deep(9): %v, trap %d, %v", r, trap, err)
		}
		if d := int32(in.depth.Get()); d != 10*cost {
			t.Fatalf("depth meter after the call: %d, want %d", d, 10*cost)
		}
	}
	if _, _, trap, err := in.call(t, "deep", 1e9, 10); err == nil || trap != TrapDepth {
		t.Fatalf("deep(10): trap %d, %v", trap, err)
	}
}

// pair(n) is recursive, returns two values and leaves by return, by br to
// the function's label and by falling off the end.
var pair = fn{name: "pair", params: []wasm.ValueType{i32}, results: []wasm.ValueType{i32, i64}, body: code(
	u32(opLocalGet, 0), opI32Eqz, opIf, blockEmpty, i32c(1), opI64Const, 2, opReturn, opEnd,
	u32(opLocalGet, 0), i32c(1), 0x46, opIf, blockEmpty, i32c(3), opI64Const, 4, u32(opBr, 1), opEnd, // n == 1: br to the function
	u32(opLocalGet, 0), i32c(2), opI32Sub, u32(opCall, 0),
)}

func TestRecursiveExits(t *testing.T) {
	res := rewrite(t, build(t, nil, nil, nil, pair), Options{DepthBudget: 1000})
	in := instantiate(t, res.Wasm, nil, nil)
	for _, tc := range []struct{ n, a, b uint64 }{{0, 1, 2}, {1, 3, 4}, {6, 1, 2}, {7, 3, 4}} {
		r, _, trap, err := in.call(t, "pair", 1e9, tc.n)
		if err != nil || trap != 0 || r[0] != tc.a || r[1] != tc.b {
			t.Errorf("pair(%d) = %v, trap %d, %v", tc.n, r, trap, err)
		}
		if d := in.depth.Get(); d != 1000 {
			t.Errorf("pair(%d) left the depth meter at %d", tc.n, d)
		}
	}
}

func TestBulkAndGrow(t *testing.T) {
	fill := fn{name: "fill", params: []wasm.ValueType{i32}, body: code(
		i32c(0), i32c(0), u32(opLocalGet, 0), opPrefixFC, fcMemoryFill, 0,
	)}
	grow := fn{name: "grow", params: []wasm.ValueType{i32}, results: []wasm.ValueType{i32}, body: code(
		u32(opLocalGet, 0), opMemoryGrow, 0,
	)}
	maxPages := uint32(3)
	in := instantiate(t, rewrite(t, build(t, nil, nil, &maxPages, fill, grow), Options{}).Wasm, nil, nil)
	_, small, _, err := in.call(t, "fill", 1e9, 16)
	if err != nil {
		t.Fatal(err)
	}
	_, big, _, err := in.call(t, "fill", 1e9, 16*1000+15)
	if err != nil || big-small != 999 {
		t.Errorf("filling 16016 more bytes cost %d more fuel (%v), want 999", big-small, err)
	}
	// The stack took the second page; one more fits under the maximum.
	r, used, _, err := in.call(t, "grow", 1e9, 1)
	if err != nil || r[0] != 2 || used < FuelPerPage {
		t.Errorf("grow(1) = %v, used %d, %v", r, used, err)
	}
	if _, _, trap, err := in.call(t, "grow", 1e9, 1); err == nil || trap != TrapGrow {
		t.Errorf("grow past the maximum: trap %d, %v", trap, err)
	}
}

func TestHostImport(t *testing.T) {
	imports := []*wasm.Import{{Type: wasm.ExternTypeFunc, Module: "env", Name: "plus100", DescFunc: 0}}
	importTypes := []*wasm.FunctionType{{Params: []wasm.ValueType{i32}, Results: []wasm.ValueType{i32}}}
	double := fn{name: "double", params: []wasm.ValueType{i32}, results: []wasm.ValueType{i32}, body: code(
		u32(opLocalGet, 0), u32(opLocalGet, 0), opI32Add,
	)}
	// viaTable(i, x) calls table[i](x); viaCall(x) calls double then plus100.
	viaTable := fn{name: "viaTable", params: []wasm.ValueType{i32, i32}, results: []wasm.ValueType{i32}, body: code(
		u32(opLocalGet, 1), u32(opLocalGet, 0), opCallIndirect, 0, 0,
	)}
	viaCall := fn{name: "viaCall", params: []wasm.ValueType{i32}, results: []wasm.ValueType{i32}, body: code(
		u32(opLocalGet, 0), u32(opCall, 1), u32(opCall, 0),
	)}
	host := &HostImport{Module: "cooper", Name: "host", Params: []wasm.ValueType{i32}, Results: []wasm.ValueType{i32}}
	res := rewrite(t, build(t, imports, importTypes, nil, double, viaTable, viaCall), Options{Host: host})
	if res.HostTableIndex != 3 {
		t.Errorf("host in table slot %d", res.HostTableIndex)
	}
	in := instantiate(t, res.Wasm, func(_ context.Context, _ api.Module, s []uint64) { s[0] *= 1000 }, host)
	for _, tc := range []struct {
		name string
		args []uint64
		want uint64
	}{
		{"double", []uint64{21}, 42},
		{"viaCall", []uint64{5}, 110},
		{"viaTable", []uint64{0, 5}, 10},
		{"viaTable", []uint64{3, 5}, 5000},
	} {
		r, _, _, err := in.call(t, tc.name, 1e9, tc.args...)
		if err != nil || r[0] != tc.want {
			t.Errorf("%s%v = %v, %v; want %d", tc.name, tc.args, r, err, tc.want)
		}
	}
}

func TestRefused(t *testing.T) {
	simd := fn{body: code(0xfd, 12, make([]byte, 16), 0x1a)} // v128.const, drop
	tail := fn{body: code(u32(0x12, 0))}                     // return_call 0
	for name, f := range map[string]fn{"simd": simd, "tail call": tail} {
		if _, err := Rewrite(build(t, nil, nil, nil, f), Options{StackSize: 65536}); err == nil || !strings.Contains(err.Error(), "unsupported") {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := Rewrite(build(t, nil, nil, nil, countdown), Options{StackSize: 1000}); err == nil {
		t.Error("a stack size that is not a multiple of 64 KiB was accepted")
	}
	if _, err := Rewrite([]byte("\x00asm\x01\x00\x00\x00\x0a"), Options{StackSize: 65536}); err == nil {
		t.Error("a truncated module was accepted")
	}
}

func TestRewriteQuickJS(t *testing.T) {
	opts := Options{StackSize: 1 << 20, DepthBudget: 1 << 22, Host: &HostImport{Module: "cooper", Name: "host",
		Params: []wasm.ValueType{i32, i64, i32, i32}, Results: []wasm.ValueType{i64}}}
	a, err := Rewrite(quickjswasi.QuickJSWASM, opts)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Rewrite(quickjswasi.QuickJSWASM, opts)
	if err != nil {
		t.Fatal(err)
	}
	if a.Hash != b.Hash {
		t.Error("the rewrite is not deterministic")
	}
	// The stock build's memory ends at 3 pages; the stack follows.
	if a.StackBase != 3*65536 || a.StackTop != a.StackBase+1<<20 {
		t.Errorf("stack [%d, %d)", a.StackBase, a.StackTop)
	}
	if a.Recursive < 50 || len(a.Globals) != 4 {
		t.Errorf("%d recursive functions, globals %v", a.Recursive, a.Globals)
	}
}

func FuzzDecodeBody(f *testing.F) {
	for _, fn := range []fn{countdown, shadowRec, deep, pair} {
		f.Add(append(append([]byte(nil), fn.body...), opEnd))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ins, err := decodeBody(body)
		if err != nil {
			return
		}
		end := 0
		for _, in := range ins {
			if in.start != end || in.end <= in.start || in.end > len(body) {
				t.Fatalf("instruction bounds %+v after %d", in, end)
			}
			end = in.end
		}
		if end != len(body) {
			t.Fatalf("decoded %d of %d bytes", end, len(body))
		}
	})
}

func FuzzRewrite(f *testing.F) {
	f.Add(build(f, nil, nil, nil, countdown, shadowRec, deep, pair))
	f.Fuzz(func(t *testing.T, m []byte) {
		res, err := Rewrite(m, Options{StackSize: 65536, DepthBudget: 100})
		if err != nil {
			return
		}
		// The result is a module the pass itself can read again.
		if _, err := binary.DecodeModule(res.Wasm, wasm.CoreFeaturesV2); err != nil {
			t.Fatalf("the rewritten module does not decode: %v", err)
		}
	})
}
