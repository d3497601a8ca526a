package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/google/go-cmp/cmp"

	"github.com/jokebox/jokebox/internal/awsmem"
	"github.com/jokebox/jokebox/internal/faultproxy"
	"github.com/jokebox/jokebox/internal/motoserver"
	"github.com/jokebox/jokebox/shared/apierr"
	"github.com/jokebox/jokebox/shared/manifest"
)

// objectStore is the store's S3 with what the tests do behind its back.
type objectStore interface {
	S3
	DeleteObject(context.Context, *s3.DeleteObjectInput, ...func(*s3.Options)) (*s3.DeleteObjectOutput, error)
}

// eachBackend runs test on the in-memory S3 and SSM (always), and on
// moto_server (skipped with -short), each with a fresh bucket: the same
// assertions hold on both, so the fake cannot drift from the emulator.
func eachBackend(t *testing.T, test func(t *testing.T, s3c objectStore, ssmc SSM, bucket string)) {
	t.Parallel()
	const bucket = "jokes"
	t.Run("mem", func(t *testing.T) {
		t.Parallel()
		test(t, awsmem.NewS3(bucket), awsmem.NewSSM(), bucket)
	})
	t.Run("moto", func(t *testing.T) {
		t.Parallel()
		cfg := motoserver.Config(motoserver.Start(t))
		s3c := motoserver.S3(cfg)
		if _, err := s3c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
			t.Fatal(err)
		}
		test(t, s3c, ssm.NewFromConfig(cfg), bucket)
	})
}

// addKey is an update that adds one playable entry.
func addKey(key string) func(context.Context, *manifest.Manifest) (bool, error) {
	return func(ctx context.Context, m *manifest.Manifest) (bool, error) {
		if _, ok := m.Lookup(key); ok {
			return false, nil
		}
		m.Apply([]manifest.Change{manifest.Upsert(manifest.Entry{Key: key, Size: 1, ETag: "e"})}, rand.New(rand.NewPCG(1, 2)))
		return true, nil
	}
}

func TestUpdatePublishesVersions(t *testing.T) { eachBackend(t, testUpdatePublishesVersions) }

func testUpdatePublishesVersions(t *testing.T, s3c objectStore, ssmc SSM, bucket string) {
	ctx := context.Background()
	const param = "/jokebox/test/manifest"
	st := New(s3c, ssmc, bucket, param, nil)

	if _, err := st.Pointer(ctx); !errors.Is(err, ErrNoManifest) || !errors.Is(err, manifest.ErrEmpty) {
		t.Fatalf("Pointer() before any publish: %v; want ErrNoManifest wrapping manifest.ErrEmpty", err)
	}
	if _, err := st.Load(ctx); !errors.Is(err, ErrNoManifest) {
		t.Fatalf("Load() before any publish: %v; want ErrNoManifest", err)
	}
	// The placeholder a deployment writes means "nothing yet" too.
	if _, err := ssmc.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(param), Value: aws.String("-"), Type: ssmtypes.ParameterTypeString}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Pointer(ctx); !errors.Is(err, ErrNoManifest) {
		t.Fatalf("Pointer() with the placeholder: %v; want ErrNoManifest", err)
	}

	// An empty first update still publishes v1: the skill needs a manifest.
	m, err := st.Update(ctx, func(context.Context, *manifest.Manifest) (bool, error) { return false, nil })
	if err != nil || m.Version != 1 {
		t.Fatalf("first Update = v%d, %v; want v1", version(m), err)
	}
	for i, key := range []string{"a.mp3", "b/c.mp3", "d.mp3"} {
		m, err := st.Update(ctx, addKey(key))
		if err != nil {
			t.Fatal(err)
		}
		if want := int64(i + 2); m.Version != want {
			t.Errorf("Update %d published v%d; want v%d", i, m.Version, want)
		}
	}
	// Nothing to change: no new version.
	if m, err := st.Update(ctx, addKey("a.mp3")); err != nil || m.Version != 4 {
		t.Errorf("unchanged Update = v%d, %v; want the current v4", version(m), err)
	}

	p, err := st.Pointer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s3p, _, err := st.s3Pointer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(s3p, p); diff != "" {
		t.Errorf("SSM pointer differs from the bucket's (-s3 +ssm):\n%s", diff)
	}
	if p.Version != 4 || p.Entries != 3 || p.Playlists != 2 {
		t.Errorf("pointer %+v; want v4 with 3 entries in 2 playlists", p)
	}
	got, err := st.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a.mp3", "b/c.mp3", "d.mp3"}, got.Keys()); diff != "" {
		t.Errorf("loaded keys (-want +got):\n%s", diff)
	}
	// Every version stays readable by its own key.
	for v := int64(1); v <= 4; v++ {
		m, err := st.fetchKey(ctx, v)
		if err != nil || m.Version != v || len(m.Entries) != int(v-1) {
			t.Errorf("version %d: %d entries, v%d, %v", v, entries(m), version(m), err)
		}
	}
}

