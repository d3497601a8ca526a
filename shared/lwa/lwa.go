// Package lwa signs the owner in with Login with Amazon (LWA) to get the
// refresh token that the Skill Management API's access tokens come from,
// and keeps it, with the security profile's client ID and secret, in a file
// only the owner can read.
//
// Flow.Run is OAuth 2.0's authorization-code grant in the owner's browser
// with a loopback redirect (RFC 8252): it listens on 127.0.0.1, opens (or
// prints) the consent page's URL, and takes the code from the redirect. It
// always sends a random state, which the redirect must echo, and PKCE (RFC
// 7636, S256), which Login with Amazon's authorization code grant accepts
// (code_challenge, "RECOMMENDED" in Amazon's reference). The code is
// exchanged with golang.org/x/oauth2, whose Amazon endpoints are Login with
// Amazon's. Neither the secret nor a token is ever put in a URL, a process
// argument, a log line or an error.
package lwa

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/amazon"
)

// DefaultPort is the loopback port of the redirect, the ask CLI's.
const DefaultPort = 9090

// CallbackPath is the redirect's path.
const CallbackPath = "/cb"

// Scopes are what jokebox asks for: skills and their manifests, interaction
// models, and testing (the ask CLI's scope for the development stage's
// enablement and test invocations).
var Scopes = []string{"alexa::ask:skills:readwrite", "alexa::ask:models:readwrite", "alexa::ask:skills:test"}

// RedirectURL is the return URL for port, the one the security profile's
// "Allowed Return URLs" must list.
func RedirectURL(port int) string {
	return fmt.Sprintf("http://127.0.0.1:%d%s", port, CallbackPath)
}

// Errors of Flow.Run that callers tell apart.
var (
	// ErrDenied reports that the owner chose Deny on the consent page.
	ErrDenied = errors.New("access was denied on Amazon's consent page")
	// ErrState reports a redirect whose state is not the one sent: it did
	// not answer this login (or was forged), and its code is not used.
	ErrState = errors.New("the redirect's state does not match this login's")
	// ErrPortInUse reports that the redirect's port is taken.
	ErrPortInUse = errors.New("port in use")
)

// Flow is one login. Set the fields, then call Run once.
type Flow struct {
	// ClientID and ClientSecret are the LWA security profile's.
	ClientID     string
	ClientSecret string
	// AuthorizeURL and TokenURL are LWA's consent page and token endpoint;
	// empty means Amazon's (golang.org/x/oauth2/amazon).
	AuthorizeURL string
	TokenURL     string
	// Port is the redirect's loopback port; 0 means DefaultPort.
	Port int
	// Browse opens the consent page's URL in the owner's browser. When nil,
	// Run prints the URL to Out and reads the redirected address (or the
	// bare code) from In instead of listening.
	Browse func(ctx context.Context, url string) error
	// In and Out are the terminal: Out gets the instructions.
	In  io.Reader
	Out io.Writer
	// HTTPClient makes the token request; nil means http.DefaultClient.
	// Redirects are never followed (the client secret would follow).
	HTTPClient *http.Client
	// Timeout bounds the wait for the browser; 0 means 5 minutes.
	Timeout time.Duration
}

func (f *Flow) port() int {
	if f.Port == 0 {
		return DefaultPort
	}
	return f.Port
}

// config is the oauth2 configuration of the flow: Amazon's endpoints unless
// overridden, and the client secret sent in the form, as LWA's reference
// shows it.
func (f *Flow) config() *oauth2.Config {
	ep := amazon.Endpoint
	if f.AuthorizeURL != "" {
		ep.AuthURL = f.AuthorizeURL
	}
	if f.TokenURL != "" {
		ep.TokenURL = f.TokenURL
	}
	ep.AuthStyle = oauth2.AuthStyleInParams
	return &oauth2.Config{ClientID: f.ClientID, ClientSecret: f.ClientSecret, Endpoint: ep, RedirectURL: RedirectURL(f.port()), Scopes: Scopes}
}

// answer is what the redirect brought: a code or an error.
type answer struct {
	code string
	err  error
}

