package cooper

import (
	"context"
	"errors"

	"github.com/cooper-kernel/cooper/kernel"
)

// RunBlocks runs k until its run queue is empty, committing a block every
// commitEvery cranks and at the end, and returns the number of cranks. It
// stops between blocks when ctx ends.
func RunBlocks(ctx context.Context, k *kernel.Kernel, commitEvery int) (int, error) {
	if commitEvery <= 0 {
		return 0, errors.New("--commit-every must be positive")
	}
	total := 0
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		n, err := k.Run(kernel.CrankLimit(commitEvery))
		total += n
		if err != nil {
			return total, err
		}
		if err := k.Commit(); err != nil {
			return total, err
		}
		if n < commitEvery || k.RunQueueLength() == 0 {
			return total, nil
		}
	}
}
