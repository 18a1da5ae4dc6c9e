package qjs

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
)

// ErrWrongModule is returned by [Engine.Restore] for a snapshot of another
// build of the module.
var ErrWrongModule = errors.New("qjs: snapshot of a different wasm module")

// ErrBadSnapshot is returned by [DecodeSnapshot] for bytes that are not a snapshot.
var ErrBadSnapshot = errors.New("qjs: malformed snapshot")

// Snapshot is the whole state of an instance between calls: its linear
// memory, its mutable globals and the engine's pointers into the memory.
type Snapshot struct {
	// ModuleHash is the module the snapshot belongs to ([Engine.ModuleHash]).
	ModuleHash string
	// Globals are the mutable globals, in the order of the rewrite's exports.
	Globals []uint64
	// Memory is the linear memory.
	Memory []byte
	st     state

	share sync.Once
	img   *image // Memory as a file to map, once Share made it

	hashOnce   sync.Once
	memoryHash string // see MemoryHash
}

// MemoryHash returns the hex SHA-256 of s.Memory, computed once: s.Memory
// must not change afterwards.
func (s *Snapshot) MemoryHash() string {
	s.hashOnce.Do(func() {
		sum := sha256.Sum256(s.Memory)
		s.memoryHash = hex.EncodeToString(sum[:])
	})
	return s.memoryHash
}

// Share makes the later restores of s map its memory copy-on-write
// instead of copying it, where the system can (Linux): for a snapshot
// many instances start from, such as a template. s.Memory must not change
// afterwards.
func (s *Snapshot) Share() {
	s.share.Do(func() {
		img, err := newImage(s.Memory)
		if err != nil {
			return // restores copy
		}
		s.img = img
		runtime.AddCleanup(s, (*image).close, img)
	})
}

// Snapshot copies the instance's state. It must not be called during a
// call (from a Handler).
func (in *Instance) Snapshot() (*Snapshot, error) {
	s, err := in.view()
	if err != nil {
		return nil, err
	}
	s.Memory = slices.Clone(s.Memory)
	return s, nil
}

// AppendSnapshot appends the encoding of the instance's state ([Snapshot.Encode])
// to b, copying the memory once. It must not be called during a call.
func (in *Instance) AppendSnapshot(b []byte) ([]byte, error) {
	s, err := in.view()
	if err != nil {
		return nil, err
	}
	return s.appendEncoded(b), nil
}

// view returns the instance's state, its Memory the instance's own.
func (in *Instance) view() (*Snapshot, error) {
	if in.dead != nil {
		return nil, in.dead
	}
	if in.level != 0 {
		return nil, errors.New("qjs: snapshot during a call")
	}
	mem := in.mod.Memory()
	view, ok := mem.Read(0, mem.Size())
	if !ok {
		return nil, errors.New("qjs: cannot read memory")
	}
	s := &Snapshot{ModuleHash: in.e.info.Hash, Memory: view, st: in.st}
	for _, g := range in.globals {
		s.Globals = append(s.Globals, g.Get())
	}
	return s, nil
}

// Restore makes a new instance whose state is s. No module code runs.
func (e *Engine) Restore(s *Snapshot, opts Options) (*Instance, error) {
	if s.ModuleHash != e.info.Hash {
		return nil, fmt.Errorf("%w: snapshot of %.16s, engine runs %.16s", ErrWrongModule, s.ModuleHash, e.info.Hash)
	}
	if len(s.Globals) != len(e.info.Globals) || len(s.Memory)%pageSize != 0 {
		return nil, ErrBadSnapshot
	}
	in, err := e.instantiate(opts)
	if err != nil {
		return nil, err
	}
	mem := in.mod.Memory()
	if have := mem.Size(); uint32(len(s.Memory)) > have {
		if _, ok := mem.Grow((uint32(len(s.Memory)) - have) / pageSize); !ok {
			in.Close()
			if in.memExceeded {
				return nil, ErrMemoryExceeded
			}
			return nil, errors.New("qjs: cannot grow memory to the snapshot's size")
		}
	} else if have > uint32(len(s.Memory)) {
		in.Close()
		return nil, ErrBadSnapshot
	}
	mapped, err := in.mem.mapImage(s.img)
	if err != nil {
		in.Close()
		return nil, err
	}
	if !mapped && !in.copyMemory(s.Memory) {
		in.Close()
		return nil, errors.New("qjs: cannot write memory")
	}
	for i, g := range in.globals {
		g.Set(s.Globals[i])
	}
	in.st = s.st
	return in, nil
}

