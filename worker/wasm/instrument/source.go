package instrument

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"sort"
	"sync"
)

// sources is the package's own Go code, so that a cache of its output can
// tell a rewrite made by other code (see SourceHash).
//
//go:embed *.go
var sources embed.FS

// SourceHash is the hex SHA-256 of the code of this package: what Rewrite
// makes depends only on it, its module and its options, so a rewrite kept
// under a key that includes it can be reused.
var SourceHash = sync.OnceValue(func() string {
	h := sha256.New()
	entries, _ := fs.ReadDir(sources, ".")
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	for _, name := range names {
		data, _ := sources.ReadFile(name)
		h.Write([]byte(name))
		h.Write([]byte{0})
		h.Write(data)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
})
