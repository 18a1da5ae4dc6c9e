// Package node sets up and runs CometBFT validators whose application is a
// Cooper kernel: the homes of a local test network, and one validator
// running in the foreground with the app in-process (a local ABCI client).
package node

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	cfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	"github.com/cometbft/cometbft/types"
	cmttime "github.com/cometbft/cometbft/types/time"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/cooper-kernel/cooper/chain/app"
	"github.com/cooper-kernel/cooper/chain/tx"
)

// ManifestName is the file in a testnet directory that lists its nodes.
const ManifestName = "testnet.json"

// ClientKeyName is the client key's file in a testnet directory.
const ClientKeyName = "client.key"

// Manifest describes a local test network: its chain and its nodes.
type Manifest struct {
	ChainID string `json:"chainId"`
	// AppHash is the app hash right after genesis (InitChain), hex.
	AppHash string     `json:"genesisAppHash"`
	Nodes   []NodeInfo `json:"nodes"`
}

// NodeInfo says where one validator lives and listens.
type NodeInfo struct {
	Home string `json:"home"` // relative to the testnet directory
	RPC  string `json:"rpc"`  // http://127.0.0.1:PORT
	P2P  string `json:"p2p"`  // 127.0.0.1:PORT
}

// TestnetOptions shape a test network.
type TestnetOptions struct {
	Validators int
	// ChainID defaults to "cooper-testnet".
	ChainID string
	// ClientKey is the key authorised in genesis; nil makes a new one.
	ClientKey ed25519.PrivateKey
	// BasePort, when set, gives node i the P2P port BasePort+2i and the RPC
	// port BasePort+2i+1; 0 picks free loopback ports.
	BasePort int
	Limits   app.Limits
	// Timeouts are the consensus timeouts (zero: ShortTimeouts).
	Timeouts Timeouts
	// LogLevel is CometBFT's log_level for every node (default "*:error").
	LogLevel string
	// JSWorker is the genesis's JS engine (default app.JSWorkerGoja).
	JSWorker string
}

// Timeouts are the consensus timeouts of a test network.
type Timeouts struct {
	Propose, Vote, Commit time.Duration
	// EmptyBlocks is how long an idle chain waits before an empty block.
	EmptyBlocks time.Duration
}

// ShortTimeouts suit a loopback network: a block in about a tenth of a
// second, a round with a dead proposer in about a second.
var ShortTimeouts = Timeouts{Propose: 800 * time.Millisecond, Vote: 150 * time.Millisecond, Commit: 100 * time.Millisecond, EmptyBlocks: time.Second}

// DefaultChainID names a test network's chain unless told otherwise.
const DefaultChainID = "cooper-testnet"

// Testnet creates a test network in dir (which must not exist or be
// empty): one home per validator (dir/node0, dir/node1, …), each with its
// CometBFT config, keys and the shared genesis, the client key
// dir/client.key authorised in genesis, and dir/testnet.json. Every address
// is on 127.0.0.1. The genesis carries the config at configPath with every
// bundle inline; Testnet builds the kernel once in a scratch directory to
// check it, as every validator will at InitChain.
func Testnet(dir, configPath string, o TestnetOptions) (*Manifest, error) {
	if o.Validators < 1 {
		return nil, fmt.Errorf("a testnet needs at least 1 validator, not %d", o.Validators)
	}
	if o.ChainID == "" {
		o.ChainID = DefaultChainID
	}
	if o.Timeouts == (Timeouts{}) {
		o.Timeouts = ShortTimeouts
	}
	if o.LogLevel == "" {
		o.LogLevel = "*:error"
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return nil, fmt.Errorf("%s is not empty", dir)
	}
	conf, err := app.InlineConfig(configPath)
	if err != nil {
		return nil, err
	}
	key := o.ClientKey
	if key == nil {
		key = tx.NewKey()
	}
	appState, err := json.MarshalIndent(app.AppState{
		Config:   conf,
		Callers:  []app.Caller{{Name: "client", PubKey: tx.PubKeyHex(key.Public().(ed25519.PublicKey))}},
		Limits:   o.Limits,
		JSWorker: o.JSWorker,
	}, "", "  ")
	if err != nil {
		return nil, err
	}
	genesisHash, err := dryRun(o.ChainID, appState)
	if err != nil {
		return nil, fmt.Errorf("genesis: %w", err)
	}
	ports, err := pickPorts(2*o.Validators, o.BasePort)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if err := tx.WriteKey(filepath.Join(dir, ClientKeyName), key); err != nil {
		return nil, err
	}
	m := &Manifest{ChainID: o.ChainID, AppHash: fmt.Sprintf("%X", genesisHash)}
	var vals []types.GenesisValidator
	var ids []p2p.ID
	for i := range o.Validators {
		n := NodeInfo{
			Home: fmt.Sprintf("node%d", i),
			P2P:  "127.0.0.1:" + strconv.Itoa(ports[2*i]),
			RPC:  "http://127.0.0.1:" + strconv.Itoa(ports[2*i+1]),
		}
		val, id, err := initHome(filepath.Join(dir, n.Home), i)
		if err != nil {
			return nil, err
		}
		vals, ids = append(vals, val), append(ids, id)
		m.Nodes = append(m.Nodes, n)
	}
	gen := &types.GenesisDoc{
		GenesisTime:     cmttime.Now(), // for CometBFT only: the kernel never sees it
		ChainID:         o.ChainID,
		InitialHeight:   1,
		ConsensusParams: types.DefaultConsensusParams(),
		Validators:      vals,
		AppState:        appState,
	}
	if err := gen.ValidateAndComplete(); err != nil {
		return nil, err
	}
	for i, n := range m.Nodes {
		home := filepath.Join(dir, n.Home)
		if err := gen.SaveAs(filepath.Join(home, "config", "genesis.json")); err != nil {
			return nil, err
		}
		c := nodeConfig(home, i, m, ids, o.Timeouts, o.LogLevel)
		if err := c.ValidateBasic(); err != nil {
			return nil, fmt.Errorf("node %d config: %w", i, err)
		}
		cfg.WriteConfigFile(filepath.Join(home, "config", "config.toml"), c)
	}
	b, _ := json.MarshalIndent(m, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, ManifestName), append(b, '\n'), 0o644); err != nil {
		return nil, err
	}
	return m, nil
}

