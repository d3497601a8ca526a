package skill

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jokebox/jokebox/shared/manifest"
)

// testVersion is the version of the test manifest; the tokens in
// events/skill refer to it.
const testVersion = 7

// testKeys are the test manifest's keys: four folders, one with an accent
// and two whose names have capitals, and a file at the root.
var testKeys = []string{
	"Niños/el-ratón-pérez.mp3",
	"Niños/la-tortuga.mp3",
	"Animales/el pato y el ñandú.mp3",
	"Animales/el-gusano.mp3",
	"Animales/la-vaca-en-el-terremoto.mp3",
	"bienvenida.mp3",
	"chistes/el-colmo-del-jardinero.mp3",
	"chistes/el-filete-nervioso.mp3",
	"chistes/el-pez-y-el-mar.mp3",
	"chistes/el-semaforo.mp3",
	"jokes/anti-gravity.mp3",
	"jokes/scarecrow.mp3",
	"jokes/skeletons.mp3",
}

// buildManifest returns a manifest of keys at version v, shuffled by a fixed
// seed.
func buildManifest(v int64, keys ...string) *manifest.Manifest {
	m := manifest.New()
	changes := make([]manifest.Change, len(keys))
	for i, k := range keys {
		e := manifest.Entry{Key: k, Size: int64(1000 + i), ETag: "etag" + k, Duration: 9 * time.Second}
		if k == "jokes/scarecrow.mp3" {
			e.Title = "The Outstanding Scarecrow"
		}
		changes[i] = manifest.Upsert(e)
	}
	m.Apply(changes, rand.New(rand.NewPCG(1, 2)))
	m.Shuffle(42) // orders that depend only on the shuffle, not on how Apply uses its generator
	m.Version = v
	m.Created = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	return m
}

func testManifest() *manifest.Manifest { return buildManifest(testVersion, testKeys...) }

// memSource is a ManifestSource in memory that counts its calls.
type memSource struct {
	mu      sync.Mutex
	m       *manifest.Manifest
	err     error
	pointer int
	fetch   int
}

func (s *memSource) Pointer(context.Context) (manifest.Pointer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pointer++
	if s.err != nil {
		return manifest.Pointer{}, s.err
	}
	return manifest.Pointer{Version: s.m.Version, Key: manifest.ObjectKey(s.m.Version)}, nil
}

func (s *memSource) Fetch(_ context.Context, p manifest.Pointer) (*manifest.Manifest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fetch++
	if s.m == nil || p.Version != s.m.Version {
		return nil, errors.New("no such version")
	}
	return s.m, nil
}

func (s *memSource) set(m *manifest.Manifest) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m = m
}

func (s *memSource) calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pointer + s.fetch
}

// signFunc is a Signer made of a function.
type signFunc func(ctx context.Context, key string) (string, error)

func (f signFunc) Sign(ctx context.Context, key string) (string, error) { return f(ctx, key) }

// testSignBase is where the fake signer's URLs point (a reserved name).
const testSignBase = "https://signed.invalid/"

// fakeSign signs deterministically, so golden files are stable.
func fakeSign(_ context.Context, key string) (string, error) {
	return testSignBase + (&url.URL{Path: key}).EscapedPath() + "?sig=test", nil
}

// signedKey is the key a fakeSign URL stands for.
func signedKey(t testing.TB, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Host != "signed.invalid" {
		t.Fatalf("URL %q is not one of the fake signer's", raw)
	}
	return u.Path[1:]
}

// testNonce is the fixed nonce of the golden test's handler; other test
// handlers number their nonces, so that tokens stay unique.
const testNonce = "T3stNc"

// newTestHandler returns a deterministic handler on src.
func newTestHandler(t testing.TB, src ManifestSource, cfg Config) *Handler {
	t.Helper()
	if cfg.ManifestTTL == 0 {
		cfg.ManifestTTL = time.Hour
	}
	h, err := New(src, signFunc(fakeSign), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	var serial atomic.Int64
	h.nonce = func() string { return fmt.Sprintf("T%05d", serial.Add(1)%100000) }
	h.pick = func(n int) int { return n / 2 }
	return h
}

// settle waits for the manifest refresh under way, if any.
func (l *library) settle() {
	l.mu.Lock()
	f := l.flight
	l.mu.Unlock()
	if f != nil {
		<-f.done
	}
}
