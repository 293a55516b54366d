package inventory

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// scopeStates is what a sync holds of a scope's stored assets while it
// lists the scope (Store.ScopeStates), and which of them the listing saw.
// Every scope being listed holds its own, so it is compact: the asset IDs
// back to back in one string, and a fixed-size record per asset, sorted
// by asset ID and found by binary search, with the hash as 32 bytes (when
// it is lowercase hex, as ContentHash makes it) and the status as an
// index in the scope's few distinct statuses. A map of ID to AssetState,
// with a string per ID, hash and status, costs about three times as much.
type scopeStates struct {
	text     string
	recs     []stateRec
	statuses []string
	odd      map[string]string // asset ID -> hash, for hashes that are not 64 lowercase hex digits
	fresh    map[string]struct{}
	seen     int // records marked seen plus len(fresh)
}

// stateRec is one stored asset: its ID as an offset and length in
// scopeStates.text, its status as an index in scopeStates.statuses.
type stateRec struct {
	id, idLen, status uint32
	flags             uint8 // stateDeleted, stateSeen, stateHashRaw
	hash              [32]byte
}

const (
	stateDeleted = 1 << iota
	stateSeen
	stateHashRaw // hash holds the decoded hash; else it is in odd
)

// newScopeStates compacts states.
func newScopeStates(states map[string]AssetState) (*scopeStates, error) {
	s := &scopeStates{recs: make([]stateRec, 0, len(states)), fresh: map[string]struct{}{}}
	n := 0
	for id := range states {
		n += len(id)
	}
	if n > math.MaxUint32 {
		return nil, fmt.Errorf("the scope's %d asset IDs take %d bytes, more than a sync indexes", len(states), n)
	}
	var text strings.Builder
	text.Grow(n)
	statuses := map[string]uint32{}
	for id, st := range states {
		r := stateRec{id: uint32(text.Len()), idLen: uint32(len(id))}
		text.WriteString(id)
		status, ok := statuses[st.Status]
		if !ok {
			status = uint32(len(s.statuses))
			statuses[st.Status] = status
			s.statuses = append(s.statuses, st.Status)
		}
		r.status = status
		if st.Deleted {
			r.flags |= stateDeleted
		}
		if decodeHash(&r.hash, st.Hash) {
			r.flags |= stateHashRaw
		} else {
			if s.odd == nil {
				s.odd = map[string]string{}
			}
			s.odd[id] = st.Hash
		}
		s.recs = append(s.recs, r)
	}
	s.text = text.String()
	slices.SortFunc(s.recs, func(a, b stateRec) int { return strings.Compare(s.idOf(&a), s.idOf(&b)) })
	return s, nil
}

// decodeHash decodes h into out when it is 64 lowercase hex digits.
func decodeHash(out *[32]byte, h string) bool {
	if len(h) != 64 {
		return false
	}
	for i := range 32 {
		hi, ok1 := unhex(h[2*i])
		lo, ok2 := unhex(h[2*i+1])
		if !ok1 || !ok2 {
			return false
		}
		out[i] = hi<<4 | lo
	}
	return true
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

func (s *scopeStates) idOf(r *stateRec) string { return s.text[r.id : r.id+r.idLen] }

// find returns the index of the stored asset with the ID.
func (s *scopeStates) find(id string) (int, bool) {
	return slices.BinarySearchFunc(s.recs, id, func(r stateRec, id string) int { return strings.Compare(s.idOf(&r), id) })
}

// state returns the stored state of record i, without its hash.
func (s *scopeStates) state(i int) AssetState {
	r := &s.recs[i]
	return AssetState{Deleted: r.flags&stateDeleted != 0, Status: s.statuses[r.status]}
}

// sameHash reports whether record i's stored hash is h.
func (s *scopeStates) sameHash(i int, h string) bool {
	r := &s.recs[i]
	if r.flags&stateHashRaw == 0 {
		return s.odd[s.idOf(r)] == h
	}
	var b [32]byte
	return decodeHash(&b, h) && b == r.hash
}

// see marks the asset seen by the listing, and reports whether it was
// already. i and known are find's answer for id.
func (s *scopeStates) see(id string, i int, known bool) (dup bool) {
	if known {
		r := &s.recs[i]
		if r.flags&stateSeen != 0 {
			return true
		}
		r.flags |= stateSeen
	} else {
		if _, ok := s.fresh[id]; ok {
			return true
		}
		s.fresh[id] = struct{}{}
	}
	s.seen++
	return false
}

// unseenLive returns the IDs of the live stored assets the listing did
// not see.
func (s *scopeStates) unseenLive() []string {
	var out []string
	for i := range s.recs {
		if r := &s.recs[i]; r.flags&(stateSeen|stateDeleted) == 0 {
			out = append(out, s.idOf(r))
		}
	}
	return out
}
