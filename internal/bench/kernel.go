package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cooper-kernel/cooper"
	"github.com/cooper-kernel/cooper/capdata"
	"github.com/cooper-kernel/cooper/demo"
	"github.com/cooper-kernel/cooper/kernel"
	"github.com/cooper-kernel/cooper/vat"
)

// Kernel is a fresh on-disk kernel made from one of the demo configs, in a
// temporary directory that Close removes.
type Kernel struct {
	K          *kernel.Kernel
	base, dir  string
	Deliveries int // deliveries seen since the kernel was made (reset at will)
}

// NewKernel copies the demo sources to a temporary directory, creates a
// kernel from demo/<name>/config.json, runs its bootstrap and commits.
func NewKernel(name string) (*Kernel, error) { return newKernel(name, nil) }

// newKernel is NewKernel with the config changed by edit (if not nil).
func newKernel(name string, edit func(*cooper.Config)) (*Kernel, error) {
	base, err := os.MkdirTemp("", "cooper-bench-")
	if err != nil {
		return nil, err
	}
	bk := &Kernel{base: base, dir: filepath.Join(base, "kernel")}
	if err := bk.init(name, edit); err != nil {
		bk.Close()
		return nil, err
	}
	return bk, nil
}

func (bk *Kernel) init(name string, edit func(*cooper.Config)) error {
	src := filepath.Join(bk.base, "src")
	if err := os.CopyFS(src, demo.FS); err != nil {
		return err
	}
	cfg, err := cooper.ReadConfig(filepath.Join(src, name, "config.json"))
	if err != nil {
		return err
	}
	if edit != nil {
		edit(cfg)
	}
	k, err := cooper.Init(bk.dir, cfg, Options(func(e kernel.Event) {
		if e.Type == kernel.EventDeliver {
			bk.Deliveries++
		}
	}))
	if err != nil {
		return err
	}
	bk.K = k
	if _, err := k.Run(kernel.UntilEmpty()); err != nil {
		return err
	}
	return k.Commit()
}

// Options are the options every bench kernel is opened with: the demo's Go
// vats, and observer.
func Options(observer func(kernel.Event)) cooper.Options {
	return cooper.Options{GoVats: demo.GoVats(), Observer: observer}
}

// shutdown closes the kernel, keeping its directory.
func (bk *Kernel) shutdown() error {
	if bk.K == nil {
		return nil
	}
	err := bk.K.Close()
	bk.K = nil
	return err
}

// Close closes the kernel and removes its directory.
func (bk *Kernel) Close() {
	bk.shutdown()
	os.RemoveAll(bk.base)
}

// Call queues method on vat's root, runs until the queue is empty
// committing every commitEvery cranks, and returns the result and the
// number of cranks run.
func (bk *Kernel) Call(ctx context.Context, vatName, method string, commitEvery int, args ...capdata.Value) (capdata.Value, int, error) {
	kp, err := bk.K.QueueToVatRoot(vatName, method, args)
	if err != nil {
		return nil, 0, err
	}
	cranks, err := cooper.RunBlocks(ctx, bk.K, commitEvery)
	if err != nil {
		return nil, cranks, err
	}
	v, err := result(bk.K, kp, vatName, method)
	return v, cranks, err
}

// result reads kp's resolution, releases kp, and fails if it was rejected.
func result(k *kernel.Kernel, kp vat.KRef, vatName, method string) (capdata.Value, error) {
	rejected, v, err := k.KPResolution(kp)
	if err != nil {
		return nil, fmt.Errorf("%s.%s: %w", vatName, method, err)
	}
	if rejected {
		return nil, fmt.Errorf("%s.%s rejected: %s", vatName, method, capdata.Format(v))
	}
	if err := k.ReleaseKP(kp); err != nil {
		return nil, err
	}
	return v, nil
}

// asNumber reads a capdata number.
func asNumber(v capdata.Value) (float64, bool) {
	f, ok := v.(float64)
	return f, ok
}
