package app

import (
	"context"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
)

// BenchmarkBlock measures the App alone, without consensus or network: one
// block of 100 bootstrap.incr calls (CheckTx for each, then FinalizeBlock
// and Commit), on one validator's kernel. Compare with cooperd bench for
// what consensus adds.
func BenchmarkBlock(b *testing.B) {
	const perBlock = 100
	h := newHarness(b, Limits{})
	nonce := uint64(0)
	calls := 0
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		txs := make([][]byte, perBlock)
		for i := range txs {
			nonce++
			txs[i] = call(clientKey, nonce, "bootstrap", "incr")
		}
		b.StartTimer()
		for _, raw := range txs {
			if res := h.checkTx(raw); res.Code != CodeOK {
				b.Fatalf("CheckTx: %d %s", res.Code, res.Log)
			}
		}
		res := h.finalize(txs...)
		if _, err := h.a.Commit(context.Background(), &abci.RequestCommit{}); err != nil {
			b.Fatal(err)
		}
		if o := outcome(b, res.TxResults[perBlock-1]); o.Status != StatusFulfilled {
			b.Fatalf("last call of the block: %+v", o)
		}
		calls += perBlock
	}
	b.ReportMetric(float64(calls)/b.Elapsed().Seconds(), "calls/s")
}
