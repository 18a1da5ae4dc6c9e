// Package instrument rewrites a WebAssembly module so that a host can run
// hostile code in it deterministically: every run of the same code with the
// same inputs ends the same way, at the same point, on every machine.
//
// The pass adds, at load time, without any external tool:
//
//   - Fuel metering. A mutable i64 global (exported as [ExportFuel]) holds
//     the fuel left. Every function entry and every loop header subtracts a
//     static weight: the number of instructions of that region (the
//     function's instructions outside loops, or the loop's own instructions
//     outside nested loops). Between two charges no instruction runs twice,
//     so the fuel charged bounds the instructions executed. memory.copy and
//     memory.fill also charge one unit per [BulkBytesPerFuel] bytes, and
//     memory.grow [FuelPerPage] per page. When the fuel goes negative the
//     code traps (reason [TrapFuel]). The host sets and reads the global
//     between calls and from host functions.
//
//   - A memory.grow that fails traps (reason [TrapGrow]) instead of
//     returning -1: a host that caps memory by refusing growth ends the
//     call there, whatever the module would have done about it.
//
//   - A relocated, bounded shadow stack. The C shadow stack (the stack
//     pointer global, e.g. clang's __stack_pointer) is moved into a region
//     of [Options.StackSize] bytes appended after the module's initial
//     memory, and every write of the stack pointer is checked: a value below
//     the region's base plus a red zone traps (reason [TrapStack]) before
//     anything below the region is touched.
//
//   - A call-depth meter. Functions that can recurse (members of a cycle of
//     the call graph, where call_indirect may reach every table function of
//     its type) charge a weight to an i32 global on entry and give it back on
//     exit; when it goes negative the code traps (reason [TrapDepth]). This
//     bounds the native stack of the engine, so recursion that uses no
//     shadow stack ends at the same depth on amd64 and arm64 instead of at
//     the engine's machine-dependent native stack limit.
//
//   - Optionally, one host function import placed in the function table, so
//     that C code in the module can call it through a function pointer.
//
// The reason of the last trap is in the i32 global exported as
// [ExportTrap]. Every mutable global of the result is exported (see
// [Result.Globals]) so the host can snapshot and restore an instance.
package instrument

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"

	"github.com/tetratelabs/wabin/binary"
	"github.com/tetratelabs/wabin/leb128"
	"github.com/tetratelabs/wabin/wasm"
)

// Trap reasons, the values of the global exported as [ExportTrap].
const (
	TrapNone  = 0
	TrapFuel  = 1 // fuel ran out
	TrapStack = 2 // the shadow stack overflowed
	TrapDepth = 3 // the call-depth meter overflowed
	TrapGrow  = 4 // memory.grow failed
)

// Names of the exports the pass adds.
const (
	ExportFuel  = "cooper_fuel"  // mutable i64: fuel left
	ExportTrap  = "cooper_trap"  // mutable i32: why the last trap happened
	ExportDepth = "cooper_depth" // mutable i32: call-depth budget left
	// ExportGlobalPrefix prefixes the exports of the module's own mutable
	// globals, followed by the global's index.
	ExportGlobalPrefix = "cooper_global_"
)

// The fuel schedule. Changing any of these changes [Version].
const (
	// BulkBytesPerFuel is how many bytes memory.copy and memory.fill move per unit of fuel.
	BulkBytesPerFuel = 16
	// FuelPerPage is what memory.grow charges per 64 KiB page.
	FuelPerPage = 65536 / BulkBytesPerFuel
	// stackRedZone is the margin kept above the stack base: clang lets leaf
	// functions use up to 128 bytes below the stack pointer without moving it.
	stackRedZone = 256
)

// Version names the fuel schedule and the rewrite; it is part of every
// metering version string built on this package.
const Version = "wasmfuel-1"

const pageSize = 65536

// Options configure the pass.
type Options struct {
	// StackPointer is the index of the shadow stack pointer global.
	StackPointer uint32
	// StackSize is the size in bytes of the relocated stack, a multiple of 64 KiB.
	StackSize uint32
	// DepthBudget is the initial value of the call-depth meter.
	DepthBudget int32
	// Host, if set, is a function import to add and place in the table.
	Host *HostImport
	// MoreHosts are further imports placed in the table after Host (only with Host).
	MoreHosts []*HostImport
	// NoFuel leaves fuel metering out (to measure its cost; the fuel global
	// is still added and never changes).
	NoFuel bool
}

// HostImport describes a host function the module's C code calls through
// a function pointer.
type HostImport struct {
	Module, Name string
	Params       []wasm.ValueType
	Results      []wasm.ValueType
}

