package main

import (
	"github.com/spf13/cobra"

	"github.com/cooper-kernel/cooper/chain/node"
)

func newStartCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "start HOME",
		Short: "Run one validator in the foreground",
		Long: `Run the validator whose home is HOME (DIR/nodeI of cooperd testnet): CometBFT's
consensus, p2p, mempool and RPC with the Cooper kernel in the same process.
On start the kernel is restored from HOME/data/cooper and CometBFT replays
the blocks it has not committed. Stop it with Ctrl-C (or kill it: it
recovers the same way).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return node.Run(cmd.Context(), args[0], cmd.OutOrStdout())
		},
	}
}
