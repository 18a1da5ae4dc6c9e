package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cooper-kernel/cooper"
	"github.com/cooper-kernel/cooper/capdata"
	"github.com/cooper-kernel/cooper/chain/app"
	"github.com/cooper-kernel/cooper/chain/client"
	"github.com/cooper-kernel/cooper/chain/node"
	"github.com/cooper-kernel/cooper/chain/tx"
)

// These tests run real networks: each validator is a separate cooperd
// process on 127.0.0.1, built from this package by TestMain.

var binPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "cooperd-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binPath = filepath.Join(dir, "cooperd")
	out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "go build cooperd: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const testConfig = "../../testdata/counter/config.json"

// startMu serialises creating networks and bringing them up, so two tests
// never pick the same free port before their nodes bind it.
var startMu sync.Mutex

// network is a test network of cooperd processes.
type network struct {
	t     *testing.T
	dir   string
	m     *node.Manifest
	key   ed25519.PrivateKey
	procs []*exec.Cmd
	nonce uint64
}

// newNetwork creates a testnet with n validators and starts them all.
func newNetwork(t *testing.T, n int, extra ...string) *network {
	t.Helper()
	startMu.Lock()
	defer startMu.Unlock()
	dir := t.TempDir()
	args := append([]string{"testnet", dir, testConfig, "--validators", fmt.Sprint(n)}, extra...)
	if out, err := exec.Command(binPath, args...).CombinedOutput(); err != nil {
		t.Fatalf("cooperd testnet: %v\n%s", err, out)
	}
	m, err := node.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	key, err := tx.ReadKey(filepath.Join(dir, node.ClientKeyName))
	if err != nil {
		t.Fatal(err)
	}
	net := &network{t: t, dir: dir, m: m, key: key, procs: make([]*exec.Cmd, n)}
	t.Cleanup(net.stopAll)
	for i := range n {
		net.start(i)
	}
	for i := range n {
		net.waitUp(i)
	}
	return net
}

// start runs validator i in its own process, logging to dir/nodeI.log.
func (n *network) start(i int) {
	n.t.Helper()
	log, err := os.OpenFile(filepath.Join(n.dir, fmt.Sprintf("node%d.log", i)), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		n.t.Fatal(err)
	}
	cmd := exec.Command(binPath, "start", filepath.Join(n.dir, n.m.Nodes[i].Home))
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		n.t.Fatal(err)
	}
	log.Close()
	n.procs[i] = cmd
}

// kill stops validator i with SIGKILL: no chance to flush or close anything.
func (n *network) kill(i int) {
	n.t.Helper()
	p := n.procs[i]
	if err := p.Process.Signal(syscall.SIGKILL); err != nil {
		n.t.Fatal(err)
	}
	p.Wait()
	n.procs[i] = nil
}

func (n *network) stopAll() {
	for i, p := range n.procs {
		if p == nil {
			continue
		}
		p.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { p.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			p.Process.Kill()
			<-done
		}
		n.procs[i] = nil
	}
	if n.t.Failed() {
		for i := range n.m.Nodes {
			b, _ := os.ReadFile(filepath.Join(n.dir, fmt.Sprintf("node%d.log", i)))
			if len(b) > 3000 {
				b = b[len(b)-3000:]
			}
			n.t.Logf("node%d log tail:\n%s", i, b)
		}
	}
}

func (n *network) client(i int) *client.Client {
	n.t.Helper()
	c, err := client.New(n.m.Nodes[i].RPC, n.key, n.m.ChainID)
	if err != nil {
		n.t.Fatal(err)
	}
	return c
}

// eventually polls f every 50 ms until it returns nil, failing the test
// with f's last error after a minute (a bound for a loaded machine, not a
// timing assertion).
func (n *network) eventually(what string, f func() error) {
	n.t.Helper()
	deadline := time.Now().Add(time.Minute)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			n.t.Fatalf("%s: %v", what, err)
		}
		<-tick.C
	}
}

