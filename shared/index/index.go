// Package index keeps the manifest in line with the bucket: the indexer
// applies S3 event notifications delivered through SQS, and the rotator
// reconciles with a full listing and reshuffles.
//
// Events only name keys. For each key the indexer observes the bucket's
// current state (HeadObject, then a ranged GetObject of new content) inside
// the store's update, so duplicated, reordered or stale events cannot make
// the manifest disagree with the bucket.
package index

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/jokebox/jokebox/shared/apierr"
	"github.com/jokebox/jokebox/shared/audio"
	"github.com/jokebox/jokebox/shared/manifest"
)

// Objects is what the indexer needs of an S3 client.
type Objects interface {
	HeadObject(context.Context, *s3.HeadObjectInput, ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	GetObject(context.Context, *s3.GetObjectInput, ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	ListObjectsV2(context.Context, *s3.ListObjectsV2Input, ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
}

// Manifests is where the indexer publishes manifest versions; *store.Store
// is one. Update applies edit to the newest manifest and publishes the
// result as the next version; when another writer publishes first, it calls
// edit again on that writer's version. edit observes the bucket inside the
// call and reports whether it changed m; when it did not, no version is
// published and Update returns the current manifest.
type Manifests interface {
	Update(ctx context.Context, edit func(ctx context.Context, m *manifest.Manifest) (changed bool, err error)) (*manifest.Manifest, error)
	// Rebuild is Update starting from an empty manifest when the current
	// one is missing or unreadable.
	Rebuild(ctx context.Context, edit func(ctx context.Context, m *manifest.Manifest) (changed bool, err error)) (*manifest.Manifest, error)
}

// Indexer turns observations of the bucket into manifest versions.
type Indexer struct {
	objects Objects
	store   Manifests
	bucket  string
	log     *slog.Logger

	// Concurrency bounds the S3 requests made at once for one batch.
	Concurrency int
}

// New returns an indexer for bucket.
func New(objects Objects, st Manifests, bucket string, log *slog.Logger) *Indexer {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Indexer{objects: objects, store: st, bucket: bucket, log: log, Concurrency: 16}
}

// Indexable reports whether the indexer looks at key at all: audio by its
// extension, outside jokebox's own prefix.
func Indexable(key string) bool {
	return !strings.HasPrefix(key, manifest.Prefix) && audio.Playable(key)
}

// Apply observes the current state of keys and publishes a manifest that
// matches it. It returns the keys it could not observe (they are left as
// they were) and the error that stopped it, if any.
//
// A change is published on an observation made before the commit: an
// object deleted (or uploaded) between the two, whose own event found
// nothing to change in the manifest it read, would be lost. So once a
// version is public, Apply looks at the keys it changed once more and
// corrects them: any later event sees a manifest that already holds the
// change.
func (ix *Indexer) Apply(ctx context.Context, keys []string) (failed map[string]error, m *manifest.Manifest, err error) {
	failed, m, changed, err := ix.publish(ctx, keys)
	for round := 0; err == nil && len(changed) > 0 && round < 3; round++ {
		recheck, _ := ix.observe(ctx, m, changed, newProbeCache())
		if len(recheck) == 0 {
			break
		}
		ix.log.InfoContext(ctx, "keys changed while publishing, applying again", "keys", len(recheck))
		var next *manifest.Manifest
		_, next, changed, err = ix.publish(ctx, changeKeys(recheck))
		if next != nil {
			m = next
		}
	}
	return failed, m, err
}

// publish is one observe-and-publish round; changed lists the keys whose
// changes the published version holds.
func (ix *Indexer) publish(ctx context.Context, keys []string) (failed map[string]error, m *manifest.Manifest, changed []string, err error) {
	probes := newProbeCache()
	m, err = ix.store.Update(ctx, func(ctx context.Context, m *manifest.Manifest) (bool, error) {
		changes, f := ix.observe(ctx, m, keys, probes)
		failed, changed = f, nil
		if len(changes) == 0 {
			return false, nil
		}
		if sum := m.Apply(changes, rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))); !sum.Changed() {
			return false, nil
		}
		changed = changeKeys(changes)
		return true, nil
	})
	return failed, m, changed, err
}

func changeKeys(changes []manifest.Change) []string {
	keys := make([]string, len(changes))
	for i, c := range changes {
		keys[i] = c.Key
	}
	return keys
}

// observe looks at each key's current state in the bucket and returns the
// changes that bring m in line with it, skipping keys m already has as they
// are. Keys whose state could not be read are returned with their errors.
func (ix *Indexer) observe(ctx context.Context, m *manifest.Manifest, keys []string, probes *probeCache) ([]manifest.Change, map[string]error) {
	type result struct {
		change *manifest.Change
		err    error
	}
	results := make([]result, len(keys))
	ix.each(ctx, len(keys), func(i int) {
		key := keys[i]
		head, err := ix.objects.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &ix.bucket, Key: &key})
		if apierr.IsNotFound(err) {
			c := manifest.Remove(key)
			results[i] = result{change: &c}
			return
		}
		if err != nil {
			results[i] = result{err: fmt.Errorf("head %s: %w", key, err)}
			return
		}
		etag := strings.Trim(aws.ToString(head.ETag), `"`)
		if m.Known(key, etag) {
			return
		}
		c, err := probes.get(key, etag, func() (manifest.Change, error) {
			return ix.probe(ctx, key, etag, aws.ToInt64(head.ContentLength))
		})
		results[i] = result{change: &c, err: err}
	})
	var changes []manifest.Change
	var failed map[string]error
	for i, r := range results {
		switch {
		case r.err != nil:
			if failed == nil {
				failed = map[string]error{}
			}
			failed[keys[i]] = r.err
		case r.change != nil:
			changes = append(changes, *r.change)
		}
	}
	return changes, failed
}

