package devstack

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net/http"

	"github.com/jokebox/jokebox/shared/alexa"
	"github.com/jokebox/jokebox/shared/manifest"
)

// Invoker is the skill: a raw Alexa request in, a raw response out.
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

// Handler serves the skill at POST /alexa, the simulator page at /, its
// assets, and GET /api/info.
func Handler(skill Invoker, info InfoFunc, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.Default()
	}
	web, _ := fs.Sub(webFS, "web")
	mux := http.NewServeMux()
	mux.Handle("/", noCache(http.FileServerFS(web)))
	mux.HandleFunc("GET /api/info", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, info(r.Context()))
	})
	mux.HandleFunc("/alexa", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeError(w, http.StatusMethodNotAllowed, "use POST")
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, alexa.MaxRequestSize))
		if err != nil {
			writeError(w, http.StatusRequestEntityTooLarge, "request body too large")
			return
		}
		out, err := skill.Invoke(r.Context(), body)
		switch {
		case errors.Is(err, alexa.ErrInvalid), errors.Is(err, alexa.ErrWrongSkill):
			log.WarnContext(r.Context(), "rejected alexa request", "err", err)
			writeError(w, http.StatusBadRequest, err.Error())
			return
		case err != nil:
			log.ErrorContext(r.Context(), "skill failed", "err", err)
			writeError(w, http.StatusInternalServerError, err.Error())
			return
		}
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		_, _ = w.Write(out)
	})
	return mux
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

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}
