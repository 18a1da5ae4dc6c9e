package store

import (
	"errors"
	"maps"
	"slices"
)

// ErrNoBundle is returned for a bundle ID the store does not hold.
var ErrNoBundle = errors.New("store: not in the bundle store")

// PutBundle stores a bundle under its ID in the current crank.
func (s *Store) PutBundle(id string, data []byte) {
	c := s.mustCrank("put bundle " + id)
	c.bundles[id] = slices.Clip(slices.Clone(data))
	if c.bundles[id] == nil {
		c.bundles[id] = []byte{}
	}
}

// DeleteBundle removes a bundle in the current crank.
func (s *Store) DeleteBundle(id string) {
	c := s.mustCrank("delete bundle " + id)
	c.bundles[id] = nil
}

// GetBundle returns the bundle stored under id.
func (s *Store) GetBundle(id string) ([]byte, error) {
	if data, ok := s.pendingBundle(id); ok {
		if data == nil {
			return nil, ErrNoBundle
		}
		return data, nil
	}
	st, err := s.stmt("SELECT bundle FROM bundles WHERE bundleID = ?")
	if err != nil {
		return nil, s.fail(s.wrap("get bundle "+id, err))
	}
	defer st.Reset()
	st.BindText(1, id)
	if st.Step() {
		return st.ColumnBlob(0, nil), nil
	}
	if err := st.Err(); err != nil {
		return nil, s.fail(s.wrap("get bundle "+id, err))
	}
	return nil, ErrNoBundle
}

// HasBundle reports whether the store holds a bundle with this ID.
func (s *Store) HasBundle(id string) bool {
	return s.BundleSize(id) >= 0
}

// BundleSize returns the size in bytes of a stored bundle, or -1.
func (s *Store) BundleSize(id string) int64 {
	if data, ok := s.pendingBundle(id); ok {
		if data == nil {
			return -1
		}
		return int64(len(data))
	}
	st := s.mustStmt("SELECT length(bundle) FROM bundles WHERE bundleID = ?")
	defer st.Reset()
	st.BindText(1, id)
	if st.Step() {
		return st.ColumnInt64(0)
	}
	if err := st.Err(); err != nil {
		s.readErr("bundle size "+id, err)
	}
	return -1
}

// BundleIDs returns the IDs of every stored bundle, sorted.
func (s *Store) BundleIDs() []string {
	st := s.mustStmt("SELECT bundleID FROM bundles ORDER BY bundleID")
	var ids []string
	for st.Step() {
		ids = append(ids, st.ColumnText(0))
	}
	err := st.Err()
	st.Reset()
	if err != nil {
		s.readErr("bundle ids", err)
	}
	layers := []*layer{s.block}
	if s.crank != nil {
		layers = append(layers, s.crank)
	}
	for _, l := range layers {
		for _, id := range slices.Sorted(maps.Keys(l.bundles)) {
			i, found := slices.BinarySearch(ids, id)
			switch data := l.bundles[id]; {
			case data == nil && found:
				ids = slices.Delete(ids, i, i+1)
			case data != nil && !found:
				ids = slices.Insert(ids, i, id)
			}
		}
	}
	return ids
}

// pendingBundle returns an uncommitted bundle change: the crank's, else the block's.
func (s *Store) pendingBundle(id string) ([]byte, bool) {
	if s.crank != nil {
		if data, ok := s.crank.bundles[id]; ok {
			return data, true
		}
	}
	data, ok := s.block.bundles[id]
	return data, ok
}
