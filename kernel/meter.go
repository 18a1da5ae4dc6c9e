package kernel

import "math/big"

// meterAfter checks a delivery's computrons against the vat's meter. On
// underflow it sets res.terminate. It returns the deduction to apply once
// the crank's fate is known (after any rollback, as SwingSet does), or nil.
func (k *Kernel) meterAfter(h *vatHandle, computrons uint64, res *crankOutcome) func() {
	id := h.opts.MeterID
	if id == "" || computrons == 0 {
		return nil
	}
	m, ok := k.state.GetMeter(id)
	if !ok || m.Unlimited {
		return nil
	}
	if computrons > m.Remaining {
		res.terminate = &termination{vat: h.id, reject: true, info: kernelError("meter underflow, vat terminated")}
	}
	return func() {
		m, ok := k.state.GetMeter(id)
		if !ok || m.Unlimited {
			return
		}
		before := m.Remaining
		m.Remaining -= min(computrons, m.Remaining)
		k.state.SetMeter(id, m)
		if before >= m.Threshold && m.Remaining < m.Threshold {
			k.queueToVatAdmin("meterCrossedThreshold", id, new(big.Int).SetUint64(m.Remaining))
		}
	}
}
