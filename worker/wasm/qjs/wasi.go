package qjs

import (
	"context"
	"fmt"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// The WASI errno values this layer returns.
const (
	errnoSuccess    = 0
	errnoBadf       = 8
	errnoNosys      = 52
	errnoNotcapable = 76
)

// wasiModule is the name of the WASI preview 1 import module.
const wasiModule = "wasi_snapshot_preview1"

// instantiateWASI defines Cooper's own WASI layer for every function the
// QuickJS module imports from wasi_snapshot_preview1. It gives vat code
// nothing from the host: no environment, no arguments, no files (fd_prestat
// reports no preopened directory, every path call is refused), a clock
// fixed at zero, and stdout/stderr that swallow what is written (QuickJS
// only writes there on internal errors). proc_exit traps. Every answer is
// the same on every machine.
func instantiateWASI(ctx context.Context, r wazero.Runtime, imports []api.FunctionDefinition) error {
	b := r.NewHostModuleBuilder(wasiModule)
	for _, def := range imports {
		mod, name, ok := def.Import()
		if !ok || mod != wasiModule {
			continue
		}
		fn, ok := wasiFuncs[name]
		if !ok {
			fn = refuse(errnoNosys)
		}
		b.NewFunctionBuilder().
			WithGoModuleFunction(fn, def.ParamTypes(), def.ResultTypes()).
			Export(name)
	}
	_, err := b.Instantiate(ctx)
	return err
}

func refuse(errno uint64) api.GoModuleFunction {
	return api.GoModuleFunc(func(_ context.Context, _ api.Module, stack []uint64) {
		stack[0] = errno
	})
}

// writeZeros writes 4-byte zeros at each pointer argument.
func writeZeros(ptrArgs ...int) api.GoModuleFunction {
	return api.GoModuleFunc(func(_ context.Context, m api.Module, stack []uint64) {
		for _, i := range ptrArgs {
			if !m.Memory().WriteUint32Le(uint32(stack[i]), 0) {
				stack[0] = errnoBadf
				return
			}
		}
		stack[0] = errnoSuccess
	})
}

// ErrExit is the trap of a module that called proc_exit.
var ErrExit = fmt.Errorf("qjs: proc_exit called")

var wasiFuncs = map[string]api.GoModuleFunction{
	// environ_sizes_get(count *u32, size *u32): no environment.
	"environ_sizes_get": writeZeros(0, 1),
	"environ_get":       refuse(errnoSuccess),
	"args_sizes_get":    writeZeros(0, 1),
	"args_get":          refuse(errnoSuccess),
	// clock_time_get(id, precision, result *u64): always time 0.
	"clock_time_get": api.GoModuleFunc(func(_ context.Context, m api.Module, stack []uint64) {
		if !m.Memory().WriteUint64Le(uint32(stack[2]), 0) {
			stack[0] = errnoBadf
			return
		}
		stack[0] = errnoSuccess
	}),
	"clock_res_get": writeZeros(1),
	// fd_write(fd, iovs, iovs_len, nwritten *u32): stdout and stderr accept
	// and drop everything; other descriptors do not exist.
	"fd_write": api.GoModuleFunc(func(_ context.Context, m api.Module, stack []uint64) {
		fd, iovs, n, out := uint32(stack[0]), uint32(stack[1]), uint32(stack[2]), uint32(stack[3])
		if fd != 1 && fd != 2 {
			stack[0] = errnoBadf
			return
		}
		mem := m.Memory()
		var total uint32
		for i := range n {
			l, ok := mem.ReadUint32Le(iovs + 8*i + 4)
			if !ok {
				stack[0] = errnoBadf
				return
			}
			total += l
		}
		if !mem.WriteUint32Le(out, total) {
			stack[0] = errnoBadf
			return
		}
		stack[0] = errnoSuccess
	}),
	"fd_read":                 refuse(errnoBadf),
	"fd_close":                refuse(errnoBadf),
	"fd_seek":                 refuse(errnoBadf),
	"fd_fdstat_get":           refuse(errnoBadf),
	"fd_fdstat_set_flags":     refuse(errnoBadf),
	"fd_prestat_get":          refuse(errnoBadf), // no preopened directories
	"fd_prestat_dir_name":     refuse(errnoBadf),
	"fd_readdir":              refuse(errnoBadf),
	"path_open":               refuse(errnoNotcapable),
	"path_create_directory":   refuse(errnoNotcapable),
	"path_filestat_get":       refuse(errnoNotcapable),
	"path_filestat_set_times": refuse(errnoNotcapable),
	"path_remove_directory":   refuse(errnoNotcapable),
	"path_rename":             refuse(errnoNotcapable),
	"path_unlink_file":        refuse(errnoNotcapable),
	"poll_oneoff":             refuse(errnoNosys),
	"random_get":              refuse(errnoNosys),
	"sched_yield":             refuse(errnoSuccess),
	"proc_exit": api.GoModuleFunc(func(context.Context, api.Module, []uint64) {
		panic(ErrExit)
	}),
}
