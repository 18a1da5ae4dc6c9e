package state

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// docPatterns reads the key column of the schema table in the package doc
// of schema.go: a line may name several patterns separated by ", ".
func docPatterns(t *testing.T) (patterns []string, version string) {
	t.Helper()
	src, err := os.ReadFile("schema.go")
	if err != nil {
		t.Fatal(err)
	}
	doc, _, ok := strings.Cut(string(src), "\npackage state")
	if !ok {
		t.Fatal("no package clause in schema.go")
	}
	_, table, ok := strings.Cut(doc, "//\tkey ")
	if !ok {
		t.Fatal("no schema table in the package doc")
	}
	columns := regexp.MustCompile(`^//\t(\S.*?)\s{2,}(.*)$`)
	for _, line := range strings.Split(table, "\n")[1:] {
		m := columns.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("schema doc line %q has no key and meaning columns", line)
		}
		for _, p := range strings.Split(m[1], ", ") {
			patterns = append(patterns, strings.TrimSpace(p))
		}
		if m[1] == "version" {
			version = m[2]
		}
	}
	return patterns, version
}

// TestSchemaDocMatchesFields: the schema table of the package doc and
// Fields() list the same key patterns in the same order, and the doc
// names the current SchemaVersion.
func TestSchemaDocMatchesFields(t *testing.T) {
	doc, version := docPatterns(t)
	var fields []string
	for _, f := range Fields() {
		fields = append(fields, f.Pattern)
	}
	if !slices.Equal(doc, fields) {
		for i := range max(len(doc), len(fields)) {
			var d, f string
			if i < len(doc) {
				d = doc[i]
			}
			if i < len(fields) {
				f = fields[i]
			}
			if d != f {
				t.Fatalf("pattern %d: package doc has %q, Fields() has %q", i, d, f)
			}
		}
	}
	if !strings.Contains(version, `"`+SchemaVersion+`"`) {
		t.Fatalf("the doc's version line %q does not name SchemaVersion %q", version, SchemaVersion)
	}
}

// TestVatstoreAndDeviceCList: a vat's store is its own (a neighbour's
// keys never show in its iteration), and every key these accessors write
// is a key of the schema.
func TestVatstoreAndDeviceCList(t *testing.T) {
	kv := mapKV{}
	s := New(kv)
	s.VatstoreSet("v1", "b", "2")
	s.VatstoreSet("v1", "a", "1")
	s.VatstoreSet("v2", "a", "other vat")
	s.VatstoreSet("v10", "a", "prefix neighbour")
	if v, ok := s.VatstoreGet("v1", "a"); !ok || v != "1" {
		t.Fatalf("get a = %q %v", v, ok)
	}
	var keys []string
	for k, ok := s.VatstoreNextKey("v1", ""); ok; k, ok = s.VatstoreNextKey("v1", k) {
		keys = append(keys, k)
	}
	if !slices.Equal(keys, []string{"a", "b"}) {
		t.Fatalf("v1's keys %q", keys)
	}
	s.VatstoreDelete("v1", "a")
	if _, ok := s.VatstoreGet("v1", "a"); ok {
		t.Fatal("deleted key still there")
	}
	if k, ok := s.VatstoreNextKey("v1", "b"); ok {
		t.Fatalf("next after the last key: %q", k)
	}
	s.AddDeviceCList("d1", "kd3", "d+0")
	if kd, ok := s.DeviceCListKRef("d1", "d+0"); !ok || kd != "kd3" {
		t.Fatalf("device c-list: %q %v", kd, ok)
	}
	for k := range kv {
		if _, ok := Describe(k); !ok {
			t.Errorf("key %q is not in the schema", k)
		}
	}
}
