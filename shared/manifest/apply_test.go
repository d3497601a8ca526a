package manifest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func entry(key string) Entry {
	return Entry{Key: key, Size: int64(len(key)) * 100, ETag: fmt.Sprintf("%032x", len(key)), Title: "t " + key, Duration: 1500 * time.Millisecond}
}

func rejection(key string) Rejection {
	return Rejection{Key: key, Size: 0, ETag: "d41d8cd98f00b204e9800998ecf8427e", Reason: "zero-byte file"}
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed+1)) }

// sample returns a valid manifest of n entries spread over the root and
// three folders, one with nested folders, and two rejections.
func sample(t testing.TB, n int) *Manifest {
	t.Helper()
	m := New()
	var changes []Change
	for i := range n {
		var key string
		switch i % 4 {
		case 0:
			key = fmt.Sprintf("root-%03d.mp3", i)
		case 1:
			key = fmt.Sprintf("Animales/perro-%03d.mp3", i)
		case 2:
			key = fmt.Sprintf("Cuentos_Cortos/sub folder/otro+chiste-%03d.mp3", i)
		default:
			key = fmt.Sprintf("Ñandú/%03d.MP3", i)
		}
		changes = append(changes, Upsert(entry(key)))
	}
	changes = append(changes, Reject(rejection("Animales/vacío.mp3")), Reject(rejection("texto.mp3")))
	m.Apply(changes, newRand(1))
	m.Version = 3
	m.Created = time.Date(2026, 11, 23, 14, 49, 56, 229043000, time.UTC)
	if err := m.Validate(); err != nil {
		t.Fatalf("sample manifest invalid: %v", err)
	}
	return m
}

func clone(m *Manifest) *Manifest {
	c := *m
	c.Entries = slices.Clone(m.Entries)
	c.Rejected = slices.Clone(m.Rejected)
	c.Playlists = slices.Clone(m.Playlists)
	for i := range c.Playlists {
		c.Playlists[i].Order = slices.Clone(m.Playlists[i].Order)
	}
	return &c
}

// keysOf returns the keys of a playlist in play order.
func keysOf(m *Manifest, name string) []string {
	p, ok := m.Playlist(name)
	if !ok {
		return nil
	}
	keys := make([]string, len(p.Order))
	for i, idx := range p.Order {
		keys[i] = m.Entries[idx].Key
	}
	return keys
}

func playlistNames(m *Manifest) []string {
	var names []string
	for _, p := range m.Playlists {
		names = append(names, p.Name)
	}
	return names
}

func rejectedKeys(m *Manifest) []string {
	var keys []string
	for _, r := range m.Rejected {
		keys = append(keys, r.Key)
	}
	return keys
}

func mustApply(t *testing.T, m *Manifest, changes []Change, seed uint64) Summary {
	t.Helper()
	sum := m.Apply(changes, newRand(seed))
	if err := m.Validate(); err != nil {
		t.Fatalf("after Apply: %v", err)
	}
	return sum
}

func TestApplyIdempotent(t *testing.T) {
	t.Parallel()
	m := sample(t, 40)
	changes := []Change{
		Upsert(entry("new.mp3")),
		Upsert(entry("Animales/gato.mp3")),
		Upsert(entry("Nueva/uno.mp3")),
		Remove("root-000.mp3"),
		Remove("Animales/perro-001.mp3"),
		Remove("no-such-key.mp3"),
		Reject(rejection("Nueva/roto.mp3")),
		Remove("texto.mp3"),
	}
	first := mustApply(t, m, changes, 2)
	want := Summary{Added: 3, Removed: 2, Rejected: 2} // Nueva/roto.mp3 rejected, texto.mp3's rejection dropped
	if diff := cmp.Diff(want, first); diff != "" {
		t.Errorf("first Apply summary (-want +got):\n%s", diff)
	}
	once := clone(m)
	second := mustApply(t, m, changes, 3)
	if second.Changed() {
		t.Errorf("second Apply of the same changes changed %+v", second)
	}
	if diff := cmp.Diff(once, m); diff != "" {
		t.Errorf("applying twice differs from once (-once +twice):\n%s", diff)
	}
}

