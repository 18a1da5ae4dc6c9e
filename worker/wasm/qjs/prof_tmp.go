package qjs

import "os"

var touchZero = byte(len(os.Getenv("NOPE_NOT_SET")))

// TouchTmp writes every page of the memory (TEMPORARY).
func (in *Instance) TouchTmp() int {
	mem := in.mod.Memory()
	buf, _ := mem.Read(0, mem.Size())
	n := 0
	for off := 0; off < len(buf); off += 4096 {
		buf[off] ^= touchZero
		n += int(buf[off])
	}
	return n
}
