package devstack

import (
	"bytes"
	"cmp"
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"slices"
	"strings"

	"github.com/jokebox/jokebox/shared/manifest"
	"github.com/jokebox/jokebox/shared/server"
	"github.com/jokebox/jokebox/shared/spoken"
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
	Playlists []Playlist `json:"playlists"`        // the library first, then folders in ComparePlaylists order
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
	slices.SortStableFunc(info.Playlists, func(a, b Playlist) int { return ComparePlaylists(a.Name, b.Name) })
	for _, r := range m.Rejected {
		info.Rejected = append(info.Rejected, Rejected{Key: r.Key, Reason: r.Reason})
	}
	return info
}

// ComparePlaylists orders playlist names as people sort them: case and
// accents ignored ("Animales", "árboles", "Chistes", "cuentos"), the library
// ("") first; names equal but for those compare by case, then bytes, so the
// order is total.
func ComparePlaylists(a, b string) int {
	if a == "" || b == "" {
		return cmp.Compare(a, b)
	}
	return cmp.Or(
		strings.Compare(spoken.Plain(a), spoken.Plain(b)),
		strings.Compare(strings.ToLower(a), strings.ToLower(b)),
		strings.Compare(a, b),
	)
}

// InfoFunc reports what is indexed now.
type InfoFunc func(ctx context.Context) Info

//go:embed web
var webFS embed.FS

// Options are the parts of the dev server that depend on where the audio is.
type Options struct {
	// Objects is the embedded S3, served at ObjectsPath; nil serves none
	// (the audio is in a real bucket).
	Objects *S3
	// MediaOrigins are the origins the page's audio comes from besides its
	// own ("http://127.0.0.1:8080" when the page is opened as localhost, a
	// real bucket's endpoint), named in the Content-Security-Policy.
	MediaOrigins []string
}

// Handler serves the skill at /alexa, the simulator page at /, its
// assets, GET /api/info, GET /model/{locale} (see withModels) and, with
// opts.Objects, the embedded S3's presigned objects at ObjectsPath.
//
// /alexa is `jokebox serve`'s handler (server.NewHandler) with request
// verification off: the same status codes, short public reasons and one
// log line per refused request; no internal error text reaches the page.
//
// It answers only its own page (see guard): requests whose Host is not a
// loopback name are refused with 421, /alexa takes only JSON from the
// page's own origin or from tools that send no Origin, and every response
// carries a strict Content-Security-Policy and the headers that keep other
// pages from framing or sniffing it.
func Handler(skill Invoker, info InfoFunc, log *slog.Logger, opts Options) (http.Handler, error) {
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
	mux.Handle(server.AlexaPath, sameOrigin(alexaHandler))
	if opts.Objects != nil {
		mux.Handle(ObjectsPath+"/", opts.Objects)
	}
	return guard(withModels(mux, info), ContentSecurityPolicy(opts.MediaOrigins...)), nil
}

// ContentSecurityPolicy is the policy of every dev server response: the
// page runs only its own scripts and styles, talks only to its own origin,
// plays audio from its own origin and mediaOrigins, and cannot be framed.
func ContentSecurityPolicy(mediaOrigins ...string) string {
	media := strings.Join(append([]string{"'self'"}, mediaOrigins...), " ")
	return "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; media-src " + media +
		"; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
}

// guard answers only loopback Host names (DNS rebinding gets 421), and
// sets the security headers on every response.
func guard(h http.Handler, csp string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", csp)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "no-referrer")
		if !loopbackHost(r) {
			http.Error(w, "misdirected request: jokebox dev answers only 127.0.0.1, localhost and [::1]", http.StatusMisdirectedRequest)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// loopbackHost reports whether r's Host is 127.0.0.1, localhost or [::1],
// with the port the server listens on (when the server says which).
func loopbackHost(r *http.Request) bool {
	host, port, err := net.SplitHostPort(r.Host)
	if err != nil {
		host, port = r.Host, "80"
	}
	switch strings.ToLower(host) {
	case "127.0.0.1", "localhost", "::1":
	default:
		return false
	}
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if _, p, err := net.SplitHostPort(a.String()); err == nil && p != port {
			return false
		}
	}
	return true
}

// sameOrigin lets through only JSON requests from the page's own origin,
// or with no Origin at all (curl, events/): a page elsewhere can neither
// post a "simple" text/plain request nor send JSON without CORS, which is
// never granted.
func sameOrigin(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o := r.Header.Get("Origin"); o != "" && o != "http://"+r.Host {
			http.Error(w, "forbidden: a request from another origin", http.StatusForbidden)
			return
		}
		if r.Method == http.MethodPost {
			if t, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || t != "application/json" {
				http.Error(w, "unsupported media type: send Content-Type: application/json", http.StatusUnsupportedMediaType)
				return
			}
		}
		h.ServeHTTP(w, r)
	})
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
