package devstack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/jokebox/jokebox/shared/alexa"
	"github.com/jokebox/jokebox/shared/devstack"
	"github.com/jokebox/jokebox/shared/index"
	"github.com/jokebox/jokebox/shared/listeners"
	"github.com/jokebox/jokebox/shared/skill"
	"github.com/jokebox/jokebox/shared/spoken"
	"github.com/jokebox/jokebox/shared/store"
	skillpackage "github.com/jokebox/jokebox/skill-package"
)

// Interfaces the production pieces must satisfy for `jokebox dev`.
var (
	_ devstack.Invoker    = (*skill.Handler)(nil)
	_ devstack.SQSHandler = (*index.Indexer)(nil)
)

const (
	testBucket  = "jokebox-dev"
	testSkillID = "amzn1.ask.skill.dev-simulator"
)

// stack is the whole skill on one machine, as `jokebox dev` runs it, with
// the real indexer and skill.
type stack struct {
	URL    string // the simulator and /alexa
	Media  string // the watched media folder
	Syncer *devstack.Syncer
	S3     *s3.Client    // the embedded S3, in process
	Calls  *atomic.Int64 // requests that reached the skill
}

// countingSkill counts the requests that reach the skill.
type countingSkill struct {
	devstack.Invoker
	n *atomic.Int64
}

func (c countingSkill) Invoke(ctx context.Context, p []byte) ([]byte, error) {
	c.n.Add(1)
	return c.Invoker.Invoke(ctx, p)
}

