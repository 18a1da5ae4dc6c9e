package cooper_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cooper-kernel/cooper"
	"github.com/cooper-kernel/cooper/capdata"
	"github.com/cooper-kernel/cooper/kernel"
)

// Values crossing between JS vats: records keep every own key (__proto__
// included) as own data properties, strings keep lone surrogates, and what
// Endo's passStyleOf refuses is refused with a TypeError that always
// settles the result.

const valuesConfig = `{
  "bootstrap": "sender",
  "vats": {
    "sender": { "sourceSpec": "values-sender.js" },
    "receiver": { "sourceSpec": "values-receiver.js" }
  }
}`

func valuesKernel(t *testing.T) *kernel.Kernel {
	t.Helper()
	k := jsKernel(t, t.TempDir(), valuesConfig, cooper.Options{})
	t.Cleanup(func() { k.Close() })
	return k
}

func TestRecordKeysRoundTrip(t *testing.T) {
	k := valuesKernel(t)
	for _, tc := range []struct{ method, want string }{
		// {['__proto__']: {x: 1}, y: 2} arrives with an own __proto__ data
		// property and Object.prototype as its prototype.
		{"protoRecord", `{frozen:true,keys:["__proto__","y"],own:[true,true],protoIsObject:true,values:["{\"x\":1}",2]}`},
		// Keys that shadow Object.prototype's (frozen) methods, numeric-like
		// keys and the empty string; JS orders integer keys first.
		{"manyKeys", `{frozen:true,keys:["2","10","","-1","01","constructor","length","toString"],own:[true,true,true,true,true,true,true,true],protoIsObject:true,values:["two","ten","empty","minus","zero-one","c",3,"ts"]}`},
	} {
		rejected, v := call(t, k, "sender", tc.method)
		if got := capdata.Format(v); rejected || got != tc.want {
			t.Errorf("%s: rejected %v\n got %s\nwant %s", tc.method, rejected, got, tc.want)
		}
	}
}

func TestLoneSurrogatesRoundTrip(t *testing.T) {
	k := valuesKernel(t)
	// JS vat to JS vat and back: each string arrives with the same code
	// units and comes back === to what was sent; a lone surrogate works as
	// a record key too.
	rejected, v := call(t, k, "sender", "surrogates")
	want := `[[true,"55296,120"],[true,"56320"],[true,"97,55357,56832,98"],[true,"57343,55296"],[true,"120,55296"],[true,"lone key"]]`
	if got := capdata.Format(v); rejected || got != want {
		t.Fatalf("surrogates: rejected %v\n got %s\nwant %s", rejected, got, want)
	}
	// Host to JS vat and back: the Go side holds them as WTF-8.
	lone := capdata.FromUTF16([]uint16{0xD800, 'x'})
	rejected, v = call(t, k, "receiver", "describe", lone)
	if got := capdata.Format(v); rejected || got != `{codes:[55296,120]}` {
		t.Fatalf("describe(lone) = %s", got)
	}
	rejected, v = call(t, k, "receiver", "echo", lone)
	if rejected || v != lone {
		t.Fatalf("echo(lone) = %q", v)
	}
	if cd := capdata.MustEncode(v); cd.Body != `#"\ud800x"` {
		t.Fatalf("capdata body %s", cd.Body)
	}
}

