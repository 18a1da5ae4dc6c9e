package bundle

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dop251/goja"
)

func TestBuildVat(t *testing.T) {
	b, err := Build("testdata/vat/main.js")
	if err != nil {
		t.Fatal(err)
	}
	if b.ModuleFormat != ModuleFormat {
		t.Errorf("ModuleFormat = %q", b.ModuleFormat)
	}
	if !strings.Contains(b.Source, "lib-marker") || !strings.Contains(b.Source, "function double") {
		t.Errorf("source lacks lib.js code:\n%s", b.Source)
	}
	if !slices.Equal(b.Imports, []string{"@endo/far"}) {
		t.Errorf("Imports = %q, want [@endo/far]", b.Imports)
	}
	if !strings.Contains(b.Source, `require("@endo/far")`) {
		t.Errorf("source does not require @endo/far:\n%s", b.Source)
	}
	if strings.Contains(b.Source, "async function*") || strings.Contains(b.Source, "for await") {
		t.Errorf("async generators not lowered:\n%s", b.Source)
	}
	if !strings.Contains(b.Source, "module.exports") {
		t.Errorf("not CommonJS:\n%s", b.Source)
	}
	runVat(t, b)
}

// runVat evaluates b in goja with a require shim and calls its root object.
func runVat(t *testing.T, b *Bundle) {
	t.Helper()
	rt := goja.New()
	far := rt.NewObject()
	far.Set("Far", func(_ string, obj goja.Value) goja.Value { return obj })
	var required []string
	rt.Set("require", func(spec string) goja.Value {
		required = append(required, spec)
		if spec != "@endo/far" {
			panic(rt.NewTypeError("no module " + spec))
		}
		return far
	})
	prog, err := goja.Compile("bundle.js", "(function (require, exports, module) {"+b.Source+"\n})", false)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	fnVal, err := rt.RunProgram(prog)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	fn, _ := goja.AssertFunction(fnVal)
	module := rt.NewObject()
	exports := rt.NewObject()
	module.Set("exports", exports)
	if _, err := fn(goja.Undefined(), rt.Get("require"), exports, module); err != nil {
		t.Fatalf("module body: %v", err)
	}
	if !slices.Equal(required, []string{"@endo/far"}) {
		t.Errorf("required %q", required)
	}
	rt.Set("mod", module.Get("exports"))
	_, err = rt.RunString(`
		var root = mod.buildRootObject({});
		var results = {};
		root.twice(21).then(v => { results.twice = v; });
		root.count().then(v => { results.count = v; });
	`)
	if err != nil {
		t.Fatalf("buildRootObject: %v", err)
	}
	got, err := rt.RunString(`JSON.stringify(results)`)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"twice":42,"count":13}`; got.String() != want {
		t.Errorf("results = %s, want %s", got, want)
	}
}

func TestBuildDeterministic(t *testing.T) {
	b1, err := Build("testdata/vat/main.js")
	if err != nil {
		t.Fatal(err)
	}
	b2, err := Build("testdata/vat/main.js")
	if err != nil {
		t.Fatal(err)
	}
	d1, d2 := b1.Marshal(), b2.Marshal()
	if string(d1) != string(d2) {
		t.Fatal("two builds differ")
	}
	if ID(d1) != ID(d2) || !ValidID(ID(d1)) {
		t.Fatalf("IDs %s %s", ID(d1), ID(d2))
	}
	// Built from another working directory, the bundle is the same.
	abs, _ := filepath.Abs("testdata/vat/main.js")
	wd, _ := os.Getwd()
	if err := os.Chdir(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	b3, err := Build(abs)
	if err != nil {
		t.Fatal(err)
	}
	if string(b3.Marshal()) != string(d1) {
		t.Fatal("build depends on the working directory")
	}
}

func TestBuildErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name, file, src string
		want            []string
	}{
		{"syntax", "bad.js", "export const a = 1;\nconst b = ;\n", []string{"bad.js:2:11", "Unexpected"}},
		{"missing import", "miss.js", "import { x } from './nope.js';\nexport const y = x;\n", []string{"miss.js:1:", "./nope.js"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := write(tt.file, tt.src)
			_, err := Build(p)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if !strings.HasPrefix(err.Error(), "bundle "+p+": ") {
				t.Errorf("error %q does not name the entry", err)
			}
		})
	}
	if _, err := Build(filepath.Join(dir, "absent.js")); err == nil {
		t.Error("missing entry: no error")
	}
}

func TestBuildSource(t *testing.T) {
	b, err := BuildSource("inline.js", "import { E } from '@endo/eventual-send';\nimport { Far } from '@endo/far';\nexport const f = async () => E(Far('x', {})).foo();\n")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(b.Imports, []string{"@endo/eventual-send", "@endo/far"}) {
		t.Errorf("Imports = %q", b.Imports)
	}
	_, err = BuildSource("rel.js", "import { x } from './lib.js';\nexport const y = x;\n")
	if err == nil || !strings.Contains(err.Error(), "rel.js:1:") || !strings.Contains(err.Error(), "./lib.js") {
		t.Errorf("relative import: err = %v", err)
	}
	_, err = BuildSource("syn.js", "export const = 1;\n")
	if err == nil || !strings.Contains(err.Error(), "bundle syn.js: syn.js:1:") {
		t.Errorf("syntax error: err = %v", err)
	}
}

func TestMarshalParse(t *testing.T) {
	b := &Bundle{ModuleFormat: ModuleFormat, Source: "module.exports = { a: '<&>' };", Imports: []string{"@endo/far"}}
	data := b.Marshal()
	want := `{"moduleFormat":"cooper-cjs-v1","source":"module.exports = { a: '<&>' };","imports":["@endo/far"]}`
	if string(data) != want {
		t.Fatalf("Marshal = %s\nwant      %s", data, want)
	}
	got, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Marshal()) != want {
		t.Fatalf("round trip = %s", got.Marshal())
	}
	noImports := (&Bundle{ModuleFormat: ModuleFormat, Source: "1"}).Marshal()
	if string(noImports) != `{"moduleFormat":"cooper-cjs-v1","source":"1"}` {
		t.Errorf("Marshal without imports = %s", noImports)
	}
}

func TestIDGolden(t *testing.T) {
	data := (&Bundle{ModuleFormat: ModuleFormat, Source: "module.exports = {};"}).Marshal()
	const want = "b1-921d5de5c9615cab865bdd30922f9def4046c76e1f3fe2a78069e6c945419ca6180827786509314316baa2911046cdce7feaefbc84429f81fea31f8a192f055a"
	if got := ID(data); got != want {
		t.Errorf("ID = %s, want %s", got, want)
	}
	if !ValidID(ID(data)) {
		t.Error("ValidID(ID) = false")
	}
	for _, bad := range []string{"", "b1-", "b2-" + strings.Repeat("a", 128), "b1-" + strings.Repeat("A", 128), "b1-" + strings.Repeat("a", 127), "b1-" + strings.Repeat("g", 128)} {
		if ValidID(bad) {
			t.Errorf("ValidID(%q) = true", bad)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, data, want string }{
		{"not json", `{`, "unexpected EOF"},
		{"not an object", `[]`, "cannot unmarshal array"},
		{"trailing data", `{"moduleFormat":"cooper-cjs-v1","source":"x"} {}`, "data after"},
		{"unknown format", `{"moduleFormat":"nestedEvaluate","source":"x"}`, `moduleFormat "nestedEvaluate"`},
		{"no format", `{"source":"x"}`, `moduleFormat ""`},
		{"empty source", `{"moduleFormat":"cooper-cjs-v1","source":""}`, "empty source"},
		{"unknown field", `{"moduleFormat":"cooper-cjs-v1","source":"x","endoZipBase64":"y"}`, `unknown field "endoZipBase64"`},
		{"unsorted imports", `{"moduleFormat":"cooper-cjs-v1","source":"x","imports":["b","a"]}`, "not sorted"},
		{"duplicate imports", `{"moduleFormat":"cooper-cjs-v1","source":"x","imports":["a","a"]}`, "not sorted"},
		{"wrong type", `{"moduleFormat":"cooper-cjs-v1","source":3}`, "cannot unmarshal number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.data))
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("err = %v, want ErrMalformed", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %q, want it to contain %q", err, tt.want)
			}
		})
	}
}
