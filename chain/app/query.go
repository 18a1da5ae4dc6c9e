package app

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/cooper-kernel/cooper/chain/tx"
	"github.com/cooper-kernel/cooper/kernel"
	"github.com/cooper-kernel/cooper/kernel/state"
	"github.com/cooper-kernel/cooper/store"
	"github.com/cooper-kernel/cooper/vat"
)

// Codes of Query answers (codespace [Codespace]).
const (
	CodeNotFound uint32 = 20 // no such call, or the chain has not started
	CodeBadQuery uint32 = 21 // unknown path or bad argument
	CodeTooMuch  uint32 = 22 // a dump of more than MaxDumpKeys keys
)

// MaxDumpKeys bounds the keys one /cooper/dump answer holds.
const MaxDumpKeys = 10_000

// Query paths.
const (
	PathCallResult = "/cooper/call-result/" // + txhash (hex, any case)
	PathDump       = "/cooper/dump/"        // + key prefix
	PathVats       = "/cooper/vats"
	PathNonce      = "/cooper/nonce/" // + public key hex
)

// CallResult answers /cooper/call-result: the call's outcome and, for a
// pending call, how much work waits on the kernel's run queue (0: the
// result will only come in if a later call settles it).
type CallResult struct {
	Outcome
	RunQueue *uint64 `json:"runQueue,omitempty"`
}

// VatInfo is one entry of the /cooper/vats answer.
type VatInfo struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Static bool   `json:"static"`
	Live   bool   `json:"live"`
}

// Query answers read-only questions from the last committed state (a
// separate read-only connection to the kernel DB, so a block being
// finalized is never seen half-way). The answer's Value is JSON.
func (a *App) Query(_ context.Context, req *abci.RequestQuery) (resp *abci.ResponseQuery, err error) {
	defer func() {
		if r := recover(); r != nil { // a read error in the store layer
			a.closeView()
			resp = &abci.ResponseQuery{Code: CodeNotFound, Codespace: Codespace, Log: fmt.Sprint(r)}
		}
	}()
	if a.k == nil {
		return queryErr(CodeNotFound, "the chain has not started"), nil
	}
	d, err := a.openView()
	if err != nil {
		return queryErr(CodeNotFound, err.Error()), nil
	}
	var v any
	code, log := CodeOK, ""
	switch p := req.Path; {
	case strings.HasPrefix(p, PathCallResult):
		v, code, log = queryCallResult(d, strings.TrimPrefix(p, PathCallResult))
	case strings.HasPrefix(p, PathDump) || p == strings.TrimSuffix(PathDump, "/"):
		v, code, log = queryDump(d, strings.TrimPrefix(strings.TrimPrefix(p, strings.TrimSuffix(PathDump, "/")), "/"))
	case p == PathVats:
		v = queryVats(d)
	case strings.HasPrefix(p, PathNonce):
		v, code, log = queryNonce(d, strings.TrimPrefix(p, PathNonce))
	default:
		return queryErr(CodeBadQuery, fmt.Sprintf("unknown query path %q (try %scall-result/<txhash>, %s<prefix>, %s, %s<pubkey>)",
			p, "/cooper/", PathDump, PathVats, PathNonce)), nil
	}
	if code != CodeOK {
		return queryErr(code, log), nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return queryErr(CodeBadQuery, err.Error()), nil
	}
	return &abci.ResponseQuery{Code: CodeOK, Value: b, Height: a.height}, nil
}

func queryErr(code uint32, log string) *abci.ResponseQuery {
	return &abci.ResponseQuery{Code: code, Codespace: Codespace, Log: log}
}

func queryCallResult(d *view, hash string) (any, uint32, string) {
	hash = strings.ToUpper(hash)
	o, ok, err := outcomeFrom(d.Store().Get, hash)
	if !ok {
		return nil, CodeNotFound, fmt.Sprintf("no call %s in a committed block", hash)
	}
	if err != nil {
		return nil, CodeNotFound, err.Error()
	}
	r := CallResult{Outcome: *o}
	if r.Status == StatusPending {
		n := d.State().RunQueueLength()
		r.RunQueue = &n
	}
	return r, CodeOK, ""
}

func queryDump(d *view, prefix string) (any, uint32, string) {
	keys := d.Store().KeysWithPrefix(prefix)
	if len(keys) > MaxDumpKeys {
		return nil, CodeTooMuch, fmt.Sprintf("%d keys start with %q, at most %d per query: give a longer prefix", len(keys), prefix, MaxDumpKeys)
	}
	out := make(map[string]string, len(keys))
	for _, k := range keys {
		out[k], _ = d.Store().Get(k)
	}
	return out, CodeOK, ""
}

func queryVats(d *view) []VatInfo {
	st := d.State()
	static := map[vat.ID]bool{}
	for _, name := range st.StaticVatNames() {
		if id, ok := st.VatIDByName(name); ok {
			static[id] = true
		}
	}
	var out []VatInfo
	add := func(id vat.ID, live bool) {
		info := VatInfo{ID: string(id), Static: static[id], Live: live}
		if o, err := st.VatOptions(id); err == nil {
			info.Name = o.Name
		}
		out = append(out, info)
	}
	for _, id := range st.LiveVats() {
		add(id, true)
	}
	for _, id := range st.TerminatedVats() {
		add(id, false)
	}
	return out
}

func queryNonce(d *view, key string) (any, uint32, string) {
	pk, err := tx.ParsePubKey(key)
	if err != nil {
		return nil, CodeBadQuery, err.Error()
	}
	v, _ := d.Store().Get(keyNoncePrefix + tx.PubKeyHex(pk))
	if v == "" {
		v = "0"
	}
	return map[string]json.Number{"nonce": json.Number(v)}, CodeOK, ""
}

// openView returns the read-only view of the last commit, opening it once
// per block.
func (a *App) openView() (*view, error) {
	if a.view == nil {
		d, err := openView(a.dir)
		if err != nil {
			return nil, err
		}
		a.view = d
	}
	return a.view, nil
}

func (a *App) closeView() {
	if a.view != nil {
		a.view.Close()
		a.view = nil
	}
}

// view is a read-only connection to a kernel DB: it sees the last commit
// only, so a block being finalized is never seen half-way.
type view struct{ st *store.Store }

// openView opens the kernel DB in dir read-only.
func openView(dir string) (*view, error) {
	st, err := store.Open(filepath.Join(dir, kernel.DBName), store.Options{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	return &view{st: st}, nil
}

func (v *view) Close() error        { return v.st.Close() }
func (v *view) Store() *store.Store { return v.st }
func (v *view) State() *state.State { return state.New(v.st) }