// Result is the rewritten module and what the host needs to drive it.
type Result struct {
	// Wasm is the rewritten module.
	Wasm []byte
	// Hash is the hex SHA-256 of Wasm.
	Hash string
	// StackBase and StackTop bound the relocated shadow stack: it grows down
	// from StackTop and traps before it goes below StackBase plus a red zone.
	StackBase, StackTop uint32
	// HostTableIndex is the table slot (the C function pointer) of the host import.
	HostTableIndex uint32
	// HostTableIndexes are the table slots of Host and MoreHosts, in order.
	HostTableIndexes []uint32
	// Globals are the export names of every mutable global, in index order.
	Globals []string
	// Recursive is how many functions carry the call-depth meter.
	Recursive int
	// DataEnd bounds what instantiation writes into memory (the data
	// segments): a new instance's memory at or above it is zero.
	DataEnd uint32
}

// Rewrite instruments module.
func Rewrite(module []byte, opts Options) (*Result, error) {
	if opts.StackSize == 0 || opts.StackSize%pageSize != 0 {
		return nil, fmt.Errorf("instrument: stack size %d is not a positive multiple of 64 KiB", opts.StackSize)
	}
	if err := precheck(module); err != nil {
		return nil, err
	}
	m, err := binary.DecodeModule(module, wasm.CoreFeaturesV2)
	if err != nil {
		return nil, fmt.Errorf("instrument: decode: %w", err)
	}
	p := &pass{m: m, opts: opts}
	res, err := p.run()
	if err != nil {
		return nil, err
	}
	res.Wasm = binary.EncodeModule(m)
	sum := sha256.Sum256(res.Wasm)
	res.Hash = hex.EncodeToString(sum[:])
	return res, nil
}

// precheck walks the sections and refuses vectors that claim more entries
// than their section has bytes: the decoder would allocate for the claim.
func precheck(b []byte) error {
	if len(b) < 8 {
		return errors.New("instrument: not a wasm module")
	}
	pos := 8
	for pos < len(b) {
		id := b[pos]
		size, p, err := readU32(b, pos+1)
		if err != nil {
			return fmt.Errorf("instrument: section at %d: %w", pos, err)
		}
		end := p + int(size)
		if end > len(b) || end < p {
			return fmt.Errorf("instrument: section %d runs past the end", id)
		}
		if id >= 1 && id <= 11 && id != 8 { // vector sections (not custom, start)
			n, _, err := readU32(b[:end], p)
			if err != nil || uint64(n) > uint64(size) {
				return fmt.Errorf("instrument: section %d claims %d entries in %d bytes", id, n, size)
			}
		}
		if id == 10 {
			if err := precheckLocals(b[:end], p); err != nil {
				return err
			}
		}
		pos = end
	}
	return nil
}

// maxLocals bounds the locals of one function (the decoder expands them).
const maxLocals = 50000

// precheckLocals refuses function bodies declaring more than maxLocals locals.
func precheckLocals(b []byte, p int) error {
	n, p, err := readU32(b, p)
	if err != nil {
		return err
	}
	for range n {
		var size, groups uint32
		if size, p, err = readU32(b, p); err != nil {
			return err
		}
		next := p + int(size)
		if groups, p, err = readU32(b, p); err != nil {
			return err
		}
		var sum uint64
		for range groups {
			var c uint32
			if c, p, err = readU32(b, p); err != nil {
				return err
			}
			sum += uint64(c)
			p++ // the type
		}
		if sum > maxLocals {
			return fmt.Errorf("instrument: a function declares %d locals", sum)
		}
		if next > len(b) || next < p {
			return errors.New("instrument: function body runs past its section")
		}
		p = next
	}
	return nil
}

type pass struct {
	m    *wasm.Module
	opts Options

	nImports  uint32 // imported functions in the original module
	shift     uint32 // the number of host imports added
	fuelG     uint32
	trapG     uint32
	depthG    uint32
	spLimit   uint32
	recursive []bool // per defined function
}

func (p *pass) run() (*Result, error) {
	m := p.m
	for _, imp := range m.ImportSection {
		switch imp.Type {
		case wasm.ExternTypeFunc:
			p.nImports++
		case wasm.ExternTypeGlobal:
			return nil, errors.New("instrument: imported globals are not supported")
		case wasm.ExternTypeMemory:
			return nil, errors.New("instrument: imported memories are not supported")
		}
	}
	if m.MemorySection == nil {
		return nil, errors.New("instrument: the module has no memory")
	}
	if err := p.validate(); err != nil {
		return nil, err
	}
	res := &Result{DataEnd: dataEnd(m)}
	if err := p.relocateStack(res); err != nil {
		return nil, err
	}
	rec, err := recursiveFunctions(m, p.nImports)
	if err != nil {
		return nil, err
	}
	p.recursive = rec
	for _, r := range rec {
		if r {
			res.Recursive++
		}
	}
	p.addGlobals()
	if p.opts.Host != nil {
		if err := p.addHost(res); err != nil {
			return nil, err
		}
	}
	for i, c := range m.CodeSection {
		nc, err := p.rewriteFunc(uint32(i), c)
		if err != nil {
			return nil, fmt.Errorf("instrument: function %d: %w", p.nImports+uint32(i), err)
		}
		m.CodeSection[i] = nc
	}
	p.addExports(res)
	m.CustomSections = nil // debug info no longer matches the code
	return res, nil
}

