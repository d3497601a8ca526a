package faults

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/jokebox/jokebox/internal/faultproxy"
	"github.com/jokebox/jokebox/shared/alexa"
	"github.com/jokebox/jokebox/shared/audio"
	"github.com/jokebox/jokebox/shared/index"
	"github.com/jokebox/jokebox/shared/manifest"
	"github.com/jokebox/jokebox/shared/skill"
	"github.com/jokebox/jokebox/shared/store"
)

// hugeSize is the size of the large file: a real MP3 followed by zeros.
const hugeSize = 50 << 20

// TestHostileStorage fills the bucket with awkward keys and contents,
// delivered as real notifications: the manifest equals the bucket, the
// 50 MB file is judged from its head alone (bytes through the proxy stay
// small), nothing under the reserved prefix is indexed, and every entry
// the skill plays is fetchable through its presigned URL.
func TestHostileStorage(t *testing.T) {
	start := time.Now()
	e := newEnv(t)
	fx := loadFixtures(t)
	q, _ := e.queue("storage", 1, 0)
	e.notify(q, false)
	objects := map[string][]byte{
		"unicode/niño ñandú 😀.mp3":       fx.short,
		"unicode/日本語のジョーク.mp3":           fx.vbr,
		"spaces/a b  c .mp3":             fx.notitle,
		"plus/a+b+c.mp3":                 fx.short,
		"percent/100%.mp3":               fx.short,
		"percent/%41%2F%zz.mp3":          fx.notitle,
		`quotes/"dq" 'sq' ` + "`bt`.mp3": fx.short,
		"query/why?.mp3":                 fx.short,
		"amp/a&b=c;d.mp3":                fx.vbr,
		"hash/#tag.mp3":                  fx.short,
		"#lead/x.mp3":                    fx.short,
		"tilde/~x.mp3":                   fx.short,
		"upper/LOUD.MP3":                 fx.short,
		"upper/Mixed.Mp3":                fx.notitle,
		"deep/a/b/c/d/e/f.mp3":           fx.short,
		"root file.mp3":                  fx.short,
		"back\\slash.mp3":                fx.short,
		"zero/empty.mp3":                 nil,
		"text/not-audio.mp3":             fx.text,
		"text/not-audio.m4a":             fx.text,
		"_jokebox/sneaky.mp3":            fx.short, // reserved prefix: never indexed
		"_jokebox/pointer.json.mp3":      fx.short,
		"notes.txt":                      []byte("not audio"),
	}
	for k, b := range objects {
		e.put(k, b)
	}
	huge := make([]byte, hugeSize)
	copy(huge, fx.long)
	e.put("big/huge.mp3", huge)
	objects["big/huge.mp3"] = huge

	// Watch every read of the big file: a fault mode whose matcher never
	// matches lets everything pass and sees each request.
	var mu sync.Mutex
	var bigReads []string
	e.proxy.SetFor(faultproxy.Error500, func(r *http.Request) bool {
		if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/big/huge.mp3") {
			mu.Lock()
			bigReads = append(bigReads, r.Header.Get("Range"))
			mu.Unlock()
		}
		return false
	})
	sentBefore := e.proxy.Sent()
	e.drain(q, index.WorkerOptions{})
	sent := e.proxy.Sent() - sentBefore
	e.proxy.Set(faultproxy.Pass)
	m := e.checkMatches()
	if want := fmt.Sprintf("bytes=0-%d", audio.HeadSize-1); len(bigReads) == 0 || slices.ContainsFunc(bigReads, func(r string) bool { return r != want }) {
		t.Errorf("reads of the big file with Range %q; want each with %q", bigReads, want)
	}
	if sent > 1<<20 {
		t.Errorf("indexing moved %d bytes through the proxy, with a %d-byte file in the bucket; want the head only", sent, hugeSize)
	}
	if _, ok := m.Lookup("big/huge.mp3"); !ok {
		t.Error("big/huge.mp3 is not playable in the manifest")
	}
	for _, en := range m.Entries {
		if en.Key[0] == '_' {
			t.Errorf("entry %q under the reserved prefix", en.Key)
		}
	}

	// A full reindex agrees and changes nothing.
	if _, sum, err := e.ix.Reconcile(t.Context(), index.ReconcileOptions{}); err != nil || sum.Changed() {
		t.Errorf("Reconcile after the events: %+v, %v; want no change", sum, err)
	}

	// Play every entry of the library in order and fetch each URL.
	h := e.newSkill(skill.Config{ManifestTTL: time.Hour})
	seen := map[string]bool{}
	token := ""
	for range len(m.Entries) {
		payload := launch("app")
		if token != "" {
			payload = req("app", "IntentRequest", token, intent("AMAZON.NextIntent", nil))
		}
		resp, err := h.Invoke(t.Context(), payload)
		if err != nil {
			t.Fatal(err)
		}
		var r alexa.Response
		if err := json.Unmarshal(resp, &r); err != nil || len(r.Response.Directives) == 0 || r.Response.Directives[0].AudioItem == nil {
			t.Fatalf("no Play: %s", resp)
		}
		stream := r.Response.Directives[0].AudioItem.Stream
		token = stream.Token
		key := urlKey(t, e.endpoint, stream.URL)
		checkInManifest(t, m, []string{key}, "library")
		seen[key] = true
		fetch(t, stream.URL, key, objects[key])
	}
	if len(seen) != len(m.Entries) {
		t.Errorf("played %d distinct entries of %d", len(seen), len(m.Entries))
	}
	t.Logf("objects %d (%d entries, %d rejected), indexing moved %d bytes through the proxy for a %d-byte bucket, %v",
		len(objects), len(m.Entries), len(m.Rejected), sent, hugeSize, time.Since(start).Round(time.Millisecond))
}

