//go:build unix

package qjs

import (
	"sync"
	"syscall"
)

// mmapMemory reserves the whole limit of address space once, so that
// growth never moves or copies the memory, and pages cost resident memory
// only once touched.
type mmapMemory struct {
	buf []byte
	// mapped is set once a snapshot image is mapped over the memory: its
	// pages are then not the reservation's own, and it is not reused.
	mapped bool
}

// Freed reservations are kept for the next instances (pool): writing a
// snapshot into memory the process already touched costs a copy, into a
// fresh reservation a page fault per page too, which is most of restoring
// a paged-out vat. Only small ones are kept, and only a few.
const (
	poolSize    = 4
	poolMaxUsed = 16 << 20
)

var pool struct {
	sync.Mutex
	free []pooled
}

// pooled is a freed reservation of limit bytes whose first used bytes
// hold what its instance left.
type pooled struct {
	buf   []byte // the whole reservation
	used  int
	limit uint64
}

func newLinearMemory(limit uint64) linearMemory {
	if m := reuse(limit); m != nil {
		return m
	}
	buf, err := syscall.Mmap(-1, 0, int(limit), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON|mapNoReserve)
	if err != nil {
		return &sliceMemory{}
	}
	return &mmapMemory{buf: buf[:0]}
}

// reuse returns a kept reservation of limit bytes, zeroed, or nil.
func reuse(limit uint64) *mmapMemory {
	pool.Lock()
	var p pooled
	for i := len(pool.free) - 1; i >= 0; i-- {
		if pool.free[i].limit == limit {
			p = pool.free[i]
			pool.free = append(pool.free[:i], pool.free[i+1:]...)
			break
		}
	}
	pool.Unlock()
	if p.buf == nil {
		return nil
	}
	clear(p.buf[:p.used]) // as fresh memory: zero
	return &mmapMemory{buf: p.buf[:0]}
}

func (m *mmapMemory) grow(size uint64) []byte {
	if size > uint64(cap(m.buf)) {
		return nil
	}
	m.buf = m.buf[:size]
	return m.buf
}

func (m *mmapMemory) free() {
	if m.buf == nil {
		return
	}
	whole, used := m.buf[:cap(m.buf)], len(m.buf)
	m.buf = nil
	if !m.mapped && used <= poolMaxUsed {
		pool.Lock()
		if len(pool.free) < poolSize {
			pool.free = append(pool.free, pooled{buf: whole, used: used, limit: uint64(len(whole))})
			pool.Unlock()
			return
		}
		pool.Unlock()
	}
	_ = syscall.Munmap(whole)
}