// Run signs the owner in and returns the token LWA issued, whose
// RefreshToken is set.
func (f *Flow) Run(ctx context.Context) (*oauth2.Token, error) {
	if f.ClientID == "" || f.ClientSecret == "" {
		return nil, errors.New("lwa: the client ID and the client secret are both needed")
	}
	state, err := randomString()
	if err != nil {
		return nil, err
	}
	verifier := oauth2.GenerateVerifier()
	conf := f.config()
	authURL := conf.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier))
	var a answer
	if f.Browse == nil {
		a = f.readAnswer(state, authURL)
	} else {
		a = f.viaBrowser(ctx, state, authURL)
	}
	if a.err != nil {
		return nil, a.err
	}
	return f.exchange(ctx, conf, a.code, verifier)
}

// randomString is 32 random bytes, base64url.
func randomString() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("lwa: random state: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// viaBrowser listens on the loopback port, opens the consent page and
// waits for the redirect.
func (f *Flow) viaBrowser(ctx context.Context, state, authURL string) answer {
	port := f.port()
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return answer{err: fmt.Errorf("%w: 127.0.0.1:%d is taken by another program, so the browser cannot return to jokebox there: stop that program, or pick another port with --port N and add http://127.0.0.1:N%s to the security profile's Allowed Return URLs", ErrPortInUse, port, CallbackPath)}
		}
		return answer{err: fmt.Errorf("lwa: listen on 127.0.0.1:%d: %w", port, err)}
	}
	got := make(chan answer, 1)
	var once sync.Once
	deliver := func(a answer) { once.Do(func() { got <- a }) }
	mux := http.NewServeMux()
	mux.HandleFunc(CallbackPath, func(w http.ResponseWriter, r *http.Request) {
		a := parseRedirect(r.URL.Query(), state)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Referrer-Policy", "no-referrer")
		if a.err != nil {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, "<!doctype html><title>jokebox login failed</title><h1>jokebox login failed</h1><p id=\"result\">%s</p><p>Go back to the terminal.</p>", html.EscapeString(a.err.Error()))
		} else {
			fmt.Fprint(w, "<!doctype html><title>jokebox login</title><h1>Signed in</h1><p id=\"result\">jokebox got the authorization. You can close this tab and go back to the terminal.</p>")
		}
		deliver(a)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	fmt.Fprintf(f.Out, "Opening Amazon's consent page in your browser. If it does not open, visit:\n  %s\n", authURL)
	if err := f.Browse(ctx, authURL); err != nil {
		fmt.Fprintf(f.Out, "(could not open a browser: %v)\n", err)
	}
	timeout := f.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	fmt.Fprintf(f.Out, "Waiting for the browser to return to %s ...\n", RedirectURL(port))
	select {
	case a := <-got:
		return a
	case <-ctx.Done():
		return answer{err: fmt.Errorf("lwa: waiting for the browser: %w", ctx.Err())}
	case <-time.After(timeout):
		return answer{err: fmt.Errorf("lwa: the browser did not return to %s within %s: run jokebox login again", RedirectURL(port), timeout)}
	}
}

// parseRedirect reads the redirect's query: the state must be this
// login's; then an error or a code.
func parseRedirect(q url.Values, state string) answer {
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(state)) != 1 {
		return answer{err: ErrState}
	}
	if e := q.Get("error"); e != "" {
		if e == "access_denied" {
			return answer{err: ErrDenied}
		}
		return answer{err: fmt.Errorf("lwa: the consent page answered %s: %s", clean(e), clean(q.Get("error_description")))}
	}
	code := q.Get("code")
	if !validCode(code) {
		return answer{err: errors.New("lwa: the redirect carries no usable code")}
	}
	return answer{code: code}
}

// validCode reports whether s looks like an authorization code: 1 to 512
// characters of the URL-safe set OAuth codes use.
func validCode(s string) bool {
	if s == "" || len(s) > 512 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-._~+/=|", r)) {
			return false
		}
	}
	return true
}