// probe reads what audio.ProbeReader asks for of an object (its head, and
// where the file keeps its header or frames elsewhere, a few more ranges:
// at most audio.MaxRead bytes in audio.MaxRanges GETs) and decides whether
// it is playable.
func (ix *Indexer) probe(ctx context.Context, key, etag string, size int64) (manifest.Change, error) {
	if r := manifest.KeyProblem(key); r != "" {
		// The names `jokebox add` refuses, uploaded some other way.
		return manifest.Reject(manifest.Rejection{Key: key, Size: size, ETag: etag, Reason: "name " + r}), nil
	}
	if size == 0 {
		_, err := audio.Probe(key, nil, 0)
		return manifest.Reject(manifest.Rejection{Key: key, ETag: etag, Reason: audio.Reason(err)}), nil
	}
	r := &objectRanges{ctx: ctx, objects: ix.objects, bucket: ix.bucket, key: key, etag: etag}
	info, err := audio.ProbeReader(key, r, size)
	switch {
	case errors.Is(err, audio.ErrNotPlayable):
		ix.log.InfoContext(ctx, "rejected", "key", key, "reason", audio.Reason(err), "gets", r.gets, "bytes", r.bytes)
		return manifest.Reject(manifest.Rejection{Key: key, Size: size, ETag: etag, Reason: audio.Reason(err)}), nil
	case apierr.IsNotFound(err):
		return manifest.Remove(key), nil
	case apierr.IsConflict(err): // the If-Match of a read
		return manifest.Change{}, fmt.Errorf("read %s: %w", key, errReplaced)
	case err != nil:
		return manifest.Change{}, fmt.Errorf("read %s: %w", key, err)
	}
	if info.Warning != "" {
		ix.log.InfoContext(ctx, "tag ignored", "key", key, "warning", info.Warning)
	}
	ix.log.DebugContext(ctx, "probed", "key", key, "format", info.Format, "gets", r.gets, "bytes", r.bytes, "estimated", info.Estimated)
	return manifest.Upsert(manifest.Entry{Key: key, Size: size, ETag: etag, Title: info.Title, Duration: info.Duration}).WithLanguage(info.Language), nil
}

// objectRanges reads one object for audio.ProbeReader: each ReadAt is one
// ranged GET, conditional on the ETag the HEAD saw, so a replaced object is
// never read half old, half new.
type objectRanges struct {
	ctx               context.Context
	objects           Objects
	bucket, key, etag string
	gets              int   // GETs made
	bytes             int64 // bytes asked for
}

func (o *objectRanges) ReadAt(p []byte, off int64) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	o.gets++
	o.bytes += int64(len(p))
	out, err := o.objects.GetObject(o.ctx, &s3.GetObjectInput{
		Bucket: &o.bucket, Key: &o.key, IfMatch: aws.String(`"` + o.etag + `"`),
		Range: aws.String(fmt.Sprintf("bytes=%d-%d", off, off+int64(len(p))-1)),
	})
	if err != nil {
		return 0, err
	}
	defer out.Body.Close()
	return io.ReadFull(out.Body, p)
}

// each runs fn(0..n-1) with at most ix.Concurrency at once.
func (ix *Indexer) each(ctx context.Context, n int, fn func(i int)) {
	sem := make(chan struct{}, max(ix.Concurrency, 1))
	var wg sync.WaitGroup
	for i := range n {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			fn(i)
		})
	}
	wg.Wait()
}

// probeCache remembers probe results by key and ETag across the retries of
// one update, so losing a race costs HEADs but not another download.
type probeCache struct {
	mu sync.Mutex
	m  map[string]manifest.Change
}

func newProbeCache() *probeCache { return &probeCache{m: map[string]manifest.Change{}} }

func (p *probeCache) get(key, etag string, probe func() (manifest.Change, error)) (manifest.Change, error) {
	id := etag + "\x00" + key
	p.mu.Lock()
	c, ok := p.m[id]
	p.mu.Unlock()
	if ok {
		return c, nil
	}
	c, err := probe()
	if err == nil {
		p.mu.Lock()
		p.m[id] = c
		p.mu.Unlock()
	}
	return c, err
}

// errReplaced reports an object that was replaced while it was being read.
var errReplaced = errors.New("object replaced while indexing")
