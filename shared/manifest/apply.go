package manifest

import (
	"cmp"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
)

// Change is the observed current state of one key in the bucket: playable
// (Entry set), present but not playable (Reject set), or gone (neither).
// Changes carry states rather than events, so applying the same change twice,
// or an old one after a newer one has been observed, cannot corrupt the
// manifest: the caller observes the bucket and the manifest follows it.
type Change struct {
	Key    string
	Entry  *Entry
	Reject *Rejection
	// Language is the playable file's tagged language ("es"), or "".
	Language string
}

// WithLanguage returns the change with the file's tagged language.
func (c Change) WithLanguage(language string) Change {
	c.Language = language
	return c
}

// Upsert is the change for a playable file.
func Upsert(e Entry) Change { return Change{Key: e.Key, Entry: &e} }

// Reject is the change for a file that is present but not playable.
func Reject(r Rejection) Change { return Change{Key: r.Key, Reject: &r} }

// Remove is the change for a key that is no longer in the bucket.
func Remove(key string) Change { return Change{Key: key} }

// Summary counts what Apply changed.
type Summary struct {
	Added, Updated, Removed int
	// Rejected counts rejections added, changed or dropped.
	Rejected int
}

// Changed reports whether Apply changed anything.
func (s Summary) Changed() bool { return s != Summary{} }

const gone = ^uint32(0)

// Apply brings the manifest in line with the observed changes. For a key
// with several changes the last one wins. New entries are inserted at
// uniformly random positions of the library playlist and of their folder's
// playlist; entries that stay keep their relative order. The cost is
// O(n + k log k) for n entries and k changes.
func (m *Manifest) Apply(changes []Change, rng *rand.Rand) Summary {
	changes = lastPerKey(changes)
	var sum Summary
	if len(changes) == 0 {
		return sum
	}

	old := m.Entries
	entries := make([]Entry, 0, len(old)+len(changes))
	remap := make([]uint32, len(old))
	var added []uint32
	i, j := 0, 0
	for i < len(old) || j < len(changes) {
		switch {
		case j == len(changes) || (i < len(old) && old[i].Key < changes[j].Key):
			remap[i] = uint32(len(entries))
			entries = append(entries, old[i])
			i++
		case i == len(old) || changes[j].Key < old[i].Key:
			if c := changes[j]; c.Entry != nil {
				added = append(added, uint32(len(entries)))
				entries = append(entries, *c.Entry)
				sum.Added++
			}
			j++
		default: // same key
			if c := changes[j]; c.Entry != nil {
				if *c.Entry != old[i] {
					sum.Updated++
				}
				remap[i] = uint32(len(entries))
				entries = append(entries, *c.Entry)
			} else {
				remap[i] = gone
				sum.Removed++
			}
			i++
			j++
		}
	}
	m.Entries = entries
	sum.Rejected = m.applyRejections(changes)
	if m.applyLanguages(changes) && sum == (Summary{}) {
		sum.Updated++ // only a file's language changed
	}

	if sum.Added == 0 && sum.Removed == 0 {
		return sum // same indexes, same orders
	}
	for p := range m.Playlists {
		m.Playlists[p].Order = remapOrder(m.Playlists[p].Order, remap)
	}
	m.insert(added, rng)
	m.dropEmpty()
	return sum
}

// applyLanguages records each change's language, reporting a difference.
func (m *Manifest) applyLanguages(changes []Change) (changed bool) {
	for _, c := range changes {
		old, had := m.Languages[c.Key]
		switch {
		case c.Entry != nil && c.Language != "":
			if m.Languages == nil {
				m.Languages = map[string]string{}
			}
			m.Languages[c.Key] = c.Language
			changed = changed || old != c.Language
		case had:
			delete(m.Languages, c.Key)
			changed = true
		}
	}
	return changed
}

func (m *Manifest) applyRejections(changes []Change) int {
	old := m.Rejected
	out := make([]Rejection, 0, len(old))
	n := 0
	i, j := 0, 0
	for i < len(old) || j < len(changes) {
		switch {
		case j == len(changes) || (i < len(old) && old[i].Key < changes[j].Key):
			out = append(out, old[i])
			i++
		case i == len(old) || changes[j].Key < old[i].Key:
			if r := changes[j].Reject; r != nil {
				out = append(out, *r)
				n++
			}
			j++
		default:
			if r := changes[j].Reject; r == nil || *r != old[i] {
				n++ // dropped or changed
			}
			if r := changes[j].Reject; r != nil {
				out = append(out, *r)
			}
			i++
			j++
		}
	}
	m.Rejected = out
	return n
}

