package dump

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/cooper-kernel/cooper/capdata"
	"github.com/cooper-kernel/cooper/kernel/state"
	"github.com/cooper-kernel/cooper/vat"
)

// VatDurable is what a vat keeps beyond its heap: its incarnation and the
// kinds and collections of its vat-data layer (see worker/jsvat/vatdata.js
// for the vatstore layout read here).
type VatDurable struct {
	ID              vat.ID
	Name            string
	Incarnation     int
	TranscriptStart uint64
	Kinds           []Kind
	Collections     []Collection
	// GoBaggage counts the entries of a Go vat's baggage.
	GoBaggage int
}

// Kind is a durable kind of a vat.
type Kind struct {
	ID        uint64
	Tag       string
	Facets    []string
	Defined   bool   // behavior was given (it must be re-prepared after an upgrade)
	Instances uint64 // made so far
}

// Collection is a big collection (map or set store) in a vat's vatstore.
type Collection struct {
	ID      uint64
	VRef    string
	Kind    string // scalarMapStore, scalarDurableSetStore...
	Label   string
	Durable bool
	Entries int64 // -1 for weak stores, which keep no count
}

// storeKindNames are the store kinds of vatdata.js, by kind ID.
var storeKindNames = map[uint64]string{
	2: "scalarMapStore", 3: "scalarWeakMapStore", 4: "scalarSetStore", 5: "scalarWeakSetStore",
	6: "scalarDurableMapStore", 7: "scalarDurableWeakMapStore", 8: "scalarDurableSetStore", 9: "scalarDurableWeakSetStore",
}

// Durable reports the durable state of every live vat, in vat order.
func (d *Dump) Durable() (out []VatDurable, err error) {
	defer state.Recover(&err)
	st := d.State()
	for _, id := range st.LiveVats() {
		opts, err := st.VatOptions(id)
		if err != nil {
			return nil, err
		}
		vd := VatDurable{ID: id, Name: opts.Name, Incarnation: st.Incarnation(id), TranscriptStart: st.TranscriptStart(id)}
		get := func(key string) (string, bool) { return st.VatstoreGet(id, key) }
		each := func(prefix string, fn func(key string)) {
			k := prefix
			for {
				next, ok := st.VatstoreNextKey(id, k)
				if !ok || !strings.HasPrefix(next, prefix) {
					return
				}
				fn(next)
				k = next
			}
		}
		each("vom.dkind.", func(key string) {
			raw, _ := get(key)
			var desc struct {
				KindID  uint64   `json:"kindID"`
				Tag     string   `json:"tag"`
				Facets  []string `json:"facets"`
				Defined bool     `json:"defined"`
			}
			if json.Unmarshal([]byte(raw), &desc) != nil {
				desc.Tag = "(corrupt descriptor " + strconv.Quote(raw) + ")"
			}
			k := Kind{ID: desc.KindID, Tag: desc.Tag, Facets: desc.Facets, Defined: desc.Defined}
			if n, ok := get("vd.nextInstance." + strconv.FormatUint(desc.KindID, 10)); ok {
				if v, err := strconv.ParseUint(n, 10, 64); err == nil && v > 0 {
					k.Instances = v - 1
				}
			}
			vd.Kinds = append(vd.Kinds, k)
		})
		for _, durable := range []bool{true, false} {
			prefix := "vc."
			if !durable {
				prefix = "vv.vc."
			}
			each(prefix, func(key string) {
				rest := strings.TrimPrefix(key, prefix)
				num, field, ok := strings.Cut(rest, ".")
				if !ok || field != "|schemata" {
					return
				}
				vd.Collections = append(vd.Collections, collectionOf(num, durable, get))
			})
		}
		if _, ok := get("vc.1.|entryCount"); ok || hasBaggageEntries(st, id) {
			if !hasCollection(vd.Collections, 1) {
				vd.Collections = append([]Collection{collectionOf("1", true, get)}, vd.Collections...)
			}
		}
		each("baggage.", func(string) { vd.GoBaggage++ })
		out = append(out, vd)
	}
	return out, nil
}

func hasCollection(cs []Collection, id uint64) bool {
	for _, c := range cs {
		if c.ID == id && c.Durable {
			return true
		}
	}
	return false
}

// hasBaggageEntries reports whether a JS vat's baggage (collection 1, whose
// metadata is written lazily) holds anything.
func hasBaggageEntries(st *state.State, id vat.ID) bool {
	next, ok := st.VatstoreNextKey(id, "vc.1.")
	return ok && strings.HasPrefix(next, "vc.1.")
}

// collectionOf reads a collection's metadata from its vatstore keys.
func collectionOf(num string, durable bool, get func(string) (string, bool)) Collection {
	id, _ := strconv.ParseUint(num, 10, 64)
	prefix := "vc." + num + "."
	if !durable {
		prefix = "vv." + prefix
	}
	c := Collection{ID: id, Durable: durable, Entries: -1, Label: "baggage"}
	if raw, ok := get(prefix + "|schemata"); ok {
		c.Label = "(unreadable schemata)"
		var cd struct {
			Body string `json:"body"`
		}
		if json.Unmarshal([]byte(raw), &cd) == nil {
			if v, err := capdata.Decode(capdata.CapData{Body: cd.Body}); err == nil {
				if r, ok := v.(*capdata.Record); ok {
					if l, ok := r.Get("label"); ok {
						c.Label, _ = l.(string)
					}
				}
			}
		}
	}
	if n, ok := get(prefix + "|entryCount"); ok {
		c.Entries, _ = strconv.ParseInt(n, 10, 64)
	} else if id == 1 && durable {
		c.Entries = 0
	}
	c.Kind = "scalarDurableMapStore" // baggage, whose metadata is written lazily
	if k, ok := get(prefix + "|kind"); ok {
		c.Kind = k
	}
	for id, name := range storeKindNames {
		if name == c.Kind {
			c.VRef = fmt.Sprintf("o+%s%d/%d", map[bool]string{true: "d", false: "v"}[durable], id, c.ID)
		}
	}
	return c
}
