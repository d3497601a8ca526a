// Package smapitest is a fake Alexa Skill Management API (SMAPI) and a fake
// Login with Amazon (LWA) authorization server, for tests of code that
// creates, deploys and logs in: two httptest servers whose base URLs go
// into ASK_SMAPI_SERVER_BASE_URL, ASK_LWA_TOKEN_HOST and
// ASK_LWA_AUTHORIZE_HOST.
//
// The fake SMAPI keeps skills in memory per vendor and answers only as
// Amazon's published model (npm ask-smapi-model, excerpted in
// ask-smapi-model.json) documents: every request and every answer is
// checked against the excerpt, and a mismatch fails the test. It creates
// skills (status IN_PROGRESS for a poll, then SUCCEEDED), gets and puts
// manifests, puts and gets interaction models with their build status,
// sets and reads enablement, lists vendors and skills, and deletes skills.
// A skill of a vendor the caller does not belong to is refused with 403, an
// unknown one with 404, as SMAPI does. Faults (429, 5xx) can be injected per
// operation, and successful writes are counted per operation, so a test
// can assert that an idempotent re-run wrote nothing.
//
// The fake LWA issues access and refresh tokens with the refresh_token and
// authorization_code grants (PKCE S256 and plain verified when the
// authorization request carried a code_challenge), refuses revoked or
// unknown refresh tokens with invalid_grant, and serves /ap/oa: a consent
// page with Allow and Deny buttons that redirects to the registered
// redirect_uri with code and state, or with error=access_denied.
package smapitest

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jokebox/jokebox/shared/config"
)

// Defaults of a new Server: its one security profile, its account and the
// account's vendor.
const (
	ClientID     = "amzn1.application-oa2-client.smapitest"
	ClientSecret = "smapitest-client-secret-0123456789"
	CustomerID   = "amzn1.account.SMAPITESTOWNER"
	VendorID     = "M1SMAPITESTVENDOR"
	VendorName   = "Smapitest Owner"
)

// Scopes the fake SMAPI asks of a token: skill operations need
// ScopeSkills, interaction model operations ScopeModels, and enablement
// ScopeSkillsTest (the ask CLI's scope for testing).
const (
	ScopeSkills     = "alexa::ask:skills:readwrite"
	ScopeModels     = "alexa::ask:models:readwrite"
	ScopeSkillsTest = "alexa::ask:skills:test"
)

// Vendor is a vendor of the account (v1.vendorManagement.Vendor).
type Vendor struct {
	ID    string   `json:"id"`
	Name  string   `json:"name"`
	Roles []string `json:"roles"`
}

// Fault is an error answer injected in place of an operation's answer.
type Fault struct {
	// Operation is the model's operation name, such as
	// "createSkillForVendorV1"; "" matches every operation.
	Operation string
	// Status is the answer's status: 429, 500 or 503 (every operation
	// documents them).
	Status int
	// Times is how many calls get the fault; 0 means one.
	Times int
	// RetryAfter, when set, is sent as the Retry-After header.
	RetryAfter string
	// Applied makes the call take effect before the fault is answered,
	// as a server that fails after doing the work would.
	Applied bool
}

// Server is the fake SMAPI and LWA. Its methods are safe for concurrent
// use.
type Server struct {
	// SMAPIURL is the fake SMAPI's base URL (ASK_SMAPI_SERVER_BASE_URL).
	SMAPIURL string
	// LWAURL is the fake LWA's host URL (ASK_LWA_TOKEN_HOST and
	// ASK_LWA_AUTHORIZE_HOST): the token endpoint is LWAURL+"/auth/o2/token"
	// and the consent page LWAURL+"/ap/oa".
	LWAURL string

	t     testing.TB
	model *Model
	smapi *httptest.Server
	lwa   *httptest.Server

	mu sync.Mutex
	// now is the clock of token lifetimes.
	now func() time.Time
	// vendors are the account's vendors; other vendors' skills are refused.
	vendors []Vendor
	// clients are the LWA security profiles by client ID.
	clients map[string]*lwaClient
	// codes, refresh and access are the grants issued, by their secret.
	codes   map[string]*grant
	refresh map[string]*grant
	access  map[string]*grant
	skills  map[string]*skill
	order   []string // skill IDs in creation order
	faults  []Fault
	writes  map[string]int
	calls   map[string]int
	// pendingPolls is how many status polls a change stays IN_PROGRESS.
	pendingPolls int
	// accessLifetime is an access token's lifetime.
	accessLifetime time.Duration
	// endpointCheck, when set, decides whether a manifest's endpoint may
	// be called for the skill.
	endpointCheck func(skillID, uri string) error
	// consent is the answer of the consent page when Consent was called:
	// "" shows the page; "allow" or "deny" answers at once.
	consent      string
	pendingAuths map[string]*pendingAuth
	lastAuth     url.Values
	seq          int
}