// fetch GETs a presigned URL (the first MB for big files) and compares the
// bytes with what was uploaded.
func fetch(t *testing.T, rawURL, key string, want []byte) {
	t.Helper()
	r, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, rawURL, nil)
	if len(want) > 1<<20 {
		r.Header.Set("Range", "bytes=0-1048575")
		want = want[:1<<20]
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatalf("GET %q: %v", key, err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 || !bytes.Equal(got, want) {
		t.Errorf("GET %q through its URL: %s, %d bytes, equal %v; want %d bytes", key, resp.Status, len(got), bytes.Equal(got, want), len(want))
	}
}

// TestCorruptManifest corrupts, then deletes, the published manifest object
// by hand: a running skill keeps the last good manifest, a cold one logs
// the problem and answers with trouble, the indexer refuses to build on it
// (its messages stay queued), and Reconcile — what `jokebox reindex` runs —
// rebuilds it from the bucket.
func TestCorruptManifest(t *testing.T) {
	start := time.Now()
	e := newEnv(t)
	fx := loadFixtures(t)
	for i := range 5 {
		e.put(fmt.Sprintf("c/%d.mp3", i), fx.short)
	}
	if _, _, err := e.ix.Reconcile(t.Context(), index.ReconcileOptions{}); err != nil {
		t.Fatal(err)
	}
	warm := e.newSkill(skill.Config{})
	if _, err := warm.Invoke(t.Context(), launch("app")); err != nil {
		t.Fatal(err)
	}
	good := e.load()

	damage := []struct {
		name string
		do   func(key string)
	}{
		{"bytes flipped", func(key string) {
			out, err := e.s3.GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: &key})
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(out.Body)
			out.Body.Close()
			b[len(b)/2] ^= 0xff
			e.put(key, b)
		}},
		{"truncated", func(key string) {
			out, _ := e.s3.GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: &key})
			b, _ := io.ReadAll(out.Body)
			out.Body.Close()
			e.put(key, b[:len(b)/2])
		}},
		{"replaced by another version", func(key string) {
			m := manifest.New()
			m.Version = 999
			e.put(key, m.Encode())
		}},
		{"deleted", func(key string) { e.del(key) }},
	}
	for _, d := range damage {
		t.Run(d.name, func(t *testing.T) {
			p, err := store.New(e.s3, nil, bucket, "", nil).Pointer(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			d.do(p.Key)

			// A new publication builds on the damaged manifest: it must fail.
			e.put("c/new.mp3", fx.short)
			_, _, err = e.ix.Apply(t.Context(), []string{"c/new.mp3"})
			if err == nil {
				t.Errorf("Apply published on top of a %s manifest", d.name)
			}
			e.del("c/new.mp3")

			// The warm skill keeps serving; a cold one reports trouble.
			before := e.log.count("no manifest to serve")
			resp, err := warm.Invoke(t.Context(), launch("app"))
			if err != nil {
				t.Fatal(err)
			}
			checkInManifest(t, good, playedKeys(t, e.endpoint, resp), "warm skill")
			cold := e.newSkill(skill.Config{})
			resp, err = cold.Invoke(t.Context(), launch("app"))
			if err != nil {
				t.Fatal(err)
			}
			if len(playedKeys(t, e.endpoint, resp)) != 0 || e.log.count("no manifest to serve") <= before {
				t.Errorf("cold skill on a %s manifest: %s; want a logged refusal to play", d.name, resp)
			}

			// Reindex rebuilds.
			rebuilt := e.log.count("manifest unreadable, rebuilding from the bucket")
			if _, _, err := e.ix.Reconcile(t.Context(), index.ReconcileOptions{}); err != nil {
				t.Fatalf("Reconcile: %v", err)
			}
			if e.log.count("manifest unreadable, rebuilding from the bucket") != rebuilt+1 {
				t.Error("rebuild not logged")
			}
			good = e.checkMatches()
			resp, err = e.newSkill(skill.Config{}).Invoke(t.Context(), launch("app"))
			if err != nil {
				t.Fatal(err)
			}
			if keys := playedKeys(t, e.endpoint, resp); len(keys) != 1 {
				t.Errorf("after the rebuild: %s", resp)
			}
			if _, err := warm.Invoke(t.Context(), launch("app")); err != nil {
				t.Fatal(err)
			}
		})
	}
	t.Logf("damage cases %d, final v%d, %v", len(damage), good.Version, time.Since(start).Round(time.Millisecond))
}
