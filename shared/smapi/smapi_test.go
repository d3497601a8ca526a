package smapi

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
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const (
	skillID      = "amzn1.ask.skill.test-1234"
	clientID     = "amzn1.application-oa2-client.abc"
	clientSecret = "S3CR3T-client-secret"
	refreshToken = "Atzr|REFRESH-TOKEN-VALUE"
)

// call is one request the fake server saw.
type call struct {
	Method, Path, Auth, ContentType, Body string
}

// fakeSMAPI is an httptest server that follows SMAPI's documented paths and
// LWA's token endpoint. Handlers for API paths are set per test; the token
// endpoint issues "tok-1", "tok-2", ... and checks the form. Every API
// request and every answer a handler gives is checked against Amazon's
// published model (smapitest/ask-smapi-model.json): an operation it lists,
// a documented status code, headers and field names.
type fakeSMAPI struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	calls    []call
	tokens   int
	tokenErr string // when set, the token endpoint answers 400 with this description
	// tokenRedirect, when set, makes the token endpoint redirect there with
	// tokenRedirectCode.
	tokenRedirect     string
	tokenRedirectCode int
	api               map[string]func(w http.ResponseWriter, r *http.Request, body string)
}

func newFake(t *testing.T) *fakeSMAPI {
	loadModel(t)
	f := &fakeSMAPI{t: t, api: map[string]func(http.ResponseWriter, *http.Request, string){}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// handle registers a handler for "METHOD /path" (path without query).
func (f *fakeSMAPI) handle(pattern string, h func(w http.ResponseWriter, r *http.Request, body string)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.api[pattern] = h
}

func (f *fakeSMAPI) serve(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	if r.URL.Path == "/auth/o2/token" {
		f.serveToken(w, r, b)
		return
	}
	f.mu.Lock()
	p := r.URL.Path
	if r.URL.RawQuery != "" {
		p += "?" + r.URL.RawQuery
	}
	f.calls = append(f.calls, call{r.Method, p, r.Header.Get("Authorization"), r.Header.Get("Content-Type"), string(b)})
	h := f.api[r.Method+" "+r.URL.Path]
	f.mu.Unlock()
	rec := httptest.NewRecorder()
	switch {
	case !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer tok-"):
		rec.Header().Set("Content-Type", "application/json")
		rec.WriteHeader(http.StatusUnauthorized)
		io.WriteString(rec, `{"message":"no token"}`)
	case h == nil:
		f.t.Errorf("fake SMAPI: unexpected %s %s", r.Method, r.URL)
		rec.WriteHeader(http.StatusNotFound)
		io.WriteString(rec, `{"message":"not found"}`)
	default:
		h(rec, r, string(b))
	}
	for _, p := range model.Check(r, b, rec.Code, rec.Header(), rec.Body.Bytes()) {
		f.t.Errorf("fake SMAPI answers outside the model: %s", p)
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes())
}

func (f *fakeSMAPI) serveToken(w http.ResponseWriter, r *http.Request, body []byte) {
	form, err := url.ParseQuery(string(body))
	want := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}, "client_id": {clientID}, "client_secret": {clientSecret}}
	if r.Method != http.MethodPost || err != nil || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		f.t.Errorf("token request: %s %q content type %q", r.Method, body, r.Header.Get("Content-Type"))
	} else if diff := cmp.Diff(want, form); diff != "" {
		f.t.Errorf("token form (-want +got):\n%s", diff)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.tokenRedirect != "" {
		http.Redirect(w, r, f.tokenRedirect, f.tokenRedirectCode)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if f.tokenErr != "" {
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]string{"error": "invalid_client", "error_description": f.tokenErr})
		return
	}
	f.tokens++
	fmt.Fprintf(w, `{"access_token":"tok-%d","refresh_token":"%s","token_type":"bearer","expires_in":3600}`, f.tokens, refreshToken)
}

func (f *fakeSMAPI) seen() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]call(nil), f.calls...)
}

func (f *fakeSMAPI) tokenCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tokens
}

// client returns a Client against the fake with instant, recorded sleeps.
func (f *fakeSMAPI) client(sleeps *[]time.Duration) *Client {
	ts := &TokenSource{
		Credentials: Credentials{ClientID: clientID, ClientSecret: clientSecret, RefreshToken: refreshToken},
		TokenURL:    f.srv.URL + "/auth/o2/token",
		HTTPClient:  f.srv.Client(),
	}
	var mu sync.Mutex
	return &Client{
		Tokens:       ts,
		BaseURL:      f.srv.URL,
		HTTPClient:   f.srv.Client(),
		BackoffBase:  time.Millisecond,
		PollInterval: time.Millisecond,
		sleep: func(ctx context.Context, d time.Duration) error {
			mu.Lock()
			defer mu.Unlock()
			if sleeps != nil {
				*sleeps = append(*sleeps, d)
			}
			return ctx.Err()
		},
	}
}

// withHeaders sets headers before h answers.
func withHeaders(h func(http.ResponseWriter, *http.Request, string), kv ...string) func(http.ResponseWriter, *http.Request, string) {
	return func(w http.ResponseWriter, r *http.Request, body string) {
		for i := 0; i+1 < len(kv); i += 2 {
			w.Header().Set(kv[i], kv[i+1])
		}
		h(w, r, body)
	}
}

// sequence answers with each reply in turn, repeating the last.
func sequence(replies ...string) func(http.ResponseWriter, *http.Request, string) {
	var mu sync.Mutex
	i := 0
	return func(w http.ResponseWriter, r *http.Request, _ string) {
		mu.Lock()
		reply := replies[min(i, len(replies)-1)]
		i++
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, reply)
	}
}

