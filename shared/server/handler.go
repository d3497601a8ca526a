// Package server is jokebox's self-hosted skill endpoint: an HTTP handler
// that verifies each Alexa request and hands its raw body to the skill, and
// Run, which serves it over HTTPS (or plain HTTP behind a TLS-terminating
// proxy) with timeouts and a graceful shutdown.
package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"

	"github.com/jokebox/jokebox/shared/alexa"
	"github.com/jokebox/jokebox/shared/verify"
)

// Invoker answers one raw Alexa request body with a raw response body: the
// same byte-level entry point the Lambda runtime uses.
//
// Errors wrapping alexa.ErrInvalid or alexa.ErrWrongSkill are the client's
// fault and answered 400; any other error is answered 500.
type Invoker interface {
	Invoke(ctx context.Context, payload []byte) ([]byte, error)
}

// InvokerFunc is a function that is an Invoker, as http.HandlerFunc is an
// http.Handler.
type InvokerFunc func(ctx context.Context, payload []byte) ([]byte, error)

// Invoke calls f.
func (f InvokerFunc) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	return f(ctx, payload)
}

// Verifier checks that a request comes from Alexa; *verify.Verifier is one.
// Its errors are answered 400, with the public reason of a *verify.Error.
type Verifier interface {
	Verify(ctx context.Context, h http.Header, body []byte) error
}

// Paths the handler serves.
const (
	AlexaPath  = "/alexa"
	HealthPath = "/healthz"
)

// ContentType is the type of every skill response.
const ContentType = "application/json;charset=UTF-8"

// HandlerOptions configure NewHandler.
type HandlerOptions struct {
	// Verifier checks every request. It is required unless
	// InsecureSkipVerify is set.
	Verifier Verifier
	// InsecureSkipVerify serves requests without checking that they come
	// from Alexa, for local testing only. It must be set on purpose: a nil
	// Verifier alone is an error.
	InsecureSkipVerify bool
	// Logger receives a line per request; nil discards them.
	Logger *slog.Logger
}

type handler struct {
	inv    Invoker
	verify Verifier // nil when verification is skipped
	log    *slog.Logger
}

// NewHandler returns the skill endpoint: POST /alexa and GET /healthz.
func NewHandler(inv Invoker, o HandlerOptions) (http.Handler, error) {
	if inv == nil {
		return nil, errors.New("server: no invoker")
	}
	h := &handler{inv: inv, log: o.Logger}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	switch {
	case o.InsecureSkipVerify && o.Verifier != nil:
		return nil, errors.New("server: a verifier and InsecureSkipVerify are both set")
	case o.InsecureSkipVerify:
	case o.Verifier == nil:
		return nil, errors.New("server: no verifier (set InsecureSkipVerify to serve unverified requests)")
	default:
		h.verify = o.Verifier
	}
	return h, nil
}

// statusWriter remembers whether the response has started, so a recovered
// panic knows whether it can still answer 500.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (h *handler) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	w := &statusWriter{ResponseWriter: rw}
	defer func() {
		rec := recover()
		if rec == nil {
			return
		}
		if rec == http.ErrAbortHandler {
			panic(rec)
		}
		h.log.ErrorContext(r.Context(), "panic serving request", "path", r.URL.Path, "panic", fmt.Sprint(rec), "stack", string(debug.Stack()))
		if w.status == 0 {
			plain(w, http.StatusInternalServerError, "internal error")
		}
	}()
	switch r.URL.Path {
	case AlexaPath:
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			h.log.InfoContext(r.Context(), "alexa request rejected", "status", http.StatusMethodNotAllowed, "method", r.Method, "remote", r.RemoteAddr)
			plain(w, http.StatusMethodNotAllowed, "method not allowed")
			return
		}
		h.alexa(w, r)
	case HealthPath:
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			plain(w, http.StatusMethodNotAllowed, "method not allowed")
			return
		}
		plain(w, http.StatusOK, "ok")
	default:
		h.log.DebugContext(r.Context(), "not found", "path", r.URL.Path, "remote", r.RemoteAddr)
		plain(w, http.StatusNotFound, "not found")
	}
}

func (h *handler) alexa(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, alexa.MaxRequestSize))
	if err != nil {
		reason := "unreadable body"
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			reason = "body too large"
		}
		h.reject(ctx, w, r, http.StatusBadRequest, reason, "", err)
		return
	}
	if h.verify != nil {
		if err := h.verify.Verify(ctx, r.Header, body); err != nil {
			reason := "request verification failed"
			if ve, ok := errors.AsType[*verify.Error](err); ok {
				reason = string(ve.Reason)
			}
			h.reject(ctx, w, r, http.StatusBadRequest, reason, requestID(body), err)
			return
		}
	}
	out, err := h.inv.Invoke(ctx, body)
	switch {
	case errors.Is(err, alexa.ErrWrongSkill):
		h.reject(ctx, w, r, http.StatusBadRequest, "request for another skill", requestID(body), err)
		return
	case errors.Is(err, alexa.ErrInvalid):
		h.reject(ctx, w, r, http.StatusBadRequest, "invalid alexa request", requestID(body), err)
		return
	case err != nil:
		h.reject(ctx, w, r, http.StatusInternalServerError, "internal error", requestID(body), err)
		return
	}
	// The skill logged its answer, once, with the request ID it decoded:
	// an answered request gets no second line here.
	w.Header().Set("Content-Type", ContentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(out)))
	_, _ = w.Write(out)
}

// reject answers a failed request with a short plain-text reason and logs
// it with the detail: 4xx as a warning, 5xx as an error.
func (h *handler) reject(ctx context.Context, w http.ResponseWriter, r *http.Request, status int, reason, id string, err error) {
	level := slog.LevelWarn
	if status >= 500 {
		level = slog.LevelError
	}
	h.log.Log(ctx, level, "alexa request rejected", "status", status, "reason", reason, "requestId", id, "remote", r.RemoteAddr, "err", err)
	plain(w, status, reason)
}

func plain(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, msg+"\n")
}

// maxLoggedID bounds a request ID copied into logs; real ones are about 70
// characters.
const maxLoggedID = 128

// requestID reads request.requestId for the log line of a refused request
// only (an answered one is logged by the skill, which decoded it), leniently:
// "" when the body is not JSON. The value may be unverified and is only ever logged as a
// quoted attribute.
func requestID(body []byte) string {
	var env struct {
		Request struct {
			RequestID string `json:"requestId"`
		} `json:"request"`
	}
	if json.Unmarshal(body, &env) != nil {
		return ""
	}
	id := env.Request.RequestID
	if len(id) > maxLoggedID {
		id = id[:maxLoggedID]
	}
	return id
}
