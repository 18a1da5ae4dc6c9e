// Package eventlog writes kernel events as JSON lines, like SwingSet's slog:
// one object per event with its type, crank number, vat, delivery number and
// the wall-clock time it was written. Apart from "time" and "elapsed"
// the content is deterministic.
package eventlog

import (
	"bufio"
	"encoding/json"
	"io"
	"sync"
	"time"

	"github.com/cooper-kernel/cooper/kernel"
	"github.com/cooper-kernel/cooper/vat"
)

// Writer turns events into JSON lines. Its Observe method is a kernel observer.
type Writer struct {
	mu  sync.Mutex
	w   *bufio.Writer
	err error
	// Now returns the time to stamp on an event; time.Now by default.
	Now func() time.Time
	// lastSyscall remembers the kind of the syscall whose result comes next.
	lastSyscall vat.SyscallKind
}

// New returns a Writer on w.
func New(w io.Writer) *Writer {
	return &Writer{w: bufio.NewWriterSize(w, 64<<10), Now: time.Now}
}

// line is the JSON form of one event; empty fields are left out.
type line struct {
	Type         string          `json:"type"`
	Time         float64         `json:"time"`
	CrankNum     uint64          `json:"crankNum"`
	VatID        vat.ID          `json:"vatID,omitempty"`
	DeliveryNum  *uint64         `json:"deliveryNum,omitempty"`
	CrankType    string          `json:"crankType,omitempty"`
	KernelItem   any             `json:"kd,omitempty"`
	VatDelivery  json.RawMessage `json:"vd,omitempty"`
	Outcome      json.RawMessage `json:"dr,omitempty"`
	Syscall      json.RawMessage `json:"vsc,omitempty"`
	Result       json.RawMessage `json:"vres,omitempty"`
	CrankHash    string          `json:"crankhash,omitempty"`
	ActivityHash string          `json:"activityhash,omitempty"`
	KPID         vat.KRef        `json:"kpid,omitempty"`
	Rejected     bool            `json:"rejected,omitempty"`
	Data         any             `json:"data,omitempty"`
	Name         string          `json:"name,omitempty"`
	Source       string          `json:"source,omitempty"`
	Reason       string          `json:"reason,omitempty"`
	Level        string          `json:"level,omitempty"`
	Line         string          `json:"line,omitempty"`
	Deliveries   *uint64         `json:"deliveries,omitempty"`
}

// Observe writes one event.
func (w *Writer) Observe(e kernel.Event) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return
	}
	l := line{
		Type:         string(e.Type),
		Time:         float64(w.Now().UnixMicro()) / 1e6,
		CrankNum:     e.CrankNum,
		VatID:        e.VatID,
		CrankType:    e.CrankType,
		CrankHash:    e.CrankHash,
		ActivityHash: e.ActivityHash,
		KPID:         e.KPID,
		Rejected:     e.Rejected,
		Name:         e.Name,
		Source:       e.Source,
		Reason:       e.Reason,
		Level:        e.Level,
		Line:         e.Line,
	}
	if e.Item != nil {
		l.KernelItem = e.Item
	}
	if e.Data != nil {
		l.Data = e.Data
	}
	switch e.Type {
	case kernel.EventDeliver, kernel.EventDeliverResult:
		n := e.DeliveryNum
		l.DeliveryNum = &n
	case kernel.EventReplayStart, kernel.EventReplayFinish:
		n := e.Deliveries
		l.Deliveries = &n
	}
	if e.Delivery != nil {
		l.VatDelivery = vat.AppendDelivery(nil, *e.Delivery)
	}
	if e.Outcome != nil {
		l.Outcome = vat.AppendOutcome(nil, *e.Outcome)
	}
	if e.Syscall != nil {
		l.Syscall = vat.AppendSyscall(nil, *e.Syscall)
		w.lastSyscall = e.Syscall.Kind
	}
	if e.SyscallResult != nil {
		l.Result = vat.AppendSyscallResult(nil, w.lastSyscall, *e.SyscallResult)
	}
	b, err := json.Marshal(l)
	if err == nil {
		b = append(b, '\n')
		_, err = w.w.Write(b)
	}
	w.err = err
}

// Flush writes out buffered lines and returns the first error met.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.w.Flush(); err != nil && w.err == nil {
		w.err = err
	}
	return w.err
}
