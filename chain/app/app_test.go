package app

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/cooper-kernel/cooper"
	"github.com/cooper-kernel/cooper/capdata"
	"github.com/cooper-kernel/cooper/chain/tx"
)

const testChain = "cooper-test"

func key(seed byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
}

var (
	clientKey   = key(1) // default grant: every method of the bootstrap vat
	readerKey   = key(2) // may call counter.get only
	strangerKey = key(3) // not in the genesis
)

func pub(k ed25519.PrivateKey) string { return tx.PubKeyHex(k.Public().(ed25519.PublicKey)) }

var (
	inlineOnce sync.Once
	inlineCfg  json.RawMessage
	inlineErr  error
)

// testGenesis returns a genesis app state for testdata/counter.
func testGenesis(t testing.TB, limits Limits) []byte {
	t.Helper()
	return testGenesisWorker(t, limits, "")
}

// testGenesisWorker is testGenesis with a JS engine.
func testGenesisWorker(t testing.TB, limits Limits, jsWorker string) []byte {
	t.Helper()
	inlineOnce.Do(func() { inlineCfg, inlineErr = InlineConfig("../testdata/counter/config.json") })
	if inlineErr != nil {
		t.Fatal(inlineErr)
	}
	b, err := json.Marshal(AppState{
		Config: inlineCfg,
		Callers: []Caller{
			{Name: "client", PubKey: pub(clientKey)},
			{Name: "reader", PubKey: pub(readerKey), Allow: []Grant{{Vat: "counter", Methods: []string{"get"}}}},
		},
		Limits:   limits,
		JSWorker: jsWorker,
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// harness drives one App directly, as CometBFT would.
type harness struct {
	t       testing.TB
	dir     string
	a       *App
	genesis []byte
}

func newHarness(t testing.TB, limits Limits) *harness {
	t.Helper()
	return newHarnessGenesis(t, testGenesis(t, limits))
}

func newHarnessGenesis(t testing.TB, genesis []byte) *harness {
	t.Helper()
	h := &harness{t: t, dir: filepath.Join(t.TempDir(), "cooper"), genesis: genesis}
	h.open()
	if _, err := h.a.InitChain(context.Background(), &abci.RequestInitChain{ChainId: testChain, AppStateBytes: h.genesis, InitialHeight: 1}); err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *harness) open() {
	h.t.Helper()
	a, err := New(h.dir, Options{})
	if err != nil {
		h.t.Fatal(err)
	}
	h.a = a
	h.t.Cleanup(func() { a.Close() })
}

// reopen closes the App, dropping anything not committed, and opens it again.
func (h *harness) reopen() {
	h.t.Helper()
	h.a.Close()
	h.open()
}

func call(k ed25519.PrivateKey, nonce uint64, vatName, method string, args ...capdata.Value) []byte {
	body, err := EncodeArgs(args)
	if err != nil {
		panic(err)
	}
	return tx.Sign(k, testChain, tx.Call{Vat: vatName, Method: method, Args: body, Nonce: nonce}).Encode()
}

// finalize runs FinalizeBlock at the next height, without committing.
func (h *harness) finalize(txs ...[]byte) *abci.ResponseFinalizeBlock {
	h.t.Helper()
	res, err := h.a.FinalizeBlock(context.Background(), &abci.RequestFinalizeBlock{Txs: txs, Height: h.a.Height() + 1})
	if err != nil {
		h.t.Fatal(err)
	}
	if len(res.TxResults) != len(txs) {
		h.t.Fatalf("%d results for %d txs", len(res.TxResults), len(txs))
	}
	return res
}

// block finalizes and commits the next block.
func (h *harness) block(txs ...[]byte) *abci.ResponseFinalizeBlock {
	h.t.Helper()
	res := h.finalize(txs...)
	if _, err := h.a.Commit(context.Background(), &abci.RequestCommit{}); err != nil {
		h.t.Fatal(err)
	}
	if !bytes.Equal(h.a.AppHash(), res.AppHash) {
		h.t.Fatalf("committed app hash %X, FinalizeBlock said %X", h.a.AppHash(), res.AppHash)
	}
	return res
}

func (h *harness) checkTx(raw []byte) *abci.ResponseCheckTx {
	h.t.Helper()
	res, err := h.a.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: raw, Type: abci.CheckTxType_New})
	if err != nil {
		h.t.Fatal(err)
	}
	return res
}

func (h *harness) query(path string) *abci.ResponseQuery {
	h.t.Helper()
	res, err := h.a.Query(context.Background(), &abci.RequestQuery{Path: path})
	if err != nil {
		h.t.Fatal(err)
	}
	return res
}

// outcome decodes a transaction result's data.
func outcome(t testing.TB, r *abci.ExecTxResult) Outcome {
	t.Helper()
	var o Outcome
	if err := json.Unmarshal(r.Data, &o); err != nil {
		t.Fatalf("result data %q: %v", r.Data, err)
	}
	return o
}

func (h *harness) callResult(raw []byte) CallResult {
	h.t.Helper()
	res := h.query(PathCallResult + strings.ToLower(tx.Hash(raw)))
	if res.Code != CodeOK {
		h.t.Fatalf("call-result: code %d: %s", res.Code, res.Log)
	}
	var r CallResult
	if err := json.Unmarshal(res.Value, &r); err != nil {
		h.t.Fatal(err)
	}
	return r
}

func TestCallsSettleInTheirBlock(t *testing.T) {
	h := newHarness(t, Limits{})
	incr := call(clientKey, 1, "bootstrap", "incr", 5.0)
	echo := call(clientKey, 2, "bootstrap", "echo", "a", map2rec("n", 1.0))
	fail := call(clientKey, 3, "bootstrap", "fail", "boom")
	get := call(readerKey, 1, "counter", "get")
	res := h.block(incr, echo, fail, get)
	want := []struct{ status, shown string }{
		{StatusFulfilled, "5"},
		{StatusFulfilled, `["a",{"n":1}]`},
		{StatusRejected, "Error: boom"},
		{StatusFulfilled, "0"}, // queued to the counter before incr's add
	}
	for i, w := range want {
		r := res.TxResults[i]
		o := outcome(t, r)
		shown := string(o.Result)
		if o.Status == StatusRejected {
			shown = o.Reason
		}
		if r.Code != CodeOK || o.Status != w.status || shown != w.shown || o.Height != 1 || o.Settled != 1 {
			t.Errorf("tx %d: code %d, outcome %+v; want %s %s", i, r.Code, o, w.status, w.shown)
		}
		if len(r.Events) != 1 || r.Events[0].Type != "cooper.call" || r.Events[0].Attributes[0].Value != o.TxHash {
			t.Errorf("tx %d: events %v", i, r.Events)
		}
	}
	if r := h.callResult(incr); r.Status != StatusFulfilled || string(r.Result) != "5" || r.RunQueue != nil {
		t.Errorf("call-result of incr: %+v", r)
	}
	if r := h.callResult(fail); r.Status != StatusRejected || r.Reason != "Error: boom" {
		t.Errorf("call-result of fail: %+v", r)
	}
}

func map2rec(k string, v capdata.Value) *capdata.Record { return capdata.NewRecord(k, v) }

func TestCheckTxRefuses(t *testing.T) {
	h := newHarness(t, Limits{MaxCallBytes: 400})
	var first [][]byte
	for n := range uint64(5) {
		first = append(first, call(clientKey, n+1, "bootstrap", "incr"))
	}
	h.block(first...)

	forged := call(clientKey, 6, "bootstrap", "incr")
	forged[len(forged)-1] ^= 1
	otherChain := tx.Sign(clientKey, "other-chain", tx.Call{Vat: "bootstrap", Method: "incr", Args: "#[]", Nonce: 6}).Encode()
	rawArgs := func(body string) []byte {
		return tx.Sign(clientKey, testChain, tx.Call{Vat: "bootstrap", Method: "echo", Args: body, Nonce: 6}).Encode()
	}
	cases := []struct {
		name string
		raw  []byte
		code uint32
		log  string
	}{
		{"malformed", []byte("hello"), CodeMalformed, "unknown version 104"},
		{"too large", call(clientKey, 6, "bootstrap", "echo", strings.Repeat("x", 400)), CodeTooLarge, "at most 400"},
		{"forged signature", forged, CodeBadSignature, "signature does not verify"},
		{"signed for another chain", otherChain, CodeBadSignature, `on chain "cooper-test"`},
		{"unknown key", call(strangerKey, 1, "bootstrap", "incr"), CodeUnknownKey, "may not call this chain"},
		{"replayed nonce", call(clientKey, 5, "bootstrap", "get"), CodeReplayedNonce, "nonce 5 already used"},
		{"older nonce", call(clientKey, 2, "bootstrap", "get"), CodeReplayedNonce, "last used nonce 5"},
		{"nonce too far ahead", call(clientKey, 6+MaxNonceAhead, "bootstrap", "get"), CodeNonceGap, "next nonce is 6"},
		{"unknown vat", call(clientKey, 6, "carol", "incr"), CodeUnknownVat, `no vat named "carol"`},
		{"vat not granted", call(clientKey, 6, "counter", "add", 1.0), CodeNotAllowed, "may not call counter.add"},
		{"method not granted", call(readerKey, 1, "counter", "add", 1.0), CodeNotAllowed, "may not call counter.add"},
		{"other vat not granted", call(readerKey, 1, "bootstrap", "get"), CodeNotAllowed, "may not call bootstrap.get"},
		{"args not capdata", rawArgs("[1]"), CodeBadArgs, "args"},
		{"args not an array", rawArgs("#1"), CodeBadArgs, "args must be an array"},
		{"args with a reference", rawArgs(`#["$0.Alleged: x"]`), CodeBadArgs, "args"},
		{"ok", call(clientKey, 6, "bootstrap", "incr"), CodeOK, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := h.checkTx(c.raw)
			if res.Code != c.code || !strings.Contains(res.Log, c.log) {
				t.Fatalf("CheckTx = code %d %q, want %d containing %q", res.Code, res.Log, c.code, c.log)
			}
			if c.code != CodeOK && res.Codespace != Codespace {
				t.Fatalf("codespace %q", res.Codespace)
			}
		})
	}
	// The "ok" call now holds nonce 6 in the mempool.
	if res := h.checkTx(call(clientKey, 6, "bootstrap", "get")); res.Code != CodeReplayedNonce || !strings.Contains(res.Log, "mempool") {
		t.Fatalf("second call with a mempool nonce: %d %q", res.Code, res.Log)
	}
	// A later nonce waits in the mempool.
	if res := h.checkTx(call(clientKey, 8, "bootstrap", "get")); res.Code != CodeOK {
		t.Fatalf("a call two nonces ahead: %d %q", res.Code, res.Log)
	}
	// A refused call in a block is recorded, and changes no nonce; a block
	// runs a key's calls only in nonce order.
	res := h.block(forged, call(clientKey, 7, "bootstrap", "incr"), call(clientKey, 6, "bootstrap", "incr"))
	if o := outcome(t, res.TxResults[0]); res.TxResults[0].Code != CodeBadSignature || o.Status != StatusRefused {
		t.Fatalf("forged call in a block: code %d, %+v", res.TxResults[0].Code, o)
	}
	if o := outcome(t, res.TxResults[1]); res.TxResults[1].Code != CodeNonceGap || !strings.Contains(o.Reason, "next nonce is 6") {
		t.Fatalf("call with a gap in a block: %+v", o)
	}
	if o := outcome(t, res.TxResults[2]); o.Status != StatusFulfilled || string(o.Result) != "6" {
		t.Fatalf("call after a forged one: %+v", o)
	}
	if r := h.callResult(forged); r.Status != StatusRefused || r.Code != CodeBadSignature {
		t.Fatalf("call-result of the forged call: %+v", r)
	}
}

