package app

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/cooper-kernel/cooper"
)

func TestParseAppState(t *testing.T) {
	good := testGenesis(t, Limits{})
	st, kc, err := ParseAppState(good)
	if err != nil {
		t.Fatal(err)
	}
	if st.Limits.BlockCranks != DefaultBlockCranks || st.Limits.MaxCallBytes != DefaultMaxCallBytes {
		t.Fatalf("defaults not filled: %+v", st.Limits)
	}
	// The inline config names the same bundles as the config on disk.
	cfg, err := cooper.ReadConfig("../testdata/counter/config.json")
	if err != nil {
		t.Fatal(err)
	}
	direct, err := cfg.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range direct.Vats {
		if kc.Vats[i].Name != v.Name || kc.Vats[i].BundleID != v.BundleID {
			t.Fatalf("vat %d: genesis %s %s, config %s %s", i, kc.Vats[i].Name, kc.Vats[i].BundleID, v.Name, v.BundleID)
		}
	}
	if st.Hash() != mustParse(t, good).Hash() || len(st.Hash()) != 64 {
		t.Fatal("genesis hash unstable")
	}

	edit := func(f func(m map[string]any)) []byte {
		var m map[string]any
		json.Unmarshal(good, &m)
		f(m)
		b, _ := json.Marshal(m)
		return b
	}
	cases := map[string]struct {
		data []byte
		want string
	}{
		"not JSON":      {[]byte("{"), "unexpected EOF"},
		"unknown field": {edit(func(m map[string]any) { m["extra"] = 1 }), `unknown field "extra"`},
		"no config":     {edit(func(m map[string]any) { delete(m, "config") }), "no config"},
		"no callers":    {edit(func(m map[string]any) { delete(m, "callers") }), "no callers"},
		"bad key": {edit(func(m map[string]any) {
			m["callers"] = []any{map[string]any{"pubKey": "zz"}}
		}), "want 32 bytes of hex"},
		"key twice": {edit(func(m map[string]any) {
			c := m["callers"].([]any)[0]
			m["callers"] = []any{c, c}
		}), "listed twice"},
		"grant without vat": {edit(func(m map[string]any) {
			m["callers"] = []any{map[string]any{"pubKey": pub(clientKey), "allow": []any{map[string]any{}}}}
		}), "names no vat"},
		"source file": {edit(func(m map[string]any) {
			m["config"] = map[string]any{"vats": map[string]any{"a": map[string]any{"sourceSpec": "a.js"}}}
		}), "reads a file"},
		"bad config": {edit(func(m map[string]any) { m["config"] = map[string]any{"vats": map[string]any{}} }), "no vats"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, _, err := ParseAppState(c.data)
			if !errors.Is(err, ErrGenesis) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("ParseAppState = %v, want ErrGenesis containing %q", err, c.want)
			}
		})
	}
}

func mustParse(t *testing.T, data []byte) *AppState {
	st, _, err := ParseAppState(data)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestGrants(t *testing.T) {
	ids := map[string]string{"bootstrap": "v1", "counter": "v2", "v2": "v2"}
	resolve := func(n string) string { return ids[n] }
	cases := []struct {
		allow  []Grant
		id, m  string
		wanted bool
	}{
		{nil, "v1", "anything", true},
		{nil, "v2", "get", false},
		{[]Grant{{Vat: "counter", Methods: []string{"get"}}}, "v2", "get", true},
		{[]Grant{{Vat: "counter", Methods: []string{"get"}}}, "v2", "add", false},
		{[]Grant{{Vat: "v2"}}, "v2", "add", true},
		{[]Grant{{Vat: "*", Methods: []string{"get"}}}, "v1", "get", true},
		{[]Grant{{Vat: "counter", Methods: []string{"*"}}}, "v2", "add", true},
		{[]Grant{{Vat: "gone"}}, "", "x", false},
	}
	for i, c := range cases {
		if got := (Caller{Allow: c.allow}).allows(c.id, c.m, "bootstrap", resolve); got != c.wanted {
			t.Errorf("case %d: allows(%s, %s) = %v", i, c.id, c.m, got)
		}
	}
}

// FuzzParseAppState checks that any genesis app state is either refused
// with ErrGenesis or parsed into a state with callers and a resolved config.
func FuzzParseAppState(f *testing.F) {
	f.Add(testGenesis(f, Limits{}))
	f.Add([]byte(`{"config":{"vats":{}},"callers":[]}`))
	f.Add([]byte(`{"config":{"bootstrap":"b","vats":{"b":{"bundle":{"moduleFormat":"x"}}}},"callers":[{"pubKey":"00"}]}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		st, kc, err := ParseAppState(data)
		if err != nil {
			if !errors.Is(err, ErrGenesis) {
				t.Fatalf("error %v does not wrap ErrGenesis", err)
			}
			return
		}
		if st == nil || kc == nil || len(st.Callers) == 0 {
			t.Fatalf("accepted without callers or config: %+v %+v", st, kc)
		}
		if _, _, err := ParseAppState(data); err != nil {
			t.Fatalf("second parse: %v", err)
		}
	})
}

func TestGenesisJSWorker(t *testing.T) {
	st, _, err := ParseAppState(testGenesis(t, Limits{}))
	if err != nil || st.JSWorker != JSWorkerGoja {
		t.Fatalf("default jsWorker: %q, %v", st.JSWorker, err)
	}
	if st, _, err := ParseAppState(testGenesisWorker(t, Limits{}, JSWorkerWasm)); err != nil || st.JSWorker != JSWorkerWasm {
		t.Fatalf("wasm: %+v, %v", st, err)
	}
	_, _, err = ParseAppState(testGenesisWorker(t, Limits{}, "v8"))
	if !errors.Is(err, ErrGenesis) || !strings.Contains(err.Error(), `jsWorker "v8"`) {
		t.Fatalf("jsWorker v8: %v", err)
	}
}