func (n *network) info(i int) (client.Info, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return n.client(i).Info(ctx)
}

// waitUp waits until validator i answers and has committed a block.
func (n *network) waitUp(i int) {
	n.t.Helper()
	n.eventually(fmt.Sprintf("node%d up", i), func() error {
		info, err := n.info(i)
		if err == nil && info.Height < 1 {
			err = fmt.Errorf("height %d", info.Height)
		}
		return err
	})
}

// sameHeightSameHash waits until the given nodes report the same height,
// at least min, and checks that they report the same app hash there.
func (n *network) sameHeightSameHash(nodes []int, min int64) (int64, string) {
	n.t.Helper()
	var height int64
	var hash string
	n.eventually("nodes at one height", func() error {
		infos := make([]client.Info, len(nodes))
		for j, i := range nodes {
			info, err := n.info(i)
			if err != nil {
				return err
			}
			infos[j] = info
		}
		for j, info := range infos {
			if info.Height != infos[0].Height || info.Height < min {
				return fmt.Errorf("node%d at %d, node%d at %d (want ≥ %d)", nodes[0], infos[0].Height, nodes[j], info.Height, min)
			}
		}
		for j, info := range infos {
			if info.AppHash != infos[0].AppHash {
				n.t.Fatalf("height %d: node%d app hash %s, node%d %s", info.Height, nodes[0], infos[0].AppHash, nodes[j], info.AppHash)
			}
		}
		height, hash = infos[0].Height, infos[0].AppHash
		return nil
	})
	return height, hash
}

// send broadcasts a call to node i with the next nonce and returns its hash.
func (n *network) send(i int, method string, args ...capdata.Value) string {
	n.t.Helper()
	n.nonce++
	raw, err := n.client(i).Sign("bootstrap", method, args, n.nonce)
	if err != nil {
		n.t.Fatal(err)
	}
	hash, err := n.client(i).Broadcast(context.Background(), raw)
	if err != nil {
		n.t.Fatalf("call %d (%s): %v", n.nonce, method, err)
	}
	return hash
}

// result waits for a call's outcome as node i committed it.
func (n *network) result(i int, hash string) *app.CallResult {
	n.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := n.client(i).Wait(ctx, hash)
	if err != nil {
		n.t.Fatalf("node%d: %v", i, err)
	}
	return r
}

