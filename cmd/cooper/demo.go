package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/cooper-kernel/cooper/demo"
)

func newDemoCmd() *cobra.Command {
	var keep bool
	var n int
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the README demo: JS ping-pong, durable state and upgrade, dynamic vats that survive a restart",
		Long: `Run the demo kernels of the README in a temporary directory: JS ping-pong
between two vats; a vat keeping its state in durable collections and exo
classes, upgraded to new code (and a failed upgrade that changes nothing);
then dynamic counter vats created at run time from a bundle, driven,
restarted from the database alone, and driven again.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDemo(cmd.Context(), n, keep, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	cmd.Flags().BoolVar(&keep, "keep", false, "keep the demo directory")
	cmd.Flags().IntVar(&n, "n", 1000, "ping-pong round trips")
	return cmd
}

func runDemo(ctx context.Context, n int, keep bool, stdout, stderr io.Writer) error {
	base, err := os.MkdirTemp("", "cooper-demo-")
	if err != nil {
		return err
	}
	if keep {
		fmt.Fprintf(stdout, "demo directory: %s\n", base)
	} else {
		defer os.RemoveAll(base)
	}
	src := filepath.Join(base, "src")
	if err := os.CopyFS(src, demo.FS); err != nil {
		return err
	}
	step := func(title string, f func() error) error {
		fmt.Fprintf(stdout, "\n== %s\n", title)
		return f()
	}
	pp := filepath.Join(base, "pingpong")
	dyn := filepath.Join(base, "dynamic")
	dur := filepath.Join(base, "durable")
	durSrc := filepath.Join(src, "durable")
	steps := []struct {
		title string
		f     func() error
	}{
		{"cooper init pingpong (bundles alice.js, bob.js, bootstrap.js with esbuild)", func() error {
			return runInit(ctx, pp, filepath.Join(src, "pingpong", "config.json"), stdout, stderr)
		}},
		{fmt.Sprintf("cooper call pingpong alice sequential %d", n), func() error {
			start := time.Now()
			err := runCall(ctx, pp, "alice", "sequential", []string{fmt.Sprint(n)}, 1000, stdout, stderr)
			fmt.Fprintf(stdout, "(%d round trips in %v)\n", n, time.Since(start).Round(time.Millisecond))
			return err
		}},
		{"cooper init durable (counters kept in a durable map store and exo classes, @agoric/vat-data)", func() error {
			return runInit(ctx, dur, filepath.Join(durSrc, "config.json"), stdout, stderr)
		}},
		{"cooper call durable counters incr apples, apples, pears", func() error {
			for _, name := range []string{"apples", "apples", "pears"} {
				if err := runCall(ctx, dur, "counters", "incr", []string{`"` + name + `"`}, 1000, stdout, stderr); err != nil {
					return err
				}
			}
			return nil
		}},
		{"cooper upgrade durable counters counters-v2.js (new code re-prepares its kinds; the state stays)", func() error {
			return runUpgrade(ctx, dur, "counters", filepath.Join(durSrc, "counters-v2.js"), false, "", "demo", stdout)
		}},
		{"cooper call durable counters totals", func() error {
			return runCall(ctx, dur, "counters", "totals", nil, 1000, stdout, stderr)
		}},
		{"cooper upgrade durable counters counters-bad.js (it forgets a kind: rejected, version 2 runs on)", func() error {
			err := runUpgrade(ctx, dur, "counters", filepath.Join(durSrc, "counters-bad.js"), false, "", "demo", stdout)
			if err == nil {
				return errors.New("the bad upgrade was accepted")
			}
			fmt.Fprintln(stdout, err)
			return runCall(ctx, dur, "counters", "incr", []string{`"pears"`}, 1000, stdout, stderr)
		}},
		{"cooper dump durable --durable", func() error {
			return runDump(ctx, dur, dumpFlags{durable: true}, stdout)
		}},
		{"cooper init dynamic", func() error {
			return runInit(ctx, dyn, filepath.Join(src, "dynamic", "config.json"), stdout, stderr)
		}},
		{"the source files are deleted: everything a vat needs is in the database", func() error {
			return os.RemoveAll(src)
		}},
		{"cooper call dynamic bootstrap makeCounter apples / pears (two vats made at run time)", func() error {
			if err := runCall(ctx, dyn, "bootstrap", "makeCounter", []string{"apples"}, 1000, stdout, stderr); err != nil {
				return err
			}
			return runCall(ctx, dyn, "bootstrap", "makeCounter", []string{"pears", "10"}, 1000, stdout, stderr)
		}},
		{"cooper call dynamic bootstrap add apples 20 (each call reopens the kernel: every vat is restored from the database)", func() error {
			return runCall(ctx, dyn, "bootstrap", "add", []string{"apples", "20"}, 1000, stdout, stderr)
		}},
		{"cooper call dynamic pears increment (a dynamic vat, by name)", func() error {
			return runCall(ctx, dyn, "pears", "increment", nil, 1000, stdout, stderr)
		}},
	}
	for _, s := range steps {
		if err := step(s.title, s.f); err != nil {
			return err
		}
	}
	return nil
}
