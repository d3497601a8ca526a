package e2e

// The skill end to end against moto_server: real audio uploaded under many
// keys, the manifest built by the real indexer, the skill built by
// app.FromAWS exactly as the Lambda function builds it, and its Play URLs
// fetched over HTTP.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/jokebox/jokebox/internal/motoserver"
	"github.com/jokebox/jokebox/shared/alexa"
	"github.com/jokebox/jokebox/shared/app"
	"github.com/jokebox/jokebox/shared/config"
	"github.com/jokebox/jokebox/shared/index"
	"github.com/jokebox/jokebox/shared/skill"
)

const (
	skillBucket = "jokebox-e2e-skill"
	skillParam  = "/jokebox/e2e-skill/manifest"
	// skillAppID is the skill ID of the samples in events/skill.
	skillAppID = "amzn1.ask.skill.6f1c3d2e-8b4a-4c55-9e0d-1a2b3c4d5e6f"
)

// skillCounter is an http.RoundTripper that counts the AWS calls made
// through it.
type skillCounter struct {
	base  http.RoundTripper
	n     atomic.Int64
	mu    sync.Mutex
	calls []string
}

func (c *skillCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	c.mu.Lock()
	c.calls = append(c.calls, r.Method+" "+r.URL.Path+" "+r.Header.Get("X-Amz-Target"))
	c.mu.Unlock()
	return c.base.RoundTrip(r)
}

// since returns the calls made after the first n.
func (c *skillCounter) since(n int64) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.calls[n:])
}

// skillEnv is one moto_server with a bucket full of audio and a manifest.
type skillEnv struct {
	endpoint string
	files    map[string][]byte // key → uploaded bytes
}

// skillAWSConfig is an AWS configuration for moto whose calls go through rt.
func skillAWSConfig(endpoint string, rt http.RoundTripper) aws.Config {
	return aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(endpoint),
		HTTPClient:   &http.Client{Transport: rt},
	}
}

func skillConfig(endpoint string, continuous bool, ttl time.Duration) config.Config {
	return config.Config{
		Bucket: skillBucket, ManifestParam: skillParam, PathStyle: true, SkillID: skillAppID,
		URLTTL: time.Hour, Continuous: continuous, ManifestTTL: ttl, Endpoint: endpoint, Region: "us-east-1",
	}
}

func skillLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// skillSetup starts moto, uploads every MP3 of testdata/audio and media/
// under four keys each (a copy per folder), and builds the manifest with
// the indexer's reconciliation.
func skillSetup(t *testing.T) *skillEnv {
	t.Helper()
	if testing.Short() {
		t.Skip("skipping with -short: starts moto_server")
	}
	endpoint := motoserver.Start(t)
	ctx := t.Context()
	a := app.FromAWS(skillConfig(endpoint, false, time.Minute), skillAWSConfig(endpoint, http.DefaultTransport), skillLogger(t))
	if _, err := a.S3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(skillBucket)}); err != nil {
		t.Fatal(err)
	}
	env := &skillEnv{endpoint: endpoint, files: map[string][]byte{}}
	root := repoRoot(t)
	for _, dir := range []string{"media", filepath.Join("testdata", "audio")} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".mp3") {
				return err
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			folder := filepath.Base(filepath.Dir(p))
			for i := 1; i <= 4; i++ {
				key := fmt.Sprintf("%s %d/%s", folder, i, d.Name()) // spaces and accents in keys
				if i == 1 {
					key = folder + "/" + d.Name()
				}
				if _, err := a.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(skillBucket), Key: aws.String(key), Body: strings.NewReader(string(b))}); err != nil {
					return err
				}
				env.files[key] = b
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	m, _, err := a.Indexer().Reconcile(ctx, index.ReconcileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Entries) < 50 {
		t.Fatalf("manifest has %d entries of %d uploads; want at least 50", len(m.Entries), len(env.files))
	}
	t.Logf("uploaded %d objects; manifest v%d has %d entries, %d playlists, %d rejected", len(env.files), m.Version, len(m.Entries), len(m.Playlists), len(m.Rejected))
	return env
}

