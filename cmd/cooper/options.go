package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/cooper-kernel/cooper"
	"github.com/cooper-kernel/cooper/demo"
	"github.com/cooper-kernel/cooper/kernel"
	"github.com/cooper-kernel/cooper/kernel/eventlog"
	"github.com/cooper-kernel/cooper/vat"
)

// host holds what the --slog and --metrics flags opened for one command,
// and where its notes go.
type host struct {
	logFile *os.File
	log     *eventlog.Writer
	metrics *metrics
	server  *http.Server
	stderr  io.Writer
}

type hostKey struct{}

// addHostFlags adds --slog FILE (the kernel event log, as JSON lines) and,
// with withMetrics, --metrics ADDR (Prometheus metrics over HTTP) to cmd.
func addHostFlags(cmd *cobra.Command, withMetrics bool) {
	var slogPath, metricsAddr string
	cmd.Flags().StringVar(&slogPath, "slog", "", "write the kernel event log (JSON lines) to FILE")
	if withMetrics {
		cmd.Flags().StringVar(&metricsAddr, "metrics", "", "serve Prometheus metrics on ADDR (host:port) at /metrics while running")
	}
	cmd.PreRunE = func(cmd *cobra.Command, _ []string) error {
		h := &host{stderr: cmd.ErrOrStderr()}
		if slogPath != "" {
			f, err := os.Create(slogPath)
			if err != nil {
				return fmt.Errorf("--slog: %w", err)
			}
			h.logFile, h.log = f, eventlog.New(f)
		}
		if metricsAddr != "" {
			ln, err := net.Listen("tcp", metricsAddr)
			if err != nil {
				return fmt.Errorf("--metrics: %w", err)
			}
			h.metrics = newMetrics()
			mux := http.NewServeMux()
			mux.Handle("/metrics", h.metrics)
			h.server = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
			go h.server.Serve(ln)
			fmt.Fprintf(cmd.ErrOrStderr(), "cooper: metrics on http://%s/metrics\n", ln.Addr())
		}
		cmd.SetContext(context.WithValue(cmd.Context(), hostKey{}, h))
		return nil
	}
	// The event log is flushed and closed after the command, whatever its
	// outcome; an error doing so is the command's error if it had none.
	run := cmd.RunE
	cmd.RunE = func(cmd *cobra.Command, args []string) (err error) {
		defer func() {
			if cerr := closeHost(cmd.Context()); err == nil {
				err = cerr
			}
		}()
		return run(cmd, args)
	}
}

// closeHost flushes and closes the event log and stops the metrics server,
// if any; it does nothing the second time.
func closeHost(ctx context.Context) error {
	h, ok := ctx.Value(hostKey{}).(*host)
	if !ok {
		return nil
	}
	var err error
	if h.log != nil {
		err = h.log.Flush()
		if cerr := h.logFile.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			err = fmt.Errorf("--slog: %w", err)
		}
		h.log, h.logFile = nil, nil
	}
	if h.server != nil {
		h.server.Close()
		h.server = nil
	}
	return err
}

// cooperOptions are the kernel options every command uses: vat console
// output goes to stdout, one line per call, prefixed by the vat name;
// events go to the --slog file and the --metrics counters; restart replay
// shows progress when stderr is a terminal; one-time notes of the store
// (the conversion of an old database) go to stderr.
func cooperOptions(ctx context.Context, stdout io.Writer) cooper.Options {
	opts := cooper.Options{
		GoVats: demo.GoVats(),
		Console: func(vatName, level, line string) {
			fmt.Fprintf(stdout, "%s: %s\n", vatName, line)
		},
		Stopper: stopperFor(ctx),
	}
	if h, ok := ctx.Value(hostKey{}).(*host); ok {
		opts.Progress = progressBar(h.stderr)
		opts.Store.Note = func(msg string) { fmt.Fprintln(h.stderr, "cooper: note:", msg) }
		var observers []func(kernel.Event)
		if h.log != nil {
			observers = append(observers, h.log.Observe)
		}
		if h.metrics != nil {
			observers = append(observers, h.metrics.observe)
		}
		if len(observers) > 0 {
			opts.Observer = func(e kernel.Event) {
				for _, o := range observers {
					o(e)
				}
			}
		}
	}
	return opts
}

// stopperFor returns a kernel stopper that fires when ctx ends (SIGINT or
// SIGTERM): the delivery or replay under way stops, nothing of the open
// block is committed, and the command exits with ErrInterrupted.
func stopperFor(ctx context.Context) *kernel.Stopper {
	st := kernel.NewStopper()
	if ctx.Done() != nil {
		go func() {
			<-ctx.Done()
			st.Stop()
		}()
	}
	return st
}

// watchKernel lets the metrics read k's gauges after each crank.
func watchKernel(ctx context.Context, k *kernel.Kernel) {
	if h, ok := ctx.Value(hostKey{}).(*host); ok && h.metrics != nil {
		h.metrics.watch(k)
	}
}

// progressBar returns a replay progress reporter drawing on stderr when it
// is a terminal, or nil (quiet) when it is not.
func progressBar(stderr io.Writer) func(vat.ID, string, uint64, uint64) {
	f, ok := stderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	var last time.Time
	return func(id vat.ID, name string, done, total uint64) {
		if done != total && time.Since(last) < 100*time.Millisecond {
			return
		}
		last = time.Now()
		const width = 30
		filled := width
		if total > 0 {
			filled = int(done * width / total)
		}
		bar := make([]byte, width)
		for i := range bar {
			bar[i] = ' '
			if i < filled {
				bar[i] = '#'
			}
		}
		fmt.Fprintf(f, "\rreplaying %s (%s) [%s] %d/%d", id, name, bar, done, total)
		if done == total {
			fmt.Fprint(f, "\r\033[K")
		}
	}
}
