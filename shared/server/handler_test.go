package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jokebox/jokebox/internal/syncbuf"
	"github.com/jokebox/jokebox/shared/alexa"
	"github.com/jokebox/jokebox/shared/server"
	"github.com/jokebox/jokebox/shared/verify"
	"github.com/jokebox/jokebox/shared/verify/verifytest"
)

var _ server.Verifier = (*verify.Verifier)(nil)

const okResponse = `{"version":"1.0","response":{"shouldEndSession":true}}`

// fixedInvoker answers every request with okResponse.
var fixedInvoker = server.InvokerFunc(func(context.Context, []byte) ([]byte, error) { return []byte(okResponse), nil })

// logLines decodes JSON log lines.
func logLines(t *testing.T, s string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.Lines(s) {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

func TestHandler(t *testing.T) {
	t.Parallel()
	now := time.Now()
	env := verifytest.NewEnv(t, now)
	body := verifytest.Body("amzn1.echo-api.request.42", now)
	signed := env.Headers(body)
	tooLarge := bytes.Repeat([]byte(" "), alexa.MaxRequestSize+1)

	errInvoker := func(err error) server.Invoker {
		return server.InvokerFunc(func(context.Context, []byte) ([]byte, error) { return nil, err })
	}
	tests := []struct {
		name       string
		method     string
		path       string
		header     http.Header
		body       []byte
		inv        server.Invoker // nil: fixedInvoker
		insecure   bool
		wantStatus int
		wantBody   string
		wantLog    map[string]any // attributes of the last log line, if any
		wantNoLog  bool           // nothing may be logged
	}{
		{name: "health", method: "GET", path: "/healthz", wantStatus: 200, wantBody: "ok\n"},
		{name: "health HEAD", method: "HEAD", path: "/healthz", wantStatus: 200},
		{name: "health POST", method: "POST", path: "/healthz", wantStatus: 405, wantBody: "method not allowed\n"},
		{name: "unknown path", method: "GET", path: "/", wantStatus: 404, wantBody: "not found\n"},
		{name: "unknown path POST", method: "POST", path: "/alexa/x", header: signed, body: body, wantStatus: 404, wantBody: "not found\n"},
		{name: "GET alexa", method: "GET", path: "/alexa", wantStatus: 405, wantBody: "method not allowed\n"},
		{name: "PUT alexa", method: "PUT", path: "/alexa", header: signed, body: body, wantStatus: 405, wantBody: "method not allowed\n"},

		// An answered request is logged once, by the skill (its "answer"
		// line has the request ID from the request it decoded): the
		// handler adds no line of its own.
		{name: "valid", method: "POST", path: "/alexa", header: signed, body: body, wantStatus: 200, wantBody: okResponse, wantNoLog: true},
		{name: "body too large", method: "POST", path: "/alexa", header: signed, body: tooLarge, wantStatus: 400, wantBody: "body too large\n",
			wantLog: map[string]any{"msg": "alexa request rejected", "reason": "body too large", "status": 400.0}},
		{name: "body too large unverified", method: "POST", path: "/alexa", body: tooLarge, insecure: true, wantStatus: 400, wantBody: "body too large\n"},
		{name: "unsigned", method: "POST", path: "/alexa", body: body, wantStatus: 400, wantBody: "missing certificate URL\n",
			wantLog: map[string]any{"reason": "missing certificate URL", "requestId": "amzn1.echo-api.request.42", "level": "WARN"}},
		{name: "tampered", method: "POST", path: "/alexa", header: signed, body: bytes.Replace(body, []byte("LaunchRequest"), []byte("IntentRequest"), 1),
			wantStatus: 400, wantBody: "bad signature\n", wantLog: map[string]any{"reason": "bad signature", "requestId": "amzn1.echo-api.request.42"}},
		{name: "not JSON unverified", method: "POST", path: "/alexa", body: []byte("{{"), insecure: true,
			inv: server.InvokerFunc(func(_ context.Context, b []byte) ([]byte, error) { _, err := alexa.Decode(b); return nil, err }), wantStatus: 400, wantBody: "invalid alexa request\n"},
		{name: "unverified passes", method: "POST", path: "/alexa", body: body, insecure: true, wantStatus: 200, wantBody: okResponse},

		{name: "invalid", method: "POST", path: "/alexa", header: signed, body: body, inv: errInvoker(fmt.Errorf("%w: no request type", alexa.ErrInvalid)),
			wantStatus: 400, wantBody: "invalid alexa request\n", wantLog: map[string]any{"level": "WARN", "err": "invalid alexa request: no request type"}},
		{name: "wrong skill", method: "POST", path: "/alexa", header: signed, body: body, inv: errInvoker(fmt.Errorf("skill amzn1.x: %w", alexa.ErrWrongSkill)),
			wantStatus: 400, wantBody: "request for another skill\n"},
		{name: "internal", method: "POST", path: "/alexa", header: signed, body: body, inv: errInvoker(errors.New("s3: access denied")),
			wantStatus: 500, wantBody: "internal error\n", wantLog: map[string]any{"level": "ERROR", "err": "s3: access denied", "requestId": "amzn1.echo-api.request.42"}},
		{name: "panic", method: "POST", path: "/alexa", header: signed, body: body,
			inv:        server.InvokerFunc(func(context.Context, []byte) ([]byte, error) { panic("boom") }),
			wantStatus: 500, wantBody: "internal error\n", wantLog: map[string]any{"level": "ERROR", "msg": "panic serving request", "panic": "boom"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var logs syncbuf.Buffer
			o := server.HandlerOptions{Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
			if tt.insecure {
				o.InsecureSkipVerify = true
			} else {
				o.Verifier = env.Verifier(nil)
			}
			inv := tt.inv
			if inv == nil {
				inv = fixedInvoker
			}
			h, err := server.NewHandler(inv, o)
			if err != nil {
				t.Fatal(err)
			}
			req := httptest.NewRequest(tt.method, tt.path, bytes.NewReader(tt.body))
			for k, v := range tt.header {
				req.Header[k] = v
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus {
				t.Errorf("status = %d; want %d (body %q)", rec.Code, tt.wantStatus, rec.Body.String())
			}
			if tt.method != "HEAD" && rec.Body.String() != tt.wantBody {
				t.Errorf("body = %q; want %q", rec.Body.String(), tt.wantBody)
			}
			if rec.Code == 200 && tt.path == "/alexa" {
				if ct := rec.Header().Get("Content-Type"); ct != server.ContentType {
					t.Errorf("Content-Type = %q; want %q", ct, server.ContentType)
				}
			}
			if rec.Code == 405 && rec.Header().Get("Allow") == "" {
				t.Error("405 without an Allow header")
			}
			if tt.wantNoLog && logs.String() != "" {
				t.Errorf("logged %s; want nothing", logs.String())
			}
			if tt.wantLog != nil {
				lines := logLines(t, logs.String())
				if len(lines) == 0 {
					t.Fatal("nothing logged")
				}
				last := lines[len(lines)-1]
				for k, v := range tt.wantLog {
					if last[k] != v {
						t.Errorf("log %s = %v; want %v (line %v)", k, last[k], v, last)
					}
				}
			}
		})
	}
}

func TestHandlerSurvivesPanic(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	h, err := server.NewHandler(server.InvokerFunc(func(context.Context, []byte) ([]byte, error) {
		if calls.Add(1) == 1 {
			panic(errors.New("first call fails"))
		}
		return []byte(okResponse), nil
	}), server.HandlerOptions{InsecureSkipVerify: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	for i, want := range []int{500, 200} {
		resp, err := http.Post(srv.URL+"/alexa", "application/json", strings.NewReader("{}"))
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("request %d: status %d; want %d", i, resp.StatusCode, want)
		}
	}
}

func TestNewHandlerRequiresVerifierOrExplicitSkip(t *testing.T) {
	t.Parallel()
	env := verifytest.NewEnv(t, time.Now())
	tests := []struct {
		name    string
		inv     server.Invoker
		o       server.HandlerOptions
		wantErr bool
	}{
		{"verifier", fixedInvoker, server.HandlerOptions{Verifier: env.Verifier(nil)}, false},
		{"explicit skip", fixedInvoker, server.HandlerOptions{InsecureSkipVerify: true}, false},
		{"neither", fixedInvoker, server.HandlerOptions{}, true},
		{"both", fixedInvoker, server.HandlerOptions{Verifier: env.Verifier(nil), InsecureSkipVerify: true}, true},
		{"no invoker", nil, server.HandlerOptions{InsecureSkipVerify: true}, true},
	}
	for _, tt := range tests {
		_, err := server.NewHandler(tt.inv, tt.o)
		if (err != nil) != tt.wantErr {
			t.Errorf("%s: NewHandler() error = %v; want error %v", tt.name, err, tt.wantErr)
		}
	}
}
