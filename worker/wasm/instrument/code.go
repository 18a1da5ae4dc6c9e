package instrument

import (
	"errors"
	"fmt"
)

// errTruncated is returned when an instruction runs past the end of a body.
var errTruncated = errors.New("instrument: truncated code")

// Opcodes the pass looks at or emits.
const (
	opUnreachable  = 0x00
	opBlock        = 0x02
	opLoop         = 0x03
	opIf           = 0x04
	opElse         = 0x05
	opEnd          = 0x0b
	opBr           = 0x0c
	opBrIf         = 0x0d
	opBrTable      = 0x0e
	opReturn       = 0x0f
	opCall         = 0x10
	opCallIndirect = 0x11
	opLocalGet     = 0x20
	opLocalTee     = 0x22
	opGlobalGet    = 0x23
	opGlobalSet    = 0x24
	opMemoryGrow   = 0x40
	opI32Const     = 0x41
	opI64Const     = 0x42
	opI32Eq        = 0x46
	opI32LtS       = 0x48
	opI32LtU       = 0x49
	opI64LtS       = 0x53
	opI32Add       = 0x6a
	opI32Sub       = 0x6b
	opI64Sub       = 0x7d
	opI64Mul       = 0x7e
	opI64ShrU      = 0x88
	opI64ExtendI32 = 0xad
	opRefFunc      = 0xd2
	opPrefixFC     = 0xfc

	blockEmpty = 0x40

	fcMemoryCopy = 10
	fcMemoryFill = 11
)

// instr is one decoded instruction of a function body.
type instr struct {
	op    byte
	sub   uint32 // the sub-opcode after a 0xFC prefix
	start int    // offset of the opcode
	imm   int    // offset of the first immediate
	end   int    // offset just past the instruction
	idx   uint32 // the first index immediate (call, ref.func, global, call_indirect type)
}

// readU32 decodes an unsigned LEB128 number of at most 32 bits.
func readU32(b []byte, pos int) (uint32, int, error) {
	var v uint32
	for shift := uint(0); shift < 35; shift += 7 {
		if pos >= len(b) {
			return 0, pos, errTruncated
		}
		c := b[pos]
		pos++
		v |= uint32(c&0x7f) << shift
		if c&0x80 == 0 {
			return v, pos, nil
		}
	}
	return 0, pos, errors.New("instrument: LEB128 number too long")
}

// skipLEB skips a (signed or unsigned) LEB128 number of at most maxBytes bytes.
func skipLEB(b []byte, pos, maxBytes int) (int, error) {
	for range maxBytes {
		if pos >= len(b) {
			return pos, errTruncated
		}
		c := b[pos]
		pos++
		if c&0x80 == 0 {
			return pos, nil
		}
	}
	return pos, errors.New("instrument: LEB128 number too long")
}

// skipBlockType skips a block type: empty, a value type, or an s33 type index.
func skipBlockType(b []byte, pos int) (int, error) {
	if pos >= len(b) {
		return pos, errTruncated
	}
	switch c := b[pos]; {
	case c == blockEmpty || c == 0x7f || c == 0x7e || c == 0x7d || c == 0x7c || c == 0x7b || c == 0x70 || c == 0x6f:
		return pos + 1, nil
	default:
		return skipLEB(b, pos, 5)
	}
}

// decodeBody splits a function body (after its locals) into instructions.
// It accepts the MVP instruction set plus sign extension, non-trapping
// float-to-int, bulk memory, reference types and multi-value; anything
// else (SIMD, threads, exceptions, tail calls) is refused.
func decodeBody(b []byte) ([]instr, error) {
	var out []instr
	pos := 0
	for pos < len(b) {
		in := instr{op: b[pos], start: pos}
		p := pos + 1
		in.imm = p
		var err error
		switch op := in.op; {
		case op == 0x00 || op == 0x01 || op == opElse || op == opEnd || op == opReturn ||
			op == 0x1a || op == 0x1b || (op >= 0x45 && op <= 0xc4) || op == 0xd1:
		case op == opBlock || op == opLoop || op == opIf:
			p, err = skipBlockType(b, p)
		case op == opBr || op == opBrIf:
			p, err = skipLEB(b, p, 5)
		case op == opBrTable:
			var n uint32
			n, p, err = readU32(b, p)
			for i := uint32(0); err == nil && i <= n; i++ {
				p, err = skipLEB(b, p, 5)
			}
		case op == opCall || op == opRefFunc || (op >= opLocalGet && op <= opGlobalSet) || op == 0x25 || op == 0x26:
			in.idx, p, err = readU32(b, p)
		case op == opCallIndirect:
			in.idx, p, err = readU32(b, p)
			if err == nil {
				p, err = skipLEB(b, p, 5)
			}
		case op == 0x1c: // select with types
			var n uint32
			n, p, err = readU32(b, p)
			if err == nil {
				p += int(n)
			}
		case op >= 0x28 && op <= 0x3e: // loads and stores: align, offset
			var align uint32
			align, p, err = readU32(b, p)
			if err == nil && align&0x40 != 0 {
				err = errors.New("instrument: multiple memories are not supported")
			}
			if err == nil {
				p, err = skipLEB(b, p, 5)
			}
		case op == 0x3f || op == opMemoryGrow:
			p, err = skipLEB(b, p, 5)
		case op == opI32Const:
			p, err = skipLEB(b, p, 5)
		case op == opI64Const:
			p, err = skipLEB(b, p, 10)
		case op == 0x43:
			p += 4
		case op == 0x44:
			p += 8
		case op == 0xd0:
			p++
		case op == opPrefixFC:
			in.sub, p, err = readU32(b, p)
			if err == nil {
				in.imm = p
				p, err = skipFC(b, p, in.sub)
			}
		default:
			return nil, fmt.Errorf("instrument: unsupported opcode 0x%02x at offset %d", op, pos)
		}
		if err != nil {
			return nil, fmt.Errorf("instruction 0x%02x at offset %d: %w", in.op, pos, err)
		}
		if p > len(b) {
			return nil, errTruncated
		}
		in.end = p
		out = append(out, in)
		pos = p
	}
	return out, nil
}

// skipFC skips the immediates of a 0xFC-prefixed instruction.
func skipFC(b []byte, p int, sub uint32) (int, error) {
	n := 0 // number of u32 immediates
	switch {
	case sub <= 7: // saturating truncations
	case sub == 8, sub == 12, sub == 14, sub == fcMemoryCopy: // memory.init, table.init, table.copy, memory.copy
		n = 2
	case sub == 9, sub == 13, sub == fcMemoryFill, sub == 15, sub == 16, sub == 17:
		n = 1
	default:
		return p, fmt.Errorf("instrument: unsupported instruction 0xfc %d", sub)
	}
	var err error
	for range n {
		if p, err = skipLEB(b, p, 5); err != nil {
			return p, err
		}
	}
	return p, nil
}

// Emission helpers.

func appendU32(b []byte, v uint32) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			b = append(b, c|0x80)
			continue
		}
		return append(b, c)
	}
}

func appendS64(b []byte, v int64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

func appendS32(b []byte, v int32) []byte { return appendS64(b, int64(v)) }
