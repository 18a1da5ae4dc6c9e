package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/cooper-kernel/cooper/chain/client"
	"github.com/cooper-kernel/cooper/chain/node"
	"github.com/cooper-kernel/cooper/chain/tx"
)

func newStatusCmd() *cobra.Command {
	var wait time.Duration
	cmd := &cobra.Command{
		Use:   "status DIR",
		Short: "Print each validator's last committed height and app hash",
		Long: `Print one JSON line per node of the testnet in DIR, as its app reports
itself (ABCI Info): {"node":I,"height":H,"appHash":"…"}, or
{"node":I,"status":"down"} when the node does not answer.

With --wait, first wait (at most that long) until every node answers and
has committed a block; exit 1 if one is still down then.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runStatus(cmd.Context(), args[0], wait, cmd.OutOrStdout())
		},
	}
	cmd.Flags().DurationVar(&wait, "wait", 0, "wait this long for every node to be up (0: do not wait)")
	return cmd
}

// nodeStatus is one line of cooperd status.
type nodeStatus struct {
	Node    int    `json:"node"`
	Height  int64  `json:"height,omitempty"`
	AppHash string `json:"appHash,omitempty"`
	Status  string `json:"status,omitempty"`
}

func runStatus(ctx context.Context, dir string, wait time.Duration, out io.Writer) error {
	m, err := node.ReadManifest(dir)
	if err != nil {
		return err
	}
	// read returns every node's status and how many are not up yet
	// (down, or no block committed).
	read := func() ([]nodeStatus, int) {
		var all []nodeStatus
		notUp := 0
		for i, n := range m.Nodes {
			s := nodeStatus{Node: i}
			info, err := nodeInfo(ctx, n.RPC, m.ChainID)
			if err != nil {
				s.Status = "down"
			} else {
				s.Height, s.AppHash = info.Height, info.AppHash
			}
			if err != nil || info.Height < 1 {
				notUp++
			}
			all = append(all, s)
		}
		return all, notUp
	}
	all, down := read()
	deadline := time.Now().Add(wait)
	for down > 0 && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(100 * time.Millisecond)
		all, down = read()
	}
	for _, s := range all {
		b, _ := json.Marshal(s)
		fmt.Fprintln(out, string(b))
	}
	if wait > 0 && down > 0 {
		return fmt.Errorf("%d of %d nodes not up after %s", down, len(all), wait)
	}
	return nil
}

// nodeInfo asks one node for its app's height and app hash, giving up after a second.
func nodeInfo(ctx context.Context, url, chainID string) (client.Info, error) {
	c, err := client.New(url, tx.NewKey(), chainID)
	if err != nil {
		return client.Info{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	return c.Info(ctx)
}
