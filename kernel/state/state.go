package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/cooper-kernel/cooper/store"
	"github.com/cooper-kernel/cooper/vat"
)

// KV is the ordered string store the state lives in.
type KV interface {
	Get(key string) (string, bool)
	Has(key string) bool
	Set(key, value string)
	Delete(key string)
	GetNextKey(prev string) (string, bool)
	KeysWithPrefix(prefix string) []string
}

// ErrCorrupt marks kernel state that breaks the schema's invariants.
// Accessors that have no error result panic with an error wrapping it;
// [Recover] turns that panic back into an error.
var ErrCorrupt = errors.New("state: corrupt")

// Recover turns a panic out of the state layer — corrupt state
// (ErrCorrupt) or a failure of the store beneath it (a damaged or
// unreadable database, see store.Error) — into *errp, and lets every other
// panic through. Use it deferred around code that reads kernel state
// outside the kernel's crank loop:
//
//	defer state.Recover(&err)
func Recover(errp *error) {
	r := recover()
	if r == nil {
		return
	}
	if e, ok := r.(error); ok && (errors.Is(e, ErrCorrupt) || store.IsFailure(e)) {
		*errp = e
		return
	}
	panic(r)
}

// State gives typed access to the kernel tables in a KV.
type State struct {
	kv KV
}

// New returns the state kept in kv.
func New(kv KV) *State { return &State{kv: kv} }

// KV returns the underlying store.
func (s *State) KV() KV { return s.kv }

// Initialize writes the keys of an empty kernel.
func (s *State) Initialize() {
	s.kv.Set("version", SchemaVersion)
	s.kv.Set("crankNumber", "0")
	s.kv.Set("vat.names", "[]")
	s.kv.Set("vat.dynamicIDs", "[]")
	s.kv.Set("vat.nextID", "1")
	s.kv.Set("vats.terminated", "[]")
	s.kv.Set("device.names", "[]")
	s.kv.Set("device.nextID", "1")
	s.kv.Set("ko.nextID", "1")
	s.kv.Set("kd.nextID", "1")
	s.kv.Set("kp.nextID", "1")
	s.kv.Set("meter.nextID", "1")
	s.kv.Set("runQueue", "[1,1]")
}

// CheckVersion returns an error unless the store holds this schema version.
func (s *State) CheckVersion() error {
	v, ok := s.kv.Get("version")
	if !ok {
		return fmt.Errorf("%w: no schema version", ErrCorrupt)
	}
	if v != SchemaVersion {
		return fmt.Errorf("kernel schema version %s is not supported by this binary (it reads version %s)", v, SchemaVersion)
	}
	return nil
}

// get returns a required key or panics with a corruption error.
func (s *State) get(key string) string {
	v, ok := s.kv.Get(key)
	if !ok {
		panic(fmt.Errorf("%w: missing %s", ErrCorrupt, key))
	}
	return v
}

func (s *State) getUint(key string) uint64 {
	v := s.get(key)
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		panic(fmt.Errorf("%w: %s = %q", ErrCorrupt, key, v))
	}
	return n
}

// getUintOr reads a number that may be absent.
func (s *State) getUintOr(key string, def uint64) uint64 {
	if !s.kv.Has(key) {
		return def
	}
	return s.getUint(key)
}

func (s *State) setUint(key string, n uint64) { s.kv.Set(key, strconv.FormatUint(n, 10)) }

// allocate returns the counter at key and increments it.
func (s *State) allocate(key string) uint64 {
	n := s.getUint(key)
	s.setUint(key, n+1)
	return n
}

func (s *State) getJSON(key string, v any) {
	if err := json.Unmarshal([]byte(s.get(key)), v); err != nil {
		panic(fmt.Errorf("%w: %s: %w", ErrCorrupt, key, err))
	}
}

func (s *State) setJSON(key string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	s.kv.Set(key, string(b))
}

// CrankNumber returns the number of cranks completed.
func (s *State) CrankNumber() uint64 { return s.getUint("crankNumber") }

// IncrementCrankNumber counts one more crank.
func (s *State) IncrementCrankNumber() { s.setUint("crankNumber", s.CrankNumber()+1) }

// Limits bound what vats and the host may hand the kernel (see kernel.Limits).
type Limits struct {
	// MaxCapDataBytes bounds the body bytes of one syscall's capdata
	// (a message, a batch of resolutions, a device call, an exit value) and
	// of the host's arguments.
	MaxCapDataBytes int `json:"maxCapDataBytes"`
	// MaxSlots bounds the references in one syscall's capdata.
	MaxSlots int `json:"maxSlots"`
	// MaxVatstoreKeyBytes and MaxVatstoreValueBytes bound vatstore entries.
	MaxVatstoreKeyBytes   int `json:"maxVatstoreKeyBytes"`
	MaxVatstoreValueBytes int `json:"maxVatstoreValueBytes"`
	// MaxSyscallsPerDelivery and MaxSyscallBytesPerDelivery bound what one
	// delivery may ask of the kernel, for every kind of vat.
	MaxSyscallsPerDelivery     int `json:"maxSyscallsPerDelivery"`
	MaxSyscallBytesPerDelivery int `json:"maxSyscallBytesPerDelivery"`
	// SyscallComputrons is charged for each syscall, plus one per byte it
	// carries; a metered vat's syscalls count against its delivery limit
	// and its meter.
	SyscallComputrons uint64 `json:"syscallComputrons"`
	// DeliveryComputrons is the per-delivery computron limit of metered
	// vats that set none of their own.
	DeliveryComputrons uint64 `json:"deliveryComputrons"`
}

// SetLimits stores the kernel's limits.
func (s *State) SetLimits(l Limits) { s.setJSON("kernel.limits", l) }

// GetLimits returns the kernel's limits.
func (s *State) GetLimits() Limits {
	var l Limits
	s.getJSON("kernel.limits", &l)
	return l
}

// SetBootstrapResult records the kpid of the bootstrap message's result.
func (s *State) SetBootstrapResult(kp vat.KRef) { s.kv.Set("kernel.bootstrapResult", string(kp)) }

// BootstrapResult returns the kpid of the bootstrap message's result.
func (s *State) BootstrapResult() (vat.KRef, bool) {
	v, ok := s.kv.Get("kernel.bootstrapResult")
	return vat.KRef(v), ok
}

// commaSplit splits a comma list; "" is the empty list.
func commaSplit(v string) []string {
	if v == "" {
		return nil
	}
	return strings.Split(v, ",")
}

// parseKRef reads a kref stored at key, panicking with ErrCorrupt if malformed.
func parseKRef(key, v string) vat.KRef {
	r, err := vat.ParseKRef(v)
	if err != nil {
		panic(fmt.Errorf("%w: %s = %q", ErrCorrupt, key, v))
	}
	return r
}