const pageSize = 65536

// osPage is the unit copyMemory skips when it is zero.
const osPage = 4096

var zeroPage [osPage]byte

// copyMemory writes a snapshot's memory into the instance's fresh memory.
// Beyond what instantiation wrote (the data segments), the fresh memory
// is zero, so the snapshot's zero pages are skipped: they cost neither a
// copy nor resident memory.
func (in *Instance) copyMemory(src []byte) bool {
	dst, ok := in.mod.Memory().Read(0, uint32(len(src)))
	if !ok {
		return false
	}
	written := in.e.initialExtent(len(dst))
	copy(dst[:written], src)
	for off := written; off < len(src); off += osPage {
		end := min(off+osPage, len(src))
		if page := src[off:end]; !bytes.Equal(page, zeroPage[:end-off]) {
			copy(dst[off:end], page)
		}
	}
	return true
}

var snapshotMagic = []byte("CQJSNAP2")

// Encode serializes s: magic, module hash, engine pointers, globals, memory.
// The memory is not compressed.
func (s *Snapshot) Encode() []byte { return s.appendEncoded(nil) }

func (s *Snapshot) appendEncoded(b []byte) []byte {
	hash, _ := hex.DecodeString(s.ModuleHash)
	if n := len(snapshotMagic) + 4 + len(hash) + 3*4 + 2*8 + 4 + 8*len(s.Globals) + 4 + len(s.Memory); cap(b)-len(b) < n {
		// Exactly what is needed: a snapshot is kept for a while, and
		// append's growth would keep a quarter more.
		b = append(make([]byte, 0, len(b)+n), b...)
	}
	b = append(b, snapshotMagic...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(hash)))
	b = append(b, hash...)
	b = binary.LittleEndian.AppendUint32(b, s.st.RT)
	b = binary.LittleEndian.AppendUint32(b, s.st.Ctx)
	b = binary.LittleEndian.AppendUint32(b, s.st.Scratch)
	b = binary.LittleEndian.AppendUint64(b, uint64(s.st.Host))
	b = binary.LittleEndian.AppendUint64(b, uint64(s.st.Root))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(s.Globals)))
	for _, g := range s.Globals {
		b = binary.LittleEndian.AppendUint64(b, g)
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(len(s.Memory)))
	return append(b, s.Memory...)
}

// DecodeSnapshot parses what Encode produced. The snapshot's Memory is
// part of b, which the caller must not change while it uses the snapshot.
func DecodeSnapshot(b []byte) (*Snapshot, error) {
	r := reader{b: b}
	if string(r.bytes(len(snapshotMagic))) != string(snapshotMagic) {
		return nil, fmt.Errorf("%w: bad magic", ErrBadSnapshot)
	}
	s := &Snapshot{}
	hash := r.bytes(int(r.u32()))
	s.ModuleHash = hex.EncodeToString(hash)
	s.st.RT, s.st.Ctx, s.st.Scratch = r.u32(), r.u32(), r.u32()
	s.st.Host = Value(r.u64())
	s.st.Root = Value(r.u64())
	n := r.u32()
	if uint64(n)*8 > uint64(len(r.b)) {
		return nil, fmt.Errorf("%w: %d globals", ErrBadSnapshot, n)
	}
	for range n {
		s.Globals = append(s.Globals, r.u64())
	}
	s.Memory = r.bytes(int(r.u32()))
	if r.err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadSnapshot, r.err)
	}
	if len(r.b) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", ErrBadSnapshot, len(r.b))
	}
	if len(hash) != 32 || len(s.Memory)%pageSize != 0 {
		return nil, fmt.Errorf("%w: hash of %d bytes, memory of %d bytes", ErrBadSnapshot, len(hash), len(s.Memory))
	}
	return s, nil
}

type reader struct {
	b   []byte
	err error
}

func (r *reader) bytes(n int) []byte {
	if r.err != nil || n < 0 || n > len(r.b) {
		if r.err == nil {
			r.err = errors.New("truncated")
		}
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) u32() uint32 {
	v := r.bytes(4)
	if v == nil {
		return 0
	}
	return binary.LittleEndian.Uint32(v)
}

func (r *reader) u64() uint64 {
	v := r.bytes(8)
	if v == nil {
		return 0
	}
	return binary.LittleEndian.Uint64(v)
}