// TestUnpassableResultsReject: values passStyleOf refuses reject the result
// with a TypeError, whether the host or another vat asked; the promise
// always settles and the host's reference to it is released.
func TestUnpassableResultsReject(t *testing.T) {
	k := valuesKernel(t)
	for _, tc := range []struct{ method, want string }{
		{"throwingGetter", `"x" must not be an accessor property of a record`},
		{"accessor", `"x" must not be an accessor property of a record`},
		{"nested", `"bad" must not be an accessor property of a record`},
		{"throwingProxy", `Cannot pass a value that cannot be hardened: ownKeys trap`},
		{"proxyFreezeFails", `Cannot pass a value that cannot be hardened: 'preventExtensions' on proxy: trap returned falsish`},
		{"hole", `Arrays must not have holes: index 1 is missing`},
		{"extraArrayProp", `Arrays must not have non-indexes`},
		{"instance", `Records must inherit from Object.prototype (class instances cannot be passed: make them Far, or copy their data)`},
		{"cyclic", `Pass-by-copy data cannot be cyclic`},
		{"thenableFn", `Cannot pass non-promise thenables`},
		{"symbolKey", `Records can only have string-named properties, not Symbol(s)`},
		{"deep", `Pass-by-copy data cannot be nested deeper than 200`},
		{"fn", `Cannot pass non-remotable function "helper": make it Far or put it in a Far object`},
	} {
		t.Run(tc.method, func(t *testing.T) {
			kp, err := k.QueueToVatRoot("receiver", tc.method, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := k.Run(kernel.UntilEmpty()); err != nil {
				t.Fatal(err)
			}
			rejected, v, err := k.KPResolution(kp)
			if err != nil {
				t.Fatalf("the result did not settle: %v", err)
			}
			e, ok := v.(*capdata.Error)
			// The engine words why a proxy cannot be hardened (goja as V8,
			// QuickJS its own way); the rest of the message is Endo's.
			same := ok && (e.Message == tc.want || tc.method == "proxyFreezeFails" && strings.HasPrefix(e.Message, "Cannot pass a value that cannot be hardened: "))
			if !rejected || !same || e.Name != "TypeError" {
				t.Fatalf("host call: rejected %v with %s, want TypeError(%q)", rejected, capdata.Format(v), tc.want)
			}
			if err := k.ReleaseKP(kp); err != nil {
				t.Fatal(err)
			}
			if k.KPStatus(kp) != "" || k.State().Pins(kp) != 0 {
				t.Fatalf("%s is still held", kp)
			}
			// The same from another vat.
			got := callString(t, k, "sender", "bad", tc.method)
			if got != "rejected TypeError: "+tc.want && !(same && got == "rejected TypeError: "+e.Message) {
				t.Fatalf("from a vat: %s", got)
			}
		})
	}
	// Passable values still pass, and the vats are alive.
	if got := callString(t, k, "sender", "bad", "fine"); got != `fulfilled {"a":[1,2],"b":"x","then":1}` {
		t.Fatalf("fine: %s", got)
	}
	if bad := kernel.AuditRefCounts(k.State()); len(bad) > 0 {
		t.Fatalf("reference counts drifted: %+v", bad)
	}
}

// TestUnpassableArgumentsThrow: E(x).m(unpassable) throws a TypeError in the
// sender, and no message leaves it.
func TestUnpassableArgumentsThrow(t *testing.T) {
	k := valuesKernel(t)
	got := callString(t, k, "sender", "sendBad")
	if !strings.HasPrefix(got, "threw TypeError: cannot send describe: ") || !strings.Contains(got, "accessor") {
		t.Fatalf("sendBad = %s", got)
	}
}

// TestNonFarRootIsRefused: a buildRootObject that returns something other
// than a Far object fails the vat's creation with a message that names
// what it returned in JS terms.
func TestNonFarRootIsRefused(t *testing.T) {
	for _, tc := range []struct{ ret, want string }{
		{"5", "it returned 5, which is not Far"},
		{"'root'", `it returned "root", which is not Far`},
		{"({ a: 1 })", "it returned a non-Far object, which is not Far"},
		{"[]", "it returned an array, which is not Far"},
		{"undefined", "it returned undefined, which is not Far"},
		{"() => 1", "it returned a function, which is not Far"},
		{"10n", "it returned 10n, which is not Far"},
	} {
		src := t.TempDir()
		os.WriteFile(filepath.Join(src, "v.js"), []byte("export const buildRootObject = () => "+tc.ret+";\n"), 0o644)
		cfg, err := cooper.ParseConfig([]byte(`{"vats": {"bad": {"sourceSpec": "v.js"}}}`))
		if err != nil {
			t.Fatal(err)
		}
		cfg.Dir = src
		_, err = cooper.Init(filepath.Join(t.TempDir(), "k"), cfg, cooper.Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.ContainsAny(err.Error(), "*") || strings.Contains(err.Error(), "goja") {
			t.Errorf("root %s: %v, want %q", tc.ret, err, tc.want)
		}
	}
}

// TestVatCodeIsStrict: vat code runs in strict mode, as ES modules do.
func TestVatCodeIsStrict(t *testing.T) {
	k := valuesKernel(t)
	rejected, v := call(t, k, "receiver", "strictness")
	if got := capdata.Format(v); rejected || got != `[true,"ReferenceError","TypeError"]` {
		t.Fatalf("strictness = %s", got)
	}
}