// clean keeps a server's text printable and short for an error message.
func clean(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// readAnswer prints the consent page's URL and reads back the address the
// browser was sent to (or the code alone).
func (f *Flow) readAnswer(state, authURL string) answer {
	fmt.Fprintf(f.Out, "Open this address in a browser signed in to your Amazon developer account:\n  %s\n", authURL)
	fmt.Fprintf(f.Out, "After you allow access, the browser goes to %s?code=… (the page may not load: that is fine).\n", RedirectURL(f.port()))
	fmt.Fprint(f.Out, "Paste that whole address (or just the code) here: ")
	line, err := ReadLine(f.In)
	if err != nil {
		return answer{err: fmt.Errorf("lwa: read the redirected address: %w", err)}
	}
	return parsePasted(line, state)
}

// parsePasted reads what the owner pasted: the redirected address, whose
// state is checked, or a bare code.
func parsePasted(line, state string) answer {
	line = strings.TrimSpace(line)
	if line == "" {
		return answer{err: errors.New("lwa: nothing was pasted")}
	}
	if strings.Contains(line, "?") || strings.Contains(line, "://") {
		u, err := url.Parse(line)
		if err != nil {
			return answer{err: errors.New("lwa: the pasted address is not a URL")}
		}
		return parseRedirect(u.Query(), state)
	}
	if !validCode(line) {
		return answer{err: errors.New("lwa: the pasted text is neither the redirected address nor a code")}
	}
	return answer{code: line}
}

// ReadLine reads one line from r (a terminal or a pipe) byte by byte, so
// that what follows stays for the next reader; a line ends at "\n" (a "\r"
// before it is dropped) or at the end of the input.
func ReadLine(r io.Reader) (string, error) {
	if r == nil {
		return "", errors.New("no input")
	}
	var b strings.Builder
	buf := make([]byte, 1)
	for b.Len() < 8192 {
		n, err := r.Read(buf)
		if n == 1 {
			if buf[0] == '\n' {
				return strings.TrimSuffix(b.String(), "\r"), nil
			}
			b.WriteByte(buf[0])
		}
		if err == io.EOF {
			if b.Len() == 0 {
				return "", io.ErrUnexpectedEOF
			}
			return b.String(), nil
		}
		if err != nil {
			return "", err
		}
	}
	return "", errors.New("line too long")
}

// exchange trades the code for tokens with the PKCE verifier.
func (f *Flow) exchange(ctx context.Context, conf *oauth2.Config, code, verifier string) (*oauth2.Token, error) {
	ctx = context.WithValue(ctx, oauth2.HTTPClient, noRedirects(f.HTTPClient))
	tok, err := conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		return nil, f.tokenError("exchange the authorization code", err, code, verifier)
	}
	if tok.RefreshToken == "" {
		return nil, errors.New("lwa: the token answer has no refresh token")
	}
	return tok, nil
}

// tokenError is err without any secret: LWA's error code and description
// when it sent them.
func (f *Flow) tokenError(what string, err error, secrets ...string) error {
	var re *oauth2.RetrieveError
	var msg string
	if errors.As(err, &re) {
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		msg = fmt.Sprintf("HTTP %d", status)
		if re.ErrorCode != "" {
			msg += ": " + clean(re.ErrorCode)
		}
		if re.ErrorDescription != "" {
			msg += ": " + clean(re.ErrorDescription)
		}
		if re.ErrorCode == "invalid_client" {
			msg += " (check the client ID and the client secret of the security profile)"
		}
	} else {
		msg = err.Error()
	}
	for _, s := range append(secrets, f.ClientSecret) {
		if s != "" {
			msg = strings.ReplaceAll(msg, s, "[redacted]")
			msg = strings.ReplaceAll(msg, url.QueryEscape(s), "[redacted]")
		}
	}
	return fmt.Errorf("lwa: %s: %s", what, msg)
}

// noRedirects returns a copy of hc (nil: the default client) that does not
// follow redirects.
func noRedirects(hc *http.Client) *http.Client {
	c := http.Client{}
	if hc != nil {
		c = *hc
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}
