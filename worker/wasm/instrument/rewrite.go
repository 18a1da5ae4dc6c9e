package instrument

import (
	"errors"

	"github.com/tetratelabs/wabin/wasm"
)

// depthCost is what one activation of a recursive function charges to the
// call-depth meter: a base plus its locals, a stand-in for the size of its
// native frame.
func depthCost(nParams, nLocals, nInstrs int) int32 {
	return int32(2 + (nParams+nLocals)/4 + nInstrs/16)
}

// rewriteFunc instruments the body of defined function i.
func (p *pass) rewriteFunc(i uint32, c *wasm.Code) (*wasm.Code, error) {
	ins, err := decodeBody(c.Body)
	if err != nil {
		return nil, err
	}
	if len(ins) == 0 || ins[len(ins)-1].op != opEnd {
		return nil, errors.New("body does not end with end")
	}
	typ := p.m.TypeSection[p.m.FunctionSection[i]]
	weights, err := regionWeights(ins)
	if err != nil {
		return nil, err
	}
	scratch := uint32(len(typ.Params) + len(c.LocalTypes))
	needScratch := false
	e := emitter{p: p, scratch: scratch}
	rec := p.recursive[i]
	var cost int32
	if rec {
		cost = depthCost(len(typ.Params), len(c.LocalTypes), len(ins))
		e.depthEnter(cost)
	}
	e.charge(weights[0], true)
	if rec {
		e.b = append(e.b, opBlock)
		e.b = append(e.b, p.blockType(typ.Results)...)
	}
	region := 0
	body := c.Body
	for k, in := range ins {
		last := k == len(ins)-1
		switch {
		case in.op == opCall || in.op == opRefFunc:
			e.b = append(e.b, in.op)
			e.b = appendU32(e.b, p.shiftFunc(in.idx))
		case in.op == opGlobalSet && in.idx == p.opts.StackPointer:
			needScratch = true
			e.stackCheck()
			e.b = append(e.b, body[in.start:in.end]...)
		case in.op == opPrefixFC && (in.sub == fcMemoryCopy || in.sub == fcMemoryFill):
			needScratch = true
			e.chargeDynamic(BulkBytesPerFuel, 1)
			e.b = append(e.b, body[in.start:in.end]...)
		case in.op == opMemoryGrow:
			needScratch = true
			e.chargeDynamic(1, FuelPerPage)
			e.b = append(e.b, body[in.start:in.end]...)
			e.growCheck()
		case rec && in.op == opReturn:
			e.depthLeave(cost)
			e.b = append(e.b, opReturn)
		case rec && last:
			e.b = append(e.b, opEnd) // closes the wrapper block
			e.depthLeave(cost)
			e.b = append(e.b, opEnd)
		default:
			e.b = append(e.b, body[in.start:in.end]...)
		}
		if startsRegion(in.op) && !last {
			region++
			e.charge(weights[region], in.op == opLoop)
		}
	}
	locals := c.LocalTypes
	if needScratch {
		locals = append(append([]wasm.ValueType(nil), locals...), wasm.ValueTypeI32)
	}
	return &wasm.Code{LocalTypes: locals, Body: e.b}, nil
}

// startsRegion reports whether the code after an instruction starts a new
// metering region: it can be reached other than by falling through from
// the instruction before (a loop header, the arms of an if, the code after
// an end, where branches land), or the instruction may not fall through
// (a branch, a return, a trap).
func startsRegion(op byte) bool {
	switch op {
	case opLoop, opIf, opElse, opEnd, opBr, opBrIf, opBrTable, opReturn, opUnreachable:
		return true
	}
	return false
}

// structural reports whether an instruction only shapes control flow and
// costs nothing to run (block, loop, else, end, nop).
func structural(op byte) bool {
	return op == opBlock || op == opLoop || op == opElse || op == opEnd || op == 0x01
}

// regionWeights counts the instructions of each metering region (except
// structural ones), in order:
// region 0 starts at the function's entry, each later one after an
// instruction for which startsRegion holds. A region runs straight through
// (a call returns into it, a br_if that is not taken falls through), so
// charging its weight when it starts charges each of its instructions
// once, when it runs.
func regionWeights(ins []instr) ([]int64, error) {
	weights := []int64{0}
	depth := 1
	for k, in := range ins {
		if depth == 0 {
			return nil, errors.New("instructions after the function's end")
		}
		if !structural(in.op) {
			weights[len(weights)-1]++
		}
		switch in.op {
		case opBlock, opIf, opLoop:
			depth++
		case opEnd:
			depth--
		}
		if startsRegion(in.op) && k != len(ins)-1 {
			weights = append(weights, 0)
		}
	}
	if depth != 0 {
		return nil, errors.New("unbalanced blocks")
	}
	return weights, nil
}