// lastPerKey sorts changes by key and keeps the last change for each key.
func lastPerKey(changes []Change) []Change {
	out := slices.Clone(changes)
	slices.SortStableFunc(out, func(a, b Change) int { return strings.Compare(a.Key, b.Key) })
	w := 0
	for r := range out {
		if r+1 < len(out) && out[r+1].Key == out[r].Key {
			continue
		}
		out[w] = out[r]
		w++
	}
	return out[:w]
}

func remapOrder(order, remap []uint32) []uint32 {
	w := 0
	for _, idx := range order {
		if n := remap[idx]; n != gone {
			order[w] = n
			w++
		}
	}
	return order[:w]
}

// insert places the new entries at random positions of the library and of
// their folder playlists, creating folder playlists as needed.
func (m *Manifest) insert(added []uint32, rng *rand.Rand) {
	if len(added) == 0 {
		return
	}
	lib := m.Library()
	lib.Order = insertRandom(lib.Order, added, rng)

	byFolder := map[string][]uint32{}
	for _, idx := range added {
		if f := Folder(m.Entries[idx].Key); f != "" {
			byFolder[f] = append(byFolder[f], idx)
		}
	}
	// Folders in sorted order, so that a seed gives one result; existing
	// playlists are looked up only among the sorted ones, not among those
	// appended here.
	names := slices.Sorted(maps.Keys(byFolder))
	existing := len(m.Playlists)
	for _, f := range names {
		var p *Playlist
		if i, ok := slices.BinarySearchFunc(m.Playlists[1:existing], f, func(p Playlist, n string) int { return strings.Compare(p.Name, n) }); ok {
			p = &m.Playlists[1+i]
		} else {
			m.Playlists = append(m.Playlists, Playlist{Name: f, Seed: rng.Uint64()})
			p = &m.Playlists[len(m.Playlists)-1]
		}
		p.Order = insertRandom(p.Order, byFolder[f], rng)
	}
	if len(m.Playlists) > existing {
		folders := m.Playlists[1:]
		slices.SortFunc(folders, func(a, b Playlist) int { return cmp.Compare(a.Name, b.Name) })
	}
}

func (m *Manifest) dropEmpty() {
	m.Playlists = slices.DeleteFunc(m.Playlists, func(p Playlist) bool { return p.Name != "" && len(p.Order) == 0 })
}

// insertRandom returns order with add inserted: the new items take a
// uniformly random set of positions, in random order, and the old items keep
// their relative order. It is the same distribution as inserting each item
// at a uniform position one at a time, in O(n + k).
func insertRandom(order, add []uint32, rng *rand.Rand) []uint32 {
	n, k := len(order), len(add)
	if k == 1 {
		return slices.Insert(order, rng.IntN(n+1), add[0])
	}
	add = slices.Clone(add)
	rng.Shuffle(k, func(a, b int) { add[a], add[b] = add[b], add[a] })
	total := n + k
	pick := make([]bool, total)
	for j := n; j < total; j++ { // Floyd's sampling of k positions out of total
		if t := rng.IntN(j + 1); pick[t] {
			pick[j] = true
		} else {
			pick[t] = true
		}
	}
	out := make([]uint32, total)
	oi, ai := 0, 0
	for p := range out {
		if pick[p] {
			out[p] = add[ai]
			ai++
		} else {
			out[p] = order[oi]
			oi++
		}
	}
	return out
}

// Known reports whether key is already in the manifest, playable or
// rejected, with this ETag: a file that needs no new look.
func (m *Manifest) Known(key, etag string) bool {
	if i, ok := m.Lookup(key); ok {
		return m.Entries[i].ETag == etag
	}
	i, ok := slices.BinarySearchFunc(m.Rejected, key, func(r Rejection, k string) int { return strings.Compare(r.Key, k) })
	return ok && m.Rejected[i].ETag == etag
}

// Keys returns every key the manifest knows, playable or rejected, sorted.
func (m *Manifest) Keys() []string {
	keys := make([]string, 0, len(m.Entries)+len(m.Rejected))
	for _, e := range m.Entries {
		keys = append(keys, e.Key)
	}
	for _, r := range m.Rejected {
		keys = append(keys, r.Key)
	}
	slices.Sort(keys)
	return keys
}
