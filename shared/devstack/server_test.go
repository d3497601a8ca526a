package devstack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jokebox/jokebox/shared/alexa"
	"github.com/jokebox/jokebox/shared/manifest"
)

// invokerFunc is an Invoker made of a function, for unit tests.
type invokerFunc func(ctx context.Context, payload []byte) ([]byte, error)

func (f invokerFunc) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	return f(ctx, payload)
}

func TestHandler(t *testing.T) {
	t.Parallel()
	skill := invokerFunc(func(_ context.Context, p []byte) ([]byte, error) {
		switch string(p) {
		case "bad":
			return nil, fmt.Errorf("%w: no request type", alexa.ErrInvalid)
		case "other":
			return nil, fmt.Errorf("%w: \"x\"", alexa.ErrWrongSkill)
		case "broken":
			return nil, errors.New("load manifest: boom")
		}
		return []byte(`{"version":"1.0","response":{}}`), nil
	})
	m := manifest.New()
	m.Version = 7
	m.Entries = []manifest.Entry{{Key: "animales/pato.mp3"}, {Key: "raiz.mp3"}}
	m.Playlists = []manifest.Playlist{{Order: []uint32{0, 1}}, {Name: "animales", Order: []uint32{0}}}
	m.Rejected = []manifest.Rejection{{Key: "roto.mp3", Reason: "zero-byte file"}}
	info := func(context.Context) Info { return InfoFromManifest("amzn1.ask.skill.dev-simulator", "media", m) }
	srv := httptest.NewServer(Handler(skill, info, discard))
	t.Cleanup(srv.Close)

	tests := []struct {
		name, method, path, body string
		status                   int
		contains                 string
	}{
		{"page", "GET", "/", "", 200, "jokebox"},
		{"script", "GET", "/app.js", "", 200, "window.jokebox"},
		{"style", "GET", "/style.css", "", 200, ".card"},
		{"skill", "POST", "/alexa", "ok", 200, `"version":"1.0"`},
		{"invalid request", "POST", "/alexa", "bad", 400, `"error":"invalid alexa request: no request type"`},
		{"other skill", "POST", "/alexa", "other", 400, `request for another skill`},
		{"skill error", "POST", "/alexa", "broken", 500, `"error":"load manifest: boom"`},
		{"too large", "POST", "/alexa", strings.Repeat("x", alexa.MaxRequestSize+1), 413, `too large`},
		{"GET alexa", "GET", "/alexa", "", 405, `use POST`},
		{"missing", "GET", "/nope.js", "", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status || !strings.Contains(string(b), tt.contains) {
				t.Errorf("%s %s = %d %.200s; want %d containing %q", tt.method, tt.path, resp.StatusCode, b, tt.status, tt.contains)
			}
		})
	}

	t.Run("info", func(t *testing.T) {
		resp, err := http.Get(srv.URL + "/api/info")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var got Info
		if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
			t.Fatal(err)
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

func TestInfoFromNoManifest(t *testing.T) {
	t.Parallel()
	got := InfoFromManifest("id", "b", nil)
	b, _ := json.Marshal(got)
	if want := `{"skillId":"id","bucket":"b","version":0,"entries":0,"playlists":[],"rejected":[]}`; string(b) != want {
		t.Errorf("InfoFromManifest(nil) = %s; want %s", b, want)
	}
}
