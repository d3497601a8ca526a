// Package verifytest provides what tests of Alexa request verification need:
// a certificate authority of their own, an echo-api.amazon.com signing
// certificate, signed request bodies, and a TLS server that plays
// s3.amazonaws.com for the verifier's real HTTP client.
//
// Nothing here loosens verify's checks: the verifier is given canonical
// https://s3.amazonaws.com/echo.api/… URLs as in production, and only the
// HTTP transport of Server.Client sends them to the local server.
package verifytest

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jokebox/jokebox/shared/verify"
)

// Key returns an RSA-2048 key. Keys are made once per process and shared
// by name, because making one takes a noticeable fraction of a second.
func Key(name string) *rsa.PrivateKey {
	keysMu.Lock()
	defer keysMu.Unlock()
	if k, ok := keys[name]; ok {
		return k
	}
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic("verifytest: rsa.GenerateKey: " + err.Error()) // the system's randomness failed
	}
	keys[name] = k
	return k
}

var (
	keysMu sync.Mutex
	keys   = map[string]*rsa.PrivateKey{}
)

// CA is a test certificate authority.
type CA struct {
	Cert *x509.Certificate
	Key  *rsa.PrivateKey
}

var serial int64

func nextSerial() *big.Int {
	keysMu.Lock()
	defer keysMu.Unlock()
	serial++
	return big.NewInt(serial)
}

// NewRoot makes a self-signed root CA valid from notBefore to notAfter.
func NewRoot(name string, notBefore, notAfter time.Time) (*CA, error) {
	key := Key("ca " + name)
	tmpl := caTemplate(name, notBefore, notAfter)
	cert, err := create(tmpl, tmpl, key, key)
	if err != nil {
		return nil, err
	}
	return &CA{Cert: cert, Key: key}, nil
}

// NewIntermediate makes a CA signed by ca.
func (ca *CA) NewIntermediate(name string, notBefore, notAfter time.Time) (*CA, error) {
	key := Key("ca " + name)
	cert, err := create(caTemplate(name, notBefore, notAfter), ca.Cert, key, ca.Key)
	if err != nil {
		return nil, err
	}
	return &CA{Cert: cert, Key: key}, nil
}

// Issue signs an end-entity certificate for key with the given DNS names
// (and IP addresses, for a local TLS server).
func (ca *CA) Issue(key *rsa.PrivateKey, dnsNames []string, ips []net.IP, notBefore, notAfter time.Time) (*x509.Certificate, error) {
	tmpl := &x509.Certificate{
		SerialNumber: nextSerial(),
		Subject:      pkix.Name{CommonName: "leaf"},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		DNSNames:     dnsNames,
		IPAddresses:  ips,
	}
	if len(dnsNames) > 0 {
		tmpl.Subject.CommonName = dnsNames[0]
	}
	return create(tmpl, ca.Cert, key, ca.Key)
}

func caTemplate(name string, notBefore, notAfter time.Time) *x509.Certificate {
	return &x509.Certificate{
		SerialNumber:          nextSerial(),
		Subject:               pkix.Name{CommonName: name, Organization: []string{"jokebox test"}},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
}

func create(tmpl, parent *x509.Certificate, pub *rsa.PrivateKey, priv *rsa.PrivateKey) (*x509.Certificate, error) {
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &pub.PublicKey, priv)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

// PEM encodes certificates as a chain file, in the order given.
func PEM(certs ...*x509.Certificate) []byte {
	var b bytes.Buffer
	for _, c := range certs {
		_ = pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	}
	return b.Bytes()
}

// Sign returns the Signature-256 header value for body: base64 of RSA
// PKCS#1 v1.5 over SHA-256.
func Sign(key *rsa.PrivateKey, body []byte) string {
	d := sha256.Sum256(body)
	sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, d[:])
	if err != nil {
		panic("verifytest: sign: " + err.Error()) // only for keys too small for SHA-256
	}
	return base64.StdEncoding.EncodeToString(sig)
}

// Body returns a minimal Alexa LaunchRequest with the given request ID and
// timestamp.
func Body(requestID string, ts time.Time) []byte {
	b, _ := json.Marshal(map[string]any{
		"version": "1.0",
		"context": map[string]any{"System": map[string]any{
			"application": map[string]any{"applicationId": "amzn1.ask.skill.test"},
			"device":      map[string]any{"deviceId": "device-1", "supportedInterfaces": map[string]any{"AudioPlayer": map[string]any{}}},
		}},
		"request": map[string]any{
			"type":      "LaunchRequest",
			"requestId": requestID,
			"timestamp": ts.UTC().Format(time.RFC3339),
			"locale":    "en-US",
		},
	})
	return b
}

// CertHost is the only host Server.Client will fetch from.
const CertHost = "s3.amazonaws.com"

// Server serves chain files over TLS in place of s3.amazonaws.com and
// counts the fetches.
type Server struct {
	// Client is a real HTTP client that trusts the server's certificate
	// and sends requests for https://s3.amazonaws.com/… to it. It refuses
	// any other URL, so a test fails if the verifier fetches one.
	Client *http.Client

	ts      *httptest.Server
	mu      sync.Mutex
	files   map[string][]byte
	fetches map[string]int
	delay   time.Duration

	inFlight, maxInFlight int
}

