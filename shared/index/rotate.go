package index

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/jokebox/jokebox/shared/alexa"
	"github.com/jokebox/jokebox/shared/manifest"
)

// Listed is one object of a bucket listing.
type Listed struct {
	Key  string
	ETag string
	Size int64
}

// List returns every indexable object of the bucket, following pagination.
// progress, when not nil, is called after each page with the count so far.
func (ix *Indexer) List(ctx context.Context, progress func(n int)) ([]Listed, error) {
	var out []Listed
	p := s3.NewListObjectsV2Paginator(ix.objects, &s3.ListObjectsV2Input{Bucket: &ix.bucket})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", ix.bucket, err)
		}
		for _, o := range page.Contents {
			key := aws.ToString(o.Key)
			if Indexable(key) {
				out = append(out, Listed{Key: key, ETag: strings.Trim(aws.ToString(o.ETag), `"`), Size: aws.ToInt64(o.Size)})
			}
		}
		if progress != nil {
			progress(len(out))
		}
	}
	return out, nil
}

// ReconcileOptions tune Reconcile.
type ReconcileOptions struct {
	// Shuffle gives every playlist a fresh order from a new seed.
	Shuffle bool
	// Progress, when not nil, hears about long work.
	Progress func(stage string, done, total int)
}

// Reconcile makes the manifest match a full listing of the bucket,
// catching any event that was missed, and optionally reshuffles it. Entries
// that stay keep their order unless Shuffle is set. A missing or corrupt
// manifest is rebuilt from the listing.
func (ix *Indexer) Reconcile(ctx context.Context, opt ReconcileOptions) (*manifest.Manifest, manifest.Summary, error) {
	progress := opt.Progress
	if progress == nil {
		progress = func(string, int, int) {}
	}
	probes := newProbeCache()
	var sum manifest.Summary
	m, err := ix.store.Rebuild(ctx, func(ctx context.Context, m *manifest.Manifest) (bool, error) {
		listing, err := ix.List(ctx, func(n int) { progress("listed", n, 0) })
		if err != nil {
			return false, err
		}
		changes, err := ix.diff(ctx, m, listing, probes, progress)
		if err != nil {
			return false, err
		}
		sum = m.Apply(changes, rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())))
		if !opt.Shuffle && !sum.Changed() {
			return false, nil
		}
		if opt.Shuffle {
			m.Shuffle(rand.Uint64())
		}
		return true, nil
	})
	if err != nil || !sum.Changed() {
		return m, sum, err
	}
	// The changes came from a listing made before the commit: an object
	// deleted or uploaded since, whose own event found nothing to change
	// in the manifest it read, would be lost. List again and let Apply
	// observe whatever differs.
	listing, err := ix.List(ctx, nil)
	if err != nil {
		return m, sum, fmt.Errorf("check after publishing: %w", err)
	}
	if keys := differing(m, listing); len(keys) > 0 {
		if _, fixed, err := ix.Apply(ctx, keys); err != nil {
			return m, sum, fmt.Errorf("check after publishing: %w", err)
		} else if fixed != nil {
			m = fixed
		}
	}
	return m, sum, nil
}

// differing lists the keys whose state in the listing differs from m.
func differing(m *manifest.Manifest, listing []Listed) []string {
	listed := make(map[string]struct{}, len(listing))
	var keys []string
	for _, o := range listing {
		listed[o.Key] = struct{}{}
		if !m.Known(o.Key, o.ETag) {
			keys = append(keys, o.Key)
		}
	}
	for _, key := range m.Keys() {
		if _, ok := listed[key]; !ok {
			keys = append(keys, key)
		}
	}
	return keys
}

// diff returns the changes from m to the listing, probing new content.
func (ix *Indexer) diff(ctx context.Context, m *manifest.Manifest, listing []Listed, probes *probeCache, progress func(string, int, int)) ([]manifest.Change, error) {
	listed := make(map[string]struct{}, len(listing))
	var todo []Listed
	for _, o := range listing {
		listed[o.Key] = struct{}{}
		if !m.Known(o.Key, o.ETag) {
			todo = append(todo, o)
		}
	}
	changes := make([]manifest.Change, len(todo))
	errs := make([]error, len(todo))
	var done atomic.Int64
	ix.each(ctx, len(todo), func(i int) {
		o := todo[i]
		changes[i], errs[i] = probes.get(o.Key, o.ETag, func() (manifest.Change, error) {
			return ix.probe(ctx, o.Key, o.ETag, o.Size)
		})
		if n := int(done.Add(1)); n%100 == 0 || n == len(todo) {
			progress("probed", n, len(todo))
		}
	})
	var keep []manifest.Change
	for i, err := range errs {
		switch {
		case errors.Is(err, errReplaced):
			// Uploaded again since the listing: its own event indexes it.
			ix.log.InfoContext(ctx, "replaced while reconciling", "key", todo[i].Key)
		case err != nil:
			return nil, fmt.Errorf("probe %s: %w", todo[i].Key, err)
		default:
			keep = append(keep, changes[i])
		}
	}
	changes = keep
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for _, key := range m.Keys() {
		if _, ok := listed[key]; !ok {
			changes = append(changes, manifest.Remove(key))
		}
	}
	return changes, nil
}

// Invoker is what the rotator needs of a Lambda client.
type Invoker interface {
	Invoke(context.Context, *lambda.InvokeInput, ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
}

// Rotator is the scheduled job: reconcile, reshuffle, publish, then warm the
// skill function so its next request finds the new manifest loaded.
type Rotator struct {
	ix       *Indexer
	lambda   Invoker
	function string
	log      *slog.Logger
}

// NewRotator returns a rotator that warms function (none when "").
func NewRotator(ix *Indexer, l Invoker, function string, log *slog.Logger) *Rotator {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Rotator{ix: ix, lambda: l, function: function, log: log}
}

// RotateResult is what a rotation did.
type RotateResult struct {
	Version  int64 `json:"version"`
	Entries  int   `json:"entries"`
	Folders  int   `json:"folders"` // folder playlists, the library not counted
	Rejected int   `json:"rejected"`
	Added    int   `json:"added"`
	Removed  int   `json:"removed"`
	Warmed   bool  `json:"warmed"`
}

// Handle runs one rotation; the Lambda function calls it on its schedule.
// If reconciling fails, the previous manifest stays as it was.
func (r *Rotator) Handle(ctx context.Context) (RotateResult, error) {
	m, sum, err := r.ix.Reconcile(ctx, ReconcileOptions{Shuffle: true})
	if err != nil {
		return RotateResult{}, fmt.Errorf("rotate: %w", err)
	}
	res := RotateResult{Version: m.Version, Entries: len(m.Entries), Folders: len(m.Folders()), Rejected: len(m.Rejected), Added: sum.Added, Removed: sum.Removed}
	if r.function != "" {
		_, err := r.lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(r.function), Payload: alexa.WarmupPayload})
		if err != nil {
			// The manifest is published; a cold skill still loads it.
			r.log.WarnContext(ctx, "warm-up failed", "function", r.function, "err", err)
		} else {
			res.Warmed = true
		}
	}
	r.log.InfoContext(ctx, "rotated", "version", res.Version, "entries", res.Entries, "added", res.Added, "removed", res.Removed, "warmed", res.Warmed)
	return res, nil
}