func version(m *manifest.Manifest) int64 {
	if m == nil {
		return -1
	}
	return m.Version
}

func entries(m *manifest.Manifest) int {
	if m == nil {
		return -1
	}
	return len(m.Entries)
}

// TestUpdateRace runs 8 stores, each updating 20 times, on one bucket:
// every update lands in exactly one version, versions have no gaps, the
// pointer never moves backwards and SSM ends at the final pointer.
func TestUpdateRace(t *testing.T) { eachBackend(t, testUpdateRace) }

func testUpdateRace(t *testing.T, s3c objectStore, ssmc SSM, bucket string) {
	ctx := context.Background()
	const writers, updates, param = 8, 20, "/jokebox/race/manifest"

	stop := make(chan struct{})
	var seen []int64
	var watch sync.WaitGroup
	watch.Go(func() {
		st := New(s3c, nil, bucket, "", nil)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if p, err := st.Pointer(ctx); err == nil {
				seen = append(seen, p.Version)
			}
			time.Sleep(5 * time.Millisecond)
		}
	})

	published := make([][]int64, writers)
	errs := make([]error, writers)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range writers {
		wg.Go(func() {
			st := New(s3c, ssmc, bucket, param, nil)
			// Eight writers in a tight loop lose 7 races in 8: 25
			// attempts would fail now and then ((7/8)^25 ≈ 4%), by
			// design. Production runs at most a few writers.
			st.MaxAttempts = 200
			for i := range updates {
				m, err := st.Update(ctx, addKey(fmt.Sprintf("w%d/%02d.mp3", w, i)))
				if err != nil {
					errs[w] = err
					return
				}
				published[w] = append(published[w], m.Version)
			}
		})
	}
	wg.Wait()
	close(stop)
	watch.Wait()
	t.Logf("%d racing updates in %v", writers*updates, time.Since(start).Round(time.Millisecond))
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}

	var all []int64
	for w, vs := range published {
		if !slices.IsSorted(vs) {
			t.Errorf("writer %d published versions out of order: %v", w, vs)
		}
		all = append(all, vs...)
	}
	slices.Sort(all)
	for i, v := range all {
		if v != int64(i+1) {
			t.Fatalf("published versions %v; want each of 1..%d exactly once", all, writers*updates)
		}
	}
	for i := 1; i < len(seen); i++ {
		if seen[i] < seen[i-1] {
			t.Fatalf("pointer moved backwards: v%d after v%d", seen[i], seen[i-1])
		}
	}
	t.Logf("watcher saw %d pointer reads, %d distinct versions", len(seen), len(slices.Compact(slices.Clone(seen))))

	st := New(s3c, ssmc, bucket, param, nil)
	final, err := st.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if final.Version != writers*updates || len(final.Entries) != writers*updates {
		t.Errorf("final manifest v%d with %d entries; want v%d with %d", final.Version, len(final.Entries), writers*updates, writers*updates)
	}
	// Each version holds exactly one more key than the one before: no
	// update was lost or applied twice.
	var prev *manifest.Manifest
	for v := int64(1); v <= writers*updates; v++ {
		m, err := st.fetchKey(ctx, v)
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Entries) != int(v) {
			t.Fatalf("v%d has %d entries; want %d", v, len(m.Entries), v)
		}
		if prev != nil {
			for _, k := range prev.Keys() {
				if _, ok := m.Lookup(k); !ok {
					t.Fatalf("v%d lost %q of v%d", v, k, prev.Version)
				}
			}
		}
		prev = m
	}
	s3p, _, err := st.s3Pointer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ssmp, err := st.Pointer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(s3p, ssmp); diff != "" {
		t.Errorf("SSM pointer is not the final pointer (-s3 +ssm):\n%s", diff)
	}
}

