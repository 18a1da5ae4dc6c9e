// Package app is Cooper as an ABCI 2.0 application: a kernel replicated by
// CometBFT validators, driven by signed calls.
//
// Each validator runs one App on its own kernel directory. The App sees
// only what consensus agreed on — the genesis app state, the order of
// transactions in blocks, the height — never the block time, the node's
// clock or its settings, so every validator's kernel goes through the same
// cranks and reaches the same activity hash.
//
//	InitChain      build the kernel from the genesis config, run the bootstrap
//	CheckTx        decode, size, signature, key, nonce, vat, grant, arguments
//	FinalizeBlock  queue each accepted call, run the kernel under the block's
//	               crank/computron budget, settle the calls whose results are in
//	Commit         commit the kernel's SQLite block (host keys included)
//	Info           the last committed height and app hash, from the kernel DB
//	Query          /cooper/call-result/<txhash>, /cooper/dump/<prefix>,
//	               /cooper/vats, /cooper/nonce/<pubkey>
//
// The host's own state lives in the kernel DB under host.* keys, written in
// the same SQLite transaction as the kernel block, so a crash can never
// separate the chain height from the kernel state:
//
//	host.height           last committed height
//	host.appHash          app hash after it (hex)
//	host.hostHash         running hash of the consensus host.* changes
//	host.chainID          the chain ID calls are signed for
//	host.params           callers, grants, limits and bootstrap vat (JSON)
//	host.genesisHash      SHA-256 of the canonical genesis app state
//	host.nonce.<pubkey>   the key's last accepted nonce
//	host.call.<txhash>    the call's outcome (JSON, see [Outcome]), heights left out
//	host.callHeights.<txhash>  "H S": the block that carried the call, the one that settled it
//	host.pending.<seq>    txhash of a call whose result is not in yet
//	host.seq              last pending sequence number
//
// The app hash is SHA-256("cooper/apphash/v1\n" + activityhash + "\n" +
// hostHash + "\n"): the kernel's activity hash (every crank's consensus
// changes) folded with the running hash of the host's consensus changes
// (nonces, outcomes). It leaves out heights on purpose (host.height,
// host.appHash, host.callHeights.* are not hashed): a block that
// changes nothing leaves the app hash alone, so two networks fed the same
// calls, one block each, end with the same app hash however many empty
// blocks they made, and CometBFT (which makes a block when the app hash
// moved) keeps making blocks while the kernel has queued work.
package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/cooper-kernel/cooper"
	"github.com/cooper-kernel/cooper/kernel"
	"github.com/cooper-kernel/cooper/store"
	"github.com/cooper-kernel/cooper/worker/gonative"
)

// Host keys (see the package documentation).
const (
	keyHeight        = "host.height"
	keyAppHash       = "host.appHash"
	keyHostHash      = "host.hostHash"
	keyChainID       = "host.chainID"
	keyParams        = "host.params"
	keyGenesisHash   = "host.genesisHash"
	keyNoncePrefix   = "host.nonce."
	keyCallPrefix    = "host.call."
	keyHeightsPrefix = "host.callHeights."
	keyPendingPrefix = "host.pending."
	keySeq           = "host.seq"
)

// AppVersion is the version of the state machine, reported by Info.
const AppVersion = 1

// params is what the App needs from the genesis after a restart.
type params struct {
	Bootstrap string   `json:"bootstrap"`
	Callers   []Caller `json:"callers"`
	Limits    Limits   `json:"limits"`
	// JSWorker is the engine of JS vats (absent in kernels made before it
	// was a genesis setting: goja).
	JSWorker string `json:"jsWorker,omitempty"`
}

// Options configure an App.
type Options struct {
	// Logger receives the App's own log lines; nil discards them.
	Logger *slog.Logger
	// Store configures SQLite; node-local, it does not change results.
	Store store.Options
	// GoVats adds Go vats to the built-in ones; every validator must have
	// the same.
	GoVats gonative.Registry
}

// App is one validator's Cooper state machine. CometBFT's local client
// calls it from one goroutine at a time; App is not safe for concurrent use
// otherwise.
type App struct {
	abci.BaseApplication

	dir  string
	opts Options
	log  *slog.Logger

	k       *kernel.Kernel // nil before InitChain
	params  params
	callers callers
	chainID string

	height  int64  // last committed height
	appHash []byte // app hash after it

	// The block between FinalizeBlock and Commit.
	pendingHeight  int64
	pendingAppHash []byte
	changes        hash.Hash // consensus host.* changes of the block
	changed        bool

	// mempool remembers nonces of calls CheckTx admitted since the last
	// commit (key → nonces), so a second call with the same nonce waits
	// out of the mempool.
	mempool map[string]map[uint64]bool

	// signed holds the SHA-256 of calls whose signature CheckTx verified,
	// so FinalizeBlock need not verify them again (verifying is a pure
	// function of the bytes and the chain ID: node-local, like the mempool).
	signed map[[32]byte]struct{}

	view *view // read-only view of the last commit, for queries
}