func modelStatus(perLocale map[string]string) string {
	im := map[string]any{}
	for l, s := range perLocale {
		im[l] = map[string]any{"lastUpdateRequest": map[string]any{"status": s}, "eTag": "e-" + l}
	}
	b, _ := json.Marshal(map[string]any{"interactionModel": im})
	return string(b)
}

func TestDeployModelAndWait(t *testing.T) {
	f := newFake(t)
	modelPath := "/v1/skills/" + skillID + "/stages/development/interactionModel/locales/"
	accepted := func(w http.ResponseWriter, r *http.Request, body string) {
		w.Header().Set("Location", "/v1/skills/"+skillID+"/status?resource=interactionModel")
		w.WriteHeader(http.StatusAccepted)
	}
	f.handle("PUT "+modelPath+"en-US", accepted)
	f.handle("PUT "+modelPath+"es-ES", accepted)
	f.handle("GET /v1/skills/"+skillID+"/status", sequence(
		modelStatus(map[string]string{"en-US": "IN_PROGRESS", "es-ES": "IN_PROGRESS"}),
		modelStatus(map[string]string{"en-US": "SUCCEEDED", "es-ES": "IN_PROGRESS"}),
		modelStatus(map[string]string{"en-US": "SUCCEEDED", "es-ES": "SUCCEEDED"}),
	))
	c := f.client(nil)
	ctx := context.Background()
	model := `{"interactionModel":{"languageModel":{"invocationName":"joke box","intents":[]}}}`
	for _, l := range []string{"en-US", "es-ES"} {
		if err := c.PutInteractionModel(ctx, skillID, StageDevelopment, l, []byte(model)); err != nil {
			t.Fatal(err)
		}
	}
	var progress []string
	err := c.WaitModelBuild(ctx, skillID, []string{"en-US", "es-ES"}, func(l, s string) { progress = append(progress, l+" "+s) })
	if err != nil {
		t.Fatalf("WaitModelBuild: %v", err)
	}
	wantProgress := []string{"en-US IN_PROGRESS", "es-ES IN_PROGRESS", "en-US SUCCEEDED", "es-ES SUCCEEDED"}
	if diff := cmp.Diff(wantProgress, progress); diff != "" {
		t.Errorf("progress (-want +got):\n%s", diff)
	}
	status := call{"GET", "/v1/skills/" + skillID + "/status?resource=interactionModel", "Bearer tok-1", "", ""}
	want := []call{
		{"PUT", modelPath + "en-US", "Bearer tok-1", "application/json", model},
		{"PUT", modelPath + "es-ES", "Bearer tok-1", "application/json", model},
		status, status, status,
	}
	if diff := cmp.Diff(want, f.seen()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	if n := f.tokenCount(); n != 1 {
		t.Errorf("token requests = %d; want 1 (cached)", n)
	}
}

func TestModelBuildFailure(t *testing.T) {
	f := newFake(t)
	f.handle("GET /v1/skills/"+skillID+"/status", sequence(
		modelStatus(map[string]string{"en-US": "IN_PROGRESS"}),
		`{"interactionModel":{"en-US":{"lastUpdateRequest":{"status":"FAILED",
		  "errors":[{"code":"INVALID_INTERACTION_MODEL","message":"Sample utterance \"play {genre}\" references undefined slot genre"}],
		  "buildDetails":{"steps":[{"name":"LANGUAGE_MODEL_QUICK_BUILD","status":"FAILED","errors":[{"message":"quick build failed"}]}]}}}}}`,
	))
	err := f.client(nil).WaitModelBuild(context.Background(), skillID, []string{"en-US"}, nil)
	var be *BuildError
	if !errors.As(err, &be) {
		t.Fatalf("WaitModelBuild = %v; want a *BuildError", err)
	}
	want := map[string][]string{"en-US": {
		`INVALID_INTERACTION_MODEL: Sample utterance "play {genre}" references undefined slot genre`,
		"LANGUAGE_MODEL_QUICK_BUILD: quick build failed",
	}}
	if diff := cmp.Diff(want, be.Failed); diff != "" {
		t.Errorf("BuildError.Failed (-want +got):\n%s", diff)
	}
	if !strings.Contains(err.Error(), "undefined slot genre") {
		t.Errorf("error %q does not surface the build's message", err)
	}
}

func TestUnauthorizedRefreshesOnce(t *testing.T) {
	for _, tt := range []struct {
		name     string
		reject   map[string]bool // tokens the API refuses
		wantErr  bool
		wantAuth []string
	}{
		{"refresh succeeds", map[string]bool{"Bearer tok-1": true}, false, []string{"Bearer tok-1", "Bearer tok-2"}},
		{"refreshed token refused too", map[string]bool{"Bearer tok-1": true, "Bearer tok-2": true}, true, []string{"Bearer tok-1", "Bearer tok-2"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			f.handle("GET /v1/skills/"+skillID+"/stages/development/manifest", func(w http.ResponseWriter, r *http.Request, _ string) {
				if tt.reject[r.Header.Get("Authorization")] {
					w.WriteHeader(http.StatusUnauthorized)
					io.WriteString(w, `{"message":"Token is invalid/expired"}`)
					return
				}
				w.Header().Set("ETag", `"e-1"`)
				io.WriteString(w, `{"manifest":{"manifestVersion":"1.0"}}`)
			})
			_, err := f.client(nil).GetManifest(context.Background(), skillID, StageDevelopment)
			if (err != nil) != tt.wantErr {
				t.Fatalf("GetManifest error = %v; want error %v", err, tt.wantErr)
			}
			var apiErr *Error
			if tt.wantErr && (!errors.As(err, &apiErr) || apiErr.StatusCode != 401) {
				t.Errorf("GetManifest error = %v; want a 401 *Error", err)
			}
			var auth []string
			for _, c := range f.seen() {
				auth = append(auth, c.Auth)
			}
			if diff := cmp.Diff(tt.wantAuth, auth); diff != "" {
				t.Errorf("Authorization headers (-want +got):\n%s", diff)
			}
			if n := f.tokenCount(); n != 2 {
				t.Errorf("token requests = %d; want 2", n)
			}
		})
	}
}

func TestRetryBackoff(t *testing.T) {
	t.Run("429 with Retry-After then 503 then success", func(t *testing.T) {
		f := newFake(t)
		var mu sync.Mutex
		n := 0
		f.handle("GET /v1/skills/"+skillID+"/stages/development/manifest", func(w http.ResponseWriter, r *http.Request, _ string) {
			mu.Lock()
			n++
			i := n
			mu.Unlock()
			switch i {
			case 1:
				w.Header().Set("Retry-After", "3")
				w.WriteHeader(http.StatusTooManyRequests)
				io.WriteString(w, `{"message":"Rate exceeded"}`)
			case 2:
				w.WriteHeader(http.StatusServiceUnavailable)
			default:
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("ETag", `"e-1"`)
				io.WriteString(w, `{"manifest":{}}`)
			}
		})
		var sleeps []time.Duration
		c := f.client(&sleeps)
		if _, err := c.GetManifest(context.Background(), skillID, StageDevelopment); err != nil {
			t.Fatal(err)
		}
		if len(sleeps) != 2 || sleeps[0] != 3*time.Second || sleeps[1] <= 0 || sleeps[1] > 2*time.Millisecond {
			t.Errorf("sleeps = %v; want [3s, (0, 2ms]]", sleeps)
		}
		if got := len(f.seen()); got != 3 {
			t.Errorf("requests = %d; want 3", got)
		}
	})
	t.Run("bounded attempts", func(t *testing.T) {
		f := newFake(t)
		f.handle("POST /v1/skills/"+skillID+"/submit", func(w http.ResponseWriter, r *http.Request, _ string) {
			w.WriteHeader(http.StatusTooManyRequests)
			io.WriteString(w, `{"message":"Rate exceeded"}`)
		})
		f.handle("GET /v1/skills/"+skillID+"/certifications", listHandler(certList()))
		var sleeps []time.Duration
		c := f.client(&sleeps)
		c.MaxAttempts = 4
		_, err := c.Submit(context.Background(), skillID, "")
		var apiErr *Error
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 429 || !strings.Contains(err.Error(), "after 4 attempts") {
			t.Fatalf("Submit = %v; want a 429 *Error after 4 attempts", err)
		}
		if len(f.seen()) != 5 || len(sleeps) != 3 {
			t.Errorf("requests = %d, sleeps = %v; want the list and 4 submissions, 3 sleeps", len(f.seen()), sleeps)
		}
		for i, d := range sleeps {
			if ceil := time.Millisecond << i; d <= 0 || d > ceil {
				t.Errorf("sleep %d = %v; want in (0, %v]", i, d, ceil)
			}
		}
	})
	t.Run("400 is not retried", func(t *testing.T) {
		f := newFake(t)
		f.handle("PUT /v1/skills/"+skillID+"/stages/development/interactionModel/locales/en-US", func(w http.ResponseWriter, r *http.Request, _ string) {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"message":"Invalid model","violations":[{"code":"INVALID_STRING_PATTERN","message":"bad invocation name"}]}`)
		})
		err := f.client(nil).PutInteractionModel(context.Background(), skillID, StageDevelopment, "en-US", []byte(`{}`))
		if err == nil || !strings.Contains(err.Error(), "INVALID_STRING_PATTERN: bad invocation name") || len(f.seen()) != 1 {
			t.Errorf("PutInteractionModel = %v after %d requests; want the violation after 1", err, len(f.seen()))
		}
	})
}

// certList is a ListCertificationsResponse with the given items.
func certList(items ...string) string {
	return `{"items":[` + strings.Join(items, ",") + `],"isTruncated":false,"totalCount":` + fmt.Sprint(len(items)) + `}`
}

const (
	oldCert = `{"id":"cert-0","status":"SUCCEEDED","skillSubmissionTimestamp":"2025-06-01T10:00:00.000Z"}`
	newCert = `{"id":"cert-1","status":"IN_PROGRESS","skillSubmissionTimestamp":"2026-01-01T10:00:00.000Z"}`
)

// listHandler answers the certifications list with each reply in turn,
// as the model says (200, application/hal+json).
func listHandler(replies ...string) func(http.ResponseWriter, *http.Request, string) {
	seq := sequence(replies...)
	return func(w http.ResponseWriter, r *http.Request, body string) {
		w.Header().Set("Content-Type", "application/hal+json")
		seq(w, r, body)
	}
}

// accepted answers 202 with a Location, as the model documents for
// submissions; the Location's shape is not documented, so this one is odd
// on purpose and must never be requested.
func accepted(w http.ResponseWriter, r *http.Request, _ string) {
	w.Header().Set("Location", "/v1/skills/"+skillID+"/certifications/undocumented;shape")
	w.WriteHeader(http.StatusAccepted)
}

func TestSubmitFollowsCertificationsList(t *testing.T) {
	f := newFake(t)
	base := "/v1/skills/" + skillID
	f.handle("POST "+base+"/submit", accepted)
	// Before, right after (not listed yet), then listed newest first.
	f.handle("GET "+base+"/certifications", listHandler(certList(oldCert), certList(oldCert), certList(newCert, oldCert)))
	f.handle("GET "+base+"/certifications/cert-1", sequence(newCert, newCert, `{"id":"cert-1","status":"SUCCEEDED"}`))
	c := f.client(nil)
	ctx := context.Background()
	cert, err := c.Submit(ctx, skillID, ManualPublishing)
	if err != nil {
		t.Fatal(err)
	}
	if cert.ID != "cert-1" || cert.Status != CertificationInProgress {
		t.Errorf("Submit = %+v; want cert-1 IN_PROGRESS", cert)
	}
	var statuses []string
	done, err := c.WaitCertification(ctx, skillID, cert.ID, time.Hour, func(s string) { statuses = append(statuses, s) })
	if err != nil {
		t.Fatal(err)
	}
	if done.Status != CertificationSucceeded || len(statuses) != 3 {
		t.Errorf("WaitCertification = %+v after %v; want SUCCEEDED after 3 polls", done, statuses)
	}
	list := call{"GET", base + "/certifications?maxResults=50", "Bearer tok-1", "", ""}
	get := call{"GET", base + "/certifications/cert-1", "Bearer tok-1", "", ""}
	want := []call{list, {"POST", base + "/submit", "Bearer tok-1", "application/json", `{"publicationMethod":"MANUAL_PUBLISHING"}`}, list, list, get, get, get}
	if diff := cmp.Diff(want, f.seen()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

// TestSubmitNotRetriedBlindly: after a transport error or a 5xx, which
// the submission may have survived, Submit reads the certifications list
// before anything else and submits again only if nothing new is listed.
func TestSubmitNotRetriedBlindly(t *testing.T) {
	base := "/v1/skills/" + skillID
	serverError := func(w http.ResponseWriter, r *http.Request, _ string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, `{"message":"Service Unavailable"}`)
	}
	hangUp := func(http.ResponseWriter, *http.Request, string) { panic(http.ErrAbortHandler) }
	tests := []struct {
		name    string
		submits []func(http.ResponseWriter, *http.Request, string)
		lists   []string
		want    []string // methods and paths, in order
		wantErr string
	}{
		{"503, but the certification started", []func(http.ResponseWriter, *http.Request, string){serverError},
			[]string{certList(oldCert), certList(newCert, oldCert)},
			[]string{"GET list", "POST submit", "GET list"}, ""},
		{"connection lost, but the certification started", []func(http.ResponseWriter, *http.Request, string){hangUp},
			[]string{certList(oldCert), certList(newCert, oldCert)},
			[]string{"GET list", "POST submit", "GET list"}, ""},
		{"503 and nothing started: submitted again", []func(http.ResponseWriter, *http.Request, string){serverError, accepted},
			[]string{certList(), certList(), certList(newCert)},
			[]string{"GET list", "POST submit", "GET list", "POST submit", "GET list"}, ""},
		{"503 and the list unreadable: not submitted again", []func(http.ResponseWriter, *http.Request, string){serverError},
			[]string{certList(), "unreadable"},
			[]string{"GET list", "POST submit", "GET list"}, "whether the submission was accepted is unknown"},
		{"503 every time: gives up", []func(http.ResponseWriter, *http.Request, string){serverError},
			[]string{certList()},
			[]string{"GET list", "POST submit", "GET list", "POST submit", "GET list", "POST submit", "GET list"}, "giving up after 3 attempts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			var mu sync.Mutex
			n := 0
			f.handle("POST "+base+"/submit", func(w http.ResponseWriter, r *http.Request, body string) {
				mu.Lock()
				h := tt.submits[min(n, len(tt.submits)-1)]
				n++
				mu.Unlock()
				h(w, r, body)
			})
			list := listHandler(tt.lists...)
			lists := 0
			f.handle("GET "+base+"/certifications", func(w http.ResponseWriter, r *http.Request, body string) {
				mu.Lock()
				reply := tt.lists[min(lists, len(tt.lists)-1)]
				lists++
				mu.Unlock()
				if reply == "unreadable" {
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(http.StatusBadRequest)
					io.WriteString(w, `{"message":"Invalid pagination token"}`)
					return
				}
				list(w, r, body)
			})
			c := f.client(nil)
			c.MaxAttempts = 3
			cert, err := c.Submit(context.Background(), skillID, "")
			if tt.wantErr == "" && (err != nil || cert == nil || cert.ID != "cert-1") {
				t.Fatalf("Submit = %+v, %v; want cert-1", cert, err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("Submit = %+v, %v; want an error with %q", cert, err, tt.wantErr)
			}
			var got []string
			for _, c := range f.seen() {
				got = append(got, c.Method+" "+map[bool]string{true: "submit", false: "list"}[strings.HasSuffix(c.Path, "/submit")])
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
		})
	}
}

// TestNoRedirects: neither client follows a redirect, so the bearer token
// and the LWA form (client secret, refresh token) never reach another host.
func TestNoRedirects(t *testing.T) {
	var mu sync.Mutex
	var leaked []string
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		leaked = append(leaked, r.Method+" "+r.URL.Path+" auth="+r.Header.Get("Authorization")+" body="+string(b))
		mu.Unlock()
		io.WriteString(w, `{"manifest":{},"access_token":"x","expires_in":3600}`)
	}))
	defer elsewhere.Close()

	t.Run("SMAPI", func(t *testing.T) {
		f := newFake(t)
		f.handle("GET /v1/skills/"+skillID+"/stages/development/manifest", func(w http.ResponseWriter, r *http.Request, _ string) {
			w.Header().Set("Location", elsewhere.URL+"/stolen")
			w.WriteHeader(http.StatusSeeOther) // documented for this operation
		})
		_, err := f.client(nil).GetManifest(context.Background(), skillID, StageDevelopment)
		var apiErr *Error
		if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusSeeOther || !strings.Contains(err.Error(), "not followed") {
			t.Errorf("GetManifest = %v; want a 303 *Error saying the redirect was not followed", err)
		}
	})
	for _, code := range []int{http.StatusTemporaryRedirect, http.StatusPermanentRedirect, http.StatusFound} {
		t.Run(fmt.Sprint("LWA ", code), func(t *testing.T) {
			f := newFake(t)
			f.tokenRedirect = elsewhere.URL + "/auth/o2/token"
			f.tokenRedirectCode = code
			_, err := f.client(nil).GetManifest(context.Background(), skillID, StageDevelopment)
			if !errors.Is(err, ErrLWA) || !strings.Contains(err.Error(), "not followed") {
				t.Errorf("GetManifest = %v; want an LWA error saying the redirect was not followed", err)
			}
		})
	}
	mu.Lock()
	defer mu.Unlock()
	if len(leaked) > 0 {
		t.Errorf("requests reached the redirect target: %q", leaked)
	}
}

// TestSecretsRedacted: a server that echoes the bearer token, the refresh
// token and the client secret back in every field of its errors, in
// redirects and in retried 5xx answers; none may appear in an error or a
// log line.
func TestSecretsRedacted(t *testing.T) {
	f := newFake(t)
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	echo := func(r *http.Request) string {
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		return tok + " " + url.QueryEscape(tok) + " " + clientSecret + " " + refreshToken + " " + url.QueryEscape(refreshToken)
	}
	base := "/v1/skills/" + skillID + "/stages/development/"
	f.handle("GET "+base+"manifest", func(w http.ResponseWriter, r *http.Request, _ string) {
		w.Header().Set("Location", "https://elsewhere.example/?t="+url.QueryEscape(echo(r)))
		w.WriteHeader(http.StatusSeeOther)
	})
	var mu sync.Mutex
	n := 0
	f.handle("PUT "+base+"interactionModel/locales/en-US", func(w http.ResponseWriter, r *http.Request, _ string) {
		mu.Lock()
		n++
		first := n == 1
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if first { // StandardizedError; retried, so logged
			b, _ := json.Marshal(map[string]any{"code": echo(r), "message": "failed " + echo(r)})
			w.WriteHeader(http.StatusInternalServerError)
			w.Write(b)
			return
		}
		b, _ := json.Marshal(map[string]any{"message": "rejected " + echo(r), // BadRequestError
			"violations": []map[string]string{{"code": echo(r), "message": echo(r)}}})
		w.WriteHeader(http.StatusBadRequest)
		w.Write(b)
	})
	c := f.client(nil)
	c.Logger = logger
	c.Tokens.(*TokenSource).Logger = logger
	ctx := context.Background()
	var errs []string
	if _, err := c.GetManifest(ctx, skillID, StageDevelopment); err != nil {
		errs = append(errs, err.Error())
	}
	if err := c.PutInteractionModel(ctx, skillID, StageDevelopment, "en-US", []byte(`{"interactionModel":{}}`)); err != nil {
		errs = append(errs, err.Error())
	}
	f.tokenErr = "bad secret " + clientSecret + " for " + refreshToken + " (" + url.QueryEscape(refreshToken) + ")"
	c.Tokens.Invalidate("tok-1")
	if _, err := c.GetManifest(ctx, skillID, StageDevelopment); err != nil {
		errs = append(errs, err.Error())
	}
	if len(errs) != 3 || !strings.Contains(logs.String(), "smapi retry") {
		t.Fatalf("errors %q, logs %q; want 3 errors and a logged retry", errs, logs.String())
	}
	for _, text := range append(errs, logs.String()) {
		if !strings.Contains(text, redacted) && !strings.Contains(text, "level=DEBUG") {
			t.Errorf("%q: nothing redacted; was the secret echoed?", text)
		}
		for _, secret := range []string{"tok-1", clientSecret, refreshToken, url.QueryEscape(refreshToken)} {
			if strings.Contains(text, secret) {
				t.Errorf("%q contains the secret %q", text, secret)
			}
		}
	}
}

// TestErrorKeepsCode: SMAPI's top-level code (StandardizedError) is in the
// message.
func TestErrorKeepsCode(t *testing.T) {
	f := newFake(t)
	f.handle("GET /v1/skills/"+skillID+"/stages/development/manifest", func(w http.ResponseWriter, r *http.Request, _ string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"code":"SKILL_NOT_FOUND","message":"The skill does not exist."}`)
	})
	_, err := f.client(nil).GetManifest(context.Background(), skillID, StageDevelopment)
	var apiErr *Error
	if !errors.As(err, &apiErr) || apiErr.Code != "SKILL_NOT_FOUND" || !strings.Contains(err.Error(), "SKILL_NOT_FOUND: The skill does not exist.") {
		t.Errorf("GetManifest = %v; want an *Error with the code SKILL_NOT_FOUND in its text", err)
	}
}

// TestPollsStop: every poll stops on a status the model does not list (or
// none), and after its deadline.
func TestPollsStop(t *testing.T) {
	base := "/v1/skills/" + skillID
	statusJSON := func(s string) string { return `{"manifest":{"lastUpdateRequest":{"status":"` + s + `"}}}` }
	tests := []struct {
		name    string
		handle  map[string]string // pattern → the one answer, always
		run     func(c *Client) error
		wantErr string
	}{
		{"manifest update, unknown status", map[string]string{"GET " + base + "/status": statusJSON("QUEUED")},
			func(c *Client) error {
				return c.PutManifest(context.Background(), skillID, StageDevelopment, []byte(`{"manifest":{}}`))
			}, `unknown status "QUEUED"`},
		{"manifest update, no status", map[string]string{"GET " + base + "/status": statusJSON("")},
			func(c *Client) error {
				return c.PutManifest(context.Background(), skillID, StageDevelopment, []byte(`{"manifest":{}}`))
			}, "no status"},
		{"manifest update, never done", map[string]string{"GET " + base + "/status": statusJSON("IN_PROGRESS")},
			func(c *Client) error {
				return c.PutManifest(context.Background(), skillID, StageDevelopment, []byte(`{"manifest":{}}`))
			}, "not done after 40ms"},
		{"model build, no status", map[string]string{"GET " + base + "/status": `{"interactionModel":{"en-US":{"lastUpdateRequest":{}}}}`},
			func(c *Client) error { return c.WaitModelBuild(context.Background(), skillID, []string{"en-US"}, nil) }, "of en-US: unknown status: the answer has no status"},
		{"model build, never done", map[string]string{"GET " + base + "/status": modelStatus(map[string]string{"en-US": "IN_PROGRESS"})},
			func(c *Client) error { return c.WaitModelBuild(context.Background(), skillID, []string{"en-US"}, nil) }, "not done after 40ms"},
		{"validation, no status", map[string]string{"POST " + base + "/stages/development/validations": `{"id":"v-1"}`},
			func(c *Client) error {
				_, err := c.Validate(context.Background(), skillID, StageDevelopment, []string{"en-US"})
				return err
			}, "validation v-1: unknown status: the answer has no status"},
		{"certification, unknown status", map[string]string{"GET " + base + "/certifications/c-1": `{"id":"c-1","status":"UNDER_REVIEW"}`},
			func(c *Client) error {
				_, err := c.WaitCertification(context.Background(), skillID, "c-1", time.Hour, nil)
				return err
			}, `certification c-1: unknown status "UNDER_REVIEW"`},
		{"certification, empty status", map[string]string{"GET " + base + "/certifications/c-1": `{"id":"c-1"}`},
			func(c *Client) error {
				_, err := c.WaitCertification(context.Background(), skillID, "c-1", time.Hour, nil)
				return err
			}, "certification c-1: unknown status: the answer has no status"},
		{"certification, never done", map[string]string{"GET " + base + "/certifications/c-1": `{"id":"c-1","status":"IN_PROGRESS"}`},
			func(c *Client) error {
				_, err := c.WaitCertification(context.Background(), skillID, "c-1", 40*time.Millisecond, nil)
				return err
			}, "not done after 40ms"},
		{"new certification never listed", map[string]string{"GET " + base + "/certifications": certList(oldCert)},
			func(c *Client) error {
				_, err := c.Submit(context.Background(), skillID, "")
				return err
			}, "wait for the new certification to be listed: not done after 40ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			f.handle("PUT "+base+"/stages/development/manifest", func(w http.ResponseWriter, r *http.Request, _ string) {
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("Location", base+"/status?resource=manifest")
				w.WriteHeader(http.StatusAccepted)
			})
			f.handle("POST "+base+"/submit", accepted)
			for pattern, answer := range tt.handle {
				h := sequence(answer)
				if strings.HasPrefix(pattern, "POST") {
					h = func(w http.ResponseWriter, r *http.Request, _ string) {
						w.Header().Set("Content-Type", "application/json")
						w.Header().Set("Location", base+"/stages/development/validations/v-1")
						w.WriteHeader(http.StatusAccepted)
						io.WriteString(w, answer)
					}
				} else if strings.HasSuffix(pattern, "/certifications") {
					h = listHandler(answer)
				}
				f.handle(pattern, h)
			}
			c := f.client(nil)
			c.sleep = nil // real waits, for the deadline
			c.PollInterval = 5 * time.Millisecond
			c.PollTimeout = 40 * time.Millisecond
			done := make(chan error, 1)
			go func() { done <- tt.run(c) }()
			select {
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error = %v; want %q", err, tt.wantErr)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the poll never stopped")
			}
		})
	}
}

