package kernel

import (
	"fmt"

	"github.com/cooper-kernel/cooper/capdata"
	"github.com/cooper-kernel/cooper/kernel/state"
	"github.com/cooper-kernel/cooper/vat"
)

// toCapdata views kernel capdata as plain capdata (slots are krefs).
func toCapdata(cd state.CapData) capdata.CapData {
	slots := make([]string, len(cd.Slots))
	for i, s := range cd.Slots {
		slots[i] = string(s)
	}
	return capdata.CapData{Body: cd.Body, Slots: slots}
}

// fromCapdata views plain capdata whose slots are krefs as kernel capdata.
func fromCapdata(cd capdata.CapData) state.CapData {
	slots := make([]vat.KRef, len(cd.Slots))
	for i, s := range cd.Slots {
		slots[i] = vat.KRef(s)
	}
	return state.CapData{Body: cd.Body, Slots: slots}
}

// checkCap verifies that capdata from a vat decodes and that each slot is
// used as what it is (remotable or promise), so that malformed data
// terminates its sender rather than whoever receives it.
func checkCap(cd state.CapData) error {
	_, err := capdata.Marshaller{FromSlot: checkSlot}.Decode(toCapdata(cd))
	return err
}

func checkSlot(s capdata.Slot) (any, error) {
	isPromise := vat.KRef(s.Ref).Kind() == vat.Promise
	if isPromise != (s.Kind == capdata.Promise) {
		return nil, fmt.Errorf("slot %s used as the wrong kind of reference", s.Ref)
	}
	return s, nil
}

// methodOf checks methargs and returns the method name.
func methodOf(cd state.CapData) (string, error) {
	method, _, err := capdata.Marshaller{FromSlot: checkSlot}.DecodeMethargs(toCapdata(cd))
	if err != nil {
		return "", fmt.Errorf("malformed methargs: %w", err)
	}
	return method, nil
}

// decodeKernel decodes kernel capdata; references become capdata.Slot values
// whose Ref is the kref.
func decodeKernel(cd state.CapData) (capdata.Value, error) {
	return capdata.Decode(toCapdata(cd))
}

// encodeKernel encodes a value whose references are capdata.Slot values with krefs.
func encodeKernel(v capdata.Value) (state.CapData, error) {
	cd, err := capdata.Encode(v)
	if err != nil {
		return state.CapData{}, err
	}
	return fromCapdata(cd), nil
}