func TestCorruptManifest(t *testing.T) { eachBackend(t, testCorruptManifest) }

func testCorruptManifest(t *testing.T, s3c objectStore, ssmc SSM, bucket string) {
	ctx := context.Background()
	st := New(s3c, nil, bucket, "", nil)
	for _, k := range []string{"a.mp3", "b.mp3"} {
		if _, err := st.Update(ctx, addKey(k)); err != nil {
			t.Fatal(err)
		}
	}
	p, err := st.Pointer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	put := func(key string, b []byte) {
		t.Helper()
		if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: bytes.NewReader(b)}); err != nil {
			t.Fatal(err)
		}
	}

	good, err := st.fetchKey(ctx, p.Version)
	if err != nil {
		t.Fatal(err)
	}
	same := good.Encode()
	same[len(same)/2] ^= 0xff // same size: the checksum must catch it
	for name, body := range map[string][]byte{
		"garbage":            []byte("this is not a manifest"),
		"same size, flipped": same,
		"empty":              {},
	} {
		put(p.Key, body)
		if _, err := st.Fetch(ctx, p); !errors.Is(err, manifest.ErrCorrupt) {
			t.Errorf("%s: Fetch error %v; want ErrCorrupt", name, err)
		}
		if _, err := st.Load(ctx); !errors.Is(err, manifest.ErrCorrupt) {
			t.Errorf("%s: Load error %v; want ErrCorrupt", name, err)
		}
	}
	if _, err := st.Update(ctx, addKey("c.mp3")); !errors.Is(err, manifest.ErrCorrupt) {
		t.Errorf("Update over a corrupt manifest without Rebuild: %v; want ErrCorrupt", err)
	}
	m, err := st.Rebuild(ctx, addKey("c.mp3"))
	if err != nil {
		t.Fatalf("Update with Rebuild: %v", err)
	}
	if m.Version != p.Version+1 || !slices.Equal(m.Keys(), []string{"c.mp3"}) {
		t.Errorf("rebuilt manifest v%d with %v; want v%d with only c.mp3", m.Version, m.Keys(), p.Version+1)
	}

	// A deleted manifest object: not found, and Rebuild starts afresh.
	p, _ = st.Pointer(ctx)
	if _, err := s3c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: &p.Key}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Fetch(ctx, p); err == nil || !apierr.IsNotFound(err) {
		t.Errorf("Fetch of a deleted manifest: %v; want not found", err)
	}
	m, err = st.Rebuild(ctx, addKey("d.mp3"))
	if err != nil {
		t.Fatalf("Update with Rebuild over a deleted manifest: %v", err)
	}
	if m.Version != p.Version+1 || !slices.Equal(m.Keys(), []string{"d.mp3"}) {
		t.Errorf("rebuilt manifest v%d with %v; want v%d with only d.mp3", m.Version, m.Keys(), p.Version+1)
	}

	// A corrupt pointer object is rewritten by the next publish.
	put(PointerKey, []byte("{garbage"))
	if _, err := st.Load(ctx); !errors.Is(err, manifest.ErrCorrupt) {
		t.Errorf("Load with a corrupt pointer: %v; want ErrCorrupt", err)
	}
}