func TestValidate(t *testing.T) {
	f := newFake(t)
	base := "/v1/skills/" + skillID + "/stages/development/validations"
	var got string
	f.handle("POST "+base, func(w http.ResponseWriter, r *http.Request, body string) {
		got = body
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Location", base+"/val-1")
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, `{"id":"val-1","status":"IN_PROGRESS"}`)
	})
	f.handle("GET "+base+"/val-1", sequence(
		`{"id":"val-1","status":"IN_PROGRESS"}`,
		`{"id":"val-1","status":"FAILED","result":{"validations":[
		  {"title":"Example phrases","description":"The first example phrase must include the wake word","locale":"en-US","importance":"REQUIRED","status":"FAILED"},
		  {"title":"Icons","description":"ok","locale":"en-US","importance":"REQUIRED","status":"SUCCESSFUL"}]}}`,
	))
	v, err := f.client(nil).Validate(context.Background(), skillID, StageDevelopment, []string{"en-US", "es-ES"})
	var ve *ValidationError
	if !errors.As(err, &ve) || v == nil {
		t.Fatalf("Validate = %v, %v; want a *ValidationError", v, err)
	}
	if !strings.Contains(err.Error(), "must include the wake word") || strings.Contains(err.Error(), "Icons") {
		t.Errorf("error %q; want the failed check only", err)
	}
	if got != `{"locales":["en-US","es-ES"]}` {
		t.Errorf("validation request body = %s", got)
	}
}