// skillHandler builds the skill as the Lambda function does, on AWS calls
// that go through rt.
func (e *skillEnv) skillHandler(t *testing.T, continuous bool, ttl time.Duration, rt http.RoundTripper, opts ...func(*skill.Config)) *skill.Handler {
	t.Helper()
	// The handler's logs are dropped: the tests send failures on purpose.
	a := app.FromAWS(skillConfig(e.endpoint, continuous, ttl), skillAWSConfig(e.endpoint, rt), slog.New(slog.DiscardHandler))
	h, err := a.Skill(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// skillRequest loads a sample from events/skill and edits it.
func skillRequest(t *testing.T, name string, edit func(*alexa.Request)) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot(t), "events", "skill", name))
	if err != nil {
		t.Fatal(err)
	}
	if alexa.IsWarmup(raw) {
		return raw
	}
	req, err := alexa.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(req)
	}
	b, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// skillWithToken sets the device's token in context.AudioPlayer.
func skillWithToken(token string) func(*alexa.Request) {
	return func(r *alexa.Request) {
		r.Context.AudioPlayer = &alexa.AudioPlayerState{Token: token, OffsetInMilliseconds: 2500, PlayerActivity: alexa.Finished}
		if r.Request.Token != "" {
			r.Request.Token = token
		}
	}
}

func skillInvoke(t *testing.T, h *skill.Handler, raw []byte) *alexa.Response {
	t.Helper()
	out, err := h.Invoke(context.Background(), raw)
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	var resp alexa.Response
	if alexa.IsWarmup(raw) {
		if !strings.Contains(string(out), `"warm":true`) {
			t.Fatalf("warm-up answered %s", out)
		}
		return &resp
	}
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatalf("answer %s: %v", out, err)
	}
	return &resp
}

// skillPlay returns the answer's Play directive and the key its token names.
func skillPlay(t *testing.T, resp *alexa.Response) (alexa.Directive, string) {
	t.Helper()
	for _, d := range resp.Response.Directives {
		if d.Type == alexa.PlayDirective {
			tok, ok := skill.ParseToken(d.AudioItem.Stream.Token)
			if !ok {
				t.Fatalf("token %q does not parse", d.AudioItem.Stream.Token)
			}
			return d, tok.Key
		}
	}
	t.Fatalf("no Play directive in %+v", resp.Response)
	return alexa.Directive{}, ""
}

