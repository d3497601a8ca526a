package skill

import (
	"encoding/base64"
	"encoding/binary"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/jokebox/jokebox/shared/manifest"
)

// tokenIndex answers, in O(1), the lookups a token needs beyond its fast
// path (same version, same position): which entry and playlist a hashed
// field ("#…", see hashKey) names, and where an entry sits in a playlist.
// It is built once per manifest, lazily and in parts: the positions on the
// first stale token (8 bytes an entry), the hashes on the first hashed one
// (a table of 8 to 16 bytes an entry, checked by hashing the candidate).
// Without it a forged "#" key made every request hash every entry of the
// playlist.
type tokenIndex struct {
	m *manifest.Manifest

	posOnce   sync.Once
	libPos    []int32 // entry → position in the library
	folderPos []int32 // entry → position in its folder's playlist, -1 if none

	hashOnce  sync.Once
	keys      []int32            // open-addressing table: entry+1 at the slot of hashKey(key); 0 is empty
	playlists map[[16]byte]int32 // hashKey(name) → playlist
}

// indexes holds the index of the most recent manifest asked for.
type indexes struct{ cur atomic.Pointer[tokenIndex] }

// of returns m's index, making an empty one (built on use) for a new m.
func (x *indexes) of(m *manifest.Manifest) *tokenIndex {
	for {
		old := x.cur.Load()
		if old != nil && old.m == m {
			return old
		}
		ti := &tokenIndex{m: m}
		if x.cur.CompareAndSwap(old, ti) {
			return ti
		}
	}
}

// hashOf decodes a hashed field to the 16 bytes hashKey encodes.
func hashOf(field string) (h [16]byte, ok bool) {
	if len(field) != 1+base64.RawURLEncoding.EncodedLen(len(h)) || field[0] != '#' {
		return h, false
	}
	n, err := base64.RawURLEncoding.Decode(h[:], []byte(field[1:]))
	return h, err == nil && n == len(h)
}

func (x *tokenIndex) buildHashes() {
	m := x.m
	size := 2
	for size < 2*len(m.Entries) { // at most half full: a miss probes about 2.5 slots
		size <<= 1
	}
	x.keys = make([]int32, size)
	for i := range m.Entries {
		s := slot(keyHash(m.Entries[i].Key), size)
		for x.keys[s] != 0 {
			s = (s + 1) & (size - 1)
		}
		x.keys[s] = int32(i) + 1
	}
	x.playlists = make(map[[16]byte]int32, len(m.Playlists))
	for i := range m.Playlists {
		x.playlists[keyHash(m.Playlists[i].Name)] = int32(i)
	}
}

// slot is where a hash starts probing in a table of size (a power of two).
func slot(h [16]byte, size int) int {
	return int(binary.LittleEndian.Uint64(h[:8]) & uint64(size-1))
}

// hashed finds the entry whose key hashes to h.
func (x *tokenIndex) hashed(h [16]byte) (int, bool) {
	size := len(x.keys)
	for s := slot(h, size); x.keys[s] != 0; s = (s + 1) & (size - 1) {
		idx := int(x.keys[s] - 1)
		if keyHash(x.m.Entries[idx].Key) == h {
			return idx, true
		}
	}
	return 0, false
}

func (x *tokenIndex) buildPositions() {
	m := x.m
	x.libPos = make([]int32, len(m.Entries))
	x.folderPos = make([]int32, len(m.Entries))
	for i := range x.folderPos {
		x.libPos[i], x.folderPos[i] = -1, -1
	}
	for pi := range m.Playlists {
		pos := x.folderPos
		if pi == 0 {
			pos = x.libPos
		}
		for p, idx := range m.Playlists[pi].Order {
			if int(idx) < len(pos) {
				pos[idx] = int32(p)
			}
		}
	}
}

// entry finds the entry a token's key field names: the key itself, or
// its hash.
func (x *tokenIndex) entry(field string) (int, bool) {
	if idx, ok := x.m.Lookup(field); ok { // also a key that begins with "#"
		return idx, true
	}
	h, ok := hashOf(field)
	if !ok {
		return 0, false
	}
	x.hashOnce.Do(x.buildHashes)
	return x.hashed(h)
}

// playlist finds the playlist a token's playlist field names: the name
// itself ("" is the library), or its hash.
func (x *tokenIndex) playlist(field string) (*manifest.Playlist, bool) {
	if pl, ok := x.m.Playlist(field); ok {
		return pl, true
	}
	if !strings.HasPrefix(field, "#") {
		return nil, false
	}
	h, ok := hashOf(field)
	if !ok {
		return nil, false
	}
	x.hashOnce.Do(x.buildHashes)
	i, ok := x.playlists[h]
	if !ok {
		return nil, false
	}
	return &x.m.Playlists[i], true
}

// position is where entry idx sits in pl.
func (x *tokenIndex) position(pl *manifest.Playlist, idx int) (int, bool) {
	x.posOnce.Do(x.buildPositions)
	pos := x.folderPos
	if pl == x.m.Library() {
		pos = x.libPos
	}
	if idx < 0 || idx >= len(pos) {
		return 0, false
	}
	if p := int(pos[idx]); p >= 0 && p < len(pl.Order) && int(pl.Order[p]) == idx {
		return p, true
	}
	return 0, false
}
