package wasm

import (
	"crypto/sha256"
	_ "embed"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/cooper-kernel/cooper/vat"
	"github.com/cooper-kernel/cooper/worker/jsvat"
	"github.com/cooper-kernel/cooper/worker/wasm/qjs"
)

// A generation is one version of the code a wasm vat runs besides its
// bundle: the glue, the prelude and the passable checks. Their work is
// metered like the vat's own, so a vat's computrons, and so its
// transcript, depend on them: each generation has its own metering
// version, a vat keeps the generation its metering version names (as it
// keeps its engine), and a new vat gets the current one. Older
// generations are kept, frozen, so that the vats recorded under them
// still replay and restore from their snapshots.
type generation struct {
	// version is the metering version number (cooper-wasm-N).
	version int
	// glue, prelude and passable are the sources (prelude with
	// patterns.js and vatdata.js spliced in).
	glue, prelude, passable string
	// follows tells whether the glue has the current protocol (F, values
	// for primitive results, the send's promise made by the glue, releases
	// ahead of the next call, Z to prepare the template); version 2's has
	// the one before.
	follows bool
	// shared is the compiled engine and the template of the generation,
	// made on first use.
	shared func() (prepared, error)

	hashOnce sync.Once
	hash     string // see jsHash
}

//go:embed glue.js
var glueSource string

//go:embed v2/glue.js
var glueV2 string

//go:embed v2/prelude.js
var preludeV2 string

//go:embed v2/passable.js
var passableV2 string

// current is the generation of new vats.
var current = newGeneration(CurrentVersion, glueSource, jsvat.Prelude, jsvat.Passable, true)

// generations are the generations a vat can have, by version.
var generations = map[int]*generation{
	2:               newGeneration(2, glueV2, jsvat.SplicePrelude(preludeV2), passableV2, false),
	current.version: current,
}

func newGeneration(version int, glue, prelude, passable string, follows bool) *generation {
	g := &generation{version: version, glue: glue, prelude: prelude, passable: passable, follows: follows}
	g.shared = sync.OnceValues(func() (prepared, error) { return prepare(g) })
	return g
}

// CurrentVersion is the metering version of new vats (cooper-wasm-N).
const CurrentVersion = 3

// Versions lists the metering versions a vat can have, oldest first.
func Versions() []int { return slices.Sorted(maps.Keys(generations)) }

// generation returns the generation of the vat of spec: the one its
// metering version names, else (a new vat) the maker's.
func (m *Maker) generation(spec vat.Spec) (*generation, error) {
	if spec.MeteringVersion != "" || m.opts.Version == 0 {
		return generationOf(spec.MeteringVersion), nil
	}
	g, ok := generations[m.opts.Version]
	if !ok {
		return nil, fmt.Errorf("wasm worker: no metering version %d (have %v)", m.opts.Version, Versions())
	}
	return g, nil
}

// generationOf returns the generation of a vat metered by
// meteringVersion: the one it names, else (a new vat, or one of a version
// this binary does not have, which the kernel then refuses) the current.
func generationOf(meteringVersion string) *generation {
	rest, ok := strings.CutPrefix(meteringVersion, MeteringPrefix)
	if !ok {
		return current
	}
	n, _, _ := strings.Cut(rest, " ")
	v, err := strconv.Atoi(n)
	if err != nil {
		return current
	}
	if g, ok := generations[v]; ok {
		return g
	}
	return current
}

// meteringVersion names the computron schedule of the generation's vats on
// engine e: "cooper-wasm-N (F fuel/computron, <engine>)", and from version
// 3 on ", js <hash>" of the generation's sources, so that a change to
// them that was not made a new generation is a clear error at restore, not
// a replay whose computrons diverge.
func (g *generation) meteringVersion(e *qjs.Engine) string {
	v := MeteringPrefix + strconv.Itoa(g.version) + " (" + strconv.Itoa(FuelPerComputron) + " fuel/computron, " + e.Version()
	if g.version >= 3 {
		v += ", js " + g.jsHash()[:16]
	}
	return v + ")"
}

// jsHash is the hex SHA-256 of the generation's sources and the module
// wrapper, made once.
func (g *generation) jsHash() string {
	g.hashOnce.Do(func() {
		h := sha256.New()
		for _, part := range []string{g.prelude, g.passable, g.glue, moduleHead, moduleTail} {
			binary.Write(h, binary.LittleEndian, uint64(len(part)))
			h.Write([]byte(part))
		}
		g.hash = hex.EncodeToString(h.Sum(nil))
	})
	return g.hash
}

// templateKey names the evaluated template of a bundle in a generation.
func templateKey(g *generation, bundle []byte) [32]byte {
	if g == current {
		return sha256.Sum256(bundle)
	}
	return sha256.Sum256(append([]byte(MeteringPrefix+strconv.Itoa(g.version)+"\x00"), bundle...))
}