func TestManifestEndpointRoundTrip(t *testing.T) {
	f := newFake(t)
	mpath := "/v1/skills/" + skillID + "/stages/development/manifest"
	var put string
	f.handle("GET "+mpath, withHeaders(sequence(`{"manifest":{"manifestVersion":"1.0","permissions":[{"name":"alexa::devices:all:notifications:write"}],
	  "apis":{"custom":{"endpoint":{"uri":"arn:aws:lambda:us-east-1:1:function:f:next","sslCertificateType":"Wildcard"},"interfaces":[{"type":"AUDIO_PLAYER"}]}}}}`), "ETag", `"e-1"`))
	f.handle("PUT "+mpath, func(w http.ResponseWriter, r *http.Request, body string) {
		put = body
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Location", "/v1/skills/"+skillID+"/status?resource=manifest")
		w.WriteHeader(http.StatusAccepted)
	})
	f.handle("GET /v1/skills/"+skillID+"/status", sequence(
		`{"manifest":{"lastUpdateRequest":{"status":"IN_PROGRESS"}}}`,
		`{"manifest":{"lastUpdateRequest":{"status":"SUCCEEDED"}}}`,
	))
	c := f.client(nil)
	ctx := context.Background()
	doc, err := c.GetManifest(ctx, skillID, StageDevelopment)
	if err != nil {
		t.Fatal(err)
	}
	const arn = "arn:aws:lambda:us-east-1:1:function:f:live"
	doc, err = SetEndpointURI(doc, arn)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.PutManifest(ctx, skillID, StageDevelopment, doc); err != nil {
		t.Fatal(err)
	}
	if got, err := EndpointURI([]byte(put)); err != nil || got != arn {
		t.Errorf("PUT manifest endpoint = %q, %v; want %q", got, err, arn)
	}
	for _, keep := range []string{"alexa::devices:all:notifications:write", `"sslCertificateType":"Wildcard"`, `"AUDIO_PLAYER"`} {
		if !strings.Contains(put, keep) {
			t.Errorf("PUT manifest lost %s: %s", keep, put)
		}
	}
	if n := len(f.seen()); n != 4 {
		t.Errorf("requests = %d; want GET, PUT and 2 status polls", n)
	}
}

