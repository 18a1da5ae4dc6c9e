package app

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/cooper-kernel/cooper"
	"github.com/cooper-kernel/cooper/capdata"
	"github.com/cooper-kernel/cooper/chain/tx"
	"github.com/cooper-kernel/cooper/kernel/state"
	"github.com/cooper-kernel/cooper/vat"
)

// Codes of CheckTx, of each transaction's result in FinalizeBlock and of
// a refused call's outcome, in codespace [Codespace].
const (
	CodeOK            uint32 = 0
	CodeMalformed     uint32 = 1  // the bytes are not a call (see package tx)
	CodeTooLarge      uint32 = 2  // longer than the genesis maxCallBytes
	CodeBadSignature  uint32 = 3  // the signature is not the key's over this call on this chain
	CodeUnknownKey    uint32 = 4  // the key is not a genesis caller
	CodeReplayedNonce uint32 = 5  // the nonce is not above the key's last accepted one, or is taken in the mempool
	CodeUnknownVat    uint32 = 6  // no live vat of that name
	CodeNotAllowed    uint32 = 7  // the key's grants do not cover this vat and method
	CodeBadArgs       uint32 = 8  // args is not the smallcaps body of an array of data
	CodeKernel        uint32 = 9  // the kernel refused the message, or has not started
	CodeNonceGap      uint32 = 10 // in a block: not the key's next nonce; in CheckTx: too far ahead of it
)

// MaxNonceAhead is how far past a key's next nonce CheckTx admits a call:
// such a call waits in the mempool until the calls before it commit.
const MaxNonceAhead = 1000

// Codespace names Cooper's codes in CometBFT results.
const Codespace = "cooper"

// Statuses of an [Outcome].
const (
	StatusPending   = "pending"   // queued; the result is not in yet
	StatusFulfilled = "fulfilled" // Result holds the value
	StatusRejected  = "rejected"  // Reason says why
	StatusRefused   = "refused"   // never queued: Code and Reason say why
)

// Outcome is what became of a call, kept under host.call.<txhash> and
// returned by /cooper/call-result/<txhash>.
type Outcome struct {
	TxHash string `json:"txhash"`
	// Height is the block that carried the call.
	Height int64  `json:"height"`
	Vat    string `json:"vat,omitempty"`
	Method string `json:"method,omitempty"`
	Status string `json:"status"`
	// Result is the fulfilled value as `cooper call` prints it.
	Result json.RawMessage `json:"result,omitempty"`
	// Reason is the rejection reason as `cooper call` prints it, or why the call was refused.
	Reason string `json:"reason,omitempty"`
	Code   uint32 `json:"code,omitempty"`
	// Settled is the block in which the result came in.
	Settled int64 `json:"settledHeight,omitempty"`
	// KPID is the kernel promise for the result while it is pending.
	KPID string `json:"kpid,omitempty"`
}

// refusal is why a call is not admitted.
type refusal struct {
	code uint32
	log  string
}

func refuse(code uint32, format string, args ...any) *refusal {
	return &refusal{code: code, log: fmt.Sprintf(format, args...)}
}

// admit checks a transaction against the current state.
//
// Nonces are sequential per key: a block runs a key's call only if its
// nonce is the key's last accepted nonce plus one. CometBFT's mempool gossip
// does not keep the order in which one node received calls, so CheckTx
// (mempool set) also admits calls a little ahead, and PrepareProposal puts
// each key's calls in nonce order and holds back those after a gap; they
// wait in the mempool for the missing ones.
func (a *App) admit(raw []byte, mempool bool) (*tx.Tx, []capdata.Value, *refusal) {
	if a.k == nil {
		return nil, nil, refuse(CodeKernel, "the chain has not started")
	}
	if max := a.params.Limits.MaxCallBytes; len(raw) > max {
		return nil, nil, refuse(CodeTooLarge, "call is %d bytes, at most %d", len(raw), max)
	}
	t, err := tx.Decode(raw)
	if err != nil {
		return nil, nil, refuse(CodeMalformed, "%v", err)
	}
	key := tx.PubKeyHex(t.PubKey)
	caller, ok := a.callers[key]
	if !ok {
		return t, nil, refuse(CodeUnknownKey, "key %s may not call this chain", key)
	}
	if !a.verify(raw, t, !mempool) {
		return t, nil, refuse(CodeBadSignature, "signature does not verify for key %s on chain %q", key, a.chainID)
	}
	last := a.nonce(key)
	switch {
	case t.Nonce <= last:
		return t, nil, refuse(CodeReplayedNonce, "nonce %d already used: key %s last used nonce %d", t.Nonce, key, last)
	case mempool && a.mempool[key][t.Nonce]:
		return t, nil, refuse(CodeReplayedNonce, "nonce %d already used by a call waiting in the mempool", t.Nonce)
	case mempool && t.Nonce > last+MaxNonceAhead:
		return t, nil, refuse(CodeNonceGap, "nonce %d is too far ahead: key %s next nonce is %d", t.Nonce, key, last+1)
	case !mempool && t.Nonce != last+1:
		return t, nil, refuse(CodeNonceGap, "nonce %d skips ahead: key %s next nonce is %d", t.Nonce, key, last+1)
	}
	id, err := a.k.FindVat(t.Vat)
	if err != nil {
		return t, nil, refuse(CodeUnknownVat, "%v", err)
	}
	resolve := func(name string) string {
		gid, err := a.k.FindVat(name)
		if err != nil {
			return ""
		}
		return string(gid)
	}
	if !caller.allows(string(id), t.Method, a.params.Bootstrap, resolve) {
		return t, nil, refuse(CodeNotAllowed, "key %s may not call %s.%s", key, t.Vat, t.Method)
	}
	args, err := DecodeArgs(t.Args)
	if err != nil {
		return t, nil, refuse(CodeBadArgs, "%v", err)
	}
	return t, args, nil
}