// dataEnd returns where the module's data segments end in memory; a
// segment placed by anything but a constant makes it the whole initial
// memory.
func dataEnd(m *wasm.Module) uint32 {
	whole := uint32(min(uint64(m.MemorySection.Min)*pageSize, math.MaxUint32))
	var end uint64
	for _, seg := range m.DataSection {
		e := seg.OffsetExpression
		if e == nil || e.Opcode != wasm.OpcodeI32Const {
			return whole
		}
		off, _, err := leb128.DecodeInt32(bytes.NewReader(e.Data))
		if err != nil {
			return whole
		}
		end = max(end, uint64(uint32(off))+uint64(len(seg.Init)))
	}
	return uint32(min(end, math.MaxUint32))
}

// validate checks the indices the pass follows, so that a malformed
// module is an error and never a panic.
func (p *pass) validate() error {
	m := p.m
	nTypes := uint32(len(m.TypeSection))
	nFuncs := p.nImports + uint32(len(m.FunctionSection))
	if len(m.CodeSection) != len(m.FunctionSection) {
		return fmt.Errorf("instrument: %d function bodies for %d functions", len(m.CodeSection), len(m.FunctionSection))
	}
	for _, t := range m.FunctionSection {
		if t >= nTypes {
			return fmt.Errorf("instrument: function of unknown type %d", t)
		}
	}
	for _, imp := range m.ImportSection {
		if imp.Type == wasm.ExternTypeFunc && imp.DescFunc >= nTypes {
			return fmt.Errorf("instrument: import of unknown type %d", imp.DescFunc)
		}
	}
	for _, e := range m.ExportSection {
		if e.Type == wasm.ExternTypeFunc && e.Index >= nFuncs {
			return fmt.Errorf("instrument: export of unknown function %d", e.Index)
		}
	}
	if m.StartSection != nil && *m.StartSection >= nFuncs {
		return fmt.Errorf("instrument: unknown start function %d", *m.StartSection)
	}
	for _, seg := range m.ElementSection {
		for _, x := range seg.Init {
			if x != nil && *x >= nFuncs {
				return fmt.Errorf("instrument: element of unknown function %d", *x)
			}
		}
	}
	for i, c := range m.CodeSection {
		ins, err := decodeBody(c.Body)
		if err != nil {
			return fmt.Errorf("instrument: function %d: %w", p.nImports+uint32(i), err)
		}
		for _, in := range ins {
			switch {
			case (in.op == opCall || in.op == opRefFunc) && in.idx >= nFuncs:
				return fmt.Errorf("instrument: function %d calls unknown function %d", p.nImports+uint32(i), in.idx)
			case in.op == opCallIndirect && in.idx >= nTypes:
				return fmt.Errorf("instrument: function %d: call_indirect of unknown type %d", p.nImports+uint32(i), in.idx)
			}
		}
	}
	return nil
}

// relocateStack appends the stack region to the initial memory and points
// the stack pointer at its top.
func (p *pass) relocateStack(res *Result) error {
	m := p.m
	sp := p.opts.StackPointer
	if int(sp) >= len(m.GlobalSection) {
		return fmt.Errorf("instrument: no stack pointer global %d", sp)
	}
	g := m.GlobalSection[sp]
	if g.Type.ValType != wasm.ValueTypeI32 || !g.Type.Mutable || g.Init.Opcode != wasm.OpcodeI32Const {
		return fmt.Errorf("instrument: global %d is not a mutable i32 initialized by a constant", sp)
	}
	mem := m.MemorySection
	pages := p.opts.StackSize / pageSize
	base := uint64(mem.Min) * pageSize
	top := base + uint64(p.opts.StackSize)
	if top > 1<<31 {
		return errors.New("instrument: the relocated stack does not fit below 2 GiB")
	}
	mem.Min += pages
	if mem.IsMaxEncoded && mem.Max < mem.Min {
		return errors.New("instrument: the memory's maximum leaves no room for the stack")
	}
	g.Init = &wasm.ConstantExpression{Opcode: wasm.OpcodeI32Const, Data: appendS32(nil, int32(top))}
	res.StackBase, res.StackTop = uint32(base), uint32(top)
	p.spLimit = uint32(base) + stackRedZone
	return nil
}

