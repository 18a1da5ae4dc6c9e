package liveslots

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/cooper-kernel/cooper/capdata"
	"github.com/cooper-kernel/cooper/vat"
)

// baggagePrefix is where baggage entries live in the vatstore.
const baggagePrefix = "baggage."

// ErrBaggageData is the error of storing what does not outlive the vat's
// heap in baggage: a local object or a promise. Baggage holds data and
// durable references (imported objects and device nodes).
var ErrBaggageData = errors.New("liveslots: baggage holds data and imported objects only (no local objects or promises)")

// ErrBaggageCorrupt is wrapped by the error of reading a baggage entry
// that does not decode.
var ErrBaggageCorrupt = errors.New("liveslots: corrupt baggage entry")

// Baggage is a Go vat's durable map, kept in its vatstore (under
// "baggage.") so that it outlives the vat's heap and its upgrades. It holds
// data and imported objects (presences, device nodes). An entry is the
// smallcaps body alone, or {"body","slots"} JSON when it holds references.
type Baggage struct{ ls *Liveslots }

// Baggage returns the vat's baggage.
func (ls *Liveslots) Baggage() *Baggage { return &Baggage{ls: ls} }

// Get returns the value stored under key; found is false when there is
// none. An entry that does not decode is an error wrapping
// ErrBaggageCorrupt.
func (b *Baggage) Get(key string) (v capdata.Value, found bool, err error) {
	raw, ok := b.ls.VatstoreGet(baggagePrefix + key)
	if !ok {
		return nil, false, nil
	}
	cd := vat.CapData{Body: raw}
	if strings.HasPrefix(raw, "{") {
		var stored struct {
			Body  string     `json:"body"`
			Slots []vat.VRef `json:"slots"`
		}
		if err := json.Unmarshal([]byte(raw), &stored); err != nil {
			return nil, false, fmt.Errorf("%w %q: %w", ErrBaggageCorrupt, key, err)
		}
		cd = vat.CapData{Body: stored.Body, Slots: stored.Slots}
	}
	v, err = b.ls.unserialize(cd)
	if err != nil {
		if b.ls.failed != nil {
			return nil, false, b.ls.failed
		}
		return nil, false, fmt.Errorf("%w %q: %w", ErrBaggageCorrupt, key, err)
	}
	return v, true, nil
}

// Has reports whether key is stored.
func (b *Baggage) Has(key string) bool {
	_, ok := b.ls.VatstoreGet(baggagePrefix + key)
	return ok
}

// Set stores v under key. v must be data and imported objects: a local
// object or a promise is an error wrapping ErrBaggageData.
func (b *Baggage) Set(key string, v capdata.Value) error {
	ls := b.ls
	cd, err := capdata.Marshaller{ToSlot: func(x any) (capdata.Slot, error) {
		ref, ok := ls.RefOf(x)
		if !ok || ref.Kind() == vat.Promise {
			return capdata.Slot{}, ErrBaggageData
		}
		_, iface, _ := ls.face.Classify(x)
		return capdata.Slot{Ref: string(ref), Kind: capdata.Remotable, Iface: iface}, nil
	}}.Encode(v)
	if err != nil {
		if errors.Is(err, ErrBaggageData) {
			return fmt.Errorf("baggage %q: %w", key, ErrBaggageData)
		}
		return fmt.Errorf("baggage %q: %w", key, err)
	}
	for _, r := range cd.Slots {
		// A capdata.Slot in v is encoded as given: it must name an import.
		if vr := vat.VRef(r); vr.Allocated() || vr.Kind() == vat.Promise || ls.slotToVal[vr] == nil {
			return fmt.Errorf("baggage %q: %w", key, ErrBaggageData)
		}
	}
	entry := cd.Body
	if len(cd.Slots) > 0 {
		data, _ := json.Marshal(struct {
			Body  string   `json:"body"`
			Slots []string `json:"slots"`
		}{cd.Body, cd.Slots})
		entry = string(data)
	}
	ls.VatstoreSet(baggagePrefix+key, entry)
	return nil
}

// Delete removes key.
func (b *Baggage) Delete(key string) { b.ls.VatstoreDelete(baggagePrefix + key) }

// Keys returns the stored keys in order.
func (b *Baggage) Keys() []string {
	var keys []string
	prev := baggagePrefix
	for {
		k, ok := b.ls.VatstoreGetNextKey(prev)
		if !ok || !strings.HasPrefix(k, baggagePrefix) {
			return keys
		}
		keys = append(keys, strings.TrimPrefix(k, baggagePrefix))
		prev = k
	}
}
