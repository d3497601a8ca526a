package smapitest

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// lwaClient is a security profile: its client ID and secret and the
// return URLs it allows.
type lwaClient struct {
	id, secret string
	redirects  []string
}

// grant is what a code, a refresh token or an access token stands for.
type grant struct {
	client      string
	scopes      []string
	redirectURI string
	// challenge and method are the authorization request's PKCE values.
	challenge, method string
	expires           time.Time // codes and access tokens
	used, revoked     bool
}

func (g *grant) has(scope string) bool { return slices.Contains(g.scopes, scope) }

// knownScopes are the scopes the fake LWA issues.
var knownScopes = []string{ScopeSkills, ScopeModels, ScopeSkillsTest, "alexa::ask:skills:read", "alexa::ask:models:read", "profile"}

// AllowRedirect adds a return URL to the default security profile's
// "Allowed Return URLs".
func (s *Server) AllowRedirect(uri string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.clients[ClientID]
	c.redirects = append(c.redirects, uri)
}

// RefreshToken issues a refresh token with scopes to the default security
// profile, as a past login would have.
func (s *Server) RefreshToken(scopes ...string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	tok := s.newID("Atzr|smapitest-refresh-")
	s.refresh[tok] = &grant{client: ClientID, scopes: slices.Clone(scopes)}
	return tok
}

// RevokeRefreshTokens revokes every refresh token issued so far, as an
// owner who removes the security profile's access does: their next use
// gets invalid_grant.
func (s *Server) RevokeRefreshTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, g := range s.refresh {
		g.revoked = true
	}
}

// ExpireAccessTokens makes every access token issued so far expired:
// SMAPI answers 401 to them.
func (s *Server) ExpireAccessTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, g := range s.access {
		g.expires = time.Time{}
	}
}

// Consent makes the consent page answer at once, without showing the
// page: "allow" or "deny"; "" (the default) shows the page with its
// buttons.
func (s *Server) Consent(answer string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.consent = answer
}

// Tokens returns how many refresh and access tokens LWA has issued.
func (s *Server) Tokens() (refresh, access int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.refresh), len(s.access)
}

// RefreshTokenScopes returns the scopes a refresh token was issued with,
// nil for an unknown one.
func (s *Server) RefreshTokenScopes(tok string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g := s.refresh[tok]; g != nil {
		return slices.Clone(g.scopes)
	}
	return nil
}

func (s *Server) serveLWA(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/auth/o2/token":
		s.serveToken(w, r)
	case "/ap/oa":
		s.serveAuthorize(w, r)
	case "/ap/oa/consent":
		s.serveConsent(w, r)
	default:
		http.NotFound(w, r)
	}
}

// tokenError answers as LWA's token endpoint does on error.
func tokenError(w http.ResponseWriter, status int, code, description string) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": description})
}

