//go:build unix && !linux

package qjs

const mapNoReserve = 0
