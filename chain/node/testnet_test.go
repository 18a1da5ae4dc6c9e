package node

import (
	"crypto/ed25519"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cometbft/cometbft/types"

	"github.com/cooper-kernel/cooper/chain/app"
	"github.com/cooper-kernel/cooper/chain/tx"
)

const testConfig = "../testdata/counter/config.json"

// TestTestnet checks the homes, genesis, configs and manifest a testnet
// gets, as CometBFT and cooperd start will read them.
func TestTestnet(t *testing.T) {
	dir := t.TempDir()
	key := tx.NewKey()
	o := TestnetOptions{Validators: 3, ClientKey: key, BasePort: 24100, JSWorker: app.JSWorkerGoja,
		Limits: app.Limits{BlockCranks: 7}, Timeouts: Timeouts{Propose: time.Second, Vote: 200 * time.Millisecond, Commit: 50 * time.Millisecond, EmptyBlocks: 2 * time.Second}}
	m, err := Testnet(dir, testConfig, o)
	if err != nil {
		t.Fatal(err)
	}
	read, err := ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if read.ChainID != DefaultChainID || len(read.Nodes) != 3 || read.AppHash != m.AppHash || len(m.AppHash) != 64 {
		t.Fatalf("manifest %+v, returned %+v", read, m)
	}
	if k, err := tx.ReadKey(filepath.Join(dir, ClientKeyName)); err != nil || !k.Equal(key) {
		t.Fatalf("client key: %v", err)
	}
	var genesisHash string
	for i, n := range m.Nodes {
		if want := "127.0.0.1:" + strconv.Itoa(24100+2*i); n.P2P != want || n.RPC != "http://127.0.0.1:"+strconv.Itoa(24101+2*i) {
			t.Fatalf("node%d: %+v", i, n)
		}
		home := filepath.Join(dir, n.Home)
		c, err := LoadConfig(home)
		if err != nil {
			t.Fatal(err)
		}
		if c.Consensus.TimeoutCommit != o.Timeouts.Commit || c.Consensus.TimeoutPropose != o.Timeouts.Propose ||
			c.Consensus.CreateEmptyBlocksInterval != o.Timeouts.EmptyBlocks || c.LogLevel != "*:error" {
			t.Fatalf("node%d consensus config: %+v, log %q", i, c.Consensus, c.LogLevel)
		}
		if peers := strings.Split(c.P2P.PersistentPeers, ","); len(peers) != 2 || strings.Contains(c.P2P.PersistentPeers, n.P2P) {
			t.Fatalf("node%d peers: %q", i, c.P2P.PersistentPeers)
		}
		gen, err := types.GenesisDocFromFile(c.GenesisFile())
		if err != nil {
			t.Fatal(err)
		}
		if len(gen.Validators) != 3 || gen.ChainID != DefaultChainID {
			t.Fatalf("node%d genesis: %d validators, chain %q", i, len(gen.Validators), gen.ChainID)
		}
		st, _, err := app.ParseAppState(gen.AppState)
		if err != nil {
			t.Fatal(err)
		}
		if st.Limits.BlockCranks != 7 || len(st.Callers) != 1 || st.Callers[0].PubKey != tx.PubKeyHex(key.Public().(ed25519.PublicKey)) {
			t.Fatalf("node%d app state: %+v", i, st)
		}
		if i > 0 && st.Hash() != genesisHash {
			t.Fatalf("node%d has another genesis app state", i)
		}
		genesisHash = st.Hash()
	}

	if _, err := Testnet(dir, testConfig, o); err == nil || !strings.Contains(err.Error(), "is not empty") {
		t.Fatalf("testnet into a used directory: %v", err)
	}
	if _, err := Testnet(t.TempDir(), testConfig, TestnetOptions{}); err == nil || !strings.Contains(err.Error(), "at least 1 validator") {
		t.Fatalf("testnet of 0 validators: %v", err)
	}
	if _, err := ReadManifest(t.TempDir()); err == nil || !strings.Contains(err.Error(), "not a testnet directory") {
		t.Fatalf("ReadManifest of an empty directory: %v", err)
	}
}