// maxSigned bounds App.signed; past it the cache starts again.
const maxSigned = 100_000

// verify checks a call's signature, once per call bytes: a call CheckTx
// verified is not verified again in its block (inBlock), which forgets it.
func (a *App) verify(raw []byte, t *tx.Tx, inBlock bool) bool {
	sum := sha256.Sum256(raw)
	if _, ok := a.signed[sum]; ok {
		if inBlock {
			delete(a.signed, sum)
		}
		return true
	}
	if !t.Verify(a.chainID) {
		return false
	}
	if inBlock {
		return true
	}
	if len(a.signed) >= maxSigned {
		clear(a.signed)
	}
	a.signed[sum] = struct{}{}
	return true
}

// DecodeArgs reads a call's arguments: the smallcaps body of an array with
// no slots.
func DecodeArgs(body string) ([]capdata.Value, error) {
	v, err := capdata.Decode(capdata.CapData{Body: body})
	if err != nil {
		return nil, fmt.Errorf("args: %w", err)
	}
	args, ok := v.([]capdata.Value)
	if !ok {
		return nil, fmt.Errorf("args must be an array, not %s", capdata.Format(v))
	}
	return args, nil
}

// EncodeArgs writes a call's arguments as DecodeArgs reads them.
func EncodeArgs(args []capdata.Value) (string, error) {
	if args == nil {
		args = []capdata.Value{}
	}
	cd, err := capdata.Encode(args)
	if err != nil {
		return "", err
	}
	if len(cd.Slots) > 0 {
		return "", errors.New("args: a call cannot pass references")
	}
	return cd.Body, nil
}

// nonce returns a key's last accepted nonce (0 when none).
func (a *App) nonce(key string) uint64 {
	n, _ := strconv.ParseUint(a.get(keyNoncePrefix+key), 10, 64)
	return n
}

// PrepareProposal orders the proposer's mempool calls for its block: each
// key's calls in nonce order from its next nonce on, the first call of each
// key where its turn comes in mempool order; calls after a gap are left
// out (they stay in the mempool), as are calls already outdated. Only the
// proposer runs it, so it need not be deterministic; FinalizeBlock checks
// every call again.
func (a *App) PrepareProposal(ctx context.Context, req *abci.RequestPrepareProposal) (*abci.ResponsePrepareProposal, error) {
	if a.k == nil {
		return a.BaseApplication.PrepareProposal(ctx, req)
	}
	next := map[string]uint64{}            // key → next nonce
	held := map[string]map[uint64][]byte{} // key → nonce → call waiting for its turn
	var out [][]byte
	var size int64
	add := func(raw []byte) bool {
		if size+int64(len(raw)) > req.MaxTxBytes {
			return false
		}
		size += int64(len(raw))
		out = append(out, raw)
		return true
	}
	for _, raw := range req.Txs {
		t, err := tx.Decode(raw)
		if err != nil {
			continue
		}
		key := tx.PubKeyHex(t.PubKey)
		if _, ok := next[key]; !ok {
			next[key] = a.nonce(key) + 1
			held[key] = map[uint64][]byte{}
		}
		if t.Nonce < next[key] || held[key][t.Nonce] != nil {
			continue
		}
		held[key][t.Nonce] = raw
		for r := held[key][next[key]]; r != nil; r = held[key][next[key]] {
			if !add(r) {
				return &abci.ResponsePrepareProposal{Txs: out}, nil
			}
			delete(held[key], next[key])
			next[key]++
		}
	}
	return &abci.ResponsePrepareProposal{Txs: out}, nil
}