// TestUpdateRefusesInvalid checks that an update function that breaks
// the manifest's invariants publishes nothing.
func TestUpdateRefusesInvalid(t *testing.T) { eachBackend(t, testUpdateRefusesInvalid) }

func testUpdateRefusesInvalid(t *testing.T, s3c objectStore, ssmc SSM, bucket string) {
	ctx := context.Background()
	st := New(s3c, nil, bucket, "", nil)
	if _, err := st.Update(ctx, addKey("a.mp3")); err != nil {
		t.Fatal(err)
	}
	_, err := st.Update(ctx, func(_ context.Context, m *manifest.Manifest) (bool, error) {
		m.Entries = append(m.Entries, manifest.Entry{Key: "z.mp3"}) // in no playlist
		return true, nil
	})
	if !errors.Is(err, manifest.ErrCorrupt) {
		t.Fatalf("Update with a broken manifest: %v; want ErrCorrupt", err)
	}
	m, err := st.Load(ctx)
	if err != nil || m.Version != 1 {
		t.Fatalf("after a refused update: v%d, %v; want v1 still current", version(m), err)
	}
	if _, err := st.Update(ctx, addKey("b.mp3")); err != nil {
		t.Fatalf("next update after a refused one: %v", err)
	}
}

// TestUpdateConflicts makes each answer of a conditional write happen on
// the in-memory S3, at a chosen moment: a writer that loses the race for a
// version (412) builds on the winner's, a 409 ConditionalRequestConflict is
// retried, any other failure stops the update, and a writer that loses
// MaxAttempts times gives up.
func TestUpdateConflicts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const bucket = "jokes"
	setup := func(t *testing.T) (*awsmem.S3, *Store) {
		t.Helper()
		mem := awsmem.NewS3(bucket)
		st := New(mem, nil, bucket, "", nil)
		if _, err := st.Update(ctx, addKey("a.mp3")); err != nil {
			t.Fatal(err)
		}
		return mem, st
	}

	t.Run("lost race", func(t *testing.T) {
		t.Parallel()
		mem, a := setup(t)
		b := New(mem, nil, bucket, "", nil)
		raced := false // the hook runs again inside B's update: no sync.Once
		mem.Hook = func(ctx context.Context, op, key string) error {
			if op == "PutObject" && key == manifest.ObjectKey(2) && !raced {
				raced = true
				if _, err := b.Update(ctx, addKey("b.mp3")); err != nil {
					t.Errorf("writer B: %v", err)
				}
			}
			return nil
		}
		calls := 0
		m, err := a.Update(ctx, func(ctx context.Context, m *manifest.Manifest) (bool, error) {
			calls++
			return addKey("c.mp3")(ctx, m)
		})
		if err != nil {
			t.Fatal(err)
		}
		if m.Version != 3 || calls != 2 || !slices.Equal(m.Keys(), []string{"a.mp3", "b.mp3", "c.mp3"}) {
			t.Errorf("writer A published v%d with %v after %d calls; want v3 with a, b and c after 2", m.Version, m.Keys(), calls)
		}
	})

	// The SDK retries a PutObject whose answer was lost after the object
	// was stored: the retry gets 412 for the writer's own version.
	t.Run("retried put of its own version", func(t *testing.T) {
		t.Parallel()
		mem, _ := setup(t)
		a := New(&lostAnswer{S3: mem, key: manifest.ObjectKey(2)}, nil, bucket, "", nil)
		calls := 0
		m, err := a.Update(ctx, func(ctx context.Context, m *manifest.Manifest) (bool, error) {
			calls++
			return addKey("b.mp3")(ctx, m)
		})
		if err != nil {
			t.Fatal(err)
		}
		if m.Version != 2 || calls != 1 {
			t.Errorf("Update = v%d after %d edit calls; want v2 after 1", m.Version, calls)
		}
		if p, err := a.Pointer(ctx); err != nil || p.Version != 2 {
			t.Errorf("pointer at v%d, %v; want v2: the writer must move it to the version it wrote", p.Version, err)
		}
	})

	t.Run("retried put of its own version, a rival built on it", func(t *testing.T) {
		t.Parallel()
		mem, _ := setup(t)
		b := New(mem, nil, bucket, "", nil)
		var bVersion int64
		lost := &lostAnswer{S3: mem, key: manifest.ObjectKey(2), between: func(ctx context.Context) {
			m, err := b.Update(ctx, addKey("c.mp3"))
			if err != nil {
				t.Errorf("writer B: %v", err)
				return
			}
			bVersion = m.Version
		}}
		a := New(lost, nil, bucket, "", nil)
		m, err := a.Update(ctx, addKey("b.mp3"))
		if err != nil {
			t.Fatal(err)
		}
		if m.Version != 2 || bVersion != 3 || !slices.Equal(m.Keys(), []string{"a.mp3", "b.mp3"}) {
			t.Errorf("writer A reports v%d with %v, writer B v%d; want A v2 with a and b, B v3", m.Version, m.Keys(), bVersion)
		}
		if p, err := a.Pointer(ctx); err != nil || p.Version != 3 {
			t.Errorf("pointer at v%d, %v; want v3", p.Version, err)
		}
	})

	// A writer stopped after writing v2 and before moving the pointer (a
	// crash, a timeout): the next writer of the same change finds it in v2,
	// has nothing to publish, and must still make v2 current.
	t.Run("nothing to change over a version not yet current", func(t *testing.T) {
		t.Parallel()
		mem, a := setup(t)
		var once sync.Once
		mem.Hook = func(_ context.Context, op, key string) error {
			var err error
			if op == "PutObject" && key == PointerKey {
				once.Do(func() { err = awsmem.Err("S3", op, 500, "InternalError", "We encountered an internal error") })
			}
			return err
		}
		if _, err := a.Update(ctx, addKey("b.mp3")); err == nil {
			t.Fatal("writer A: Update succeeded; want the pointer's failure")
		}
		b := New(mem, nil, bucket, "", nil)
		m, err := b.Update(ctx, addKey("b.mp3"))
		if err != nil || m.Version != 2 {
			t.Fatalf("writer B: Update = v%d, %v; want v2", version(m), err)
		}
		if p, err := b.Pointer(ctx); err != nil || p.Version != 2 {
			t.Errorf("pointer at v%d, %v; want v2", p.Version, err)
		}
	})

	t.Run("409 then success", func(t *testing.T) {
		t.Parallel()
		mem, st := setup(t)
		var once sync.Once
		mem.Hook = func(_ context.Context, op, key string) error {
			var err error
			if op == "PutObject" && key == manifest.ObjectKey(2) {
				once.Do(func() { err = awsmem.Err("S3", op, 409, "ConditionalRequestConflict", "conflict") })
			}
			return err
		}
		if m, err := st.Update(ctx, addKey("b.mp3")); err != nil || m.Version != 2 {
			t.Fatalf("Update after a 409 = v%d, %v; want v2", version(m), err)
		}
	})

	t.Run("409 on the pointer", func(t *testing.T) {
		t.Parallel()
		mem, st := setup(t)
		var once sync.Once
		mem.Hook = func(_ context.Context, op, key string) error {
			var err error
			if op == "PutObject" && key == PointerKey {
				once.Do(func() { err = awsmem.Err("S3", op, 409, "ConditionalRequestConflict", "conflict") })
			}
			return err
		}
		if m, err := st.Update(ctx, addKey("b.mp3")); err != nil || m.Version != 2 {
			t.Fatalf("Update after a 409 on the pointer = v%d, %v; want v2", version(m), err)
		}
		if p, err := st.Pointer(ctx); err != nil || p.Version != 2 {
			t.Fatalf("pointer at v%d, %v; want v2", p.Version, err)
		}
	})

	t.Run("server error", func(t *testing.T) {
		t.Parallel()
		mem, st := setup(t)
		puts := 0
		mem.Hook = func(_ context.Context, op, _ string) error {
			if op == "PutObject" {
				puts++
				return awsmem.Err("S3", op, 500, "InternalError", "We encountered an internal error")
			}
			return nil
		}
		if _, err := st.Update(ctx, addKey("b.mp3")); err == nil || apierr.IsConflict(err) || puts != 1 {
			t.Fatalf("Update on a failing bucket: %v after %d puts; want the error after 1", err, puts)
		}
	})

	t.Run("gives up", func(t *testing.T) {
		t.Parallel()
		mem, st := setup(t)
		st.MaxAttempts = 2
		mem.Hook = func(_ context.Context, op, key string) error {
			if op == "PutObject" && key != PointerKey {
				return awsmem.Err("S3", op, 412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold")
			}
			return nil
		}
		if _, err := st.Update(ctx, addKey("b.mp3")); err == nil || !apierr.IsConflict(err) {
			t.Fatalf("Update that always loses: %v; want the conflict after MaxAttempts", err)
		}
	})
}