func (p *pass) addGlobals() {
	m := p.m
	add := func(t wasm.ValueType, init []byte) uint32 {
		op := wasm.OpcodeI32Const
		if t == wasm.ValueTypeI64 {
			op = wasm.OpcodeI64Const
		}
		m.GlobalSection = append(m.GlobalSection, &wasm.Global{
			Type: &wasm.GlobalType{ValType: t, Mutable: true},
			Init: &wasm.ConstantExpression{Opcode: op, Data: init},
		})
		return uint32(len(m.GlobalSection) - 1)
	}
	p.fuelG = add(wasm.ValueTypeI64, appendS64(nil, 0))
	p.trapG = add(wasm.ValueTypeI32, appendS32(nil, 0))
	p.depthG = add(wasm.ValueTypeI32, appendS32(nil, p.opts.DepthBudget))
}

// addHost adds the host imports and a table slot holding each, shifting
// the index of every defined function by their number.
func (p *pass) addHost(res *Result) error {
	m := p.m
	hosts := append([]*HostImport{p.opts.Host}, p.opts.MoreHosts...)
	if len(m.TableSection) != 1 || m.TableSection[0].Type != wasm.RefTypeFuncref {
		return errors.New("instrument: the host import needs exactly one funcref table")
	}
	for _, h := range hosts {
		typ := p.typeIndex(h.Params, h.Results)
		m.ImportSection = append(m.ImportSection, &wasm.Import{Type: wasm.ExternTypeFunc, Module: h.Module, Name: h.Name, DescFunc: typ})
	}
	p.shift = uint32(len(hosts))
	sh := p.shiftFunc
	for _, e := range m.ExportSection {
		if e.Type == wasm.ExternTypeFunc {
			e.Index = sh(e.Index)
		}
	}
	if m.StartSection != nil {
		s := sh(*m.StartSection)
		m.StartSection = &s
	}
	for _, seg := range m.ElementSection {
		for i, x := range seg.Init {
			if x != nil {
				v := sh(*x)
				seg.Init[i] = &v
			}
		}
	}
	if n := m.NameSection; n != nil {
		for _, a := range n.FunctionNames {
			a.Index = sh(a.Index)
		}
		for _, a := range n.LocalNames {
			a.Index = sh(a.Index)
		}
		var names []*wasm.NameAssoc
		for k, h := range hosts {
			names = append(names, &wasm.NameAssoc{Index: p.nImports + uint32(k), Name: h.Module + "." + h.Name})
		}
		n.FunctionNames = append(n.FunctionNames[:p.nImports:p.nImports], append(names, n.FunctionNames[p.nImports:]...)...)
	}
	t := m.TableSection[0]
	for k := range hosts {
		slot := t.Min
		t.Min++
		if t.Max != nil {
			mx := *t.Max
			if mx < t.Min {
				mx = t.Min
			}
			t.Max = &mx
		}
		hostIdx := p.nImports + uint32(k)
		m.ElementSection = append(m.ElementSection, &wasm.ElementSegment{
			OffsetExpr: &wasm.ConstantExpression{Opcode: wasm.OpcodeI32Const, Data: appendS32(nil, int32(slot))},
			Init:       []*wasm.Index{&hostIdx},
			Type:       wasm.RefTypeFuncref,
			Mode:       wasm.ElementModeActive,
		})
		res.HostTableIndexes = append(res.HostTableIndexes, slot)
	}
	res.HostTableIndex = res.HostTableIndexes[0]
	return nil
}

func (p *pass) shiftFunc(x uint32) uint32 {
	if x >= p.nImports {
		return x + p.shift
	}
	return x
}

// typeIndex returns the index of a function type, adding it if needed.
func (p *pass) typeIndex(params, results []wasm.ValueType) uint32 {
	for i, t := range p.m.TypeSection {
		if t.EqualsSignature(params, results) {
			return uint32(i)
		}
	}
	p.m.TypeSection = append(p.m.TypeSection, &wasm.FunctionType{Params: params, Results: results})
	return uint32(len(p.m.TypeSection) - 1)
}

func (p *pass) addExports(res *Result) {
	m := p.m
	for i, g := range m.GlobalSection {
		if !g.Type.Mutable {
			continue
		}
		name := fmt.Sprintf("%s%d", ExportGlobalPrefix, i)
		switch uint32(i) {
		case p.fuelG:
			name = ExportFuel
		case p.trapG:
			name = ExportTrap
		case p.depthG:
			name = ExportDepth
		}
		m.ExportSection = append(m.ExportSection, &wasm.Export{Type: wasm.ExternTypeGlobal, Name: name, Index: uint32(i)})
		res.Globals = append(res.Globals, name)
	}
}
