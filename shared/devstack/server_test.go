package devstack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jokebox/jokebox/shared/alexa"
	"github.com/jokebox/jokebox/shared/manifest"
	"github.com/jokebox/jokebox/shared/server"
)

// testSkill answers "ok" and fails in the ways a skill can for other bodies.
var testSkill = server.InvokerFunc(func(_ context.Context, p []byte) ([]byte, error) {
	switch string(p) {
	case "bad":
		return nil, fmt.Errorf("%w: no request type", alexa.ErrInvalid)
	case "other":
		return nil, fmt.Errorf("%w: \"x\"", alexa.ErrWrongSkill)
	case "broken":
		return nil, errors.New("load manifest: secret-bucket boom")
	case "panic":
		panic("boom")
	}
	return []byte(`{"version":"1.0","response":{}}`), nil
})

func TestHandler(t *testing.T) {
	t.Parallel()
	m := manifest.New()
	m.Version = 7
	m.Entries = []manifest.Entry{{Key: "animales/pato.mp3"}, {Key: "raiz.mp3"}}
	m.Playlists = []manifest.Playlist{{Order: []uint32{0, 1}}, {Name: "animales", Order: []uint32{0}}}
	m.Rejected = []manifest.Rejection{{Key: "roto.mp3", Reason: "zero-byte file"}}
	info := func(context.Context) Info { return InfoFromManifest("amzn1.ask.skill.dev-simulator", "media", m) }
	h, err := Handler(testSkill, info, discard)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, method, path, body string
		status                   int
		contains                 string
	}{
		{"page", "GET", "/", "", 200, "jokebox"},
		{"script", "GET", "/app.js", "", 200, "window.jokebox"},
		{"style", "GET", "/style.css", "", 200, ".card"},
		{"skill", "POST", "/alexa", "ok", 200, `"version":"1.0"`},
		{"missing", "GET", "/nope.js", "", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, b := send(h, tt.method, tt.path, tt.body)
			if status != tt.status || !strings.Contains(b, tt.contains) {
				t.Errorf("%s %s = %d %.200s; want %d containing %q", tt.method, tt.path, status, b, tt.status, tt.contains)
			}
		})
	}

	t.Run("info", func(t *testing.T) {
		status, b := send(h, "GET", "/api/info", "")
		var got Info
		if err := json.Unmarshal([]byte(b), &got); err != nil || status != 200 {
			t.Fatalf("GET /api/info = %d %s: %v", status, b, err)
		}
		want := Info{
			SkillID: "amzn1.ask.skill.dev-simulator", Bucket: "media", Version: 7, Entries: 2,
			Playlists: []Playlist{{Name: "", Count: 2}, {Name: "animales", Count: 1}},
			Rejected:  []Rejected{{Key: "roto.mp3", Reason: "zero-byte file"}},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("/api/info (-want +got):\n%s", diff)
		}
	})
}

// TestAlexaAsServe sends the same requests to /alexa under `jokebox dev`
// and under `jokebox serve --insecure-skip-verify`: both are the one
// server handler, so they must answer alike, with short reasons (never the
// skill's internal error text) and one log line per request.
func TestAlexaAsServe(t *testing.T) {
	t.Parallel()
	var devLog, serveLog lineCounter
	jsonLog := func(b *lineCounter) *slog.Logger {
		return slog.New(slog.NewJSONHandler(b, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	dev, err := Handler(testSkill, func(context.Context) Info { return Info{} }, jsonLog(&devLog))
	if err != nil {
		t.Fatal(err)
	}
	serve, err := server.NewHandler(testSkill, server.HandlerOptions{InsecureSkipVerify: true, Logger: jsonLog(&serveLog)})
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, method, body string
		status             int
		reply              string
	}{
		{"skill", "POST", "ok", 200, `{"version":"1.0","response":{}}`},
		{"invalid request", "POST", "bad", 400, "invalid alexa request\n"},
		{"other skill", "POST", "other", 400, "request for another skill\n"},
		{"skill error", "POST", "broken", 500, "internal error\n"},
		{"skill panic", "POST", "panic", 500, "internal error\n"},
		{"too large", "POST", strings.Repeat("x", alexa.MaxRequestSize+1), 400, "body too large\n"},
		{"GET", "GET", "", 405, "method not allowed\n"},
	}
	for _, tt := range tests {
		// Not parallel: each case reads the lines it logged.
		for _, side := range []struct {
			name string
			h    http.Handler
			log  *lineCounter
		}{{"dev", dev, &devLog}, {"serve", serve, &serveLog}} {
			before := side.log.lines()
			status, b := send(side.h, tt.method, "/alexa", tt.body)
			if status != tt.status || b != tt.reply {
				t.Errorf("%s: %s %s /alexa = %d %.200q; want %d %q", tt.name, side.name, tt.method, status, b, tt.status, tt.reply)
			}
			if strings.Contains(b, "boom") || strings.Contains(b, "secret-bucket") {
				t.Errorf("%s: %s leaked the internal error: %q", tt.name, side.name, b)
			}
			if got := side.log.lines() - before; got != 1 {
				t.Errorf("%s: %s logged %d lines; want 1", tt.name, side.name, got)
			}
		}
	}
}

// send serves one request with h and returns the status and body.
func send(h http.Handler, method, path, body string) (int, string) {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(method, path, strings.NewReader(body)))
	return w.Code, w.Body.String()
}

// lineCounter counts the log lines written to it; the server writes from
// its own goroutines.
type lineCounter struct{ n atomic.Int64 }

func (c *lineCounter) Write(p []byte) (int, error) {
	c.n.Add(int64(bytes.Count(p, []byte("\n"))))
	return len(p), nil
}

func (c *lineCounter) lines() int64 { return c.n.Load() }

func TestInfoFromNoManifest(t *testing.T) {
	t.Parallel()
	got := InfoFromManifest("id", "b", nil)
	b, _ := json.Marshal(got)
	if want := `{"skillId":"id","bucket":"b","version":0,"entries":0,"playlists":[],"rejected":[]}`; string(b) != want {
		t.Errorf("InfoFromManifest(nil) = %s; want %s", b, want)
	}
}