// NewServer starts a Server; Close stops it.
func NewServer() *Server {
	s := &Server{files: map[string][]byte{}, fetches: map[string]int{}}
	s.ts = httptest.NewTLSServer(http.HandlerFunc(s.serve))
	inner := s.ts.Client().Transport.(*http.Transport).Clone()
	inner.MaxIdleConnsPerHost = 64
	addr := s.ts.Listener.Addr().String()
	s.Client = &http.Client{
		Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
			if r.URL.Scheme != "https" || r.URL.Host != CertHost {
				return nil, fmt.Errorf("verifytest: refusing to fetch non-canonical URL %s", r.URL)
			}
			r = r.Clone(r.Context())
			r.URL.Host = addr
			r.Host = CertHost
			return inner.RoundTrip(r)
		}),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return s
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.fetches[r.URL.Path]++
	data, ok := s.files[r.URL.Path]
	delay := s.delay
	s.inFlight++
	s.maxInFlight = max(s.maxInFlight, s.inFlight)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.inFlight--
		s.mu.Unlock()
	}()
	if delay > 0 {
		time.Sleep(delay)
	}
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/x-pem-file")
	_, _ = w.Write(data)
}

// Put serves data at path p and returns the canonical URL for it.
func (s *Server) Put(p string, data []byte) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[p] = data
	return "https://" + CertHost + p
}

// SetDelay makes every later response wait d, to widen races in tests.
func (s *Server) SetDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// Fetches returns how many times path p was requested.
func (s *Server) Fetches(p string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fetches[p]
}

// TotalFetches returns how many requests the server has had.
func (s *Server) TotalFetches() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.fetches {
		n += c
	}
	return n
}

// MaxConcurrent returns the most requests the server has handled at once.
func (s *Server) MaxConcurrent() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxInFlight
}

// Close stops the server.
func (s *Server) Close() { s.ts.Close() }

// ChainPath is where Env serves its valid chain.
const ChainPath = "/echo.api/echo-api-cert-test.pem"

// Env is a complete valid set-up: a root, an intermediate, an
// echo-api.amazon.com leaf valid a day either side of the time given, its
// chain served at ChainPath.
type Env struct {
	Root, Intermediate *CA
	LeafKey            *rsa.PrivateKey
	Leaf               *x509.Certificate
	Roots              *x509.CertPool
	Server             *Server
	CertURL            string // canonical URL of the valid chain
}

// NewEnv builds an Env around now and closes it when tb's test ends.
func NewEnv(tb testing.TB, now time.Time) *Env {
	tb.Helper()
	root, err := NewRoot("jokebox test root", now.Add(-365*24*time.Hour), now.Add(365*24*time.Hour))
	if err != nil {
		tb.Fatal(err)
	}
	inter, err := root.NewIntermediate("jokebox test intermediate", now.Add(-180*24*time.Hour), now.Add(180*24*time.Hour))
	if err != nil {
		tb.Fatal(err)
	}
	key := Key("leaf")
	leaf, err := inter.Issue(key, []string{verify.SignerName}, nil, now.Add(-24*time.Hour), now.Add(24*time.Hour))
	if err != nil {
		tb.Fatal(err)
	}
	e := &Env{Root: root, Intermediate: inter, LeafKey: key, Leaf: leaf, Roots: x509.NewCertPool(), Server: NewServer()}
	e.Roots.AddCert(root.Cert)
	e.CertURL = e.Server.Put(ChainPath, PEM(leaf, inter.Cert))
	tb.Cleanup(e.Server.Close)
	return e
}

// Verifier returns a verifier that trusts only the Env's root and fetches
// through Server.Client, with the given clock (nil: the wall clock).
func (e *Env) Verifier(now func() time.Time) *verify.Verifier {
	return verify.New(verify.Options{Roots: e.Roots, Client: e.Server.Client, Now: now})
}

// Headers returns the signature headers Alexa would send with body.
func (e *Env) Headers(body []byte) http.Header {
	h := http.Header{}
	h.Set(verify.HeaderCertURL, e.CertURL)
	h.Set(verify.HeaderSignature, Sign(e.LeafKey, body))
	return h
}

// ServerCert writes a certificate for 127.0.0.1 and localhost, issued by
// the Env's root, and its key, into dir; clients trusting Roots accept it.
func (e *Env) ServerCert(dir string) (certFile, keyFile string, err error) {
	key := Key("tls server")
	now := time.Now()
	cert, err := e.Root.Issue(key, []string{"localhost"}, []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}, now.Add(-time.Hour), now.Add(24*time.Hour))
	if err != nil {
		return "", "", err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", "", err
	}
	certFile, keyFile = filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key")
	err = errors.Join(
		os.WriteFile(certFile, PEM(cert), 0o600),
		os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600),
	)
	return certFile, keyFile, err
}
