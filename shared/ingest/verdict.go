package ingest

import (
	"context"
	"time"

	"github.com/jokebox/jokebox/internal/retry"
	"github.com/jokebox/jokebox/shared/manifest"
)

// Verdict is what the published manifest says of the files that went up
// (uploaded now, or there already).
type Verdict struct {
	Version  int64                // of the manifest read; 0 for none
	Want     int                  // files asked about
	Offered  int                  // in the manifest as playable, at their ETag
	Rejected []manifest.Rejection // rejected by the indexer, at their ETag
}

// Missing is how many files the manifest does not know yet.
func (v Verdict) Missing() int { return v.Want - v.Offered - len(v.Rejected) }

// Read is the verdict of m (nil for none yet) on files.
func Read(m *manifest.Manifest, files []*File) Verdict {
	want := map[string]string{}
	for _, f := range files {
		if f.goesAhead() && f.ETag != "" {
			want[f.Key] = f.ETag
		}
	}
	v := Verdict{Want: len(want)}
	if m == nil {
		return v
	}
	v.Version = m.Version
	for _, e := range m.Entries {
		if etag, ok := want[e.Key]; ok && etag == e.ETag {
			v.Offered++
		}
	}
	for _, r := range m.Rejected {
		if etag, ok := want[r.Key]; ok && etag == r.ETag {
			v.Rejected = append(v.Rejected, r)
		}
	}
	return v
}

// ManifestLoader loads the published manifest.
type ManifestLoader interface {
	Load(ctx context.Context) (*manifest.Manifest, error)
}

// Await reads the verdict until the manifest knows every file or wait is
// over; with wait 0 it reads once.
func Await(ctx context.Context, l ManifestLoader, files []*File, wait time.Duration) (Verdict, error) {
	deadline := time.Now().Add(wait)
	for {
		m, err := l.Load(ctx)
		if err != nil {
			m = nil // none published yet, or unreadable: not known
		}
		v := Read(m, files)
		if v.Missing() == 0 || !time.Now().Before(deadline) {
			return v, nil
		}
		if err := retry.Sleep(ctx, min(time.Second, time.Until(deadline)+time.Millisecond)); err != nil {
			return v, err
		}
	}
}
