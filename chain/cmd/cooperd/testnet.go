package main

import (
	"crypto/ed25519"
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/cooper-kernel/cooper/chain/app"
	"github.com/cooper-kernel/cooper/chain/node"
	"github.com/cooper-kernel/cooper/chain/tx"
)

func newTestnetCmd() *cobra.Command {
	var (
		o       node.TestnetOptions
		keyFile string
	)
	cmd := &cobra.Command{
		Use:   "testnet DIR CONFIG.json",
		Short: "Create the validator homes of a local test network",
		Long: `Create DIR/node0 … DIR/nodeN-1, one CometBFT validator home each, on
127.0.0.1 ports, with a genesis that carries CONFIG.json with every bundle
inline, and a client key DIR/client.key allowed to call every method of
the bootstrap vat. Start each validator with cooperd start DIR/nodeI.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if keyFile != "" {
				k, err := tx.ReadKey(keyFile)
				if err != nil {
					return err
				}
				o.ClientKey = k
			}
			return runTestnet(args[0], args[1], o, cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.Validators, "validators", 4, "number of validators")
	f.StringVar(&o.ChainID, "chain-id", node.DefaultChainID, "chain ID (calls are signed for it)")
	f.StringVar(&keyFile, "client-key", "", "authorise this existing client key instead of a new one")
	f.IntVar(&o.BasePort, "base-port", 0, "node i listens on BASE+2i (p2p) and BASE+2i+1 (RPC); 0 picks free ports")
	f.IntVar(&o.Limits.BlockCranks, "block-cranks", app.DefaultBlockCranks, "cranks a block runs at most")
	f.Uint64Var(&o.Limits.BlockComputrons, "block-computrons", app.DefaultBlockComputrons, "computrons after which a block stops running")
	f.IntVar(&o.Limits.MaxCallBytes, "max-call-bytes", app.DefaultMaxCallBytes, "largest call accepted")
	f.DurationVar(&o.Timeouts.Commit, "timeout-commit", node.ShortTimeouts.Commit, "pause after each block")
	f.DurationVar(&o.Timeouts.Propose, "timeout-propose", node.ShortTimeouts.Propose, "wait for a proposal")
	f.DurationVar(&o.Timeouts.Vote, "timeout-vote", node.ShortTimeouts.Vote, "prevote and precommit timeouts")
	f.StringVar(&o.LogLevel, "log-level", "*:error", "CometBFT log level of every node (e.g. info, or state:info,*:error)")
	f.StringVar(&o.JSWorker, "js-worker", app.JSWorkerGoja, "engine of every JS vat, in the genesis: goja or wasm")
	f.DurationVar(&o.Timeouts.EmptyBlocks, "empty-blocks", node.ShortTimeouts.EmptyBlocks, "an idle chain makes an empty block this often")
	return cmd
}

func runTestnet(dir, config string, o node.TestnetOptions, out io.Writer) error {
	m, err := node.Testnet(dir, config, o)
	if err != nil {
		return err
	}
	key, err := tx.ReadKey(filepath.Join(dir, node.ClientKeyName))
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "created %d validators in %s: chain %s, genesis app hash %s\n", len(m.Nodes), dir, m.ChainID, m.AppHash)
	for i, n := range m.Nodes {
		fmt.Fprintf(out, "  node%d  rpc %s  p2p %s\n", i, n.RPC, n.P2P)
	}
	fmt.Fprintf(out, "client key %s (%s) may call the bootstrap vat\n",
		filepath.Join(dir, node.ClientKeyName), tx.PubKeyHex(key.Public().(ed25519.PublicKey)))
	fmt.Fprintf(out, "start each validator in its own terminal: cooperd start %s\n", filepath.Join(dir, "node0"))
	return nil
}