func TestPrepareProposalOrdersNonces(t *testing.T) {
	h := newHarness(t, Limits{})
	h.block(call(clientKey, 1, "bootstrap", "incr"))
	c := func(k ed25519.PrivateKey, n uint64) []byte { return call(k, n, "bootstrap", "get") }
	mempool := [][]byte{
		c(clientKey, 3), c(readerKey, 2), []byte("junk"), c(clientKey, 1), c(clientKey, 2),
		c(readerKey, 1), c(clientKey, 5), c(clientKey, 4), c(clientKey, 7),
	}
	res, err := h.a.PrepareProposal(context.Background(), &abci.RequestPrepareProposal{Txs: mempool, MaxTxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]byte{c(clientKey, 2), c(clientKey, 3), c(readerKey, 1), c(readerKey, 2), c(clientKey, 4), c(clientKey, 5)}
	if !slices.EqualFunc(res.Txs, want, bytes.Equal) {
		t.Fatalf("proposal has %d calls, want %d in nonce order per key", len(res.Txs), len(want))
	}
	res, _ = h.a.PrepareProposal(context.Background(), &abci.RequestPrepareProposal{Txs: mempool, MaxTxBytes: int64(3 * len(want[0]))})
	if !slices.EqualFunc(res.Txs, want[:3], bytes.Equal) {
		t.Fatalf("proposal under a byte limit has %d calls, want 3", len(res.Txs))
	}
}

func TestDuplicateInBlockKeepsFirstOutcome(t *testing.T) {
	h := newHarness(t, Limits{})
	c := call(clientKey, 1, "bootstrap", "incr", 3.0)
	res := h.block(c, c)
	if o := outcome(t, res.TxResults[0]); o.Status != StatusFulfilled {
		t.Fatalf("first copy: %+v", o)
	}
	if res.TxResults[1].Code != CodeReplayedNonce {
		t.Fatalf("second copy: code %d", res.TxResults[1].Code)
	}
	if r := h.callResult(c); r.Status != StatusFulfilled || string(r.Result) != "3" {
		t.Fatalf("call-result: %+v", r)
	}
}

// TestBudgetCarriesWorkToLaterBlocks: a block runs the kernel under its
// crank budget, and under its computron budget (a block of deliveries that
// used 1 computron stops there); the work left continues in the next blocks.
func TestBudgetCarriesWorkToLaterBlocks(t *testing.T) {
	for _, tc := range []struct {
		name   string
		limits Limits
	}{
		{"cranks", Limits{BlockCranks: 3}},
		{"computrons", Limits{BlockComputrons: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) { budgetCarriesWork(t, tc.limits) })
	}
}

func budgetCarriesWork(t *testing.T, limits Limits) {
	h := newHarness(t, limits)
	relay := call(clientKey, 1, "bootstrap", "relay", 4.0)
	res := h.block(relay)
	if o := outcome(t, res.TxResults[0]); o.Status != StatusPending || o.KPID == "" {
		t.Fatalf("relay after one block: %+v", o)
	}
	if r := h.callResult(relay); r.Status != StatusPending || r.RunQueue == nil || *r.RunQueue == 0 {
		t.Fatalf("call-result while running: %+v", r)
	}
	var settled *abci.Event
	for n := 2; settled == nil; n++ {
		if n > 10 {
			t.Fatal("relay did not settle in 10 blocks")
		}
		res = h.block()
		if len(res.Events) > 0 {
			settled = &res.Events[0]
			if n < 3 {
				t.Fatalf("settled at block %d: the budget did not hold", n)
			}
		}
	}
	if settled.Type != "cooper.settled" || settled.Attributes[0].Value != tx.Hash(relay) {
		t.Fatalf("event %v", settled)
	}
	if r := h.callResult(relay); r.Status != StatusFulfilled || string(r.Result) != "4" || r.Settled <= 1 {
		t.Fatalf("call-result after settling: %+v", r)
	}
	// Once the queue is empty, an empty block changes nothing.
	before := h.a.AppHash()
	if res := h.block(); !bytes.Equal(res.AppHash, before) {
		t.Fatal("an empty block on an idle kernel changed the app hash")
	}
}

func TestPendingUntilALaterCall(t *testing.T) {
	h := newHarness(t, Limits{})
	wait := call(clientKey, 1, "bootstrap", "wait")
	h.block(wait)
	if r := h.callResult(wait); r.Status != StatusPending || r.RunQueue == nil || *r.RunQueue != 0 {
		t.Fatalf("wait: %+v", r)
	}
	res := h.block(call(clientKey, 2, "bootstrap", "release", "go"))
	if o := outcome(t, res.TxResults[0]); string(o.Result) != "1" {
		t.Fatalf("release: %+v", o)
	}
	if len(res.Events) != 1 || res.Events[0].Type != "cooper.settled" {
		t.Fatalf("block events %v", res.Events)
	}
	if r := h.callResult(wait); r.Status != StatusFulfilled || string(r.Result) != `"go"` || r.Height != 1 || r.Settled != 2 {
		t.Fatalf("wait after release: %+v", r)
	}
}

// script is a sequence of blocks: calls with sequential nonces.
func script() [][][]byte {
	n := uint64(0)
	c := func(method string, args ...capdata.Value) []byte {
		n++
		return call(clientKey, n, "bootstrap", method, args...)
	}
	return [][][]byte{
		{c("incr", 2.0), c("relay", 3.0)},
		{c("wait"), c("echo", "x")},
		{},
		{c("relay", 5.0), c("fail", "no")},
		{c("release", 7.0)},
		{c("incr")},
		{},
	}
}

// TestRestartMidSequence runs the same blocks straight through and with
// restarts: after a commit, and in the middle of a block (finalized, not
// committed: the kernel loses it and CometBFT would replay it). Every
// height must end with the same app hash.
func TestRestartMidSequence(t *testing.T) {
	limits := Limits{BlockCranks: 4}
	straight := newHarness(t, limits)
	var want [][]byte
	for _, txs := range script() {
		want = append(want, straight.block(txs...).AppHash)
	}

	h := newHarness(t, limits)
	for i, txs := range script() {
		switch i {
		case 2:
			h.reopen()
		case 4:
			h.finalize(txs...) // then "crash" before Commit
			h.reopen()
			info, _ := h.a.Info(context.Background(), &abci.RequestInfo{})
			if info.LastBlockHeight != 4 || !bytes.Equal(info.LastBlockAppHash, want[3]) {
				t.Fatalf("Info after a crash in block 5: height %d hash %X", info.LastBlockHeight, info.LastBlockAppHash)
			}
		}
		if got := h.block(txs...).AppHash; !bytes.Equal(got, want[i]) {
			t.Fatalf("height %d: app hash %X, straight run %X", i+1, got, want[i])
		}
	}
	last := script()[5][0]
	if got, want := h.callResult(last), straight.callResult(last); got.Status != StatusFulfilled || string(got.Result) != string(want.Result) {
		t.Fatalf("last incr: %+v, straight run %+v", got, want)
	}
}

// TestBlockLayoutDoesNotMatter feeds the same calls, each in a block of
// its own, to two validators that make different numbers of empty blocks
// in between: the app hashes agree.
func TestBlockLayoutDoesNotMatter(t *testing.T) {
	x, y := newHarness(t, Limits{BlockCranks: 3}), newHarness(t, Limits{BlockCranks: 3})
	c1 := call(clientKey, 1, "bootstrap", "relay", 3.0)
	c2 := call(clientKey, 2, "bootstrap", "incr", 4.0)
	for range 4 {
		x.block()
	}
	x.block(c1)
	for range 6 {
		x.block()
	}
	x.block(c2)
	y.block(c1)
	for range 3 {
		y.block()
	}
	y.block(c2)
	if !bytes.Equal(x.a.AppHash(), y.a.AppHash()) || x.a.Height() == y.a.Height() {
		t.Fatalf("heights %d, %d: app hashes %X, %X", x.a.Height(), y.a.Height(), x.a.AppHash(), y.a.AppHash())
	}
	if rx, ry := x.callResult(c2), y.callResult(c2); string(rx.Result) != "7" || string(ry.Result) != "7" || rx.Height == ry.Height {
		t.Fatalf("results %+v, %+v", rx, ry)
	}
}

func TestInitChainAgainAfterCrash(t *testing.T) {
	h := newHarness(t, Limits{})
	first := h.a.AppHash()
	h.reopen() // before block 1: CometBFT calls InitChain again
	info, _ := h.a.Info(context.Background(), &abci.RequestInfo{})
	if info.LastBlockHeight != 0 || !bytes.Equal(info.LastBlockAppHash, first) {
		t.Fatalf("Info: %d %X", info.LastBlockHeight, info.LastBlockAppHash)
	}
	res, err := h.a.InitChain(context.Background(), &abci.RequestInitChain{ChainId: testChain, AppStateBytes: h.genesis, InitialHeight: 1})
	if err != nil || !bytes.Equal(res.AppHash, first) {
		t.Fatalf("InitChain again: %X, %v", res.GetAppHash(), err)
	}
	other := testGenesis(t, Limits{BlockCranks: 7})
	if _, err := h.a.InitChain(context.Background(), &abci.RequestInitChain{ChainId: testChain, AppStateBytes: other}); err == nil {
		t.Fatal("InitChain with another genesis on an existing kernel succeeded")
	}
	// Two validators from the same genesis start with the same app hash.
	if twin := newHarness(t, Limits{}); !bytes.Equal(twin.a.AppHash(), first) {
		t.Fatalf("twin app hash %X, want %X", twin.a.AppHash(), first)
	}
}

func TestQueries(t *testing.T) {
	h := newHarness(t, Limits{})
	h.block(call(clientKey, 1, "bootstrap", "incr", 1.0))
	var nonce map[string]int
	if res := h.query(PathNonce + pub(clientKey)); res.Code != CodeOK || json.Unmarshal(res.Value, &nonce) != nil || nonce["nonce"] != 1 {
		t.Fatalf("nonce: %d %s %s", res.Code, res.Value, res.Log)
	}
	var vats []VatInfo
	if res := h.query(PathVats); json.Unmarshal(res.Value, &vats) != nil || len(vats) != 3 {
		t.Fatalf("vats: %s", res.Value)
	}
	names := []string{vats[0].Name, vats[1].Name, vats[2].Name}
	if strings.Join(names, ",") != "bootstrap,counter,vatAdmin" || !vats[0].Static || !vats[0].Live {
		t.Fatalf("vats: %+v", vats)
	}
	var kv map[string]string
	if res := h.query(PathDump + "host.height"); json.Unmarshal(res.Value, &kv) != nil || kv["host.height"] != "1" {
		t.Fatalf("dump host.height: %s", res.Value)
	}
	if res := h.query(PathDump + "activityhash"); json.Unmarshal(res.Value, &kv) != nil || len(kv["activityhash"]) != 64 {
		t.Fatalf("dump activityhash: %s", res.Value)
	}
	if res := h.query(PathCallResult + strings.Repeat("ab", 32)); res.Code != CodeNotFound {
		t.Fatalf("unknown call: %d", res.Code)
	}
	if res := h.query("/cooper/nope"); res.Code != CodeBadQuery {
		t.Fatalf("unknown path: %d", res.Code)
	}
	// A block finalized but not committed is not visible.
	c := call(clientKey, 2, "bootstrap", "incr", 1.0)
	h.finalize(c)
	if res := h.query(PathCallResult + tx.Hash(c)); res.Code != CodeNotFound {
		t.Fatalf("uncommitted call visible: %d %s", res.Code, res.Value)
	}
}

func TestAppHashOf(t *testing.T) {
	a := AppHashOf("aa", "bb")
	if hex.EncodeToString(a) == hex.EncodeToString(AppHashOf("aa", "bc")) || len(a) != 32 {
		t.Fatal("app hash ignores the host hash")
	}
}

// FuzzCallBytes feeds arbitrary bytes to CheckTx and to a block: either is
// refused with a code and a log, or the call runs; the App never panics,
// and a refused call's result says refused.
func FuzzCallBytes(f *testing.F) {
	f.Add(call(clientKey, 1, "bootstrap", "incr", 1.0))
	f.Add(call(clientKey, 1, "bootstrap", "fail", "x"))
	f.Add(call(readerKey, 1, "counter", "get"))
	f.Add([]byte("junk"))
	f.Add([]byte{})
	h := newHarness(f, Limits{MaxCallBytes: 1 << 12})
	f.Fuzz(func(t *testing.T, raw []byte) {
		res, err := h.a.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: raw, Type: abci.CheckTxType_New})
		if err != nil {
			t.Fatal(err)
		}
		if res.Code != CodeOK && (res.Codespace != Codespace || res.Log == "") {
			t.Fatalf("refusal without codespace or log: %+v", res)
		}
		fb, err := h.a.FinalizeBlock(context.Background(), &abci.RequestFinalizeBlock{Txs: [][]byte{raw}, Height: h.a.Height() + 1})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.a.Commit(context.Background(), &abci.RequestCommit{}); err != nil {
			t.Fatal(err)
		}
		o := outcome(t, fb.TxResults[0])
		switch {
		case fb.TxResults[0].Code == CodeOK && o.Status == StatusRefused,
			fb.TxResults[0].Code != CodeOK && o.Status != StatusRefused:
			t.Fatalf("code %d with status %s", fb.TxResults[0].Code, o.Status)
		}
	})
}

// TestJSWorkerFromGenesis checks that the JS engine is the genesis's, not
// the node's environment: a validator with $COOPER_JS_WORKER=wasm reaches
// the same app hash as one without, and a wasm chain (another metering)
// reaches another.
func TestJSWorkerFromGenesis(t *testing.T) {
	c := call(clientKey, 1, "bootstrap", "incr", 2.0)
	run := func(genesis []byte) []byte {
		h := newHarnessGenesis(t, genesis)
		res := h.block(c)
		if o := outcome(t, res.TxResults[0]); o.Status != StatusFulfilled || string(o.Result) != "2" {
			t.Fatalf("incr: %+v", o)
		}
		return res.AppHash
	}
	plain := run(testGenesis(t, Limits{}))
	t.Setenv(cooper.JSWorkerEnv, JSWorkerWasm)
	if got := run(testGenesis(t, Limits{})); !bytes.Equal(got, plain) {
		t.Fatalf("with $%s=wasm: app hash %X, without %X", cooper.JSWorkerEnv, got, plain)
	}
	if got := run(testGenesisWorker(t, Limits{}, JSWorkerWasm)); bytes.Equal(got, plain) {
		t.Fatalf("a wasm chain has the app hash of a goja chain: %X", got)
	}
}
