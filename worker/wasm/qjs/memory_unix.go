//go:build unix

package qjs

import "syscall"

// mmapMemory reserves the whole limit of address space once, so that
// growth never moves or copies the memory, and pages cost resident memory
// only once touched.
type mmapMemory struct {
	buf []byte
}

func newLinearMemory(limit uint64) linearMemory {
	buf, err := syscall.Mmap(-1, 0, int(limit), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON|mapNoReserve)
	if err != nil {
		return &sliceMemory{}
	}
	return &mmapMemory{buf: buf[:0]}
}

func (m *mmapMemory) grow(size uint64) []byte {
	if size > uint64(cap(m.buf)) {
		return nil
	}
	m.buf = m.buf[:size]
	return m.buf
}

func (m *mmapMemory) free() {
	if m.buf != nil {
		_ = syscall.Munmap(m.buf[:cap(m.buf)])
		m.buf = nil
	}
}
