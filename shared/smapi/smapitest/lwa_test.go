package smapitest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// authorize asks the fake's consent page for a code (Consent("allow")
// answers at once) and returns the redirect's query.
func authorize(t *testing.T, s *Server, q url.Values) (int, url.Values) {
	t.Helper()
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(s.LWAURL + "/ap/oa?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Location") == "" {
		return resp.StatusCode, nil
	}
	loc, _ := url.Parse(resp.Header.Get("Location"))
	return resp.StatusCode, loc.Query()
}

func token(t *testing.T, s *Server, form url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := http.PostForm(s.LWAURL+"/auth/o2/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

// TestFakeLWA: the fake's authorization server refuses what LWA refuses.
func TestFakeLWA(t *testing.T) {
	s := New(t)
	const redirect = "http://127.0.0.1:9/cb"
	s.AllowRedirect(redirect)
	s.Consent("allow")
	verifier := strings.Repeat("v", 43)
	sum := sha256.Sum256([]byte(verifier))
	auth := url.Values{"client_id": {ClientID}, "scope": {ScopeSkills}, "response_type": {"code"}, "redirect_uri": {redirect},
		"state": {"st"}, "code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}

	if code, q := authorize(t, s, url.Values{"client_id": {ClientID}, "scope": {ScopeSkills}, "response_type": {"code"}, "redirect_uri": {"http://127.0.0.1:10/cb"}}); code != 400 || q != nil {
		t.Errorf("unregistered redirect_uri: HTTP %d, redirect %v; want 400 and no redirect", code, q)
	}
	bad := url.Values{}
	for k, v := range auth {
		bad[k] = v
	}
	bad.Set("scope", "alexa::ask:everything")
	if _, q := authorize(t, s, bad); q.Get("error") != "invalid_scope" || q.Get("state") != "st" {
		t.Errorf("unknown scope: %v; want error=invalid_scope with the state", q)
	}
	_, q := authorize(t, s, auth)
	code := q.Get("code")
	if code == "" || q.Get("state") != "st" {
		t.Fatalf("allowed: %v; want a code and the state", q)
	}
	exchange := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect},
		"client_id": {ClientID}, "client_secret": {ClientSecret}, "code_verifier": {verifier}}
	wrong := func(k, v string) url.Values {
		f := url.Values{}
		for kk, vv := range exchange {
			f[kk] = vv
		}
		f.Set(k, v)
		return f
	}
	for name, tt := range map[string]struct {
		form   url.Values
		status int
		err    string
	}{
		"wrong secret":   {wrong("client_secret", "nope"), 401, "invalid_client"},
		"wrong verifier": {wrong("code_verifier", strings.Repeat("w", 43)), 400, "invalid_grant"},
		"wrong redirect": {wrong("redirect_uri", "http://127.0.0.1:10/cb"), 400, "invalid_grant"},
		"unknown code":   {wrong("code", "ANnope"), 400, "invalid_grant"},
		"no grant type":  {wrong("grant_type", ""), 400, "invalid_request"},
	} {
		if status, m := token(t, s, tt.form); status != tt.status || m["error"] != tt.err {
			t.Errorf("%s: HTTP %d %v; want %d %s", name, status, m, tt.status, tt.err)
		}
	}
	// The refused exchanges did not spend the code (the fake checks
	// before it spends one).
	status, m := token(t, s, exchange)
	if status != 200 || m["refresh_token"] == nil || m["access_token"] == nil || m["token_type"] != "bearer" {
		t.Fatalf("exchange: HTTP %d %v", status, m)
	}
	if status, m := token(t, s, exchange); status != 400 || m["error"] != "invalid_grant" {
		t.Errorf("second use of a code: HTTP %d %v; want invalid_grant", status, m)
	}
	rt := m["refresh_token"].(string)
	refresh := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {ClientID}, "client_secret": {ClientSecret}}
	if status, m := token(t, s, refresh); status != 200 || m["access_token"] == nil {
		t.Errorf("refresh: HTTP %d %v", status, m)
	}
	s.RevokeRefreshTokens()
	if status, m := token(t, s, refresh); status != 400 || m["error"] != "invalid_grant" {
		t.Errorf("revoked refresh token: HTTP %d %v; want invalid_grant", status, m)
	}
	s.Consent("deny")
	if _, q := authorize(t, s, auth); q.Get("error") != "access_denied" || q.Get("state") != "st" || q.Get("code") != "" {
		t.Errorf("denied: %v; want error=access_denied with the state and no code", q)
	}
}
