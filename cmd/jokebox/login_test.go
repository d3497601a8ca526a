package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/jokebox/jokebox/shared/config"
	"github.com/jokebox/jokebox/shared/lwa"
	"github.com/jokebox/jokebox/shared/smapi"
	"github.com/jokebox/jokebox/shared/smapi/smapitest"
)

const chromiumPath = "/usr/bin/chromium"

// headlessChromium starts headless Chromium with a fresh profile (the
// devstack browser tests' flags). Without Chromium the test fails, or
// skips with -short.
func headlessChromium(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if testing.Short() {
			t.Skipf("%s missing (apt-get install chromium); skipped with -short", chromiumPath)
		}
		t.Fatalf("%s missing (apt-get install chromium): %v", chromiumPath, err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// clickThrough opens the consent page at u, clicks the button with ID
// button, and reads the page the redirect lands on: its #result text and
// its address.
func clickThrough(ctx context.Context, u, button string, text, at *string) error {
	err := chromedp.Do(ctx, chromedp.Navigate(u), chromedp.WaitVisible(chromedp.ID(button)),
		chromedp.Click(chromedp.ID(button)), chromedp.WaitVisible(chromedp.ID("result")))
	if err != nil {
		return err
	}
	if *text, err = chromedp.Run(ctx, chromedp.Text(chromedp.ID("result"))); err != nil {
		return err
	}
	*at, err = chromedp.Run(ctx, chromedp.Evaluate[string]("location.href"))
	return err
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// freePort is a loopback port nothing listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// loginEnv points jokebox login at the fake, with no credentials: the
// client ID comes from --client-id and the secret from stdin.
func loginEnv(f *smapitest.Server) map[string]string {
	return map[string]string{
		config.EnvSMAPIURL.Name:         f.SMAPIURL,
		config.EnvLWATokenHost.Name:     f.LWAURL,
		config.EnvLWAAuthorizeHost.Name: f.LWAURL,
	}
}

// loginRun is one jokebox login.
type loginRun struct {
	c              *cli
	stdout, stderr *syncBuffer
	dir            string // the configuration directory
}

func newLoginRun(t *testing.T, env map[string]string, stdin io.Reader) *loginRun {
	dir := t.TempDir()
	r := &loginRun{stdout: &syncBuffer{}, stderr: &syncBuffer{}, dir: dir}
	r.c = &cli{stdin: stdin, stdout: r.stdout, stderr: r.stderr, getenv: func(k string) string { return env[k] },
		configDir: func() (string, error) { return dir, nil }}
	r.c.browse = func(context.Context, string) error {
		t.Error("a browser was opened")
		return nil
	}
	return r
}

func (r *loginRun) path() string { return filepath.Join(r.dir, "jokebox", lwa.FileName) }

// noSecrets fails the test if the run's output holds a secret: the client
// secret or any token the fake issued.
func (r *loginRun) noSecrets(t *testing.T) {
	t.Helper()
	for name, out := range map[string]string{"stdout": r.stdout.String(), "stderr": r.stderr.String()} {
		for _, s := range []string{smapitest.ClientSecret, "Atzr|", "Atza|", "ANsmapitestcode"} {
			if strings.Contains(out, s) {
				t.Errorf("%s shows a secret (%q):\n%s", name, s, out)
			}
		}
	}
}

// TestLoginInBrowser is jokebox login end to end: the real x/oauth2 client
// against the fake LWA, headless Chromium clicking Allow on the consent
// page, the loopback redirect with its state, the stored file, and the
// stored login then used by an SMAPI client until LWA revokes it.
func TestLoginInBrowser(t *testing.T) {
	f := smapitest.New(t)
	port := freePort(t)
	f.AllowRedirect(lwa.RedirectURL(port))
	bctx := headlessChromium(t)
	r := newLoginRun(t, loginEnv(f), strings.NewReader(smapitest.ClientSecret+"\n"))
	var pageText, pageURL string
	browsed := make(chan error, 1)
	r.c.browse = func(_ context.Context, u string) error {
		go func() {
			browsed <- clickThrough(bctx, u, "allow", &pageText, &pageURL)
		}()
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err := run(ctx, r.c, []string{"login", "--client-id", smapitest.ClientID, "--port", strconv.Itoa(port)})
	if err != nil {
		t.Fatalf("jokebox login: %v\nstderr:\n%s", err, r.stderr)
	}
	if err := <-browsed; err != nil {
		t.Fatalf("browser: %v", err)
	}
	if !strings.Contains(pageText, "You can close this tab") || !strings.HasPrefix(pageURL, lwa.RedirectURL(port)+"?") {
		t.Errorf("the browser ended on %s showing %q; want the loopback page saying it is done", pageURL, pageText)
	}
	q := f.LastAuthorization()
	if q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43 || len(q.Get("state")) < 43 ||
		q.Get("redirect_uri") != lwa.RedirectURL(port) || q.Get("client_id") != smapitest.ClientID || q.Get("response_type") != "code" {
		t.Errorf("authorization request %v; want PKCE S256, a 256-bit state, the loopback redirect and the client ID", q)
	}
	if got := strings.Fields(q.Get("scope")); !slices.Equal(got, lwa.Scopes) {
		t.Errorf("scopes asked = %v; want %v", got, lwa.Scopes)
	}

	fi, err := os.Stat(r.path())
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("login file mode %04o; want 0600", fi.Mode().Perm())
	}
	if di, err := os.Stat(filepath.Dir(r.path())); err != nil || di.Mode().Perm() != 0o700 {
		t.Errorf("login directory: %v, %v; want mode 0700", di.Mode(), err)
	}
	b, _ := os.ReadFile(r.path())
	var saved lwa.Saved
	if err := json.Unmarshal(b, &saved); err != nil {
		t.Fatal(err)
	}
	if saved.ClientID != smapitest.ClientID || saved.ClientSecret != smapitest.ClientSecret || saved.VendorID != smapitest.VendorID ||
		!slices.Equal(f.RefreshTokenScopes(saved.RefreshToken), lwa.Scopes) {
		t.Errorf("stored %v (refresh token known to LWA with scopes %v); want the client, its secret, the vendor and a refresh token with the login's scopes",
			saved, f.RefreshTokenScopes(saved.RefreshToken))
	}
	for _, want := range []string{"Allowed Return URLs must include " + lwa.RedirectURL(port), "/ap/oa?"} {
		if !strings.Contains(r.stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if !strings.Contains(r.stdout.String(), "Signed in as vendor "+smapitest.VendorID) || !strings.Contains(r.stdout.String(), r.path()) {
		t.Errorf("stdout:\n%s", r.stdout)
	}
	r.noSecrets(t)

	// The other commands read the stored login when the environment has
	// no credentials.
	s, err := loadSMAPIConfig(r.c)
	if err != nil {
		t.Fatal(err)
	}
	if s.from != r.path() || s.vendorID != smapitest.VendorID {
		t.Errorf("credentials from %q, vendor %q; want the login file's", s.from, s.vendorID)
	}
	client := newSMAPIClient(r.c, s)
	if _, err := client.Vendors(ctx); err != nil {
		t.Fatalf("SMAPI with the stored login: %v", err)
	}
	// Revoked later: one clear message.
	f.RevokeRefreshTokens()
	f.ExpireAccessTokens()
	_, err = client.Vendors(ctx)
	if err == nil || !errors.Is(err, smapi.ErrRefreshRefused) || !strings.Contains(err.Error(), "run jokebox login again") ||
		strings.Count(err.Error(), "jokebox login") != 1 || !strings.Contains(err.Error(), r.path()) {
		t.Errorf("SMAPI with a revoked refresh token: %v; want one message saying to run jokebox login again", err)
	}
	if err != nil && strings.Contains(err.Error(), saved.RefreshToken) {
		t.Errorf("the error shows the refresh token")
	}
}

// TestLoginDenied: Deny on the consent page stores nothing and says so.
func TestLoginDenied(t *testing.T) {
	f := smapitest.New(t)
	port := freePort(t)
	f.AllowRedirect(lwa.RedirectURL(port))
	bctx := headlessChromium(t)
	env := loginEnv(f)
	env[config.EnvLWAClientSecret.Name] = smapitest.ClientSecret
	r := newLoginRun(t, env, strings.NewReader(""))
	var pageText string
	browsed := make(chan error, 1)
	r.c.browse = func(_ context.Context, u string) error {
		go func() {
			var pageURL string
			browsed <- clickThrough(bctx, u, "deny", &pageText, &pageURL)
		}()
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err := run(ctx, r.c, []string{"login", "--client-id", smapitest.ClientID, "--port", strconv.Itoa(port)})
	if !errors.Is(err, lwa.ErrDenied) || !strings.Contains(err.Error(), "denied") {
		t.Errorf("jokebox login, denied: %v; want lwa.ErrDenied", err)
	}
	if err := <-browsed; err != nil {
		t.Fatalf("browser: %v", err)
	}
	if !strings.Contains(pageText, "denied") {
		t.Errorf("the loopback page says %q; want the denial", pageText)
	}
	if _, err := os.Stat(r.path()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("login file after a denial: %v; want none", err)
	}
	if refresh, _ := f.Tokens(); refresh != 0 {
		t.Errorf("%d refresh tokens issued after a denial", refresh)
	}
	r.noSecrets(t)
}

// TestLoginWrongState: a redirect to the loopback with another state (a
// forged or stale one) is refused, its code unused, and nothing stored.
func TestLoginWrongState(t *testing.T) {
	f := smapitest.New(t)
	port := freePort(t)
	f.AllowRedirect(lwa.RedirectURL(port))
	env := loginEnv(f)
	env[config.EnvLWAClientSecret.Name] = smapitest.ClientSecret
	r := newLoginRun(t, env, strings.NewReader(""))
	got := make(chan int, 1)
	r.c.browse = func(_ context.Context, u string) error {
		// A real code from the fake, returned with a state of our own.
		f.Consent("allow")
		noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		go func() {
			resp, err := noFollow.Get(u)
			if err != nil {
				t.Error(err)
				got <- 0
				return
			}
			resp.Body.Close()
			loc := resp.Header.Get("Location")
			forged := regexp.MustCompile(`state=[^&]*`).ReplaceAllString(loc, "state=forged-state")
			resp, err = http.Get(forged)
			if err != nil {
				t.Error(err)
				got <- 0
				return
			}
			resp.Body.Close()
			got <- resp.StatusCode
		}()
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := run(ctx, r.c, []string{"login", "--client-id", smapitest.ClientID, "--port", strconv.Itoa(port)})
	if !errors.Is(err, lwa.ErrState) {
		t.Errorf("jokebox login with a forged state: %v; want lwa.ErrState", err)
	}
	if code := <-got; code != http.StatusBadRequest {
		t.Errorf("the loopback answered the forged redirect %d; want 400", code)
	}
	if refresh, _ := f.Tokens(); refresh != 0 {
		t.Errorf("%d refresh tokens issued: the forged redirect's code was exchanged", refresh)
	}
	if _, err := os.Stat(r.path()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("login file: %v; want none", err)
	}
}

// TestLoginPortInUse: a taken port is named, with the way out, before any
// browser opens.
func TestLoginPortInUse(t *testing.T) {
	f := smapitest.New(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	env := loginEnv(f)
	env[config.EnvLWAClientSecret.Name] = smapitest.ClientSecret
	r := newLoginRun(t, env, strings.NewReader(""))
	err = run(context.Background(), r.c, []string{"login", "--client-id", smapitest.ClientID, "--port", strconv.Itoa(port)})
	if !errors.Is(err, lwa.ErrPortInUse) || !strings.Contains(err.Error(), fmt.Sprintf("127.0.0.1:%d is taken", port)) || !strings.Contains(err.Error(), "--port") {
		t.Errorf("jokebox login on a taken port: %v; want lwa.ErrPortInUse naming the port and --port", err)
	}
}

// TestLoginNoBrowser: --no-browser prints the consent page's address and
// reads back the address the browser was sent to; --print then prints the
// ASK_* lines and stores nothing.
func TestLoginNoBrowser(t *testing.T) {
	f := smapitest.New(t)
	f.AllowRedirect(lwa.RedirectURL(lwa.DefaultPort))
	f.Consent("allow")
	stdinR, stdinW := io.Pipe()
	r := newLoginRun(t, loginEnv(f), stdinR)
	done := make(chan error, 1)
	go func() {
		done <- run(context.Background(), r.c, []string{"login", "--no-browser", "--print", "--client-id", smapitest.ClientID})
	}()
	io.WriteString(stdinW, smapitest.ClientSecret+"\n")
	// The owner opens the printed address elsewhere and pastes where the
	// browser went.
	authURL := regexp.MustCompile(`http://127\.0\.0\.1:\d+/ap/oa\?\S+`)
	var u string
	for deadline := time.Now().Add(10 * time.Second); u == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		u = authURL.FindString(r.stderr.String())
	}
	if u == "" {
		t.Fatalf("no consent page address printed:\n%s", r.stderr)
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	io.WriteString(stdinW, resp.Header.Get("Location")+"\n")
	if err := <-done; err != nil {
		t.Fatalf("jokebox login --no-browser --print: %v\nstderr:\n%s", err, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout.String()), "\n")
	want := []string{config.EnvLWAClientID.Name + "=" + smapitest.ClientID, config.EnvLWAClientSecret.Name + "=" + smapitest.ClientSecret,
		config.EnvRefreshToken.Name + "=Atzr|", config.EnvVendorID.Name + "=" + smapitest.VendorID}
	if len(lines) != len(want) {
		t.Fatalf("stdout:\n%s\nwant %d ASK_* lines", r.stdout, len(want))
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("line %d = %q; want %q…", i, lines[i], w)
		}
	}
	if _, err := os.Stat(r.path()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("login file after --print: %v; want none", err)
	}
	// What was printed is a working login, as CI would use it.
	env := loginEnv(f)
	for _, l := range lines {
		k, v, _ := strings.Cut(l, "=")
		env[k] = v
	}
	r2 := newLoginRun(t, env, strings.NewReader(""))
	s, err := loadSMAPIConfig(r2.c)
	if err != nil || s.from != "the environment" {
		t.Fatalf("loadSMAPIConfig from the printed lines: %v, %q", err, s.from)
	}
	if _, err := newSMAPIClient(r2.c, s).Vendors(context.Background()); err != nil {
		t.Errorf("SMAPI with the printed lines: %v", err)
	}
	if strings.Contains(r.stderr.String(), smapitest.ClientSecret) || strings.Contains(r.stderr.String(), "Atzr|") {
		t.Errorf("stderr shows a secret:\n%s", r.stderr)
	}
}

// TestLoginVendors: an account with several vendors is listed and nothing
// is stored; --vendor picks one; a vendor not of the account is refused.
func TestLoginVendors(t *testing.T) {
	f := smapitest.New(t)
	port := freePort(t)
	f.AllowRedirect(lwa.RedirectURL(port))
	f.Consent("allow")
	f.SetVendors(smapitest.Vendor{ID: "M1FIRST", Name: "First"}, smapitest.Vendor{ID: "M2SECOND", Name: "Second"})
	env := loginEnv(f)
	env[config.EnvLWAClientSecret.Name] = smapitest.ClientSecret
	login := func(args ...string) (*loginRun, error) {
		r := newLoginRun(t, env, strings.NewReader(""))
		// The consent answers at once: a plain HTTP client is the browser.
		r.c.browse = func(_ context.Context, u string) error {
			go func() {
				if resp, err := http.Get(u); err == nil {
					resp.Body.Close()
				}
			}()
			return nil
		}
		err := run(context.Background(), r.c, append([]string{"login", "--client-id", smapitest.ClientID, "--port", strconv.Itoa(port)}, args...))
		return r, err
	}
	r, err := login()
	if err == nil || !strings.Contains(err.Error(), "M1FIRST  First") || !strings.Contains(err.Error(), "M2SECOND  Second") || !strings.Contains(err.Error(), "--vendor") {
		t.Errorf("login with two vendors: %v; want both listed and --vendor named", err)
	}
	if _, err := os.Stat(r.path()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("login file: %v; want none", err)
	}
	r, err = login("--vendor", "M2SECOND")
	if err != nil {
		t.Fatalf("login --vendor M2SECOND: %v", err)
	}
	if s, err := lwa.Load(r.path()); err != nil || s.VendorID != "M2SECOND" {
		t.Errorf("stored %v, %v; want vendor M2SECOND", s, err)
	}
	if _, err := login("--vendor", "M3OTHER"); err == nil || !strings.Contains(err.Error(), `"M3OTHER" is not one of this account's`) {
		t.Errorf("login --vendor M3OTHER: %v", err)
	}
}

// TestLoginBadInput: what jokebox login refuses before any browser.
func TestLoginBadInput(t *testing.T) {
	f := smapitest.New(t)
	tests := []struct {
		name  string
		env   map[string]string
		args  []string
		stdin string
		want  string
	}{
		{"no client ID", nil, nil, "", "--client-id is required"},
		{"no secret", nil, []string{"--client-id", "x"}, "\n", "no client secret"},
		{"secret as a flag", nil, []string{"--client-id", "x", "--client-secret", "s"}, "", "flag provided but not defined: -client-secret"},
		{"bad port", nil, []string{"--client-id", "x", "--port", "70000"}, "", "--port 70000 is not a TCP port"},
		{"plain http LWA elsewhere", map[string]string{config.EnvLWAAuthorizeHost.Name: "http://www.example.test"}, []string{"--client-id", "x"}, "", config.EnvLWAAuthorizeHost.Name},
		{"unknown client", map[string]string{config.EnvLWATokenHost.Name: f.LWAURL}, []string{"--client-id", "x", "--no-browser"}, "s\nnot a code!\n", "neither the redirected address nor a code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newLoginRun(t, tt.env, strings.NewReader(tt.stdin))
			err := run(context.Background(), r.c, append([]string{"login"}, tt.args...))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("jokebox login %v: %v; want %q", tt.args, err, tt.want)
			}
		})
	}
}