// startStack syncs media (copied to a fresh folder), watches it, and
// serves the simulator.
func startStack(t *testing.T, media map[string]string) *stack {
	t.Helper()
	log := slog.New(slog.NewTextHandler(testLogWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	// The server's address first: the skill signs URLs for the S3 behind it.
	srv := httptest.NewUnstartedServer(nil)
	t.Cleanup(srv.Close)
	objects, err := devstack.NewS3(testBucket)
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + srv.Listener.Addr().String()
	client := objects.Client(devstack.Endpoint(base))
	st := store.New(client, nil, testBucket, "", log)
	ix := index.New(client, st, testBucket, log)
	signer, err := store.NewPresigner(client, testBucket, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	playlists, err := spoken.ParseOverrides(skillpackage.Overrides())
	if err != nil {
		t.Fatal(err)
	}
	// Listeners in memory, as jokebox dev keeps them.
	sk, err := skill.New(st, signer, skill.Config{SkillID: testSkillID, Continuous: true, ManifestTTL: 0, Playlists: playlists,
		Listeners: listeners.NewMemory()}, log)
	if err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	for rel, src := range media {
		copyFile(t, src, filepath.Join(dir, filepath.FromSlash(rel)))
	}
	sy := devstack.NewSyncer(devstack.SyncConfig{Dir: dir, Bucket: testBucket, S3: client, Indexer: ix, Logger: log})
	w, err := sy.Watch()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sy.SyncAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	info := func(ctx context.Context) devstack.Info {
		m, err := st.Load(ctx)
		if err != nil {
			i := devstack.InfoFromManifest(testSkillID, testBucket, nil)
			i.Error = err.Error()
			return i
		}
		i := devstack.InfoFromManifest(testSkillID, testBucket, m)
		for _, r := range sy.Skipped() { // as jokebox dev lists them
			i.Rejected = append(i.Rejected, devstack.Rejected(r))
		}
		return i
	}
	calls := new(atomic.Int64)
	h, err := devstack.Handler(countingSkill{sk, calls}, info, log, devstack.Options{Objects: objects, MediaOrigins: []string{base}})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = h
	srv.Start()
	return &stack{URL: srv.URL, Media: dir, Syncer: sy, S3: client, Calls: calls}
}

// testLogWriter sends log lines to t.Log.
type testLogWriter struct{ t *testing.T }

func (w testLogWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

var (
	voicesOnce sync.Once
	voicesDir  string
	voicesErr  error
)

// voice returns an MP3 file of text spoken by espeak-ng, made once per
// test run. Tests need espeak-ng and lame (apt-get install espeak-ng lame);
// without them they fail, or skip with -short.
func voice(t *testing.T, name, text string) string {
	t.Helper()
	for _, tool := range []string{"espeak-ng", "lame"} {
		if _, err := exec.LookPath(tool); err != nil {
			if testing.Short() {
				t.Skipf("%s not installed (apt-get install espeak-ng lame); skipped with -short", tool)
			}
			t.Fatalf("%s not installed (apt-get install espeak-ng lame): %v", tool, err)
		}
	}
	voicesOnce.Do(func() { voicesDir, voicesErr = os.MkdirTemp("", "jokebox-voices-") })
	if voicesErr != nil {
		t.Fatal(voicesErr)
	}
	mp3 := filepath.Join(voicesDir, name+".mp3")
	if _, err := os.Stat(mp3); err == nil {
		return mp3
	}
	wav := filepath.Join(voicesDir, name+".wav")
	if out, err := exec.Command("espeak-ng", "-v", "es", "-s", "150", "-w", wav, text).CombinedOutput(); err != nil {
		t.Fatalf("espeak-ng: %v\n%s", err, out)
	}
	if out, err := exec.Command("lame", "--quiet", "-b", "64", "--tt", name, wav, mp3).CombinedOutput(); err != nil {
		t.Fatalf("lame: %v\n%s", err, out)
	}
	return mp3
}

func TestMain(m *testing.M) {
	code := m.Run()
	if voicesDir != "" {
		os.RemoveAll(voicesDir)
	}
	os.Exit(code)
}

// jokes are long enough to pause and resume in.
func jokes(t *testing.T) map[string]string {
	t.Helper()
	return map[string]string{
		"animales/el pato.mp3":  voice(t, "pato", "Un pato entra en una farmacia y pide un pintalabios. El farmacéutico le pregunta cómo va a pagar, y el pato contesta: póngalo en mi pico."),
		"animales/la vaca.mp3":  voice(t, "vaca", "¿Qué le dice una vaca a otra vaca en medio del campo? Nada, porque las vacas no hablan, pero si hablaran dirían muuuuu muy despacio."),
		"chistes/el médico.mp3": voice(t, "medico", "Doctor, doctor, tengo complejo de feo. Pues siéntese en esa silla, que ahora mismo le atiendo, y no se preocupe que aquí no hay espejos."),
	}
}

// post sends an Alexa request to the stack's skill endpoint.
func post(t *testing.T, url string, req map[string]any) alexa.Response {
	t.Helper()
	b, _ := json.Marshal(req)
	resp, err := http.Post(url+"/alexa", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /alexa = %d %s", resp.StatusCode, body)
	}
	var out alexa.Response
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("response %s: %v", body, err)
	}
	return out
}

// intentRequest is what the simulator sends for an intent with a playlist.
func intentRequest(name, playlist string) map[string]any {
	slots := map[string]any{"playlist": map[string]any{"name": "playlist", "value": playlist}}
	return map[string]any{
		"version": "1.0",
		"session": map[string]any{"new": true, "sessionId": "amzn1.echo-api.session.test", "application": map[string]any{"applicationId": testSkillID}},
		"context": map[string]any{"System": map[string]any{
			"application": map[string]any{"applicationId": testSkillID},
			"device":      map[string]any{"deviceId": "amzn1.ask.device.TEST", "supportedInterfaces": map[string]any{"AudioPlayer": map[string]any{}}},
		}},
		"request": map[string]any{
			"type": "IntentRequest", "requestId": "amzn1.echo-api.request.test", "locale": "es-ES",
			"timestamp": time.Now().UTC().Format(time.RFC3339),
			"intent":    map[string]any{"name": name, "slots": slots},
		},
	}
}

// playedURL returns the stream URL of the response's Play directive.
func playedURL(r alexa.Response) string {
	for _, d := range r.Response.Directives {
		if d.Type == alexa.PlayDirective && d.AudioItem != nil {
			return d.AudioItem.Stream.URL
		}
	}
	return ""
}

func TestStackPlaysAndSeesNewFiles(t *testing.T) {
	st := startStack(t, jokes(t))

	u := playedURL(post(t, st.URL, intentRequest(skill.PlayIntent, "animales")))
	if !strings.Contains(u, "/"+testBucket+"/animales/") {
		t.Fatalf("play animales gave URL %q; want one under animales/", u)
	}
	// The presigned URL serves the audio, and ranges of it (for seeking).
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("Range", "bytes=100-199")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusPartialContent || len(b) != 100 {
		t.Errorf("GET %s with Range = %d, %d bytes; want 206 and 100 bytes", u, resp.StatusCode, len(b))
	}

	// A file dropped into a new folder is playable within 2 s.
	start := time.Now()
	copyFile(t, voice(t, "nuevo", "Este chiste es nuevo."), filepath.Join(st.Media, "nuevos", "recién llegado.mp3"))
	var got string
	for time.Since(start) < 2*time.Second {
		got = playedURL(post(t, st.URL, intentRequest(skill.PlayIntent, "nuevos")))
		if strings.Contains(got, "/nuevos/") {
			break
		}
		time.Sleep(25 * time.Millisecond)
	}
	if !strings.Contains(got, "/nuevos/reci%C3%A9n%20llegado.mp3") {
		t.Fatalf("2 s after adding nuevos/recién llegado.mp3, play nuevos gave %q", got)
	}
	t.Logf("a dropped file was offered after %v", time.Since(start).Round(time.Millisecond))

	// Removed, it is no longer offered within 2 s.
	start = time.Now()
	if err := os.RemoveAll(filepath.Join(st.Media, "nuevos")); err != nil {
		t.Fatal(err)
	}
	for time.Since(start) < 2*time.Second {
		got = playedURL(post(t, st.URL, intentRequest(skill.PlayIntent, "nuevos")))
		if !strings.Contains(got, "/nuevos/") {
			break
		}
		time.Sleep(25 * time.Millisecond)
	}
	if strings.Contains(got, "/nuevos/") {
		t.Fatalf("2 s after removing nuevos/, play nuevos still gave %q", got)
	}
	t.Logf("a removed folder was gone after %v", time.Since(start).Round(time.Millisecond))

	// /api/info tells what was indexed.
	resp, err = http.Get(st.URL + "/api/info")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var info devstack.Info
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil {
		t.Fatal(err)
	}
	if info.Entries != 3 || len(info.Playlists) != 3 || info.SkillID != testSkillID {
		t.Errorf("/api/info = %+v; want 3 entries in library + 2 folders", info)
	}
}
