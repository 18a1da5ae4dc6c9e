package main

import (
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/cooper-kernel/cooper/kernel"
)

// metrics counts what the kernel does, for Prometheus. Counters are updated
// by the kernel goroutine through observe and read by HTTP scrapes.
type metrics struct {
	mu            sync.Mutex
	cranks        uint64
	deliveries    map[string]uint64
	syscalls      map[string]uint64
	replayStart   time.Time
	replaySeconds float64
	replayed      uint64
	runQueue      uint64
	dbBytes       int64
	kernel        *kernel.Kernel
}

func newMetrics() *metrics {
	return &metrics{deliveries: map[string]uint64{}, syscalls: map[string]uint64{}}
}

// watch gives the metrics the kernel whose gauges they read after each crank.
func (m *metrics) watch(k *kernel.Kernel) {
	m.mu.Lock()
	m.kernel = k
	m.mu.Unlock()
}

func (m *metrics) observe(e kernel.Event) {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch e.Type {
	case kernel.EventCrankFinish:
		m.cranks++
		if m.kernel != nil {
			m.runQueue = m.kernel.RunQueueLength()
			m.dbBytes = m.kernel.Store().DBSize()
		}
	case kernel.EventDeliver:
		if e.Delivery != nil {
			m.deliveries[string(e.Delivery.Kind)]++
		}
	case kernel.EventSyscall:
		if e.Syscall != nil {
			m.syscalls[string(e.Syscall.Kind)]++
		}
	case kernel.EventReplayStart:
		m.replayStart = time.Now()
	case kernel.EventReplayFinish:
		m.replaySeconds += time.Since(m.replayStart).Seconds()
		m.replayed += e.Deliveries
	}
}

// ServeHTTP writes the metrics in the Prometheus text format.
func (m *metrics) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	m.mu.Lock()
	defer m.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	metric := func(name, kind, help string) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, kind)
	}
	metric("cooper_cranks_total", "counter", "Cranks finished.")
	fmt.Fprintf(w, "cooper_cranks_total %d\n", m.cranks)
	metric("cooper_deliveries_total", "counter", "Deliveries to vats, by type.")
	for _, t := range sortedKeys(m.deliveries) {
		fmt.Fprintf(w, "cooper_deliveries_total{type=%q} %d\n", t, m.deliveries[t])
	}
	metric("cooper_syscalls_total", "counter", "Syscalls made by vats, by type.")
	for _, t := range sortedKeys(m.syscalls) {
		fmt.Fprintf(w, "cooper_syscalls_total{type=%q} %d\n", t, m.syscalls[t])
	}
	metric("cooper_replay_seconds", "gauge", "Time spent replaying transcripts at start.")
	fmt.Fprintf(w, "cooper_replay_seconds %g\n", m.replaySeconds)
	metric("cooper_replayed_deliveries", "gauge", "Deliveries replayed at start.")
	fmt.Fprintf(w, "cooper_replayed_deliveries %d\n", m.replayed)
	metric("cooper_run_queue_length", "gauge", "Items waiting on the run queue.")
	fmt.Fprintf(w, "cooper_run_queue_length %d\n", m.runQueue)
	metric("cooper_db_bytes", "gauge", "Size of the kernel database and its write-ahead log.")
	fmt.Fprintf(w, "cooper_db_bytes %d\n", m.dbBytes)
}

func sortedKeys(m map[string]uint64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
