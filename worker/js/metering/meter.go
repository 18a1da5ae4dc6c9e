// Package metering counts computrons for goja vats deterministically: vat
// code is instrumented to charge on every function entry, loop iteration and
// string or array growth, and the built-ins that allocate in proportion to
// their arguments charge before doing the work. A delivery that runs out of
// computrons is interrupted; JS code cannot catch the interrupt.
//
// The charges (see the constants below) are part of consensus: a vat replays
// only under the same Version.
package metering

import (
	"errors"
	"math"

	"github.com/dop251/goja"
)

// Version names the computron schedule; bump it whenever a charge changes.
const Version = "cooper-meter-v1"

// The computron schedule.
const (
	// ProgramCharge is charged once per instrumented program run.
	ProgramCharge = 1
	// FunctionCharge is charged on every entry into a vat function body.
	FunctionCharge = 1
	// LoopCharge is charged on every iteration of a loop body.
	LoopCharge = 1
	// CallCharge is charged by every call of a metered built-in, and by
	// $cooper_meter_cat for a string or array value.
	CallCharge = 1
	// CharsPerComputron is how many string code units (or ArrayBuffer bytes)
	// one computron pays for.
	CharsPerComputron = 64
	// ElementsPerComputron is how many array elements one computron pays for.
	ElementsPerComputron = 8
	// SpreadElementCharge is charged per element spread (`...a` in an array
	// literal or call): spreading runs the iterator protocol per element.
	SpreadElementCharge = 1
	// JSONParseCharsPerComputron is how many input code units of JSON.parse
	// one computron pays for (parsing builds values per character).
	JSONParseCharsPerComputron = 1
	// JSONStringifyCharsPerComputron is how many output code units of
	// JSON.stringify one computron pays for.
	JSONStringifyCharsPerComputron = 8
)

// ErrComputeExceeded is the interrupt value of a delivery out of computrons.
// Its text is SwingSet's and reaches vats, so it has no package prefix.
var ErrComputeExceeded = errors.New("Compute meter exceeded")

// Meter counts computrons for one delivery.
//
// It is not safe for concurrent use; each vat runtime has its own.
type Meter struct {
	rt        *goja.Runtime
	used      uint64
	limit     uint64
	exhausted bool
	// nop is a JS function; calling it once the runtime is interrupted
	// yields the *goja.InterruptedError built-in wrappers panic with.
	nop goja.Callable
}

// NewMeter returns an unlimited meter for rt.
func NewMeter(rt *goja.Runtime) *Meter {
	return &Meter{rt: rt}
}

// Reset starts a delivery with a budget of limit computrons (0 = unlimited).
func (m *Meter) Reset(limit uint64) {
	m.rt.ClearInterrupt()
	m.used = 0
	m.limit = limit
	m.exhausted = false
}

// Charge adds n computrons and interrupts the runtime once the total
// exceeds the limit, and on every charge after that.
func (m *Meter) Charge(n uint64) {
	if m.used > math.MaxUint64-n {
		m.used = math.MaxUint64
	} else {
		m.used += n
	}
	if m.exhausted || (m.limit != 0 && m.used > m.limit) {
		m.exhausted = true
		m.rt.Interrupt(ErrComputeExceeded)
	}
}

// Used returns the computrons charged since the last Reset.
func (m *Meter) Used() uint64 { return m.used }

// Exhausted reports whether the delivery ran out of computrons.
func (m *Meter) Exhausted() bool { return m.exhausted }

// chargeOrStop charges n and, if the meter is exhausted, unwinds the native
// caller with the uncatchable interrupt so the work is never done.
func (m *Meter) chargeOrStop(n uint64) {
	m.Charge(n)
	if m.exhausted {
		m.stop()
	}
}

// stop panics with the runtime's *goja.InterruptedError. goja cannot build
// one outside its VM, so a no-op JS function is called to obtain it; JS
// try/catch does not see such a panic.
func (m *Meter) stop() {
	m.rt.Interrupt(ErrComputeExceeded)
	if m.nop != nil {
		if _, err := m.nop(goja.Undefined()); err != nil {
			var ie *goja.InterruptedError
			if errors.As(err, &ie) {
				panic(ie)
			}
		}
	}
	// No VM to unwind (Install not run): the interrupt fires at the next
	// JS instruction.
	panic(m.rt.NewGoError(ErrComputeExceeded))
}

// chars is the charge for producing n string code units or bytes.
func chars(n int64) uint64 { return CallCharge + units(n, CharsPerComputron) }

// elements is the charge for producing n array elements.
func elements(n int64) uint64 { return CallCharge + units(n, ElementsPerComputron) }

// units is n/per rounded down, 0 for negative n and capped for huge n.
func units(n int64, per int64) uint64 {
	if n <= 0 {
		return 0
	}
	return uint64(n / per)
}