// TestSetEndpointURIMovesEvents: skill events follow the custom endpoint;
// a manifest without events gets none.
func TestSetEndpointURIMovesEvents(t *testing.T) {
	doc := `{"manifest":{"apis":{"custom":{"endpoint":{"uri":"arn:old"}}},"events":{"endpoint":{"uri":"arn:old"},"subscriptions":[{"eventName":"SKILL_DISABLED"}]}}}`
	out, err := SetEndpointURI([]byte(doc), "arn:new")
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Manifest struct {
			Events struct {
				Endpoint      struct{ URI string }
				Subscriptions []struct{ EventName string }
			}
		}
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	if e := got.Manifest.Events; e.Endpoint.URI != "arn:new" || len(e.Subscriptions) != 1 || e.Subscriptions[0].EventName != "SKILL_DISABLED" {
		t.Errorf("events after SetEndpointURI = %+v; want arn:new and the subscription kept", e)
	}
	out, err = SetEndpointURI([]byte(`{"manifest":{"apis":{"custom":{}}}}`), "arn:new")
	if err != nil || strings.Contains(string(out), "events") {
		t.Errorf("SetEndpointURI without events = %s, %v; want no events added", out, err)
	}
}

func TestSetEndpointURICreatesPath(t *testing.T) {
	for _, doc := range []string{`{}`, `{"manifest":{}}`, `{"manifest":{"apis":{"custom":{}}}}`} {
		out, err := SetEndpointURI([]byte(doc), "arn:x")
		if err != nil {
			t.Fatalf("SetEndpointURI(%s): %v", doc, err)
		}
		if got, err := EndpointURI(out); got != "arn:x" || err != nil {
			t.Errorf("EndpointURI(SetEndpointURI(%s)) = %q, %v", doc, got, err)
		}
	}
	if _, err := SetEndpointURI([]byte(`{"manifest":[]}`), "arn:x"); err == nil {
		t.Error("SetEndpointURI on a non-object manifest succeeded")
	}
	if _, err := EndpointURI([]byte(`{"manifest":{}}`)); !errors.Is(err, ErrNoEndpoint) {
		t.Errorf("EndpointURI without endpoint = %v; want ErrNoEndpoint", err)
	}
}