// cli runs cooperd with args and returns stdout, stderr and the exit code.
func cli(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := exec.Command(binPath, args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return out.String(), errb.String(), ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return out.String(), errb.String(), 0
}

// TestFourValidators runs a 4-validator network: 50 calls answered the
// same by every node; calls CheckTx must refuse; a validator killed with
// SIGKILL while 50 more calls commit with the other three, then restarted,
// catching up to the same app hash; a validator whose state diverges
// refusing the others' blocks while they go on.
func TestFourValidators(t *testing.T) {
	t.Parallel()
	net := newNetwork(t, 4)

	// One key's calls, sent round-robin to the four nodes: gossip may
	// reorder them, the proposer puts them back in nonce order.
	var hashes []string
	for k := range 50 {
		hashes = append(hashes, net.send(k%4, "incr", 1.0))
	}
	last := net.result(0, hashes[len(hashes)-1])
	for k, h := range hashes {
		r := net.result(0, h)
		if r.Status != app.StatusFulfilled || string(r.Result) != fmt.Sprint(k+1) {
			t.Fatalf("call %d: %+v", k+1, r)
		}
	}
	height, hash := net.sameHeightSameHash([]int{0, 1, 2, 3}, last.Settled)
	t.Logf("50 calls: every node at height %d has app hash %s", height, hash)
	for i := 1; i < 4; i++ { // every validator answers alike
		if r := net.result(i, hashes[7]); r.Status != app.StatusFulfilled || string(r.Result) != "8" || r.Height != net.result(0, hashes[7]).Height {
			t.Fatalf("node%d: call 8 %+v", i, r)
		}
	}

	// The CLI, as a user runs it.
	if out, errOut, code := cli(t, "call", net.dir, "bootstrap", "get"); code != 0 || out != "50\n" {
		t.Fatalf("cooperd call get: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if out, errOut, code := cli(t, "call", net.dir, "bootstrap", "fail", "no luck"); code != 1 || out != "" || errOut != "cooperd: bootstrap.fail rejected: Error: no luck\n" {
		t.Fatalf("cooperd call fail: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if _, errOut, code := cli(t, "call", net.dir, "counter", "add", "1"); code != 1 || !strings.Contains(errOut, "counter.add refused (code 7, not allowed)") {
		t.Fatalf("cooperd call counter.add: exit %d, stderr %q", code, errOut)
	}
	nonce, err := net.client(0).NextNonce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	net.nonce = nonce - 1 // send uses the next one

	// CheckTx refuses a forged signature, a replayed nonce and a vat the key may not reach.
	c := net.client(1)
	forged, _ := c.Sign("bootstrap", "incr", []capdata.Value{100.0}, net.nonce+1)
	forged[len(forged)-5] ^= 0x40
	replayed, _ := c.Sign("bootstrap", "incr", []capdata.Value{100.0}, 1)
	notAllowed, _ := c.Sign("counter", "add", []capdata.Value{100.0}, net.nonce+1)
	for _, tc := range []struct {
		name string
		raw  []byte
		code uint32
	}{
		{"forged signature", forged, app.CodeBadSignature},
		{"replayed nonce", replayed, app.CodeReplayedNonce},
		{"vat not granted", notAllowed, app.CodeNotAllowed},
	} {
		_, err := c.Broadcast(context.Background(), tc.raw)
		var refused *client.RefusedError
		if !errors.As(err, &refused) || refused.Code != tc.code {
			t.Fatalf("%s: Broadcast = %v, want code %d", tc.name, err, tc.code)
		}
	}

	// Two calls with one nonce sent to two nodes: one runs; the other is
	// refused by CheckTx or the block, or dropped, and waiting for it ends.
	n := net.nonce + 1
	hashes = hashes[:0]
	for i, who := range []string{"a", "b"} {
		raw, _ := net.client(i).Sign("bootstrap", "echo", []capdata.Value{who}, n)
		hash, err := net.client(i).Broadcast(context.Background(), raw)
		var refused *client.RefusedError
		switch {
		case errors.As(err, &refused) && refused.Code == app.CodeReplayedNonce:
			hash = ""
		case err != nil:
			t.Fatalf("call %s: %v", who, err)
		}
		hashes = append(hashes, hash)
	}
	ran := 0
	for i, hash := range hashes {
		if hash == "" {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		r, err := net.client(i).WaitCall(ctx, hash, n)
		cancel()
		switch {
		case errors.Is(err, client.ErrSuperseded):
		case err != nil:
			t.Fatalf("call %d: %v", i, err)
		case r.Status == app.StatusFulfilled:
			ran++
		case r.Status != app.StatusRefused || r.Code != app.CodeReplayedNonce:
			t.Fatalf("call %d: %+v", i, r)
		}
	}
	if ran != 1 {
		t.Fatalf("%d of two calls with one nonce ran", ran)
	}
	net.nonce = n

	// SIGKILL node3 while calls stream in, start it, kill it again while it
	// catches up; the other three commit every call.
	hashes = hashes[:0]
	for k := range 50 {
		switch k {
		case 10, 40:
			net.kill(3)
		case 25:
			net.start(3)
		}
		hashes = append(hashes, net.send(k%3, "incr", 1.0))
	}
	for k, h := range hashes {
		if r := net.result(0, h); r.Status != app.StatusFulfilled || string(r.Result) != fmt.Sprint(51+k) {
			t.Fatalf("call %d after the kill: %+v", 51+k, r)
		}
	}
	last = net.result(0, hashes[len(hashes)-1])
	height, hash = net.sameHeightSameHash([]int{0, 1, 2}, last.Settled)
	if info, err := net.info(3); err == nil {
		t.Fatalf("node3 answers after SIGKILL: %+v", info)
	}
	if out, _, code := cli(t, "status", net.dir, "--wait", "200ms"); code != 1 || !strings.Contains(out, `{"node":3,"status":"down"}`) {
		t.Fatalf("cooperd status --wait with node3 down: exit %d, %q", code, out)
	}

	// Restarted, node3 replays from its last commit and catches up.
	net.start(3)
	h3, hash3 := net.sameHeightSameHash([]int{0, 1, 2, 3}, height)
	t.Logf("node3 caught up: every node at height %d has app hash %s (was %s at %d with three)", h3, hash3, hash, height)
	if r := net.result(3, hashes[49]); r.Status != app.StatusFulfilled || string(r.Result) != "100" {
		t.Fatalf("node3: last call %+v", r)
	}
	out, _, code := cli(t, "status", net.dir, "--wait", "1m")
	if code != 0 || strings.Count(out, `"appHash":"`) != 4 {
		t.Fatalf("cooperd status: %q", out)
	}

	// A validator whose state diverges halts instead of forking: node3's
	// host hash is overwritten while it is down, so its next app hash
	// differs from the one the other three put in the next block header.
	net.kill(3)
	tamper(t, node.KernelDir(filepath.Join(net.dir, net.m.Nodes[3].Home)), "host.hostHash", "diverged")
	net.start(3)
	net.eventually("node3 refuses the others' app hash", func() error {
		b, _ := os.ReadFile(filepath.Join(net.dir, "node3.log"))
		if !strings.Contains(string(b), "wrong Block.Header.AppHash") {
			return errors.New("no app hash mismatch in node3.log yet")
		}
		return nil
	})
	if r := net.result(0, net.send(0, "incr", 1.0)); string(r.Result) != "101" {
		t.Fatalf("a call after node3 diverged: %+v", r)
	}
}

// tamper overwrites a host key in a stopped validator's kernel DB.
func tamper(t *testing.T, dir, key, value string) {
	t.Helper()
	k, err := cooper.Open(dir, cooper.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	if err := k.Store().HostSet(key, value); err != nil {
		t.Fatal(err)
	}
	if err := k.Commit(); err != nil {
		t.Fatal(err)
	}
}

// TestTwoNetworksAgree feeds the same calls, one at a time, to two networks
// of different sizes with the same genesis app state: they end with the
// same app hash.
func TestTwoNetworksAgree(t *testing.T) {
	t.Parallel()
	keyFile := filepath.Join(t.TempDir(), "shared.key")
	if err := tx.WriteKey(keyFile, tx.NewKey()); err != nil {
		t.Fatal(err)
	}
	nets := []*network{
		newNetwork(t, 1, "--client-key", keyFile, "--block-cranks", "5"),
		newNetwork(t, 2, "--client-key", keyFile, "--block-cranks", "5"),
	}
	if nets[0].m.AppHash != nets[1].m.AppHash {
		t.Fatalf("genesis app hashes differ: %s, %s", nets[0].m.AppHash, nets[1].m.AppHash)
	}
	calls := []struct {
		method string
		args   []capdata.Value
	}{
		{"incr", []capdata.Value{2.0}},
		{"relay", []capdata.Value{6.0}}, // more cranks than a block runs
		{"echo", []capdata.Value{"x", true}},
		{"fail", []capdata.Value{"no"}},
		{"wait", nil},
		{"release", []capdata.Value{"go"}},
		{"get", nil},
	}
	var results [2][]string
	for _, c := range calls {
		for j, net := range nets {
			r := net.result(0, net.send(0, c.method, c.args...))
			results[j] = append(results[j], fmt.Sprintf("%s %s %s", r.Status, r.Result, r.Reason))
		}
	}
	if strings.Join(results[0], "\n") != strings.Join(results[1], "\n") {
		t.Fatalf("results differ:\n%s\n--\n%s", strings.Join(results[0], "\n"), strings.Join(results[1], "\n"))
	}
	if want := `fulfilled 8 `; results[0][6] != want {
		t.Fatalf("get = %q, want %q", results[0][6], want)
	}
	_, a := nets[0].sameHeightSameHash([]int{0}, 1)
	_, b := nets[1].sameHeightSameHash([]int{0, 1}, 1)
	if a != b {
		logStateDiff(t, nets[0], nets[1])
		t.Fatalf("app hashes differ: 1 validator %s, 2 validators %s", a, b)
	}
}

// logStateDiff logs the kv keys whose committed values differ between two
// networks (node0 of each).
func logStateDiff(t *testing.T, x, y *network) {
	var kx, ky map[string]string
	x.client(0).Query(context.Background(), "/cooper/dump/", &kx)
	y.client(0).Query(context.Background(), "/cooper/dump/", &ky)
	keys := map[string]bool{}
	for k := range kx {
		keys[k] = true
	}
	for k := range ky {
		keys[k] = true
	}
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		if kx[k] != ky[k] {
			t.Logf("%s: %q vs %q", k, kx[k], ky[k])
		}
	}
}

// TestCLIWithoutNodes checks what the CLI says about a testnet none of
// whose validators runs.
func TestCLIWithoutNodes(t *testing.T) {
	dir := t.TempDir()
	if out, errOut, code := cli(t, "testnet", dir, testConfig, "--validators", "2"); code != 0 || !strings.Contains(out, "created 2 validators") {
		t.Fatalf("cooperd testnet: exit %d, %q %q", code, out, errOut)
	}
	if _, errOut, code := cli(t, "testnet", dir, testConfig); code != 1 || !strings.Contains(errOut, "is not empty") {
		t.Fatalf("cooperd testnet again: exit %d, %q", code, errOut)
	}
	want := "{\"node\":0,\"status\":\"down\"}\n{\"node\":1,\"status\":\"down\"}\n"
	if out, _, code := cli(t, "status", dir); code != 0 || out != want {
		t.Fatalf("cooperd status: exit %d, %q", code, out)
	}
	if out, errOut, code := cli(t, "status", dir, "--wait", "100ms"); code != 1 || out != want || errOut != "cooperd: 2 of 2 nodes not up after 100ms\n" {
		t.Fatalf("cooperd status --wait: exit %d, %q %q", code, out, errOut)
	}
	if _, errOut, code := cli(t, "call", dir, "bootstrap", "get"); code != 1 || !strings.Contains(errOut, "no node of "+dir+" answers") {
		t.Fatalf("cooperd call: exit %d, %q", code, errOut)
	}
	if _, errOut, code := cli(t, "call", dir, "bootstrap", "echo", "{bad"); code != 1 || !strings.Contains(errOut, "looks like JSON but does not parse") {
		t.Fatalf("cooperd call with a bad argument: exit %d, %q", code, errOut)
	}
}

// TestBench runs a small cooperd bench on one validator: every measure is
// printed, and every call it makes is fulfilled (it fails otherwise).
func TestBench(t *testing.T) {
	t.Parallel()
	startMu.Lock() // bench picks free ports too
	out, errOut, code := cli(t, "bench", testConfig, "--validators", "1", "--calls", "20", "--sequential", "3")
	startMu.Unlock()
	if code != 0 {
		t.Fatalf("cooperd bench: exit %d\n%s\n%s", code, out, errOut)
	}
	var measures []string
	for _, line := range strings.Split(out, "\n") {
		var r benchResult
		if !strings.HasPrefix(line, "{") {
			continue
		}
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		if r.Measure == "throughput" && (r.Calls != 20 || r.PerSecond <= 0) || r.Measure == "latency" && (r.Calls != 3 || r.MedianMs <= 0) {
			t.Errorf("%+v", r)
		}
		measures = append(measures, fmt.Sprintf("%s/%d", r.Measure, r.Validators))
	}
	if got := strings.Join(measures, " "); got != "latency/0 throughput/0 latency/1 throughput/1" {
		t.Fatalf("measures %s\n%s", got, out)
	}
}
