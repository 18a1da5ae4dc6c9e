package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/cooper-kernel/cooper"
	"github.com/cooper-kernel/cooper/kernel"
	"github.com/cooper-kernel/cooper/kernel/eventlog"
)

type eventLogKey struct{}

// addEventLogFlag adds --slog FILE to cmd: the kernel's event log, as JSON lines.
func addEventLogFlag(cmd *cobra.Command) {
	var path string
	cmd.Flags().StringVar(&path, "slog", "", "write the kernel event log (JSON lines) to FILE")
	cmd.PreRunE = func(cmd *cobra.Command, _ []string) error {
		if path == "" {
			return nil
		}
		f, err := os.Create(path)
		if err != nil {
			return fmt.Errorf("--slog: %w", err)
		}
		w := eventlog.New(f)
		cmd.SetContext(context.WithValue(cmd.Context(), eventLogKey{}, &eventLogFile{w: w, f: f}))
		return nil
	}
}

type eventLogFile struct {
	w *eventlog.Writer
	f *os.File
}

// closeEventLog flushes and closes the event log of ctx, if any.
func closeEventLog(ctx context.Context) error {
	l, ok := ctx.Value(eventLogKey{}).(*eventLogFile)
	if !ok {
		return nil
	}
	err := l.w.Flush()
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// cooperOptions are the kernel options every command uses: vat console
// output goes to stdout, one line per call, prefixed by the vat name, and
// events go to the --slog file.
func cooperOptions(ctx context.Context, stdout io.Writer) cooper.Options {
	opts := cooper.Options{
		Console: func(vatName, level, line string) {
			fmt.Fprintf(stdout, "%s: %s\n", vatName, line)
		},
	}
	if l, ok := ctx.Value(eventLogKey{}).(*eventLogFile); ok {
		opts.Observer = func(e kernel.Event) { l.w.Observe(e) }
	}
	return opts
}