// New opens the App whose kernel lives in dir (created at InitChain when
// absent).
func New(dir string, opts Options) (*App, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	a := &App{dir: dir, opts: opts, log: opts.Logger, changes: sha256.New(), mempool: map[string]map[uint64]bool{}, signed: map[[32]byte]struct{}{}}
	if !kernel.Exists(dir) {
		return a, nil
	}
	if err := a.open(); err != nil {
		return nil, err
	}
	a.log.Info("kernel restored", "height", a.height, "appHash", fmt.Sprintf("%X", a.appHash))
	return a, nil
}

// open restarts the kernel in a.dir and loads the host state.
func (a *App) open() error {
	p, err := readParams(a.dir)
	if err != nil {
		return err
	}
	k, err := cooper.Open(a.dir, a.kernelOptions(p))
	if err != nil {
		return fmt.Errorf("open kernel %s: %w", a.dir, err)
	}
	a.k = k
	a.setParams(p)
	a.chainID = a.get(keyChainID)
	a.height, err = strconv.ParseInt(a.get(keyHeight), 10, 64)
	if err != nil {
		k.Close()
		a.k = nil
		return fmt.Errorf("%s: %s = %q: %w", a.dir, keyHeight, a.get(keyHeight), err)
	}
	a.appHash, _ = hex.DecodeString(a.get(keyAppHash))
	return nil
}

// readParams reads host.params without starting the kernel, so a
// directory that is not a cooperd kernel is refused before any vat starts.
func readParams(dir string) (params, error) {
	var p params
	d, err := openView(dir)
	if err != nil {
		return p, err
	}
	defer d.Close()
	raw, ok := d.Store().Get(keyParams)
	if !ok {
		return p, fmt.Errorf("%s holds a kernel but no %s: not a cooperd kernel, or its InitChain did not finish", dir, keyParams)
	}
	if err := json.Unmarshal([]byte(raw), &p); err != nil {
		return p, fmt.Errorf("%s: %s: %w", dir, keyParams, err)
	}
	return p, nil
}

func (a *App) setParams(p params) {
	a.params = p
	a.callers = indexCallers(p.Callers)
}

// kernelOptions are the kernel's options on this validator. The JS engine
// comes from the genesis, never from the node's environment
// ($COOPER_JS_WORKER): engines meter differently, so validators must agree.
func (a *App) kernelOptions(p params) cooper.Options {
	worker := p.JSWorker
	if worker == "" {
		worker = JSWorkerGoja
	}
	return cooper.Options{
		JSWorker: worker,
		GoVats:   a.opts.GoVats,
		Store:    a.opts.Store,
		Console: func(vatName, level, line string) {
			a.log.Debug("vat console", "vat", vatName, "level", level, "line", line)
		},
	}
}

// Close stops the kernel, discarding a block that was not committed.
func (a *App) Close() error {
	a.closeView()
	if a.k == nil {
		return nil
	}
	err := a.k.Close()
	a.k = nil
	return err
}

// Height returns the last committed height.
func (a *App) Height() int64 { return a.height }

// AppHash returns the app hash after the last committed height.
func (a *App) AppHash() []byte { return a.appHash }

// get reads a key of the kernel DB, "" when absent.
func (a *App) get(key string) string {
	v, _ := a.k.Store().Get(key)
	return v
}

// hostSet writes a consensus host key into the open block and the block's
// host hash.
func (a *App) hostSet(key, value string) error {
	a.changes.Write([]byte("add\n" + key + "\n" + value + "\n"))
	a.changed = true
	return a.k.Store().HostSet(key, value)
}

// hostDelete removes a consensus host key in the open block.
func (a *App) hostDelete(key string) error {
	a.changes.Write([]byte("delete\n" + key + "\n"))
	a.changed = true
	return a.k.Store().HostDelete(key)
}

// finishBlock folds the block's host changes into the host hash, computes
// the app hash and records height and app hash in the open block.
func (a *App) finishBlock(height int64) ([]byte, error) {
	hostHash := a.get(keyHostHash)
	if a.changed {
		sum := sha256.Sum256([]byte("cooper/host/v1\n" + hostHash + "\n" + hex.EncodeToString(a.changes.Sum(nil)) + "\n"))
		hostHash = hex.EncodeToString(sum[:])
		if err := a.k.Store().HostSet(keyHostHash, hostHash); err != nil {
			return nil, err
		}
	}
	a.changes.Reset()
	a.changed = false
	appHash := AppHashOf(a.k.Store().ActivityHash(), hostHash)
	if err := a.k.Store().HostSet(keyHeight, strconv.FormatInt(height, 10)); err != nil {
		return nil, err
	}
	if err := a.k.Store().HostSet(keyAppHash, hex.EncodeToString(appHash)); err != nil {
		return nil, err
	}
	a.pendingHeight, a.pendingAppHash = height, appHash
	return appHash, nil
}

// AppHashOf is the app hash of a kernel activity hash and a host hash.
func AppHashOf(activityHash, hostHash string) []byte {
	sum := sha256.Sum256([]byte("cooper/apphash/v1\n" + activityHash + "\n" + hostHash + "\n"))
	return sum[:]
}