// New starts a fake SMAPI and LWA with one account holding one vendor
// (VendorID) and one security profile (ClientID, ClientSecret) that allows
// no redirect URI yet (see AllowRedirect). Both servers stop when the test
// ends.
func New(t testing.TB) *Server {
	s := &Server{
		t:              t,
		model:          LoadModel(),
		now:            time.Now,
		vendors:        []Vendor{{ID: VendorID, Name: VendorName, Roles: []string{"ROLE_ADMINISTRATOR"}}},
		clients:        map[string]*lwaClient{ClientID: {id: ClientID, secret: ClientSecret}},
		codes:          map[string]*grant{},
		refresh:        map[string]*grant{},
		access:         map[string]*grant{},
		skills:         map[string]*skill{},
		writes:         map[string]int{},
		calls:          map[string]int{},
		pendingPolls:   1,
		accessLifetime: time.Hour,
	}
	s.smapi = httptest.NewServer(http.HandlerFunc(s.serveSMAPI))
	s.lwa = httptest.NewServer(http.HandlerFunc(s.serveLWA))
	t.Cleanup(s.smapi.Close)
	t.Cleanup(s.lwa.Close)
	s.SMAPIURL = s.smapi.URL
	s.LWAURL = s.lwa.URL
	return s
}

// Env returns the ASK_* variables that point a client at this server,
// with credentials for a refresh token issued to the default account with
// every scope.
func (s *Server) Env() map[string]string {
	return map[string]string{
		config.EnvSMAPIURL.Name:         s.SMAPIURL,
		config.EnvLWATokenHost.Name:     s.LWAURL,
		config.EnvLWAAuthorizeHost.Name: s.LWAURL,
		config.EnvLWAClientID.Name:      ClientID,
		config.EnvLWAClientSecret.Name:  ClientSecret,
		config.EnvRefreshToken.Name:     s.RefreshToken(ScopeSkills, ScopeModels, ScopeSkillsTest),
		config.EnvVendorID.Name:         VendorID,
	}
}

// SetVendors replaces the account's vendors.
func (s *Server) SetVendors(vs ...Vendor) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.vendors = slices.Clone(vs)
}

// SetPendingPolls sets how many status polls a creation, a manifest update
// or a model build stays IN_PROGRESS before it ends (default 1).
func (s *Server) SetPendingPolls(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pendingPolls = n
}

// SetEndpointCheck sets the check a manifest's endpoint URI must pass (as
// SMAPI refuses a Lambda function that does not allow the skill): when it
// returns an error, the update ends FAILED with that error's message. nil
// accepts every endpoint.
func (s *Server) SetEndpointCheck(f func(skillID, uri string) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.endpointCheck = f
}

// Fail injects faults, answered in order to the calls they match.
func (s *Server) Fail(fs ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range fs {
		if f.Times <= 0 {
			f.Times = 1
		}
		s.faults = append(s.faults, f)
	}
}

// Writes returns the count of successful writes (POST, PUT, DELETE) per
// operation name.
func (s *Server) Writes() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for k, v := range s.writes {
		out[k] = v
	}
	return out
}

// TotalWrites is the sum of Writes.
func (s *Server) TotalWrites() int {
	n := 0
	for _, v := range s.Writes() {
		n += v
	}
	return n
}

// Calls returns the count of requests per operation name, failed ones
// included.
func (s *Server) Calls() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for k, v := range s.calls {
		out[k] = v
	}
	return out
}

// ResetCounts zeroes Writes and Calls.
func (s *Server) ResetCounts() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes = map[string]int{}
	s.calls = map[string]int{}
}

// newID returns a fresh random identifier with prefix.
func (s *Server) newID(prefix string) string {
	b := make([]byte, 12)
	rand.Read(b)
	s.seq++
	return prefix + hex.EncodeToString(b)
}