func TestSkillEndToEnd(t *testing.T) {
	env := skillSetup(t)

	t.Run("launch plays a fetchable URL", func(t *testing.T) {
		h := env.skillHandler(t, false, time.Minute, http.DefaultTransport)
		for _, file := range []string{"launch.en-US.json", "launch.es-ES.json", "intent.play.animales.es-ES.json"} {
			d, key := skillPlay(t, skillInvoke(t, h, skillRequest(t, file, skillWithToken(""))))
			want, ok := env.files[key]
			if !ok {
				t.Fatalf("%s played %q, which was never uploaded", file, key)
			}
			resp, err := http.Get(d.AudioItem.Stream.URL)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusOK || string(got) != string(want) {
				t.Errorf("%s: GET %s: %s, %d bytes; want 200 and the %d bytes uploaded as %q", file, d.AudioItem.Stream.URL, resp.Status, len(got), len(want), key)
			}
			if file == "intent.play.animales.es-ES.json" && path.Dir(key) != "animales" {
				t.Errorf("asked for animales, played %q", key)
			}
		}
	})

	t.Run("fifty launches play fifty files", func(t *testing.T) {
		h := env.skillHandler(t, false, time.Minute, http.DefaultTransport)
		token := ""
		seen := map[string]int{}
		for i := range 50 {
			d, key := skillPlay(t, skillInvoke(t, h, skillRequest(t, "launch.es-ES.json", skillWithToken(token))))
			if prev, ok := seen[key]; ok {
				t.Fatalf("launch %d repeats %q from launch %d", i, key, prev)
			}
			seen[key] = i
			token = d.AudioItem.Stream.Token
		}
	})

	t.Run("continuous play enqueues another file", func(t *testing.T) {
		h := env.skillHandler(t, true, time.Minute, http.DefaultTransport)
		d, key := skillPlay(t, skillInvoke(t, h, skillRequest(t, "launch.en-US.json", skillWithToken(""))))
		token := d.AudioItem.Stream.Token
		for range 5 {
			next, nextKey := skillPlay(t, skillInvoke(t, h, skillRequest(t, "audioplayer.nearly-finished.json", skillWithToken(token))))
			s := next.AudioItem.Stream
			if next.PlayBehavior != alexa.Enqueue || s.ExpectedPreviousToken != token || nextKey == key {
				t.Fatalf("enqueued %q (%s, after %q); want another key than %q, ENQUEUE after %q", nextKey, next.PlayBehavior, s.ExpectedPreviousToken, key, token)
			}
			resp, err := http.Get(s.URL)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("GET enqueued URL: %s", resp.Status)
			}
			token, key = s.Token, nextKey
		}
		resp := skillInvoke(t, env.skillHandler(t, false, time.Minute, http.DefaultTransport), skillRequest(t, "audioplayer.nearly-finished.json", skillWithToken(token)))
		if len(resp.Response.Directives) != 0 {
			t.Errorf("continuous off: answered %+v; want nothing", resp.Response)
		}
	})

	t.Run("warm path makes no AWS call", func(t *testing.T) {
		// The handler's clock is the test's: it steps past the TTL
		// instead of sleeping it out. Past the TTL a request waits for
		// the refresh (as in Lambda), so the calls it makes are counted
		// before it answers.
		const ttl = time.Minute
		var clock atomic.Int64
		clock.Store(time.Now().UnixNano())
		pastTTL := func() { clock.Add(int64(ttl + time.Millisecond)) }
		counter := &skillCounter{base: http.DefaultTransport}
		h := env.skillHandler(t, true, ttl, counter, func(c *skill.Config) {
			c.Now = func() time.Time { return time.Unix(0, clock.Load()) }
			c.WaitForRefresh = true
		})
		d, _ := skillPlay(t, skillInvoke(t, h, skillRequest(t, "launch.en-US.json", skillWithToken(""))))
		if n := counter.n.Load(); n != 2 {
			t.Fatalf("first request made %d calls %q; want 2 (pointer and manifest)", n, counter.since(0))
		}
		token := d.AudioItem.Stream.Token
		kinds := []string{
			"launch.es-ES.json", "intent.next.en-US.json", "intent.previous.en-US.json", "intent.resume.en-US.json",
			"playbackcontroller.play.json", "playbackcontroller.next.json", "audioplayer.nearly-finished.json",
			"audioplayer.playback-failed.json", "audioplayer.playback-started.json", "intent.pause.en-US.json",
			"intent.help.es-ES.json", "warmup.json",
		}
		reqs := make([][]byte, len(kinds))
		for i, k := range kinds {
			reqs[i] = skillRequest(t, k, skillWithToken(token))
		}
		before := counter.n.Load()
		for range 20 {
			for _, raw := range reqs {
				skillInvoke(t, h, raw)
			}
		}
		if calls := counter.since(before); len(calls) != 0 {
			t.Fatalf("%d warm requests made %d AWS calls: %q", 20*len(reqs), len(calls), calls)
		}

		pastTTL()
		before = counter.n.Load()
		for range 5 {
			for _, raw := range reqs {
				skillInvoke(t, h, raw)
			}
		}
		if calls := counter.since(before); len(calls) != 1 || !strings.Contains(calls[0], "GetParameter") {
			t.Errorf("after the TTL: calls %q; want exactly one pointer read and no fetch", calls)
		}

		// A new version: one pointer read and one fetch, then quiet again.
		a := app.FromAWS(skillConfig(env.endpoint, false, ttl), skillAWSConfig(env.endpoint, http.DefaultTransport), skillLogger(t))
		if _, err := a.S3.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(skillBucket), Key: aws.String("nuevo/otro chiste.mp3"), Body: strings.NewReader(string(env.files["chistes/el-semaforo.mp3"]))}); err != nil {
			t.Fatal(err)
		}
		m, _, err := a.Indexer().Reconcile(t.Context(), index.ReconcileOptions{})
		if err != nil {
			t.Fatal(err)
		}
		pastTTL()
		before = counter.n.Load()
		_, key := skillPlay(t, skillInvoke(t, h, reqs[0]))
		for range 5 {
			for _, raw := range reqs {
				skillInvoke(t, h, raw)
			}
		}
		calls := counter.since(before)
		if len(calls) != 2 || !strings.Contains(calls[0], "GetParameter") || !strings.Contains(calls[1], "/_jokebox/manifests/") {
			t.Errorf("after a new version: calls %q; want one pointer read and one fetch", calls)
		}
		if _, ok := m.Lookup(key); !ok {
			t.Errorf("played %q, not in the new manifest v%d", key, m.Version)
		}
	})
}
