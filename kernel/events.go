package kernel

import (
	"github.com/cooper-kernel/cooper/kernel/state"
	"github.com/cooper-kernel/cooper/vat"
)

// EventType names a kind of [Event]; its value is the event log's "type".
type EventType string

// The kinds of event.
const (
	EventCrankStart    EventType = "crank-start"
	EventCrankFinish   EventType = "crank-finish"
	EventDeliver       EventType = "deliver"
	EventDeliverResult EventType = "deliver-result"
	EventSyscall       EventType = "syscall"
	EventSyscallResult EventType = "syscall-result"
	EventResolve       EventType = "resolve"
	EventCreateVat     EventType = "create-vat"
	EventUpgradeVat    EventType = "upgrade-vat"
	EventTerminateVat  EventType = "terminate-vat"
	EventConsole       EventType = "console"
	EventReplayStart   EventType = "replay-start"
	EventReplayFinish  EventType = "replay-finish"
	EventSnapshot      EventType = "snapshot"      // a heap snapshot was taken
	EventSnapshotLoad  EventType = "snapshot-load" // a vat was restored from its heap snapshot
	EventPageOut       EventType = "page-out"      // an idle vat's worker was closed (lazy loading)
)

// Event is one thing the kernel did, for the event log (SwingSet's slog).
// Events carry no times: the observer adds them. Which fields are set
// depends on Type.
type Event struct {
	Type     EventType
	CrankNum uint64
	VatID    vat.ID
	// deliver, deliver-result
	DeliveryNum uint64
	Delivery    *vat.Delivery
	Outcome     *vat.Outcome
	// syscall, syscall-result
	Syscall       *vat.Syscall
	SyscallResult *vat.SyscallResult
	// crank-start
	CrankType string
	Item      *state.RunQueueItem
	// crank-finish
	CrankHash    string
	ActivityHash string
	// resolve
	KPID     vat.KRef
	Rejected bool
	Data     *state.CapData
	// create-vat, upgrade-vat, terminate-vat, console
	Name   string
	Source string
	Reason string
	Level  string
	Line   string
	// replay-finish
	Deliveries uint64
	// snapshot, snapshot-load: the heap snapshot's hash (DeliveryNum is
	// its transcript position)
	Snapshot string
}

// emit passes e to the observer, if any.
func (k *Kernel) emit(e Event) {
	if k.opts.Observer == nil {
		return
	}
	e.CrankNum = k.crankNum
	k.opts.Observer(e)
}