// CheckTx admits a call to the mempool or says, with a code and a log
// line, why not.
func (a *App) CheckTx(_ context.Context, req *abci.RequestCheckTx) (*abci.ResponseCheckTx, error) {
	t, _, ref := a.admit(req.Tx, true)
	if ref != nil {
		return &abci.ResponseCheckTx{Code: ref.code, Codespace: Codespace, Log: ref.log}, nil
	}
	key := tx.PubKeyHex(t.PubKey)
	if a.mempool[key] == nil {
		a.mempool[key] = map[uint64]bool{}
	}
	a.mempool[key][t.Nonce] = true
	return &abci.ResponseCheckTx{Code: CodeOK, GasWanted: 1}, nil
}

// FinalizeBlock queues the block's calls in order, runs the kernel under
// the block budget, and settles every call whose result came in. A call
// that settles in this block has its outcome in its own result; one queued
// earlier has it in a block event "cooper.settled".
func (a *App) FinalizeBlock(_ context.Context, req *abci.RequestFinalizeBlock) (*abci.ResponseFinalizeBlock, error) {
	if a.k == nil {
		return nil, errors.New("FinalizeBlock before InitChain")
	}
	if req.Height != a.height+1 && a.height != 0 {
		return nil, fmt.Errorf("FinalizeBlock height %d after committed height %d", req.Height, a.height)
	}
	outs := make([]*Outcome, len(req.Txs))
	queued := map[string]int{} // txhash → index, for calls queued in this block
	for i, raw := range req.Txs {
		o, err := a.deliver(raw, req.Height)
		if err != nil {
			return nil, fmt.Errorf("height %d tx %d: %w", req.Height, i, err)
		}
		outs[i] = o
		if o.Status == StatusPending {
			queued[o.TxHash] = i
		}
	}
	if err := a.runKernel(); err != nil {
		return nil, fmt.Errorf("height %d: %w", req.Height, err)
	}
	settled, err := a.settle(req.Height)
	if err != nil {
		return nil, fmt.Errorf("height %d: %w", req.Height, err)
	}
	var events []abci.Event
	for _, o := range settled {
		if i, ok := queued[o.TxHash]; ok {
			outs[i] = o
		} else {
			events = append(events, o.event("cooper.settled"))
		}
	}
	results := make([]*abci.ExecTxResult, len(outs))
	for i, o := range outs {
		results[i] = o.result()
	}
	appHash, err := a.finishBlock(req.Height)
	if err != nil {
		return nil, err
	}
	return &abci.ResponseFinalizeBlock{TxResults: results, Events: events, AppHash: appHash}, nil
}

// deliver queues one call of a block, or records why it was refused. An
// error means the kernel stopped: the chain must halt.
func (a *App) deliver(raw []byte, height int64) (*Outcome, error) {
	o := &Outcome{TxHash: tx.Hash(raw), Height: height}
	t, args, ref := a.admit(raw, false)
	if t != nil {
		o.Vat, o.Method = t.Vat, t.Method
	}
	if ref == nil {
		kp, err := a.k.QueueToVatRoot(t.Vat, t.Method, args)
		switch {
		case err == nil:
			o.Status, o.KPID = StatusPending, string(kp)
			if err := a.hostSet(keyNoncePrefix+tx.PubKeyHex(t.PubKey), strconv.FormatUint(t.Nonce, 10)); err != nil {
				return nil, err
			}
			if err := a.addPending(o.TxHash); err != nil {
				return nil, err
			}
			return o, a.putOutcome(o)
		case a.k.Failed() != nil:
			return nil, err
		default:
			ref = refuse(CodeKernel, "%v", err)
		}
	}
	o.Status, o.Code, o.Reason = StatusRefused, ref.code, ref.log
	// A copy of a call already carried keeps the first one's outcome.
	if _, seen := a.k.Store().Get(keyCallPrefix + o.TxHash); seen {
		return o, nil
	}
	return o, a.putOutcome(o)
}

