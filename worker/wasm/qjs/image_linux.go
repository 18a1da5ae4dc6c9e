package qjs

import (
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// image is a snapshot's memory in an anonymous in-memory file, mapped
// copy-on-write into the instances restored from it: a restore costs a
// mapping instead of a copy, and the pages an instance never writes stay
// shared with the file.
type image struct {
	f    *os.File
	size int
}

// newImage writes mem into a new anonymous file.
func newImage(mem []byte) (*image, error) {
	fd, err := unix.MemfdCreate("cooper-qjs-snapshot", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("qjs: memfd_create: %w", err)
	}
	f := os.NewFile(uintptr(fd), "cooper-qjs-snapshot")
	if _, err := f.Write(mem); err != nil {
		f.Close()
		return nil, fmt.Errorf("qjs: snapshot image: %w", err)
	}
	return &image{f: f, size: len(mem)}, nil
}

// close releases the file; mappings of it stay valid.
func (img *image) close() { img.f.Close() }

// mapImage replaces the first img.size bytes of m with a private mapping
// of img; false if it cannot (too small a memory), an error if the
// mapping failed, after which m's first bytes may be unmapped: the caller
// must discard the instance without touching its memory.
func (m *mmapMemory) mapImage(img *image) (bool, error) {
	if img == nil || img.size == 0 || len(m.buf) < img.size {
		return false, nil
	}
	_, err := unix.MmapPtr(int(img.f.Fd()), 0, unsafe.Pointer(&m.buf[0]), uintptr(img.size),
		unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_FIXED)
	m.mapped = true // even if it failed: the memory is not the reservation's own
	if err != nil {
		return false, fmt.Errorf("qjs: map the snapshot image: %w", err)
	}
	return true, nil
}