// dryRun builds the genesis kernel in a scratch directory and returns its
// app hash: a config whose vats cannot start fails here, not on every
// validator.
func dryRun(chainID string, appState []byte) ([]byte, error) {
	tmp, err := os.MkdirTemp("", "cooperd-genesis-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	a, err := app.New(filepath.Join(tmp, "cooper"), app.Options{})
	if err != nil {
		return nil, err
	}
	defer a.Close()
	res, err := a.InitChain(context.Background(), &abci.RequestInitChain{ChainId: chainID, AppStateBytes: appState, InitialHeight: 1})
	if err != nil {
		return nil, err
	}
	return res.AppHash, nil
}

// initHome makes a validator's home: directories, validator key, node key.
func initHome(home string, i int) (types.GenesisValidator, p2p.ID, error) {
	for _, d := range []string{"config", "data"} {
		if err := os.MkdirAll(filepath.Join(home, d), 0o700); err != nil {
			return types.GenesisValidator{}, "", err
		}
	}
	c := cfg.DefaultConfig()
	c.SetRoot(home)
	pv := privval.GenFilePV(c.PrivValidatorKeyFile(), c.PrivValidatorStateFile())
	pv.Save()
	nk, err := p2p.LoadOrGenNodeKey(c.NodeKeyFile())
	if err != nil {
		return types.GenesisValidator{}, "", err
	}
	pk, err := pv.GetPubKey()
	if err != nil {
		return types.GenesisValidator{}, "", err
	}
	return types.GenesisValidator{Address: pk.Address(), PubKey: pk, Power: 1, Name: fmt.Sprintf("node%d", i)}, nk.ID(), nil
}

// nodeConfig is node i's CometBFT config: loopback addresses, every other
// node a persistent peer, short timeouts, quiet logs.
func nodeConfig(home string, i int, m *Manifest, ids []p2p.ID, t Timeouts, logLevel string) *cfg.Config {
	c := cfg.DefaultConfig()
	c.SetRoot(home)
	c.Moniker = fmt.Sprintf("node%d", i)
	c.LogLevel = logLevel
	c.P2P.ListenAddress = "tcp://" + m.Nodes[i].P2P
	c.RPC.ListenAddress = "tcp://" + m.Nodes[i].RPC[len("http://"):]
	var peers []string
	for j, n := range m.Nodes {
		if j != i {
			peers = append(peers, p2p.IDAddressString(ids[j], n.P2P))
		}
	}
	c.P2P.PersistentPeers = strings.Join(peers, ",")
	c.P2P.AddrBookStrict = false
	c.P2P.AllowDuplicateIP = true
	c.P2P.PexReactor = false
	c.P2P.FlushThrottleTimeout = 10 * time.Millisecond
	c.P2P.DialTimeout = time.Second
	c.Consensus.TimeoutPropose = t.Propose
	c.Consensus.TimeoutProposeDelta = t.Vote
	c.Consensus.TimeoutPrevote = t.Vote
	c.Consensus.TimeoutPrevoteDelta = t.Vote
	c.Consensus.TimeoutPrecommit = t.Vote
	c.Consensus.TimeoutPrecommitDelta = t.Vote
	c.Consensus.TimeoutCommit = t.Commit
	c.Consensus.CreateEmptyBlocks = true
	c.Consensus.CreateEmptyBlocksInterval = t.EmptyBlocks
	c.Consensus.PeerGossipSleepDuration = 10 * time.Millisecond
	c.Instrumentation.Prometheus = false
	return c
}

// pickPorts returns n loopback ports: from base on when base > 0, else
// free ports below Linux's default ephemeral range (32768 and up), so an
// outgoing connection cannot take one before its node binds it. Each is
// held open until all are chosen, so none is picked twice.
func pickPorts(n, base int) ([]int, error) {
	ports := make([]int, n)
	if base > 0 {
		for i := range ports {
			ports[i] = base + i
		}
		return ports, nil
	}
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for i := range ports {
		l, err := listenFree()
		if err != nil {
			return nil, fmt.Errorf("pick a free port: %w", err)
		}
		ls = append(ls, l)
		ports[i] = l.Addr().(*net.TCPAddr).Port
	}
	return ports, nil
}

// listenFree listens on a free loopback port in [20000, 32000), or on one
// the kernel picks when that range looks full.
func listenFree() (net.Listener, error) {
	for range 200 {
		port := 20000 + rand.IntN(12000)
		if l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port)); err == nil {
			return l, nil
		}
	}
	return net.Listen("tcp", "127.0.0.1:0")
}

// ReadManifest reads dir/testnet.json.
func ReadManifest(dir string) (*Manifest, error) {
	data, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s is not a testnet directory (no %s; make one with cooperd testnet)", dir, ManifestName)
	}
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, ManifestName), err)
	}
	if len(m.Nodes) == 0 {
		return nil, fmt.Errorf("%s lists no nodes", filepath.Join(dir, ManifestName))
	}
	return &m, nil
}
