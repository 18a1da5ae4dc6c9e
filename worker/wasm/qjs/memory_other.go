//go:build !unix

package qjs

func newLinearMemory(uint64) linearMemory { return &sliceMemory{} }
