package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/jokebox/jokebox/shared/ingest"
	"github.com/jokebox/jokebox/shared/manifest"
)

// loaderFunc is an ingest.ManifestLoader of a fixed answer.
type loaderFunc func(context.Context) (*manifest.Manifest, error)

func (f loaderFunc) Load(ctx context.Context) (*manifest.Manifest, error) { return f(ctx) }

// TestAwaitIndexerVerdict: add fails when the indexer rejected a file it
// uploaded (issue 21: `add --normalize` on M4A exited 0 over a file the
// indexer refused), succeeds when everything is offered, and without an
// indexer that can answer says to run reindex, without waiting.
func TestAwaitIndexerVerdict(t *testing.T) {
	files := []*ingest.File{
		{Decision: ingest.Decision{Outcome: ingest.AsIs, Key: "a.mp3"}, ETag: "e1", Uploaded: true},
		{Decision: ingest.Decision{Outcome: ingest.Convert, Key: "b.mp3"}, ETag: "e2", Uploaded: true},
		{Decision: ingest.Decision{Outcome: ingest.Refuse, Key: "c.mp3"}},
	}
	offered := &manifest.Manifest{Version: 3, Entries: []manifest.Entry{{Key: "a.mp3", ETag: "e1"}, {Key: "b.mp3", ETag: "e2"}}}
	rejected := &manifest.Manifest{Version: 4, Entries: []manifest.Entry{{Key: "a.mp3", ETag: "e1"}},
		Rejected: []manifest.Rejection{{Key: "b.mp3", ETag: "e2", Reason: "not an MP4 file"}}}
	stale := &manifest.Manifest{Version: 2, Entries: []manifest.Entry{{Key: "a.mp3", ETag: "old"}}}
	for _, tt := range []struct {
		name    string
		m       *manifest.Manifest
		answers bool
		err     string // "" for none
		says    string
	}{
		{"all offered", offered, true, "", "manifest v3 includes all 2 file(s)"},
		{"one rejected", rejected, true, "the indexer rejected 1 uploaded file(s), which will not be offered: b.mp3 (not an MP4 file)", "manifest v4 includes all 2 file(s)"},
		{"no indexer", stale, false, "", "no indexer answers for bk (no bucket notifications, no JOKEBOX_QUEUE_URL): run `jokebox reindex` to publish the 2 file(s)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			loads := 0
			l := loaderFunc(func(context.Context) (*manifest.Manifest, error) { loads++; return tt.m, nil })
			err := awaitIndexer(t.Context(), &out, l, tt.answers, "bk", files, 0)
			if (err == nil) != (tt.err == "") || err != nil && err.Error() != tt.err {
				t.Errorf("awaitIndexer = %v; want %q", err, tt.err)
			}
			if !strings.Contains(out.String(), tt.says) || loads != 1 {
				t.Errorf("said %q after %d loads; want %q after one", out.String(), loads, tt.says)
			}
		})
	}
}
