package devstack

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"

	"github.com/jokebox/jokebox/shared/manifest"
	"github.com/jokebox/jokebox/shared/server"
)

// Invoker is the skill: a raw Alexa request in, a raw response out. Errors
// wrapping alexa.ErrInvalid or alexa.ErrWrongSkill are answered 400, others
// 500 (see server.Invoker).
type Invoker interface {
	Invoke(ctx context.Context, payload []byte) ([]byte, error)
}

// Info is what /api/info tells the simulator page.
type Info struct {
	SkillID   string     `json:"skillId"`          // applicationId the skill expects
	Bucket    string     `json:"bucket,omitempty"` // where the audio is
	Version   int64      `json:"version"`          // manifest version
	Entries   int        `json:"entries"`          // playable files
	Playlists []Playlist `json:"playlists"`        // the library first, then folders
	Rejected  []Rejected `json:"rejected"`         // files that are not playable
	Error     string     `json:"error,omitempty"`  // why the manifest could not be read
}

// Playlist is one playlist and how many files it holds.
type Playlist struct {
	Name  string `json:"name"` // "" for the whole library
	Count int    `json:"count"`
}

// Rejected is a file the indexer refused, and why.
type Rejected struct {
	Key    string `json:"key"`
	Reason string `json:"reason"`
}

// InfoFromManifest summarizes m (nil for none yet) for the simulator.
func InfoFromManifest(skillID, bucket string, m *manifest.Manifest) Info {
	info := Info{SkillID: skillID, Bucket: bucket, Playlists: []Playlist{}, Rejected: []Rejected{}}
	if m == nil {
		return info
	}
	info.Version = m.Version
	info.Entries = len(m.Entries)
	for _, p := range m.Playlists {
		info.Playlists = append(info.Playlists, Playlist{Name: p.Name, Count: len(p.Order)})
	}
	for _, r := range m.Rejected {
		info.Rejected = append(info.Rejected, Rejected{Key: r.Key, Reason: r.Reason})
	}
	return info
}

// InfoFunc reports what is indexed now.
type InfoFunc func(ctx context.Context) Info

//go:embed web
var webFS embed.FS

// Handler serves the skill at /alexa, the simulator page at /, its
// assets, and GET /api/info. /alexa is `jokebox serve`'s handler
// (server.NewHandler) with request verification off: the same status codes,
// short public reasons and one log line per refused request; no internal
// error text reaches the page.
func Handler(skill Invoker, info InfoFunc, log *slog.Logger) (http.Handler, error) {
	alexaHandler, err := server.NewHandler(skill, server.HandlerOptions{InsecureSkipVerify: true, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("dev: %w", err)
	}
	web, _ := fs.Sub(webFS, "web")
	mux := http.NewServeMux()
	mux.Handle("/", noCache(http.FileServerFS(web)))
	mux.HandleFunc("GET /api/info", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, info(r.Context()))
	})
	mux.Handle(server.AlexaPath, alexaHandler)
	return mux, nil
}

func noCache(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		http.Error(w, `{"error":"encode response"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}