func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		tokenError(w, http.StatusMethodNotAllowed, "invalid_request", "the token endpoint takes POST")
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	var form url.Values
	switch ct := r.Header.Get("Content-Type"); {
	case strings.HasPrefix(ct, "application/x-www-form-urlencoded"):
		var err error
		if form, err = url.ParseQuery(string(body)); err != nil {
			tokenError(w, http.StatusBadRequest, "invalid_request", "malformed form")
			return
		}
	case strings.HasPrefix(ct, "application/json"):
		var m map[string]string
		if json.Unmarshal(body, &m) != nil {
			tokenError(w, http.StatusBadRequest, "invalid_request", "malformed JSON")
			return
		}
		form = url.Values{}
		for k, v := range m {
			form.Set(k, v)
		}
	default:
		tokenError(w, http.StatusBadRequest, "invalid_request", "unsupported content type")
		return
	}
	if r.URL.RawQuery != "" {
		s.t.Errorf("fake LWA: token request with a query %q: secrets do not go in URLs", r.URL.RawQuery)
	}
	id, secret := form.Get("client_id"), form.Get("client_secret")
	if u, p, ok := r.BasicAuth(); ok {
		id, secret = u, p
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.clients[id]
	if c == nil || subtle.ConstantTimeCompare([]byte(c.secret), []byte(secret)) != 1 {
		tokenError(w, http.StatusUnauthorized, "invalid_client", "Client authentication failed")
		return
	}
	var g *grant
	switch form.Get("grant_type") {
	case "authorization_code":
		code := form.Get("code")
		g = s.codes[code]
		switch {
		case code == "" || g == nil || g.client != id:
			tokenError(w, http.StatusBadRequest, "invalid_grant", "The request has an invalid grant parameter : code")
			return
		case g.used || s.now().After(g.expires):
			g.used = true
			tokenError(w, http.StatusBadRequest, "invalid_grant", "The authorization code has expired or was used")
			return
		case form.Get("redirect_uri") != g.redirectURI:
			tokenError(w, http.StatusBadRequest, "invalid_grant", "redirect_uri does not match the authorization request's")
			return
		case !pkceOK(g, form.Get("code_verifier")):
			tokenError(w, http.StatusBadRequest, "invalid_grant", "The code_verifier does not match the code_challenge")
			return
		}
		g.used = true
	case "refresh_token":
		g = s.refresh[form.Get("refresh_token")]
		if g == nil || g.revoked || g.client != id {
			tokenError(w, http.StatusBadRequest, "invalid_grant", "The request has an invalid grant parameter : refresh_token")
			return
		}
	case "":
		tokenError(w, http.StatusBadRequest, "invalid_request", "grant_type is missing")
		return
	default:
		tokenError(w, http.StatusBadRequest, "unsupported_grant_type", "unsupported grant_type")
		return
	}
	at := s.newID("Atza|smapitest-access-")
	s.access[at] = &grant{client: id, scopes: g.scopes, expires: s.now().Add(s.accessLifetime)}
	answer := map[string]any{"access_token": at, "token_type": "bearer", "expires_in": int(s.accessLifetime / time.Second)}
	switch form.Get("grant_type") {
	case "authorization_code":
		rt := s.newID("Atzr|smapitest-refresh-")
		s.refresh[rt] = &grant{client: id, scopes: g.scopes}
		answer["refresh_token"] = rt
	default:
		answer["refresh_token"] = form.Get("refresh_token")
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(answer)
}

// pkceOK checks a code verifier against the grant's challenge (RFC 7636).
// A grant without a challenge takes no verifier.
func pkceOK(g *grant, verifier string) bool {
	if g.challenge == "" {
		return verifier == ""
	}
	if len(verifier) < 43 || len(verifier) > 128 {
		return false
	}
	want := verifier
	if g.method == "S256" {
		sum := sha256.Sum256([]byte(verifier))
		want = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	return subtle.ConstantTimeCompare([]byte(want), []byte(g.challenge)) == 1
}

// pendingAuth is an authorization request waiting for the owner's answer.
type pendingAuth struct {
	grant
	state string
}

var consentPage = template.Must(template.New("consent").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Amazon (smapitest): grant access</title></head>
<body>
<h1>Login with Amazon (smapitest)</h1>
<p id="what">{{.Client}} asks for: {{range .Scopes}}<code>{{.}}</code> {{end}}</p>
<form method="post" action="/ap/oa/consent">
<input type="hidden" name="request" value="{{.Request}}">
<button id="allow" type="submit" name="decision" value="allow">Allow</button>
<button id="deny" type="submit" name="decision" value="deny">Deny</button>
</form>
</body></html>
`))

// LastAuthorization returns the query of the last request for the consent
// page, nil before the first.
func (s *Server) LastAuthorization() url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lastAuth == nil {
		return nil
	}
	q, _ := url.ParseQuery(s.lastAuth.Encode())
	return q
}

func (s *Server) serveAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	s.lastAuth = q
	c := s.clients[q.Get("client_id")]
	redirect := q.Get("redirect_uri")
	if c == nil || !slices.Contains(c.redirects, redirect) {
		s.mu.Unlock()
		// Never redirect to a return URL the profile does not allow.
		http.Error(w, "400 An unknown client_id or a redirect_uri that the security profile does not allow: add it to its Allowed Return URLs", http.StatusBadRequest)
		return
	}
	scopes := strings.Fields(q.Get("scope"))
	p := &pendingAuth{grant: grant{client: c.id, scopes: scopes, redirectURI: redirect,
		challenge: q.Get("code_challenge"), method: q.Get("code_challenge_method")}, state: q.Get("state")}
	consent := s.consent
	s.mu.Unlock()
	fail := func(code, desc string) {
		v := url.Values{"error": {code}, "error_description": {desc}}
		if p.state != "" {
			v.Set("state", p.state)
		}
		http.Redirect(w, r, redirect+"?"+v.Encode(), http.StatusFound)
	}
	switch {
	case q.Get("response_type") != "code":
		fail("unsupported_response_type", "response_type must be code")
		return
	case len(scopes) == 0:
		fail("invalid_scope", "no scope")
		return
	case p.challenge != "" && p.method != "S256" && p.method != "plain":
		fail("invalid_request", "code_challenge_method must be S256 or plain")
		return
	}
	for _, sc := range scopes {
		if !slices.Contains(knownScopes, sc) {
			fail("invalid_scope", "unknown scope "+sc)
			return
		}
	}
	s.mu.Lock()
	id := s.newID("req-")
	s.pending()[id] = p
	s.mu.Unlock()
	if consent != "" {
		s.decide(w, r, id, consent)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	consentPage.Execute(w, map[string]any{"Client": c.id, "Scopes": scopes, "Request": id})
}

func (s *Server) serveConsent(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "405 POST the consent form", http.StatusMethodNotAllowed)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, "400 malformed form", http.StatusBadRequest)
		return
	}
	s.decide(w, r, r.PostForm.Get("request"), r.PostForm.Get("decision"))
}

// decide answers a pending authorization request: a code on allow,
// error=access_denied on deny, both with the request's state.
func (s *Server) decide(w http.ResponseWriter, r *http.Request, id, decision string) {
	s.mu.Lock()
	p := s.pending()[id]
	delete(s.pending(), id)
	var v url.Values
	if p != nil && decision == "allow" {
		code := s.newID("ANsmapitestcode")
		g := p.grant
		g.expires = s.now().Add(5 * time.Minute)
		s.codes[code] = &g
		v = url.Values{"code": {code}, "scope": {strings.Join(p.scopes, " ")}}
	}
	s.mu.Unlock()
	switch {
	case p == nil:
		http.Error(w, "400 unknown or answered authorization request", http.StatusBadRequest)
		return
	case decision != "allow":
		v = url.Values{"error": {"access_denied"}, "error_description": {"The user denied the request"}}
	}
	if p.state != "" {
		v.Set("state", p.state)
	}
	http.Redirect(w, r, p.redirectURI+"?"+v.Encode(), http.StatusFound)
}

// pending returns the authorization requests shown on the consent page
// and not answered yet; s.mu is held.
func (s *Server) pending() map[string]*pendingAuth {
	if s.pendingAuths == nil {
		s.pendingAuths = map[string]*pendingAuth{}
	}
	return s.pendingAuths
}