// lostAnswer is an S3 whose answer to the first PutObject of key is lost
// after the object was stored (a connection reset, a 5xx sent after the
// write): it sends the same request again, as the SDK's retryer does, and
// returns the second answer. between, when not nil, runs before the retry:
// another writer acting meanwhile.
type lostAnswer struct {
	*awsmem.S3
	key     string
	between func(ctx context.Context)
	done    bool
}

func (l *lostAnswer) PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	if aws.ToString(in.Key) != l.key || l.done {
		return l.S3.PutObject(ctx, in, opts...)
	}
	l.done = true
	if _, err := l.S3.PutObject(ctx, in, opts...); err != nil {
		return nil, err
	}
	if l.between != nil {
		l.between(ctx)
	}
	if _, err := in.Body.(io.Seeker).Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return l.S3.PutObject(ctx, in, opts...)
}

// TestSDKRetryOfOwnVersion runs the real SDK against moto_server through a
// proxy that carries out the first PutObject of v2 and then loses its
// answer: the SDK sends the request again and gets 412 for the writer's
// own version, which the writer must still recognise, moving the pointer
// to it.
func TestSDKRetryOfOwnVersion(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const bucket, param = "jokes", "/jokebox/lost/manifest"
	cfg := motoserver.Config(motoserver.Start(t))
	proxy, err := faultproxy.Start(aws.ToString(cfg.BaseEndpoint))
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	cfg.BaseEndpoint = aws.String(proxy.URL)
	s3c := motoserver.S3(cfg)
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	st := New(s3c, ssm.NewFromConfig(cfg), bucket, param, nil)
	if _, err := st.Update(ctx, addKey("a.mp3")); err != nil {
		t.Fatal(err)
	}
	var lost atomic.Bool
	proxy.SetFor(faultproxy.Lost, func(r *http.Request) bool {
		return r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/"+manifest.ObjectKey(2)) && lost.CompareAndSwap(false, true)
	})
	before := proxy.Calls()
	calls := 0
	m, err := st.Update(ctx, func(ctx context.Context, m *manifest.Manifest) (bool, error) {
		calls++
		return addKey("b.mp3")(ctx, m)
	})
	if err != nil {
		t.Fatal(err)
	}
	if puts := proxy.Calls().Sub(before)["PutObject"]; proxy.Faulted() != 1 || puts != 3 {
		t.Errorf("%d answers lost, %d PutObject calls; want 1 lost and 3 calls (v2, its retry, the pointer)", proxy.Faulted(), puts)
	}
	if m.Version != 2 || calls != 1 || !slices.Equal(m.Keys(), []string{"a.mp3", "b.mp3"}) {
		t.Errorf("Update = v%d with %v after %d edit calls; want v2 with a and b after 1 (the version is its own, not a rival's)", m.Version, m.Keys(), calls)
	}
	p, err := st.Pointer(ctx)
	if err != nil || p.Version != 2 {
		t.Errorf("pointer at v%d, %v; want v2", p.Version, err)
	}
}