// Info reports the last committed height and app hash, read from the
// kernel DB: CometBFT replays the blocks after it.
func (a *App) Info(context.Context, *abci.RequestInfo) (*abci.ResponseInfo, error) {
	return &abci.ResponseInfo{
		Data:             "cooper",
		Version:          "cooperd/1",
		AppVersion:       AppVersion,
		LastBlockHeight:  a.height,
		LastBlockAppHash: a.appHash,
	}, nil
}

// InitChain builds the kernel from the genesis app state and runs the
// bootstrap (under the block budget; the rest runs in the first blocks).
// The kernel is built in a scratch directory and renamed into place once
// committed, so a crash leaves either no kernel or a whole one; called
// again on a kernel it already built (CometBFT does so until block 1 is
// committed), it checks the genesis and answers as before.
func (a *App) InitChain(_ context.Context, req *abci.RequestInitChain) (*abci.ResponseInitChain, error) {
	st, kc, err := ParseAppState(req.AppStateBytes)
	if err != nil {
		return nil, err
	}
	if a.k != nil {
		if a.height != 0 || a.chainID != req.ChainId || a.get(keyGenesisHash) != st.Hash() {
			return nil, fmt.Errorf("InitChain: %s already holds the kernel of another genesis or chain (chain %q, height %d)", a.dir, a.chainID, a.height)
		}
		return &abci.ResponseInitChain{AppHash: a.appHash}, nil
	}
	p := params{Bootstrap: kc.Bootstrap, Callers: st.Callers, Limits: st.Limits, JSWorker: st.JSWorker}
	tmp := a.dir + ".init"
	if err := os.RemoveAll(tmp); err != nil {
		return nil, err
	}
	k, err := cooper.Create(tmp, kc, a.kernelOptions(p))
	if err != nil {
		return nil, fmt.Errorf("InitChain: create kernel: %w", err)
	}
	a.k = k
	a.setParams(p)
	a.chainID = req.ChainId
	appHash, err := a.initialize(st, p)
	if err == nil {
		err = k.Commit()
	}
	if cerr := k.Close(); err == nil {
		err = cerr
	}
	a.k = nil
	if err != nil {
		return nil, fmt.Errorf("InitChain: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(a.dir), 0o755); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, a.dir); err != nil {
		return nil, fmt.Errorf("InitChain: %w", err)
	}
	syncDir(filepath.Dir(a.dir))
	if err := a.open(); err != nil {
		return nil, err
	}
	a.log.Info("kernel created from genesis", "chain", req.ChainId, "appHash", fmt.Sprintf("%X", appHash))
	return &abci.ResponseInitChain{AppHash: appHash}, nil
}

// initialize writes the genesis host keys and runs the bootstrap.
func (a *App) initialize(st *AppState, p params) ([]byte, error) {
	pj, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	for _, kv := range [][2]string{{keyChainID, a.chainID}, {keyParams, string(pj)}, {keyGenesisHash, st.Hash()}} {
		if err := a.hostSet(kv[0], kv[1]); err != nil {
			return nil, err
		}
	}
	if err := a.runKernel(); err != nil {
		return nil, err
	}
	return a.finishBlock(0)
}

// syncDir makes a rename in dir durable (best effort: not every file
// system can sync a directory).
func syncDir(dir string) {
	if f, err := os.Open(dir); err == nil {
		f.Sync()
		f.Close()
	}
}

// runKernel runs the kernel under the block budget.
func (a *App) runKernel() error {
	if a.k.RunQueueLength() == 0 {
		return nil
	}
	_, err := a.k.Run(budget(a.params.Limits))
	if err != nil {
		return fmt.Errorf("kernel stopped: %w", err)
	}
	return nil
}

// budget is a block's run policy: at most BlockCranks cranks and, once the
// deliveries have used BlockComputrons, no more. Both counts come from the
// kernel's deterministic crank results, so every validator stops at the
// same crank.
func budget(l Limits) kernel.Policy {
	cranks, computrons := 0, uint64(0)
	return kernel.PolicyFunc(func(c kernel.CrankInfo) bool {
		cranks++
		computrons += c.Computrons
		return cranks < l.BlockCranks && computrons < l.BlockComputrons
	})
}

// Commit makes the block durable: the kernel's cranks and the host keys
// (height, app hash, nonces, outcomes) in one SQLite transaction.
func (a *App) Commit(context.Context, *abci.RequestCommit) (*abci.ResponseCommit, error) {
	if a.k == nil || a.pendingAppHash == nil {
		return nil, errors.New("commit without a finalized block")
	}
	if err := a.k.Commit(); err != nil {
		return nil, fmt.Errorf("commit height %d: %w", a.pendingHeight, err)
	}
	a.height, a.appHash = a.pendingHeight, a.pendingAppHash
	a.pendingAppHash = nil
	a.closeView()
	clear(a.mempool)
	return &abci.ResponseCommit{}, nil
}
