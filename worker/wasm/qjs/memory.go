package qjs

import "github.com/tetratelabs/wazero/experimental"

// limitedMemory is the allocator of one instance's linear memory: it
// refuses to grow past limit bytes and reports the refusal, so that the
// engine can end the call deterministically even if the module recovers
// from the failed memory.grow.
type limitedMemory struct {
	limit   uint64
	refused func()
	mem     linearMemory
}

// linearMemory is a growable []byte: an address-space reservation (see
// memory_unix.go) or a Go slice that grows by copying.
type linearMemory interface {
	grow(size uint64) []byte
	// mapImage makes the memory's first bytes a copy-on-write mapping of
	// a snapshot image, or reports false; after an error the memory must
	// not be touched.
	mapImage(img *image) (bool, error)
	free()
}

// Allocate implements experimental.MemoryAllocator.
func (l *limitedMemory) Allocate(_, max uint64) experimental.LinearMemory {
	l.mem = newLinearMemory(min(l.limit, max))
	return l
}

// Reallocate implements experimental.LinearMemory.
func (l *limitedMemory) Reallocate(size uint64) []byte {
	if size > l.limit {
		if l.refused != nil {
			l.refused()
		}
		return nil
	}
	return l.mem.grow(size)
}

// Free implements experimental.LinearMemory.
func (l *limitedMemory) Free() {
	if l.mem != nil {
		l.mem.free()
		l.mem = nil
	}
}

// sliceMemory grows by reallocating and copying, like wazero's default.
type sliceMemory struct{ buf []byte }

func (s *sliceMemory) grow(size uint64) []byte {
	if size > uint64(cap(s.buf)) {
		nb := make([]byte, size, max(size, 2*uint64(cap(s.buf))))
		copy(nb, s.buf)
		s.buf = nb
	}
	s.buf = s.buf[:size]
	return s.buf
}

func (s *sliceMemory) free() { s.buf = nil }

func (s *sliceMemory) mapImage(*image) (bool, error) { return false, nil }

// mapImage maps img over the start of the memory (see linearMemory).
func (l *limitedMemory) mapImage(img *image) (bool, error) {
	if img == nil || l.mem == nil {
		return false, nil
	}
	return l.mem.mapImage(img)
}
