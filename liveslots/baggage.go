package liveslots

import (
	"errors"
	"fmt"
	"strings"

	"github.com/cooper-kernel/cooper/capdata"
)

// baggagePrefix is where baggage entries live in the vatstore.
const baggagePrefix = "baggage."

// ErrBaggageData is the error of storing a reference (an object or a
// promise) in baggage, which holds plain data only.
var ErrBaggageData = errors.New("liveslots: baggage holds data only (no objects or promises) in this version of Cooper")

// ErrBaggageCorrupt is wrapped by the error of reading a baggage entry
// that does not decode.
var ErrBaggageCorrupt = errors.New("liveslots: corrupt baggage entry")

// Baggage is a vat's durable store of plain data, kept in its vatstore
// (under "baggage.") so that it outlives the vat's heap. Every kind of
// worker hands its vats this one implementation.
type Baggage struct{ ls *Liveslots }

// Baggage returns the vat's baggage.
func (ls *Liveslots) Baggage() *Baggage { return &Baggage{ls: ls} }

// Get returns the value stored under key; found is false when there is
// none. An entry that does not decode is an error wrapping
// ErrBaggageCorrupt.
func (b *Baggage) Get(key string) (v capdata.Value, found bool, err error) {
	body, ok := b.ls.VatstoreGet(baggagePrefix + key)
	if !ok {
		return nil, false, nil
	}
	v, err = capdata.Decode(capdata.CapData{Body: body})
	if err != nil {
		return nil, false, fmt.Errorf("%w %q: %w", ErrBaggageCorrupt, key, err)
	}
	return v, true, nil
}

// Has reports whether key is stored.
func (b *Baggage) Has(key string) bool {
	_, ok := b.ls.VatstoreGet(baggagePrefix + key)
	return ok
}

// Set stores v under key. v must be plain data: a reference is an error
// wrapping ErrBaggageData.
func (b *Baggage) Set(key string, v capdata.Value) error {
	cd, err := capdata.Marshaller{ToSlot: func(any) (capdata.Slot, error) {
		return capdata.Slot{}, ErrBaggageData
	}}.Encode(v)
	switch {
	case errors.Is(err, ErrBaggageData) || err == nil && len(cd.Slots) > 0:
		return fmt.Errorf("baggage %q: %w", key, ErrBaggageData)
	case err != nil:
		return fmt.Errorf("baggage %q: %w", key, err)
	}
	b.ls.VatstoreSet(baggagePrefix+key, cd.Body)
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
