// Package client sends signed calls to a Cooper chain through a node's
// CometBFT RPC and reads their outcomes back.
package client

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"

	"github.com/cooper-kernel/cooper/capdata"
	"github.com/cooper-kernel/cooper/chain/app"
	"github.com/cooper-kernel/cooper/chain/tx"
)

// Client talks to one node for one key.
type Client struct {
	rpc     *rpchttp.HTTP
	key     ed25519.PrivateKey
	chainID string
}

// New returns a client of the node whose RPC listens at url
// (http://127.0.0.1:26657), signing with key for chainID.
func New(url string, key ed25519.PrivateKey, chainID string) (*Client, error) {
	c, err := rpchttp.NewWithTimeout(url, "/websocket", 10)
	if err != nil {
		return nil, err
	}
	return &Client{rpc: c, key: key, chainID: chainID}, nil
}

// RefusedError says why a node refused a call in CheckTx.
type RefusedError struct {
	Code uint32
	Log  string
}

// Error says why the node refused the call.
func (e *RefusedError) Error() string {
	return fmt.Sprintf("refused (code %d, %s): %s", e.Code, CodeName(e.Code), e.Log)
}

// CodeName names the app's result codes.
func CodeName(code uint32) string {
	switch code {
	case app.CodeOK:
		return "ok"
	case app.CodeMalformed:
		return "malformed"
	case app.CodeTooLarge:
		return "too large"
	case app.CodeBadSignature:
		return "bad signature"
	case app.CodeUnknownKey:
		return "unknown key"
	case app.CodeReplayedNonce:
		return "replayed nonce"
	case app.CodeUnknownVat:
		return "unknown vat"
	case app.CodeNotAllowed:
		return "not allowed"
	case app.CodeBadArgs:
		return "bad args"
	case app.CodeKernel:
		return "kernel"
	case app.CodeNonceGap:
		return "nonce gap"
	}
	return "unknown code"
}

// Sign returns the signed transaction of a call.
func (c *Client) Sign(vatName, method string, args []capdata.Value, nonce uint64) ([]byte, error) {
	body, err := app.EncodeArgs(args)
	if err != nil {
		return nil, err
	}
	return tx.Sign(c.key, c.chainID, tx.Call{Vat: vatName, Method: method, Args: body, Nonce: nonce}).Encode(), nil
}

// Broadcast submits a transaction and waits for the node's CheckTx; it
// returns the transaction hash, or a *RefusedError.
func (c *Client) Broadcast(ctx context.Context, raw []byte) (string, error) {
	res, err := c.rpc.BroadcastTxSync(ctx, raw)
	if err != nil {
		return "", fmt.Errorf("broadcast: %w", err)
	}
	if res.Code != app.CodeOK {
		return "", &RefusedError{Code: res.Code, Log: res.Log}
	}
	return tx.Hash(raw), nil
}

// NextNonce returns the key's next nonce: its last accepted nonce plus one.
func (c *Client) NextNonce(ctx context.Context) (uint64, error) {
	n, err := c.lastNonce(ctx)
	return n + 1, err
}

// lastNonce returns the key's last accepted nonce as of the node's last commit.
func (c *Client) lastNonce(ctx context.Context) (uint64, error) {
	var r struct {
		Nonce uint64 `json:"nonce"`
	}
	if err := c.query(ctx, app.PathNonce+tx.PubKeyHex(c.key.Public().(ed25519.PublicKey)), &r); err != nil {
		return 0, err
	}
	return r.Nonce, nil
}

// ErrNotFound is returned by Result for a call not in a committed block.
var ErrNotFound = errors.New("client: call not found")

// Result returns a call's outcome as of the node's last commit.
func (c *Client) Result(ctx context.Context, hash string) (*app.CallResult, error) {
	var r app.CallResult
	err := c.query(ctx, app.PathCallResult+hash, &r)
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// Wait polls a call's outcome until it is settled or refused, or pending
// with nothing left on the run queue (only a later call can settle it
// then), or ctx ends.
func (c *Client) Wait(ctx context.Context, hash string) (*app.CallResult, error) {
	return c.wait(ctx, hash, 0)
}

// ErrSuperseded is returned by WaitCall when another call of the same key
// used the call's nonce first: the call will never run.
var ErrSuperseded = errors.New("client: the call's nonce was used by another call")

// WaitCall is Wait for a call of this client's key signed with nonce: it
// also stops, with ErrSuperseded, once the node's committed state shows the
// nonce used but no outcome for the call (another call took the nonce, or
// the node that admitted it was behind and dropped it later).
func (c *Client) WaitCall(ctx context.Context, hash string, nonce uint64) (*app.CallResult, error) {
	return c.wait(ctx, hash, nonce)
}

func (c *Client) wait(ctx context.Context, hash string, nonce uint64) (*app.CallResult, error) {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		// The nonce is read before the result: the block that used the
		// nonce for this call also wrote its outcome.
		var used uint64
		var err error
		if nonce > 0 {
			if used, err = c.lastNonce(ctx); err != nil {
				return nil, err
			}
		}
		r, err := c.Result(ctx, hash)
		switch {
		case errors.Is(err, ErrNotFound):
			if nonce > 0 && used >= nonce {
				return nil, fmt.Errorf("call %s with nonce %d: %w", hash, nonce, ErrSuperseded)
			}
		case err != nil:
			return nil, err
		case r.Status != app.StatusPending:
			return r, nil
		case r.RunQueue != nil && *r.RunQueue == 0:
			return r, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("call %s: %w", hash, ctx.Err())
		case <-tick.C:
		}
	}
}

// Query runs an ABCI query and decodes its JSON answer into v.
func (c *Client) Query(ctx context.Context, path string, v any) error { return c.query(ctx, path, v) }

func (c *Client) query(ctx context.Context, path string, v any) error {
	res, err := c.rpc.ABCIQuery(ctx, path, nil)
	if err != nil {
		return fmt.Errorf("query %s: %w", path, err)
	}
	if res.Response.Code == app.CodeNotFound && strings.HasPrefix(path, app.PathCallResult) {
		return ErrNotFound
	}
	if res.Response.Code != app.CodeOK {
		return fmt.Errorf("query %s: code %d: %s", path, res.Response.Code, res.Response.Log)
	}
	return json.Unmarshal(res.Response.Value, v)
}

// Info is a node's view of its app: the last committed height and app hash.
type Info struct {
	Height  int64
	AppHash string // upper-case hex
}

// Info asks the node for its app's last committed height and app hash
// (ABCI Info, the app's own answer, not the block header's).
func (c *Client) Info(ctx context.Context) (Info, error) {
	res, err := c.rpc.ABCIInfo(ctx)
	if err != nil {
		return Info{}, err
	}
	return Info{Height: res.Response.LastBlockHeight, AppHash: fmt.Sprintf("%X", res.Response.LastBlockAppHash)}, nil
}
