package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/cooper-kernel/cooper"
	"github.com/cooper-kernel/cooper/capdata"
	"github.com/cooper-kernel/cooper/chain/app"
	"github.com/cooper-kernel/cooper/chain/client"
	"github.com/cooper-kernel/cooper/chain/node"
	"github.com/cooper-kernel/cooper/chain/tx"
)

func newCallCmd() *cobra.Command {
	var (
		nodeIndex int
		timeout   time.Duration
	)
	cmd := &cobra.Command{
		Use:   "call DIR VAT METHOD [ARG...]",
		Short: "Send a signed call to the chain and print its result",
		Long: `Sign METHOD(ARG...) to the root object of VAT with DIR/client.key, broadcast
it to a node of the testnet in DIR (the first that answers, or --node),
wait for the block that runs it, and print the result as one line of JSON,
exactly as cooper call does: each ARG is JSON when it parses, else a
string. A rejected result, or a call the chain refuses, is printed on
stderr and the exit code is 1.`,
		Args: cobra.MinimumNArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			return runCall(ctx, args[0], nodeIndex, args[1], args[2], args[3:], cmd.OutOrStdout())
		},
	}
	cmd.Flags().IntVar(&nodeIndex, "node", -1, "send to this node (default: the first that answers)")
	cmd.Flags().DurationVar(&timeout, "timeout", 60*time.Second, "give up waiting for the result after this long")
	return cmd
}

func runCall(ctx context.Context, dir string, nodeIndex int, vatName, method string, rawArgs []string, out io.Writer) error {
	args, err := cooper.ParseCallArgs(rawArgs)
	if err != nil {
		return err
	}
	c, err := dial(ctx, dir, nodeIndex)
	if err != nil {
		return err
	}
	r, err := callAndWait(ctx, c, vatName, method, args)
	if err != nil {
		return err
	}
	switch r.Status {
	case app.StatusFulfilled:
		fmt.Fprintln(out, string(r.Result))
		return nil
	case app.StatusRejected:
		return fmt.Errorf("%s.%s rejected: %s", vatName, method, r.Reason)
	case app.StatusRefused:
		return fmt.Errorf("%s.%s refused in block %d (code %d, %s): %s", vatName, method, r.Height, r.Code, client.CodeName(r.Code), r.Reason)
	}
	return fmt.Errorf("%s.%s: the result is still unresolved after the run queue emptied (%s); if it settles later, %s%s shows it",
		vatName, method, r.KPID, app.PathCallResult, r.TxHash)
}

// callAndWait signs, broadcasts and waits for one call. Another client of
// the same key may take the nonce first, or the node may be behind the
// chain and hand out a used one: then the node refuses the call (its
// mempool holds that nonce), or the block does (the nonce was used), or the
// call is dropped (client.ErrSuperseded), and the call goes again with the
// next nonce.
func callAndWait(ctx context.Context, c *client.Client, vatName, method string, args []capdata.Value) (*app.CallResult, error) {
	for attempt := 0; ; attempt++ {
		nonce, err := c.NextNonce(ctx)
		if err != nil {
			return nil, err
		}
		var hash string
		for tries := 0; ; tries++ {
			raw, err := c.Sign(vatName, method, args, nonce)
			if err != nil {
				return nil, err
			}
			hash, err = c.Broadcast(ctx, raw)
			var refused *client.RefusedError
			if errors.As(err, &refused) && refused.Code == app.CodeReplayedNonce && tries < 100 {
				nonce++
				continue
			}
			if errors.As(err, &refused) {
				return nil, fmt.Errorf("%s.%s %w", vatName, method, err)
			}
			if err != nil {
				return nil, err
			}
			break
		}
		r, err := c.WaitCall(ctx, hash, nonce)
		if errors.Is(err, client.ErrSuperseded) {
			continue // the node's state moved on: its next nonce is newer (ctx bounds the retries)
		}
		if err != nil {
			return nil, err
		}
		lostNonce := r.Status == app.StatusRefused && (r.Code == app.CodeReplayedNonce || r.Code == app.CodeNonceGap)
		if !lostNonce || attempt >= 3 {
			return r, nil
		}
	}
}

// dial returns a client of the testnet in dir signing with its client
// key: of node i, or of the first node that answers when i < 0.
func dial(ctx context.Context, dir string, i int) (*client.Client, error) {
	m, err := node.ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	key, err := tx.ReadKey(filepath.Join(dir, node.ClientKeyName))
	if err != nil {
		return nil, err
	}
	if i >= len(m.Nodes) {
		return nil, fmt.Errorf("no node %d: the testnet has %d", i, len(m.Nodes))
	}
	if i >= 0 {
		return client.New(m.Nodes[i].RPC, key, m.ChainID)
	}
	for _, n := range m.Nodes {
		if _, err := nodeInfo(ctx, n.RPC, m.ChainID); err == nil {
			return client.New(n.RPC, key, m.ChainID)
		}
	}
	return nil, fmt.Errorf("no node of %s answers (start them with cooperd start %s)", dir, filepath.Join(dir, "node0"))
}