// blockType encodes a block type with no parameters and the given results.
func (p *pass) blockType(results []wasm.ValueType) []byte {
	switch len(results) {
	case 0:
		return []byte{blockEmpty}
	case 1:
		return []byte{results[0]}
	}
	return appendS64(nil, int64(p.typeIndex(nil, results)))
}

type emitter struct {
	p       *pass
	b       []byte
	scratch uint32
}

func (e *emitter) op(ops ...byte) { e.b = append(e.b, ops...) }

func (e *emitter) global(op byte, idx uint32) {
	e.b = append(e.b, op)
	e.b = appendU32(e.b, idx)
}

func (e *emitter) local(op byte, idx uint32) {
	e.b = append(e.b, op)
	e.b = appendU32(e.b, idx)
}

// trapIf emits: if (condition on the stack) { trap = reason; unreachable }.
func (e *emitter) trapIf(reason int32) {
	e.op(opIf, blockEmpty, opI32Const)
	e.b = appendS32(e.b, reason)
	e.global(opGlobalSet, e.p.trapG)
	e.op(opUnreachable, opEnd)
}

// charge subtracts w from the fuel; if check is set, it traps if the fuel
// went negative. Checks sit at function entries and loop headers only: no
// instruction runs twice without passing one, so a region charged without
// a check runs at most once before the next check.
func (e *emitter) charge(w int64, check bool) {
	if e.p.opts.NoFuel || (w == 0 && !check) {
		return
	}
	e.global(opGlobalGet, e.p.fuelG)
	e.op(opI64Const)
	e.b = appendS64(e.b, w)
	e.op(opI64Sub)
	if check {
		e.fuelStoreCheck()
	} else {
		e.global(opGlobalSet, e.p.fuelG)
	}
}

func (e *emitter) fuelStoreCheck() {
	e.global(opGlobalSet, e.p.fuelG)
	e.global(opGlobalGet, e.p.fuelG)
	e.op(opI64Const, 0, opI64LtS)
	e.trapIf(TrapFuel)
}

// chargeDynamic charges for the i32 operand on top of the stack (left in
// place): operand/div*mul units.
func (e *emitter) chargeDynamic(div, mul int64) {
	if e.p.opts.NoFuel {
		return
	}
	e.local(opLocalTee, e.scratch)
	e.global(opGlobalGet, e.p.fuelG)
	e.local(opLocalGet, e.scratch)
	e.op(opI64ExtendI32)
	if div > 1 {
		e.op(opI64Const)
		e.b = appendS64(e.b, int64(log2(div)))
		e.op(opI64ShrU)
	}
	if mul > 1 {
		e.op(opI64Const)
		e.b = appendS64(e.b, mul)
		e.op(opI64Mul)
	}
	e.op(opI64Sub)
	e.fuelStoreCheck()
}

func log2(v int64) int {
	n := 0
	for v > 1 {
		v >>= 1
		n++
	}
	return n
}

// stackCheck traps if the new stack pointer value on top of the stack
// (left in place) is below the stack's limit.
func (e *emitter) stackCheck() {
	e.local(opLocalTee, e.scratch)
	e.local(opLocalGet, e.scratch)
	e.op(opI32Const)
	e.b = appendS32(e.b, int32(e.p.spLimit))
	e.op(opI32LtU)
	e.trapIf(TrapStack)
}

// growCheck traps if the memory.grow result on top of the stack (left in
// place) is -1.
func (e *emitter) growCheck() {
	e.local(opLocalTee, e.scratch)
	e.op(opI32Const, 0x7f, opI32Eq)
	e.trapIf(TrapGrow)
	e.local(opLocalGet, e.scratch)
}

func (e *emitter) depthEnter(cost int32) {
	e.global(opGlobalGet, e.p.depthG)
	e.op(opI32Const)
	e.b = appendS32(e.b, cost)
	e.op(opI32Sub)
	e.global(opGlobalSet, e.p.depthG)
	e.global(opGlobalGet, e.p.depthG)
	e.op(opI32Const, 0, opI32LtS)
	e.trapIf(TrapDepth)
}

func (e *emitter) depthLeave(cost int32) {
	e.global(opGlobalGet, e.p.depthG)
	e.op(opI32Const)
	e.b = appendS32(e.b, cost)
	e.op(opI32Add)
	e.global(opGlobalSet, e.p.depthG)
}
