package smapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// DefaultTokenURL is Login with Amazon's token endpoint.
const DefaultTokenURL = "https://api.amazon.com/auth/o2/token"

const redacted = "[redacted]"

// Credentials are a Login with Amazon security profile's client ID and
// secret and a refresh token issued to it with the SMAPI scopes. Printing or
// logging a Credentials value never shows the secret or the refresh token.
type Credentials struct {
	ClientID     string
	ClientSecret string
	RefreshToken string
}

// String shows the client ID only.
func (c Credentials) String() string {
	return fmt.Sprintf("{ClientID:%s ClientSecret:%s RefreshToken:%s}", c.ClientID, redacted, redacted)
}

// GoString shows the client ID only, for %#v.
func (c Credentials) GoString() string { return "smapi.Credentials" + c.String() }

// LogValue shows the client ID only, for log/slog.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("clientId", c.ClientID),
		slog.String("clientSecret", redacted),
		slog.String("refreshToken", redacted),
	)
}

// redact removes the secrets from s, in case a server echoes them back.
func (c Credentials) redact(s string) string {
	return redactAll(s, c.ClientSecret, c.RefreshToken)
}

// redactAll replaces each secret in s, as is and URL-encoded, with
// "[redacted]".
func redactAll(s string, secrets ...string) string {
	for _, secret := range secrets {
		for _, form := range []string{secret, url.QueryEscape(secret), url.PathEscape(secret)} {
			if form != "" {
				s = strings.ReplaceAll(s, form, redacted)
			}
		}
	}
	return s
}

// TokenSource turns a refresh token into SMAPI access tokens, caching each
// until shortly before it expires. It is safe for concurrent use; concurrent
// callers share one refresh. Set the fields before the first call.
type TokenSource struct {
	// Credentials are the LWA client and refresh token.
	Credentials Credentials
	// TokenURL is LWA's token endpoint; empty means DefaultTokenURL.
	TokenURL string
	// HTTPClient makes the requests; nil means http.DefaultClient. Its
	// redirect policy is not used: redirects are never followed.
	HTTPClient *http.Client
	// Logger receives one debug line per refresh; nil discards it.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	mu     sync.Mutex
	token  string
	expiry time.Time
	issued []string // the last few access tokens, for Redact
}

// maxIssued is how many access tokens Redact remembers.
const maxIssued = 4

// Redact removes the client secret, the refresh token and the access
// tokens this source issued lately from s.
func (ts *TokenSource) Redact(s string) string {
	ts.mu.Lock()
	issued := slices.Clone(ts.issued)
	ts.mu.Unlock()
	return redactAll(s, append(issued, ts.Credentials.ClientSecret, ts.Credentials.RefreshToken)...)
}

// Token returns a valid access token, refreshing it if needed.
func (ts *TokenSource) Token(ctx context.Context) (string, error) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	now := ts.now()
	if ts.token != "" && now.Before(ts.expiry) {
		return ts.token, nil
	}
	tok, lifetime, err := ts.fetch(ctx)
	if err != nil {
		return "", err
	}
	ts.token = tok
	ts.expiry = now.Add(lifetime - refreshMargin(lifetime))
	ts.issued = append(ts.issued, tok)
	if len(ts.issued) > maxIssued {
		ts.issued = ts.issued[len(ts.issued)-maxIssued:]
	}
	ts.logger().DebugContext(ctx, "lwa token refreshed", "clientId", ts.Credentials.ClientID, "expiresIn", lifetime)
	return tok, nil
}

// Invalidate drops the cached token if it is still stale, so that the next
// Token call refreshes it. Passing the rejected token keeps concurrent
// callers from refreshing more than once.
func (ts *TokenSource) Invalidate(stale string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.token == stale {
		ts.token = ""
	}
}

// refreshMargin is how long before expiry a token is replaced: a minute, or
// half the lifetime of a short-lived token.
func refreshMargin(lifetime time.Duration) time.Duration {
	if lifetime < 2*time.Minute {
		return lifetime / 2
	}
	return time.Minute
}

