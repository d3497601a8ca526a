package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/jokebox/jokebox/shared/config"
	"github.com/jokebox/jokebox/shared/manifest"
	"github.com/jokebox/jokebox/shared/skill"
)

// manifestCommand is `jokebox manifest`.
func manifestCommand() *command {
	cmd := &command{name: "manifest",
		summary: "print the current manifest",
		example: "jokebox manifest --json",
		env:     storeEnv()}
	asJSON := cmd.flags.Bool("json", false, "print JSON")
	cmd.run = func(ctx context.Context, c *cli, _ *command, _ []string) error { return runManifest(ctx, c, *asJSON) }
	return cmd
}

// runManifest prints the current manifest.
func runManifest(ctx context.Context, c *cli, asJSON bool) error {
	a, err := newApp(ctx, c, config.NeedBucket)
	if err != nil {
		return err
	}
	m, err := a.Store.Load(ctx)
	if err != nil {
		return err
	}
	if asJSON {
		return printJSON(c.stdout, manifestView(m))
	}
	printManifest(c.stdout, m)
	return nil
}

// ManifestJSON is the JSON form of a manifest, entries in play order.
type ManifestJSON struct {
	Version   int64           `json:"version"`
	Created   time.Time       `json:"created"`
	Entries   int             `json:"entries"`
	Playlists []PlaylistJSON  `json:"playlists"`
	Rejected  []RejectionJSON `json:"rejected"`
}

// PlaylistJSON is one playlist; the library has Library set and no name.
type PlaylistJSON struct {
	Name    string      `json:"name"`
	Library bool        `json:"library,omitempty"`
	Seed    uint64      `json:"seed"`
	Entries []EntryJSON `json:"entries"`
}

// EntryJSON is one playable entry.
type EntryJSON struct {
	Key        string `json:"key"`
	Title      string `json:"title"`
	Size       int64  `json:"size"`
	ETag       string `json:"etag"`
	DurationMS int64  `json:"durationMs,omitempty"`
	Language   string `json:"language,omitempty"` // from the file's ID3 TLAN tag
}

// RejectionJSON is one rejected file.
type RejectionJSON struct {
	Key    string `json:"key"`
	Reason string `json:"reason"`
	Size   int64  `json:"size"`
}

func manifestView(m *manifest.Manifest) ManifestJSON {
	v := ManifestJSON{Version: m.Version, Created: m.Created, Entries: len(m.Entries), Rejected: []RejectionJSON{}}
	for i, p := range m.Playlists {
		pj := PlaylistJSON{Name: p.Name, Library: i == 0, Seed: p.Seed, Entries: make([]EntryJSON, len(p.Order))}
		for j, idx := range p.Order {
			e := &m.Entries[idx]
			pj.Entries[j] = EntryJSON{Key: e.Key, Title: skill.Title(e), Size: e.Size, ETag: e.ETag, DurationMS: e.Duration.Milliseconds(), Language: m.Languages[e.Key]}
		}
		v.Playlists = append(v.Playlists, pj)
	}
	for _, r := range m.Rejected {
		v.Rejected = append(v.Rejected, RejectionJSON{Key: r.Key, Reason: r.Reason, Size: r.Size})
	}
	return v
}

func printManifest(w io.Writer, m *manifest.Manifest) {
	fmt.Fprintf(w, "manifest v%d, published %s: %d entries in %d playlists, %d rejected\n",
		m.Version, m.Created.Format(time.RFC3339), len(m.Entries), len(m.Folders()), len(m.Rejected))
	for i, p := range m.Playlists {
		name := p.Name
		if i == 0 {
			name = "(library)"
		}
		fmt.Fprintf(w, "\n%s: %d entries, seed %d\n", name, len(p.Order), p.Seed)
		for j, idx := range p.Order {
			e := &m.Entries[idx]
			fmt.Fprintf(w, "%5d  %-50s  %-30q %6.1fs\n", j+1, e.Key, skill.Title(e), e.Duration.Seconds())
		}
	}
	if len(m.Rejected) > 0 {
		fmt.Fprintf(w, "\nrejected:\n")
		for _, r := range m.Rejected {
			fmt.Fprintf(w, "       %-50s  %s\n", r.Key, r.Reason)
		}
	}
}
