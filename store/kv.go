package store

import (
	"fmt"
	"slices"
	"strings"
)

// ActivityHashKey holds the running hash of every crank's consensus changes.
const ActivityHashKey = "activityhash"

// IsHostKey reports whether key is reserved for the host (never written by the kernel).
func IsHostKey(key string) bool { return strings.HasPrefix(key, "host.") }

// IsLocalKey reports whether key is node-local state, left out of the crank hash.
func IsLocalKey(key string) bool { return strings.HasPrefix(key, "local.") }

func hashed(key string) bool {
	return !IsLocalKey(key) && !IsHostKey(key) && key != ActivityHashKey
}

func checkKernelKey(key string) {
	if key == "" {
		panic("store: empty key")
	}
	if IsHostKey(key) {
		panic(fmt.Sprintf("store: key %q is reserved for the host", key))
	}
}

// pending returns the uncommitted entry for key: the crank's, else the block's.
func (s *Store) pending(key string) (kvEntry, bool) {
	if s.crank != nil {
		if e, ok := s.crank.kv[key]; ok {
			return e, true
		}
	}
	e, ok := s.block.kv[key]
	return e, ok
}

// Get returns the value stored under key.
func (s *Store) Get(key string) (string, bool) {
	if e, ok := s.pending(key); ok {
		return e.value, !e.deleted
	}
	return s.committedGet(key)
}

// committedGet reads a committed value through the cache.
func (s *Store) committedGet(key string) (string, bool) {
	if c, ok := s.cache[key]; ok {
		return c.value, c.present
	}
	st, err := s.stmt("SELECT value FROM kvStore WHERE key = ?")
	if err != nil {
		s.readErr("get "+key, err)
	}
	st.BindText(1, key)
	var c cached
	if st.Step() {
		c = cached{value: st.ColumnText(0), present: true}
	} else if err := st.Err(); err != nil {
		st.Reset()
		s.readErr("get "+key, err)
	}
	st.Reset()
	s.cache[key] = c
	return c.value, c.present
}

// Has reports whether key is set.
func (s *Store) Has(key string) bool {
	_, ok := s.Get(key)
	return ok
}

// Set stores value under key in the current crank.
func (s *Store) Set(key, value string) {
	checkKernelKey(key)
	c := s.mustCrank("set " + key)
	c.kv[key] = kvEntry{value: value}
	if hashed(key) {
		s.hasher.add(key, value)
	}
}

// Delete removes key in the current crank.
func (s *Store) Delete(key string) {
	checkKernelKey(key)
	c := s.mustCrank("delete " + key)
	c.kv[key] = kvEntry{deleted: true}
	if hashed(key) {
		s.hasher.delete(key)
	}
}

// overlay returns the uncommitted entries whose keys satisfy keep.
func (s *Store) overlay(keep func(string) bool) map[string]kvEntry {
	over := map[string]kvEntry{}
	for k, e := range s.block.kv {
		if keep(k) {
			over[k] = e
		}
	}
	if s.crank != nil {
		for k, e := range s.crank.kv {
			if keep(k) {
				over[k] = e
			}
		}
	}
	return over
}

// GetNextKey returns the first key after prev in byte order.
func (s *Store) GetNextKey(prev string) (string, bool) {
	over := s.overlay(func(k string) bool { return k > prev })
	next, found := "", false
	for k, e := range over {
		if !e.deleted && (!found || k < next) {
			next, found = k, true
		}
	}
	after := prev
	for {
		k, ok := s.committedNext(after)
		if !ok || (found && k >= next) {
			return next, found
		}
		if e, in := over[k]; in && e.deleted {
			after = k
			continue
		}
		return k, true
	}
}

func (s *Store) committedNext(prev string) (string, bool) {
	st, err := s.stmt("SELECT key FROM kvStore WHERE key > ? ORDER BY key LIMIT 1")
	if err != nil {
		s.readErr("next key", err)
	}
	defer st.Reset()
	st.BindText(1, prev)
	if st.Step() {
		return st.ColumnText(0), true
	}
	if err := st.Err(); err != nil {
		s.readErr("next key", err)
	}
	return "", false
}

// KeysWithPrefix returns every key that starts with prefix, in byte order.
func (s *Store) KeysWithPrefix(prefix string) []string {
	var st = s.mustStmt("SELECT key FROM kvStore WHERE key >= ? AND key < ? ORDER BY key")
	end, bounded := prefixEnd(prefix)
	if !bounded {
		st = s.mustStmt("SELECT key FROM kvStore WHERE key >= ? ORDER BY key")
	}
	defer st.Reset()
	st.BindText(1, prefix)
	if bounded {
		st.BindText(2, end)
	}
	over := s.overlay(func(k string) bool { return strings.HasPrefix(k, prefix) })
	var keys []string
	for st.Step() {
		k := st.ColumnText(0)
		if e, ok := over[k]; ok && e.deleted {
			continue
		}
		keys = append(keys, k)
	}
	if err := st.Err(); err != nil {
		s.readErr("prefix "+prefix, err)
	}
	added := false
	for k, e := range over {
		if !e.deleted {
			if _, found := slices.BinarySearch(keys, k); !found {
				keys = append(keys, k)
				added = true
			}
		}
	}
	if added {
		slices.Sort(keys)
	}
	return keys
}

func (s *Store) mustStmt(sql string) *stmtT {
	st, err := s.stmt(sql)
	if err != nil {
		s.readErr(sql, err)
	}
	return st
}

// prefixEnd returns the least string greater than every string with prefix p.
func prefixEnd(p string) (string, bool) {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1]), true
		}
	}
	return "", false
}

// HostGet reads a host.* key.
func (s *Store) HostGet(key string) (string, bool) {
	if !IsHostKey(key) {
		panic(fmt.Sprintf("store: %q is not a host key", key))
	}
	return s.Get(key)
}

// HostSet writes a host.* key into the current block, outside the crank hash.
func (s *Store) HostSet(key, value string) error {
	if !IsHostKey(key) {
		return fmt.Errorf("store: %q is not a host key", key)
	}
	s.block.kv[key] = kvEntry{value: value}
	return s.err
}

// HostDelete removes a host.* key in the current block.
func (s *Store) HostDelete(key string) error {
	if !IsHostKey(key) {
		return fmt.Errorf("store: %q is not a host key", key)
	}
	s.block.kv[key] = kvEntry{deleted: true}
	return s.err
}

// ActivityHash returns the activity hash as of the last ended crank.
func (s *Store) ActivityHash() string {
	v, _ := s.Get(ActivityHashKey)
	return v
}
