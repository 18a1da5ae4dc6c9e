package qjs

import "syscall"

const mapNoReserve = syscall.MAP_NORESERVE
