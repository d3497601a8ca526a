// Package manifest is jokebox's domain model: the bucket's playable audio as
// precomputed, shuffled playlists.
//
// A Manifest holds every playable entry sorted by key, one library-wide
// playlist (what a plain "Alexa, open jokebox" plays) and one playlist per
// top-level folder. Each playlist is an order over the entries, shuffled with
// a recorded seed. The package is pure: no AWS, no network, no clock except
// where a caller passes one in.
package manifest

import (
	"errors"
	"slices"
	"strings"
	"time"
)

// Prefix is the reserved key prefix under which jokebox keeps its own
// objects in the audio bucket. Objects under it are never indexed.
const Prefix = "_jokebox/"

// ErrEmpty reports a manifest, or a playlist, with nothing to play.
var ErrEmpty = errors.New("manifest: nothing to play")

// Entry is one playable audio file.
type Entry struct {
	Key      string        // S3 object key, decoded
	Size     int64         // bytes
	ETag     string        // as S3 reports it, without quotes
	Title    string        // from the file's tags; empty when it has none
	Duration time.Duration // from the file's frames; 0 when unknown
}

// Rejection is a file that looks like audio by its name but is not playable.
type Rejection struct {
	Key    string
	Size   int64
	ETag   string
	Reason string // short, human-readable: "zero-byte file", "not an MP3 stream"
}

// Playlist is a play order over a manifest's entries.
type Playlist struct {
	Name  string   // top-level folder as it is in the bucket; "" for the library
	Seed  uint64   // seed of its last full shuffle
	Order []uint32 // indexes into Manifest.Entries, in play order
}

// Manifest is one version of the bucket's playable audio.
type Manifest struct {
	Version   int64
	Created   time.Time
	Entries   []Entry     // sorted by Key, unique
	Playlists []Playlist  // Playlists[0] is the library-wide playlist; the rest sorted by Name
	Rejected  []Rejection // sorted by Key, unique
	// Languages holds the ISO 639-1 language ("es") of the entries whose
	// file is tagged with one (ID3 TLAN), by key; untagged entries are not
	// in it, so a library without tags costs nothing here.
	Languages map[string]string
}

// New returns an empty manifest at version 0.
func New() *Manifest {
	return &Manifest{Playlists: []Playlist{{Name: ""}}}
}

// Library is the library-wide playlist.
func (m *Manifest) Library() *Playlist { return &m.Playlists[0] }

// Lookup returns the index of key in m.Entries.
func (m *Manifest) Lookup(key string) (int, bool) {
	return slices.BinarySearchFunc(m.Entries, key, func(e Entry, k string) int { return strings.Compare(e.Key, k) })
}

// Folders are the folder playlists, sorted by name: every playlist but the
// library. Counts shown to people are of these, the playlists they made.
func (m *Manifest) Folders() []Playlist { return m.Playlists[1:] }

// Playlist returns the playlist with exactly this name ("" is the library).
func (m *Manifest) Playlist(name string) (*Playlist, bool) {
	if name == "" {
		return m.Library(), true
	}
	folders := m.Folders()
	i, ok := slices.BinarySearchFunc(folders, name, func(p Playlist, n string) int { return strings.Compare(p.Name, n) })
	if !ok {
		return nil, false
	}
	return &folders[i], true
}

// Position returns where entry index idx is in p's order.
func (p *Playlist) Position(idx int) (int, bool) {
	i := slices.Index(p.Order, uint32(idx))
	return i, i >= 0
}

// Folder returns the playlist a key belongs to besides the library: its
// top-level folder, or "" for a file at the root of the bucket.
func Folder(key string) string {
	i := strings.IndexByte(key, '/')
	if i <= 0 {
		return ""
	}
	return key[:i]
}

// Counts summarizes a manifest for logs and the pointer.
func (m *Manifest) Counts() (entries, playlists, rejected int) {
	return len(m.Entries), len(m.Playlists), len(m.Rejected)
}
