// Package bundle turns a vat's ES module source into a Bundle: one CommonJS
// script that goja runs, stored in the kernel DB and named by its hash.
package bundle

import (
	"bytes"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// ModuleFormat is the only module format of a Bundle.
const ModuleFormat = "cooper-cjs-v1"

// Bundle is a vat's code: one CommonJS script goja can run.
type Bundle struct {
	ModuleFormat string `json:"moduleFormat"`
	Source       string `json:"source"`
	// Imports are the bare specifiers left external, sorted (e.g. "@endo/far").
	Imports []string `json:"imports,omitempty"`
}

// ErrMalformed is wrapped by every Parse error. It has no "bundle: "
// prefix: its text reaches vats (a failed createVat) and their transcripts,
// so it cannot change.
var ErrMalformed = errors.New("malformed bundle")

// idPrefix starts every bundle ID; it names the hash scheme.
const idPrefix = "b1-"

// Parse decodes a bundle from its JSON form.
func Parse(data []byte) (*Bundle, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var b Bundle
	if err := dec.Decode(&b); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the JSON object", ErrMalformed)
	}
	if b.ModuleFormat != ModuleFormat {
		return nil, fmt.Errorf("%w: moduleFormat %q, want %q", ErrMalformed, b.ModuleFormat, ModuleFormat)
	}
	if strings.TrimSpace(b.Source) == "" {
		return nil, fmt.Errorf("%w: empty source", ErrMalformed)
	}
	for i, imp := range b.Imports {
		if imp == "" {
			return nil, fmt.Errorf("%w: empty import specifier", ErrMalformed)
		}
		if i > 0 && b.Imports[i-1] >= imp {
			return nil, fmt.Errorf("%w: imports not sorted and unique at %q", ErrMalformed, imp)
		}
	}
	return &b, nil
}

// Marshal returns the canonical JSON form of b: keys in field order, no HTML
// escaping, no trailing newline.
func (b *Bundle) Marshal() []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(b); err != nil {
		panic(fmt.Sprintf("bundle: marshal: %v", err)) // strings and a string slice always encode
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// ID names the canonical bundle bytes data by their SHA-512 hash.
func ID(data []byte) string {
	sum := sha512.Sum512(data)
	return idPrefix + hex.EncodeToString(sum[:])
}

// ValidID reports whether id has the form ID returns.
func ValidID(id string) bool {
	hexPart, ok := strings.CutPrefix(id, idPrefix)
	if !ok || len(hexPart) != 2*sha512.Size {
		return false
	}
	for _, c := range hexPart {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// sortedUnique returns the sorted distinct elements of s.
func sortedUnique(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}
