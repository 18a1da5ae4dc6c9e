package vat

import "github.com/cooper-kernel/cooper/capdata"

// Capdata views c as plain capdata, its slots as strings.
func (c CapData) Capdata() capdata.CapData {
	slots := make([]string, len(c.Slots))
	for i, s := range c.Slots {
		slots[i] = string(s)
	}
	return capdata.CapData{Body: c.Body, Slots: slots}
}

// FromCapdata views plain capdata whose slots are vrefs as vat capdata.
func FromCapdata(c capdata.CapData) CapData {
	var slots []VRef
	if len(c.Slots) > 0 {
		slots = make([]VRef, len(c.Slots))
		for i, s := range c.Slots {
			slots[i] = VRef(s)
		}
	}
	return CapData{Body: c.Body, Slots: slots}
}