func TestTokenCaching(t *testing.T) {
	f := newFake(t)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ts := &TokenSource{
		Credentials: Credentials{ClientID: clientID, ClientSecret: clientSecret, RefreshToken: refreshToken},
		TokenURL:    f.srv.URL + "/auth/o2/token",
		Now:         func() time.Time { return now },
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if tok, err := ts.Token(ctx); err != nil || tok != "tok-1" {
				t.Errorf("Token = %q, %v; want tok-1", tok, err)
			}
		}()
	}
	wg.Wait()
	now = now.Add(58 * time.Minute)
	if tok, _ := ts.Token(ctx); tok != "tok-1" {
		t.Errorf("Token at 58 min = %q; want the cached tok-1", tok)
	}
	now = now.Add(90 * time.Second) // 59.5 min: inside the one-minute margin
	if tok, _ := ts.Token(ctx); tok != "tok-2" {
		t.Errorf("Token at 59.5 min = %q; want a fresh tok-2", tok)
	}
	ts.Invalidate("tok-1") // stale: already replaced, must not drop tok-2
	if tok, _ := ts.Token(ctx); tok != "tok-2" {
		t.Errorf("Token after invalidating an old token = %q; want tok-2", tok)
	}
	if n := f.tokenCount(); n != 2 {
		t.Errorf("token requests = %d; want 2", n)
	}
}

