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
//
// Revalidation never blocks readers: once a manifest is loaded, a request
// past the TTL is answered from it at once while one goroutine (the
// flight) refreshes it under its own timeout; requests meanwhile join that
// flight rather than start another. No lock is held across network I/O.
// Only a request with nothing to serve yet (the first, or every one with a
// TTL of zero) or a library set to wait waits for the flight, bounded by
// its own context and the flight's timeout.
type library struct {
	src     ManifestSource
	ttl     time.Duration
	timeout time.Duration // bound on one refresh
	wait    bool          // past the TTL, wait for the refresh (Config.WaitForRefresh)
	now     func() time.Time
	log     *slog.Logger

	cur     atomic.Pointer[manifest.Manifest]
	checked atomic.Int64 // UnixNano of the last check

	mu     sync.Mutex // guards flight only; never held across I/O
	flight *flight    // the refresh under way, or nil
}

// flight is one refresh of the manifest; done is closed when it ends.
type flight struct {
	done chan struct{}
	m    *manifest.Manifest // the manifest to serve after it: new, or the last good one
	err  error
}

// refreshTimeout bounds one refresh: a pointer read and a fetch.
const refreshTimeout = 10 * time.Second

// nothingPublished reports a source's answer that there is no manifest yet,
// an error wrapping manifest.ErrEmpty: a friendly "no jokes yet" rather
// than trouble.
func nothingPublished(err error) bool { return errors.Is(err, manifest.ErrEmpty) }

func (l *library) get(ctx context.Context) (*manifest.Manifest, error) {
	m := l.cur.Load()
	if m != nil && l.fresh() {
		return m, nil
	}
	f := l.refresh(ctx)
	if m != nil && l.ttl > 0 && !l.wait {
		return m, nil // stale while revalidating
	}
	return l.await(ctx, f)
}

// getFresh is get, waiting for a refresh past the TTL (the warm-up call).
func (l *library) getFresh(ctx context.Context) (*manifest.Manifest, error) {
	if m := l.cur.Load(); m != nil && l.fresh() {
		return m, nil
	}
	return l.await(ctx, l.refresh(ctx))
}

func (l *library) fresh() bool { return l.now().UnixNano()-l.checked.Load() < int64(l.ttl) }

func (l *library) await(ctx context.Context, f *flight) (*manifest.Manifest, error) {
	select {
	case <-f.done:
		return f.m, f.err
	case <-ctx.Done():
		if m := l.cur.Load(); m != nil {
			return m, nil
		}
		return nil, ctx.Err()
	}
}

// refresh starts a flight, or returns the one under way.
func (l *library) refresh(ctx context.Context) *flight {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.flight != nil {
		return l.flight
	}
	f := &flight{done: make(chan struct{})}
	l.flight = f
	go l.run(context.WithoutCancel(ctx), f) // the request may end first
	return f
}

// run is one flight.
func (l *library) run(ctx context.Context, f *flight) {
	timeout := l.timeout
	if timeout <= 0 {
		timeout = refreshTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cur := l.cur.Load()
	next, err := l.load(ctx, cur)
	l.checked.Store(l.now().UnixNano()) // after a failure too: retry after the TTL, not per request
	switch {
	case err != nil && cur != nil:
		l.log.WarnContext(ctx, "manifest refresh failed, serving the last good one", "version", cur.Version, "err", err)
		f.m = cur
	case err != nil:
		f.err = err
	default:
		if next != cur {
			l.cur.Store(next)
			l.log.InfoContext(ctx, "manifest loaded", "version", next.Version, "entries", len(next.Entries), "playlists", len(next.Playlists))
		}
		f.m = next
	}
	l.mu.Lock()
	l.flight = nil
	l.mu.Unlock()
	close(f.done)
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