func TestApplyLastChangeWins(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		changes      []Change
		wantEntries  []string
		wantRejected []string
	}{
		{"add then remove", []Change{Upsert(entry("a.mp3")), Remove("a.mp3")}, nil, nil},
		{"remove then add", []Change{Remove("a.mp3"), Upsert(entry("a.mp3"))}, []string{"a.mp3"}, nil},
		{"add then reject", []Change{Upsert(entry("a.mp3")), Reject(rejection("a.mp3"))}, nil, []string{"a.mp3"}},
		{"reject then add", []Change{Reject(rejection("a.mp3")), Upsert(entry("a.mp3"))}, []string{"a.mp3"}, nil},
		{"interleaved keys", []Change{
			Upsert(entry("b.mp3")), Upsert(entry("a.mp3")), Remove("b.mp3"), Reject(rejection("c.mp3")), Upsert(entry("c.mp3")), Remove("a.mp3"), Upsert(entry("b.mp3")),
		}, []string{"b.mp3", "c.mp3"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := New()
			mustApply(t, m, tt.changes, 1)
			var got []string
			for _, e := range m.Entries {
				got = append(got, e.Key)
			}
			if diff := cmp.Diff(tt.wantEntries, got); diff != "" {
				t.Errorf("entries (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantRejected, rejectedKeys(m)); diff != "" {
				t.Errorf("rejected (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("last version of an entry", func(t *testing.T) {
		m := New()
		a, b := entry("x.mp3"), entry("x.mp3")
		b.ETag, b.Title = "ffffffffffffffffffffffffffffffff", "second"
		mustApply(t, m, []Change{Upsert(a), Upsert(b)}, 1)
		if diff := cmp.Diff([]Entry{b}, m.Entries); diff != "" {
			t.Errorf("entries (-want +got):\n%s", diff)
		}
		c := b
		c.Title = "third"
		if sum := mustApply(t, m, []Change{Upsert(c)}, 1); sum != (Summary{Updated: 1}) {
			t.Errorf("update summary %+v; want one updated", sum)
		}
		if m.Entries[0].Title != "third" {
			t.Errorf("title %q; want third", m.Entries[0].Title)
		}
	})
}

func TestApplyRejectionsMoveInAndOut(t *testing.T) {
	t.Parallel()
	m := New()
	mustApply(t, m, []Change{Upsert(entry("Folder/a.mp3")), Upsert(entry("b.mp3"))}, 1)

	sum := mustApply(t, m, []Change{Reject(rejection("Folder/a.mp3"))}, 2)
	if sum != (Summary{Removed: 1, Rejected: 1}) {
		t.Errorf("reject summary %+v", sum)
	}
	if _, ok := m.Lookup("Folder/a.mp3"); ok {
		t.Error("rejected key still an entry")
	}
	if diff := cmp.Diff([]string{"Folder/a.mp3"}, rejectedKeys(m)); diff != "" {
		t.Errorf("rejected (-want +got):\n%s", diff)
	}
	if _, ok := m.Playlist("Folder"); ok {
		t.Error("folder playlist kept after its only entry was rejected")
	}
	if !m.Known("Folder/a.mp3", rejection("").ETag) || m.Known("Folder/a.mp3", "other") {
		t.Error("Known does not follow the rejection's ETag")
	}

	sum = mustApply(t, m, []Change{Upsert(entry("Folder/a.mp3"))}, 3)
	if sum != (Summary{Added: 1, Rejected: 1}) {
		t.Errorf("un-reject summary %+v", sum)
	}
	if len(m.Rejected) != 0 {
		t.Errorf("rejections %v; want none", rejectedKeys(m))
	}
	if diff := cmp.Diff([]string{"", "Folder"}, playlistNames(m)); diff != "" {
		t.Errorf("playlists (-want +got):\n%s", diff)
	}

	mustApply(t, m, []Change{Reject(rejection("Folder/a.mp3"))}, 4)
	mustApply(t, m, []Change{Remove("Folder/a.mp3")}, 5)
	if len(m.Rejected) != 0 {
		t.Errorf("rejection of a deleted file kept: %v", rejectedKeys(m))
	}
}

func TestApplyFolders(t *testing.T) {
	t.Parallel()
	m := New()
	mustApply(t, m, []Change{
		Upsert(entry("root.mp3")),
		Upsert(entry("/leading-slash.mp3")),
		Upsert(entry("B/one.mp3")),
		Upsert(entry("B/deep/er/two.mp3")),
		Upsert(entry("B/deep/three.mp3")),
		Upsert(entry("A b/four.mp3")),
	}, 1)
	if diff := cmp.Diff([]string{"", "A b", "B"}, playlistNames(m)); diff != "" {
		t.Errorf("playlists (-want +got):\n%s", diff)
	}
	if got := keysOf(m, "B"); len(got) != 3 {
		t.Errorf("folder B holds %v; want its three files, nested ones included", got)
	}
	if got := keysOf(m, ""); len(got) != 6 {
		t.Errorf("library holds %d entries; want 6", len(got))
	}
	for _, p := range m.Playlists[1:] {
		for _, k := range keysOf(m, p.Name) {
			if k == "root.mp3" || k == "/leading-slash.mp3" {
				t.Errorf("root file %q in folder playlist %q", k, p.Name)
			}
		}
	}
	for _, nested := range []string{"B/deep", "B/deep/er", "deep"} {
		if _, ok := m.Playlist(nested); ok {
			t.Errorf("nested folder %q has its own playlist", nested)
		}
	}

	// Dropping the last entry of a folder drops its playlist.
	mustApply(t, m, []Change{Remove("A b/four.mp3")}, 2)
	if diff := cmp.Diff([]string{"", "B"}, playlistNames(m)); diff != "" {
		t.Errorf("after removing A b's last file, playlists (-want +got):\n%s", diff)
	}
	mustApply(t, m, []Change{Remove("B/one.mp3"), Remove("B/deep/er/two.mp3"), Remove("B/deep/three.mp3")}, 3)
	if diff := cmp.Diff([]string{""}, playlistNames(m)); diff != "" {
		t.Errorf("after removing B, playlists (-want +got):\n%s", diff)
	}
	// The library stays even when empty.
	mustApply(t, m, []Change{Remove("root.mp3"), Remove("/leading-slash.mp3")}, 4)
	if diff := cmp.Diff([]string{""}, playlistNames(m)); diff != "" {
		t.Errorf("empty manifest's playlists (-want +got):\n%s", diff)
	}
}

// TestApplyNewFolderBesideExisting adds to existing folders and creates new
// ones, sorting before and after them, in one batch: the lookup of an
// existing folder must not miss it because new playlists were appended.
func TestApplyNewFolderBesideExisting(t *testing.T) {
	t.Parallel()
	for seed := range uint64(50) {
		m := New()
		mustApply(t, m, []Change{Upsert(entry("b/1.mp3")), Upsert(entry("c/1.mp3")), Upsert(entry("d/1.mp3")), Upsert(entry("e/1.mp3"))}, seed)
		mustApply(t, m, []Change{
			Upsert(entry("a/2.mp3")), Upsert(entry("aa/2.mp3")), Upsert(entry("0/2.mp3")),
			Upsert(entry("b/2.mp3")), Upsert(entry("c/2.mp3")), Upsert(entry("d/2.mp3")), Upsert(entry("e/2.mp3")),
			Upsert(entry("f/2.mp3")), Upsert(entry("z/2.mp3")),
		}, seed)
		if diff := cmp.Diff([]string{"", "0", "a", "aa", "b", "c", "d", "e", "f", "z"}, playlistNames(m)); diff != "" {
			t.Fatalf("seed %d: playlists (-want +got):\n%s", seed, diff)
		}
	}
}

func TestApplyDeterministic(t *testing.T) {
	t.Parallel()
	var changes []Change
	for i := range 30 {
		changes = append(changes, Upsert(entry(fmt.Sprintf("f%d/%d.mp3", i%7, i))))
	}
	a, b := New(), New()
	a.Apply(changes, newRand(9))
	b.Apply(changes, newRand(9))
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("same changes and seed, different manifests (-a +b):\n%s", diff)
	}
}

func TestApplyRemovalKeepsOrder(t *testing.T) {
	t.Parallel()
	m := sample(t, 60)
	m.Shuffle(11)
	before := map[string][]string{}
	for _, p := range m.Playlists {
		before[p.Name] = keysOf(m, p.Name)
	}
	removed := map[string]bool{}
	var changes []Change
	for i, e := range m.Entries {
		if i%3 == 0 {
			changes = append(changes, Remove(e.Key))
			removed[e.Key] = true
		}
	}
	mustApply(t, m, changes, 5)
	for name, keys := range before {
		want := slices.DeleteFunc(slices.Clone(keys), func(k string) bool { return removed[k] })
		if diff := cmp.Diff(want, keysOf(m, name)); diff != "" {
			t.Errorf("playlist %q after removals (-want +got):\n%s", name, diff)
		}
	}
}

func TestApplyAddKeepsRelativeOrder(t *testing.T) {
	t.Parallel()
	m := sample(t, 40)
	m.Shuffle(3)
	before := keysOf(m, "")
	var changes []Change
	for i := range 25 {
		changes = append(changes, Upsert(entry(fmt.Sprintf("Animales/nuevo-%02d.mp3", i))))
	}
	changes = append(changes, Remove(before[0]), Remove(before[7]))
	mustApply(t, m, changes, 8)
	var kept []string
	for _, k := range keysOf(m, "") {
		if !isNew(k) {
			kept = append(kept, k)
		}
	}
	want := slices.Delete(slices.Clone(before), 7, 8)
	want = want[1:]
	if diff := cmp.Diff(want, kept); diff != "" {
		t.Errorf("old entries' relative order changed (-want +got):\n%s", diff)
	}
}

func isNew(k string) bool { return len(k) > 15 && k[:15] == "Animales/nuevo-" }

func TestSummaryChanged(t *testing.T) {
	t.Parallel()
	if (Summary{}).Changed() {
		t.Error("empty summary reports a change")
	}
	if !(Summary{Rejected: 1}).Changed() {
		t.Error("a rejection is not reported as a change")
	}
}

func TestKeysAndKnown(t *testing.T) {
	t.Parallel()
	m := sample(t, 8)
	keys := m.Keys()
	if !slices.IsSorted(keys) || len(keys) != 10 {
		t.Errorf("Keys() = %v; want 10 sorted keys", keys)
	}
	e := m.Entries[0]
	if !m.Known(e.Key, e.ETag) || m.Known(e.Key, "changed") || m.Known("nope.mp3", e.ETag) {
		t.Error("Known disagrees with the entries")
	}
}

func TestFolder(t *testing.T) {
	t.Parallel()
	tests := []struct{ key, want string }{
		{"a.mp3", ""},
		{"/a.mp3", ""},
		{"A/b.mp3", "A"},
		{"A/b/c/d.mp3", "A"},
		{"sub folder/x.mp3", "sub folder"},
	}
	for _, tt := range tests {
		if got := Folder(tt.key); got != tt.want {
			t.Errorf("Folder(%q) = %q; want %q", tt.key, got, tt.want)
		}
	}
}

func TestApplyLanguages(t *testing.T) {
	m := New()
	a, b := Entry{Key: "mezcla/a.mp3", ETag: "1"}, Entry{Key: "mezcla/b.mp3", ETag: "1"}
	m.Apply([]Change{Upsert(a).WithLanguage("es"), Upsert(b)}, newRand(1))
	if diff := cmp.Diff(map[string]string{"mezcla/a.mp3": "es"}, m.Languages); diff != "" {
		t.Errorf("after adding (-want +got):\n%s", diff)
	}
	if sum := m.Apply([]Change{Upsert(a).WithLanguage("es")}, newRand(2)); sum.Changed() {
		t.Errorf("the same language again changed %+v", sum)
	}
	if sum := m.Apply([]Change{Upsert(a).WithLanguage("en"), Upsert(b).WithLanguage("en")}, newRand(3)); !sum.Changed() {
		t.Error("a new language is not a change")
	}
	if sum := m.Apply([]Change{Upsert(a)}, newRand(4)); !sum.Changed() || m.Languages["mezcla/a.mp3"] != "" {
		t.Errorf("dropping a file's tag: %+v, languages %v", sum, m.Languages)
	}
	m.Apply([]Change{Remove(b.Key)}, newRand(5))
	if len(m.Languages) != 0 {
		t.Errorf("languages of removed files kept: %v", m.Languages)
	}
	got, err := Decode(m.Encode())
	if err != nil || len(got.Languages) != 0 {
		t.Errorf("round trip: %v, %v", err, got.Languages)
	}
}
