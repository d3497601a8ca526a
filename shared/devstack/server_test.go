package devstack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
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
	h, err := Handler(testSkill, info, discard, Options{})
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
// skill's internal error text) and one log line per refused request.
func TestAlexaAsServe(t *testing.T) {
	t.Parallel()
	var devLog, serveLog lineCounter
	jsonLog := func(b *lineCounter) *slog.Logger {
		return slog.New(slog.NewJSONHandler(b, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	dev, err := Handler(testSkill, func(context.Context) Info { return Info{} }, jsonLog(&devLog), Options{})
	if err != nil {
		t.Fatal(err)
	}
	serve, err := server.NewHandler(testSkill, server.HandlerOptions{InsecureSkipVerify: true, Logger: jsonLog(&serveLog)})
	if err != nil {
		t.Fatal(err)
	}

	// An answered request is logged by the skill (once, with the request ID
	// it decoded), a refused one by the handler: one line each.
	tests := []struct {
		name, method, body string
		status             int
		reply              string
		lines              int64
	}{
		{"skill", "POST", "ok", 200, `{"version":"1.0","response":{}}`, 0},
		{"invalid request", "POST", "bad", 400, "invalid alexa request\n", 1},
		{"other skill", "POST", "other", 400, "request for another skill\n", 1},
		{"skill error", "POST", "broken", 500, "internal error\n", 1},
		{"skill panic", "POST", "panic", 500, "internal error\n", 1},
		{"too large", "POST", strings.Repeat("x", alexa.MaxRequestSize+1), 400, "body too large\n", 1},
		{"GET", "GET", "", 405, "method not allowed\n", 1},
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
			if got := side.log.lines() - before; got != tt.lines {
				t.Errorf("%s: %s logged %d lines; want %d", tt.name, side.name, got, tt.lines)
			}
		}
	}
}

// send serves one request with h and returns the status and body.
func send(h http.Handler, method, path, body string) (int, string) {
	w := httptest.NewRecorder()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.Host = "127.0.0.1:8080"
	r.Header.Set("Content-Type", "application/json")
	h.ServeHTTP(w, r)
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

// TestGuard: the dev server answers only its own page. The audit reached it
// by DNS rebinding (any Host was answered) and posted text/plain requests to
// /alexa from another origin; no response carried a CSP.
func TestGuard(t *testing.T) {
	t.Parallel()
	h, err := Handler(testSkill, func(context.Context) Info { return Info{} }, discard, Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	tests := []struct {
		name, method, path, host string
		header                   map[string]string
		status                   int
	}{
		{"page", "GET", "/", "127.0.0.1", nil, 200},
		{"localhost", "GET", "/", "localhost", nil, 200},
		{"LOCALHOST", "GET", "/api/info", "LOCALHOST", nil, 200},
		{"ipv6", "GET", "/", "[::1]", nil, 200},
		{"missing", "GET", "/nope", "127.0.0.1", nil, 404},
		{"rebound name", "GET", "/api/info", "evil.example", nil, 421},
		{"rebound page", "GET", "/", "evil.example", nil, 421},
		{"rebound alexa", "POST", "/alexa", "evil.example", map[string]string{"Content-Type": "application/json"}, 421},
		{"lookalike", "GET", "/", "127.0.0.1.evil.example", nil, 421},
		{"LAN address", "GET", "/", "192.168.1.20", nil, 421},
		{"alexa json", "POST", "/alexa", "127.0.0.1", map[string]string{"Content-Type": "application/json"}, 200},
		{"alexa json charset", "POST", "/alexa", "127.0.0.1", map[string]string{"Content-Type": "application/json; charset=utf-8"}, 200},
		{"alexa same origin", "POST", "/alexa", "127.0.0.1", map[string]string{"Content-Type": "application/json", "Origin": "http://127.0.0.1:" + strconv.Itoa(port)}, 200},
		{"alexa text/plain", "POST", "/alexa", "127.0.0.1", map[string]string{"Content-Type": "text/plain"}, 415},
		{"alexa form", "POST", "/alexa", "127.0.0.1", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, 415},
		{"alexa no type", "POST", "/alexa", "127.0.0.1", nil, 415},
		{"alexa other origin", "POST", "/alexa", "127.0.0.1", map[string]string{"Content-Type": "application/json", "Origin": "http://evil.example"}, 403},
		{"alexa other port", "POST", "/alexa", "127.0.0.1", map[string]string{"Content-Type": "application/json", "Origin": "http://127.0.0.1:1"}, 403},
		{"alexa null origin", "POST", "/alexa", "127.0.0.1", map[string]string{"Content-Type": "application/json", "Origin": "null"}, 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader("ok"))
			if err != nil {
				t.Fatal(err)
			}
			r.Host = tt.host + ":" + strconv.Itoa(port)
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(r)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Errorf("%s %s Host %s = %d; want %d", tt.method, tt.path, r.Host, resp.StatusCode, tt.status)
			}
			for k, want := range map[string]string{
				"Content-Security-Policy": ContentSecurityPolicy(),
				"X-Content-Type-Options":  "nosniff",
				"X-Frame-Options":         "DENY",
				"Referrer-Policy":         "no-referrer",
			} {
				if got := resp.Header.Get(k); got != want {
					t.Errorf("%s: %q; want %q", k, got, want)
				}
			}
		})
	}
	t.Run("other port", func(t *testing.T) {
		r, _ := http.NewRequest("GET", srv.URL+"/", nil)
		r.Host = "127.0.0.1:1"
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMisdirectedRequest {
			t.Errorf("Host 127.0.0.1:1 on port %d = %d; want 421", port, resp.StatusCode)
		}
	})
}

// TestContentSecurityPolicy: the page loads nothing from elsewhere, runs
// no inline script, cannot be framed, and plays audio only from the
// origins it is told of.
func TestContentSecurityPolicy(t *testing.T) {
	t.Parallel()
	got := ContentSecurityPolicy("http://127.0.0.1:8080")
	want := "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; media-src 'self' http://127.0.0.1:8080; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
	if got != want {
		t.Errorf("ContentSecurityPolicy = %q; want %q", got, want)
	}
}

// TestComparePlaylists: case and accents are ignored, the library is first,
// and names that differ only in them still have one order.
func TestComparePlaylists(t *testing.T) {
	t.Parallel()
	got := []string{"Zorros", "chistes", "", "Árboles", "animales", "Chistes", "cuentos de miedo", "Cuentos", "ñandúes", "Nubes", "arboles"}
	slices.SortFunc(got, ComparePlaylists)
	want := []string{"", "animales", "arboles", "Árboles", "Chistes", "chistes", "Cuentos", "cuentos de miedo", "ñandúes", "Nubes", "Zorros"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sorted (-want +got):\n%s", diff)
	}
	info := InfoFromManifest("id", "b", &manifest.Manifest{Playlists: []manifest.Playlist{{}, {Name: "Zorros"}, {Name: "animales"}, {Name: "Árboles"}}})
	var names []string
	for _, p := range info.Playlists {
		names = append(names, p.Name)
	}
	if diff := cmp.Diff([]string{"", "animales", "Árboles", "Zorros"}, names); diff != "" {
		t.Errorf("InfoFromManifest playlists (-want +got):\n%s", diff)
	}
}