// putOutcome records a call's outcome. The heights go to a key of their
// own, left out of the host hash: they number blocks, which CometBFT's
// headers already cover, and leaving them out lets two networks fed the
// same calls agree on the app hash however they numbered their blocks.
func (a *App) putOutcome(o *Outcome) error {
	stored := *o
	stored.Height, stored.Settled = 0, 0
	b, err := json.Marshal(stored)
	if err != nil {
		return fmt.Errorf("outcome of %s: %w", o.TxHash, err)
	}
	if err := a.hostSet(keyCallPrefix+o.TxHash, string(b)); err != nil {
		return err
	}
	return a.k.Store().HostSet(keyHeightsPrefix+o.TxHash, fmt.Sprintf("%d %d", o.Height, o.Settled))
}

// outcomeFrom reads a recorded outcome from a kv.
func outcomeFrom(get func(string) (string, bool), hash string) (*Outcome, bool, error) {
	raw, ok := get(keyCallPrefix + hash)
	if !ok {
		return nil, false, nil
	}
	var o Outcome
	if err := json.Unmarshal([]byte(raw), &o); err != nil {
		return nil, true, fmt.Errorf("outcome of %s: %w", hash, err)
	}
	if h, ok := get(keyHeightsPrefix + hash); ok {
		fmt.Sscanf(h, "%d %d", &o.Height, &o.Settled)
	}
	return &o, true, nil
}

// addPending appends a call to the pending list, in queue order.
func (a *App) addPending(txHash string) error {
	seq, _ := strconv.ParseUint(a.get(keySeq), 10, 64)
	seq++
	if err := a.hostSet(keySeq, strconv.FormatUint(seq, 10)); err != nil {
		return err
	}
	return a.hostSet(fmt.Sprintf("%s%020d", keyPendingPrefix, seq), txHash)
}

// settle records the outcome of every pending call whose promise settled,
// in the order the calls were queued, and releases the host's hold on it.
func (a *App) settle(height int64) ([]*Outcome, error) {
	var out []*Outcome
	for _, key := range a.k.Store().KeysWithPrefix(keyPendingPrefix) {
		hash := a.get(key)
		o, _, err := outcomeFrom(a.k.Store().Get, hash)
		if err != nil || o == nil {
			return nil, fmt.Errorf("%s: outcome of %s: missing or %v", key, hash, err)
		}
		kp := vat.KRef(o.KPID)
		if a.k.KPStatus(kp) == state.Unresolved {
			continue
		}
		rejected, v, err := a.k.KPResolution(kp)
		if err != nil {
			return nil, fmt.Errorf("result of %s: %w", hash, err)
		}
		if err := a.k.ReleaseKP(kp); err != nil {
			return nil, fmt.Errorf("release %s of %s: %w", kp, hash, err)
		}
		o.KPID, o.Settled = "", height
		if rejected {
			o.Status, o.Reason = StatusRejected, cooper.DescribeRejection(v)
		} else {
			o.Status, o.Result = StatusFulfilled, capdata.ToJSON(v)
		}
		if err := a.putOutcome(o); err != nil {
			return nil, err
		}
		if err := a.hostDelete(key); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

// result is the transaction result of the call in its block.
func (o *Outcome) result() *abci.ExecTxResult {
	data, _ := json.Marshal(o)
	r := &abci.ExecTxResult{Code: o.Code, Data: data, Log: o.logLine(), Events: []abci.Event{o.event("cooper.call")}}
	if o.Code != CodeOK {
		r.Codespace = Codespace
	}
	return r
}

func (o *Outcome) logLine() string {
	switch o.Status {
	case StatusFulfilled:
		return "fulfilled: " + string(o.Result)
	case StatusRejected, StatusRefused:
		return o.Status + ": " + o.Reason
	}
	return o.Status
}

// event describes the outcome as a CometBFT event (txhash and status are
// indexed).
func (o *Outcome) event(kind string) abci.Event {
	attrs := []abci.EventAttribute{
		{Key: "txhash", Value: o.TxHash, Index: true},
		{Key: "status", Value: o.Status, Index: true},
		{Key: "vat", Value: o.Vat},
		{Key: "method", Value: o.Method},
		{Key: "height", Value: strconv.FormatInt(o.Height, 10)},
	}
	switch o.Status {
	case StatusFulfilled:
		attrs = append(attrs, abci.EventAttribute{Key: "result", Value: string(o.Result)})
	case StatusRejected, StatusRefused:
		attrs = append(attrs, abci.EventAttribute{Key: "reason", Value: o.Reason})
	}
	if o.Settled != 0 {
		attrs = append(attrs, abci.EventAttribute{Key: "settledHeight", Value: strconv.FormatInt(o.Settled, 10)})
	}
	return abci.Event{Type: kind, Attributes: attrs}
}