func TestSecretsStayOut(t *testing.T) {
	f := newFake(t)
	// A hostile or buggy endpoint echoing the secrets back.
	f.tokenErr = "client secret " + clientSecret + " and token " + refreshToken + " are invalid"
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	creds := Credentials{ClientID: clientID, ClientSecret: clientSecret, RefreshToken: refreshToken}
	ts := &TokenSource{Credentials: creds, TokenURL: f.srv.URL + "/auth/o2/token", Logger: logger}
	c := &Client{Tokens: ts, BaseURL: f.srv.URL, Logger: logger}
	_, err := c.GetManifest(context.Background(), skillID, StageDevelopment)
	if err == nil || !errors.Is(err, ErrLWA) || !strings.Contains(err.Error(), "invalid_client") {
		t.Fatalf("GetManifest = %v; want an LWA invalid_client error", err)
	}
	logger.Info("credentials", "creds", creds)
	logger.Debug("printed", "v", fmt.Sprintf("%v %+v %#v %s", creds, creds, creds, creds))
	for name, text := range map[string]string{"error": err.Error(), "log": logs.String()} {
		for _, secret := range []string{clientSecret, refreshToken, url.QueryEscape(refreshToken)} {
			if strings.Contains(text, secret) {
				t.Errorf("%s contains a secret: %s", name, text)
			}
		}
	}
	if !strings.Contains(logs.String(), clientID) {
		t.Errorf("log lacks the (public) client ID: %s", logs.String())
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"7", 7 * time.Second, true},
		{"0", 0, true},
		{"-1", 0, false},
		{"soon", 0, false},
		{"Thu, 01 Jan 2026 12:00:30 GMT", 30 * time.Second, true},
		{"Thu, 01 Jan 2026 11:00:00 GMT", 0, true},
		{"999999", time.Hour, true},
	}
	for _, tt := range tests {
		got, ok := parseRetryAfter(tt.in, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func FuzzBuildOutcome(f *testing.F) {
	f.Add([]byte(modelStatus(map[string]string{"en-US": "SUCCEEDED"})))
	f.Add([]byte(`{"interactionModel":{"en-US":{"lastUpdateRequest":{"status":"FAILED","errors":[{"message":"x"}],"buildDetails":{"steps":[{"name":"s","errors":[{}]}]}}}}}`))
	f.Add([]byte(`{"interactionModel":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var st SkillStatus
		if json.Unmarshal(b, &st) != nil {
			return
		}
		done, failed := buildOutcome(&st, []string{"en-US", "es-ES"})
		if !done && len(failed) > 0 && len(failed) == 2 {
			t.Errorf("both locales failed but not done")
		}
	})
}

func FuzzSetEndpointURI(f *testing.F) {
	f.Add([]byte(`{"manifest":{"apis":{"custom":{"endpoint":{"uri":"a"}}},"x":1}}`), "arn:b")
	f.Add([]byte(`{}`), "")
	f.Add([]byte(`[]`), "c")
	f.Fuzz(func(t *testing.T, doc []byte, uri string) {
		out, err := SetEndpointURI(doc, uri)
		if err != nil {
			return
		}
		got, err := EndpointURI(out)
		if uri != "" && (err != nil || got != uri) {
			t.Errorf("EndpointURI(SetEndpointURI(%q, %q)) = %q, %v", doc, uri, got, err)
		}
	})
}

func FuzzDecodeTokenResponse(f *testing.F) {
	f.Add([]byte(`{"access_token":"Atza|x","expires_in":3600,"token_type":"bearer"}`))
	f.Add([]byte(`{"error":"invalid_grant","error_description":"The request has an invalid grant parameter"}`))
	f.Add([]byte(`{"access_token":"a","expires_in":-1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		tr, err := decodeTokenResponse(b)
		if err == nil && tr.AccessToken != "" && tr.ExpiresIn <= 0 {
			t.Errorf("accepted a token with lifetime %d", tr.ExpiresIn)
		}
	})
}

func FuzzLatestOf(f *testing.F) {
	f.Add([]byte(certList(oldCert, newCert)))
	f.Add([]byte(certList()))
	f.Add([]byte(`{"items":[{"id":""}]}`))
	f.Add([]byte(`{"items":[{"id":"a","skillSubmissionTimestamp":"not a time"},{"id":"b"}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		c, err := latestOf(body)
		if err == nil && c != nil && c.ID == "" {
			t.Errorf("latestOf(%q) = an item without id", body)
		}
	})
}

// FuzzDecodeSkillAnswers: the vendor list, the creation and the skill
// list answers decode to usable values or an error, never a vendor or
// skill without an ID, never an empty created ID.
func FuzzDecodeSkillAnswers(f *testing.F) {
	f.Add([]byte(`{"vendors":[{"id":"M1","name":"n","roles":["ROLE_ADMINISTRATOR"]}]}`))
	f.Add([]byte(`{"skillId":"amzn1.ask.skill.x"}`))
	f.Add([]byte(`{"skills":[{"skillId":"s","nameByLocale":{"en-US":"x"}}],"isTruncated":true,"nextToken":"t"}`))
	f.Add([]byte(`{"vendors":[{}],"skills":[{}],"isTruncated":true}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if vs, err := decodeVendors(b); err == nil {
			for _, v := range vs {
				if v.ID == "" {
					t.Fatalf("decodeVendors(%q): a vendor without an ID", b)
				}
			}
		}
		if id, err := decodeCreated(b); (err == nil) == (id == "") {
			t.Fatalf("decodeCreated(%q) = %q, %v", b, id, err)
		}
		if skills, _, err := decodeSkillPage(b); err == nil {
			for _, s := range skills {
				if s.SkillID == "" {
					t.Fatalf("decodeSkillPage(%q): a skill without an ID", b)
				}
			}
		}
	})
}
