package skill

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jokebox/jokebox/shared/manifest"
)

// ManifestSource is where the skill gets manifests; *store.Store is one.
type ManifestSource interface {
	// Pointer says which manifest is current (one SSM or S3 read). When
	// nothing was published yet its error wraps manifest.ErrEmpty.
	Pointer(ctx context.Context) (manifest.Pointer, error)
	// Fetch loads the manifest a pointer names (one S3 read).
	Fetch(ctx context.Context, p manifest.Pointer) (*manifest.Manifest, error)
}

// library caches the current manifest in memory. Within the TTL it makes no
// call at all; after it, one pointer read, and a fetch only when the version
// moved forward. When the backend fails it keeps serving the last good
// manifest and says so in the log.
type library struct {
	src ManifestSource
	ttl time.Duration
	now func() time.Time
	log *slog.Logger

	cur     atomic.Pointer[manifest.Manifest]
	checked atomic.Int64 // UnixNano of the last check
	mu      sync.Mutex   // one revalidation at a time
}

// nothingPublished reports a source's answer that there is no manifest yet,
// an error wrapping manifest.ErrEmpty: a friendly "no jokes yet" rather
// than trouble.
func nothingPublished(err error) bool { return errors.Is(err, manifest.ErrEmpty) }

func (l *library) get(ctx context.Context) (*manifest.Manifest, error) {
	m := l.cur.Load()
	if m != nil && l.now().UnixNano()-l.checked.Load() < int64(l.ttl) {
		return m, nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	m = l.cur.Load()
	if m != nil && l.now().UnixNano()-l.checked.Load() < int64(l.ttl) {
		return m, nil // another request revalidated meanwhile
	}
	next, err := l.load(ctx, m)
	l.checked.Store(l.now().UnixNano()) // after a failure too: retry after the TTL, not per request
	if err != nil {
		if m != nil {
			l.log.WarnContext(ctx, "manifest refresh failed, serving the last good one", "version", m.Version, "err", err)
			return m, nil
		}
		return nil, err
	}
	if next != m {
		l.cur.Store(next)
		l.log.InfoContext(ctx, "manifest loaded", "version", next.Version, "entries", len(next.Entries), "playlists", len(next.Playlists))
	}
	return next, nil
}

func (l *library) load(ctx context.Context, cur *manifest.Manifest) (*manifest.Manifest, error) {
	p, err := l.src.Pointer(ctx)
	if err != nil {
		return nil, err
	}
	if cur != nil && p.Version <= cur.Version {
		return cur, nil // never go backwards, even if a cache lags
	}
	return l.src.Fetch(ctx, p)
}