func (ts *TokenSource) now() time.Time {
	if ts.Now != nil {
		return ts.Now()
	}
	return time.Now()
}

func (ts *TokenSource) logger() *slog.Logger {
	if ts.Logger != nil {
		return ts.Logger
	}
	return discard
}

// tokenResponse is LWA's answer, success or error.
type tokenResponse struct {
	AccessToken      string `json:"access_token"`
	TokenType        string `json:"token_type"`
	ExpiresIn        int64  `json:"expires_in"`
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

// ErrLWA reports a token request that Login with Amazon refused or answered
// with something unusable.
var ErrLWA = errors.New("login with amazon")

// ErrRefreshRefused reports LWA's invalid_grant to a refresh: the refresh
// token expired or was revoked, and only a new login gives another.
var ErrRefreshRefused = errors.New("the refresh token expired or was revoked")

// ErrClientRefused reports LWA's invalid_client: the client ID or secret
// is wrong, or the security profile was deleted.
var ErrClientRefused = errors.New("the security profile's client ID or secret was refused")

func (ts *TokenSource) fetch(ctx context.Context) (string, time.Duration, error) {
	c := ts.Credentials
	form := url.Values{
		"grant_type":    {"refresh_token"},
		"refresh_token": {c.RefreshToken},
		"client_id":     {c.ClientID},
		"client_secret": {c.ClientSecret},
	}
	u := ts.TokenURL
	if u == "" {
		u = DefaultTokenURL
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return "", 0, fmt.Errorf("%w: build token request: %s", ErrLWA, c.redact(err.Error()))
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := noRedirects(ts.HTTPClient).Do(req)
	if err != nil {
		return "", 0, fmt.Errorf("%w: token request: %s", ErrLWA, c.redact(err.Error()))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", 0, fmt.Errorf("%w: read token response: %s", ErrLWA, c.redact(err.Error()))
	}
	tr, err := decodeTokenResponse(body)
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		return "", 0, fmt.Errorf("%w: token request: HTTP %d: redirect to %q not followed", ErrLWA, resp.StatusCode, c.redact(resp.Header.Get("Location")))
	}
	if resp.StatusCode != http.StatusOK {
		msg := strings.TrimSpace(tr.Error + " " + tr.ErrorDescription)
		if err != nil || msg == "" {
			msg = "no error description"
		}
		switch tr.Error {
		case "invalid_grant":
			return "", 0, fmt.Errorf("%w: token request: HTTP %d: %s: %w", ErrLWA, resp.StatusCode, c.redact(msg), ErrRefreshRefused)
		case "invalid_client":
			return "", 0, fmt.Errorf("%w: token request: HTTP %d: %s: %w", ErrLWA, resp.StatusCode, c.redact(msg), ErrClientRefused)
		}
		return "", 0, fmt.Errorf("%w: token request: HTTP %d: %s", ErrLWA, resp.StatusCode, c.redact(msg))
	}
	if err != nil {
		return "", 0, fmt.Errorf("%w: token response: %s", ErrLWA, c.redact(err.Error()))
	}
	return tr.AccessToken, time.Duration(tr.ExpiresIn) * time.Second, nil
}

// decodeTokenResponse decodes an LWA token response body. A success must
// carry an access token and a positive lifetime.
func decodeTokenResponse(body []byte) (tokenResponse, error) {
	var tr tokenResponse
	if err := json.Unmarshal(body, &tr); err != nil {
		return tr, errors.New("malformed JSON")
	}
	if tr.AccessToken == "" && tr.Error == "" {
		return tr, errors.New("no access_token")
	}
	if tr.AccessToken != "" && tr.ExpiresIn <= 0 {
		return tr, fmt.Errorf("expires_in %d is not positive", tr.ExpiresIn)
	}
	return tr, nil
}
