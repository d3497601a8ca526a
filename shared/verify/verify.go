// Package verify checks that an HTTPS request really comes from Alexa, as
// Amazon requires of every self-hosted skill endpoint: the signing
// certificate's URL, the certificate chain, the Signature-256 header over the
// raw body, and the request's timestamp (read by alexa.ParseTimestamp, the
// same function the request decoder uses). Besides package alexa it uses only
// the standard library.
//
// A Verifier is safe for concurrent use. It fetches each certificate chain
// once, however many requests arrive for it at the same time, and keeps it
// until its first certificate expires. At most MaxFetches fetches run at
// once, whatever the number of URLs; failures are kept briefly and are
// dropped from the cache before good chains.
package verify

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/jokebox/jokebox/shared/alexa"
)

// Header names Alexa signs requests with.
const (
	HeaderCertURL   = "SignatureCertChainUrl"
	HeaderSignature = "Signature-256"
)

// SignerName is the Subject Alternative Name the signing certificate must
// carry.
const SignerName = "echo-api.amazon.com"

// MaxSkew is how far request.timestamp may be from now, either way.
const MaxSkew = 150 * time.Second

// Reason is a short description of why a request failed verification, safe
// to send back to the client.
type Reason string

// Reasons a request fails verification.
const (
	ReasonMissingCertURL   Reason = "missing certificate URL"
	ReasonBadCertURL       Reason = "bad certificate URL"
	ReasonMissingSignature Reason = "missing signature"
	ReasonBadSignature     Reason = "bad signature"
	ReasonCertUnavailable  Reason = "certificate chain unavailable"
	ReasonBadChain         Reason = "bad certificate chain"
	ReasonNotYetValid      Reason = "certificate not yet valid"
	ReasonExpired          Reason = "certificate expired"
	ReasonWrongSigner      Reason = "certificate not issued to " + SignerName
	ReasonUntrusted        Reason = "untrusted certificate chain"
	ReasonBadTimestamp     Reason = "bad timestamp"
	ReasonTimestampRange   Reason = "timestamp out of range"
)

// Error is a failed verification. Reason is public; Err holds the detail,
// for logs only.
type Error struct {
	Reason Reason
	Err    error
}

// Error returns the reason and the detail, for logs.
func (e *Error) Error() string {
	if e.Err == nil {
		return "verify: " + string(e.Reason)
	}
	return "verify: " + string(e.Reason) + ": " + e.Err.Error()
}

// Unwrap returns the detail.
func (e *Error) Unwrap() error { return e.Err }

func fail(r Reason, err error) *Error { return &Error{Reason: r, Err: err} }

// Doer fetches a certificate chain; *http.Client is one.
type Doer interface {
	Do(*http.Request) (*http.Response, error)
}

// Options configure a Verifier. The zero value is production's: system
// roots, an HTTP client of its own, the wall clock.
type Options struct {
	// Roots are the trusted root certificates; nil means the system's.
	Roots *x509.CertPool
	// Client fetches chains; nil means an *http.Client that follows no
	// redirects. It is only ever given canonical URLs (see CanonicalCertURL).
	Client Doer
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// FetchTimeout bounds one chain fetch; zero means 4 seconds, which
	// leaves time within Alexa's 8-second budget to answer.
	FetchTimeout time.Duration
}

// MaxFetches is how many certificate chains a Verifier fetches at once, over
// all URLs. A request that needs a chain while all are in flight waits for
// a free slot up to FetchTimeout, then fails with ReasonCertUnavailable.
const MaxFetches = 4

// Limits on fetching and caching chains.
const (
	maxChainSize = 64 << 10 // a real chain is about 6 KB
	maxChainURLs = 32       // cache entries; Amazon uses one or two at a time
	failureTTL   = 5 * time.Second
)

// Verifier checks Alexa's request signatures.
type Verifier struct {
	roots   *x509.CertPool
	client  Doer
	now     func() time.Time
	timeout time.Duration
	cache   cache
}

// New returns a Verifier.
func New(o Options) *Verifier {
	v := &Verifier{roots: o.Roots, client: o.Client, now: o.Now, timeout: o.FetchTimeout}
	if v.client == nil {
		v.client = &http.Client{
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if v.now == nil {
		v.now = time.Now
	}
	if v.timeout <= 0 {
		v.timeout = 4 * time.Second
	}
	v.cache.entries = make(map[string]*entry)
	v.cache.slots = make(chan struct{}, MaxFetches)
	v.cache.slotWait = v.timeout
	return v
}

// Verify checks a request's headers and raw body, in Amazon's order: the
// certificate URL, the chain it names, the signature over the body, and
// only then request.timestamp, the one field it parses. Every error is an
// *Error.
func (v *Verifier) Verify(ctx context.Context, h http.Header, body []byte) error {
	rawURL := strings.TrimSpace(h.Get(HeaderCertURL))
	if rawURL == "" {
		return fail(ReasonMissingCertURL, nil)
	}
	certURL, err := CanonicalCertURL(rawURL)
	if err != nil {
		return fail(ReasonBadCertURL, err)
	}
	sig64 := strings.TrimSpace(h.Get(HeaderSignature))
	if sig64 == "" {
		return fail(ReasonMissingSignature, nil)
	}
	sig, err := base64.StdEncoding.DecodeString(sig64)
	if err != nil || len(sig) == 0 || len(sig) > 1024 {
		return fail(ReasonBadSignature, errors.New("not base64"))
	}

	e, err := v.cache.get(ctx, certURL, v.now, v.fetch)
	if err != nil {
		return err
	}
	if err := e.check(v.now()); err != nil {
		return err
	}
	digest := sha256.Sum256(body)
	if err := rsa.VerifyPKCS1v15(e.key, crypto.SHA256, digest[:], sig); err != nil {
		return fail(ReasonBadSignature, err)
	}
	return v.checkTimestamp(body)
}

// checkTimestamp reads request.timestamp and compares it with the clock.
// The field must be a JSON string that alexa.ParseTimestamp accepts, the
// same rule alexa.Decode applies, so a request that passes here is never
// refused later for its timestamp (a number, such as Unix milliseconds, is
// refused by both).
func (v *Verifier) checkTimestamp(body []byte) error {
	var env struct {
		Request struct {
			Timestamp json.RawMessage `json:"timestamp"`
		} `json:"request"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return fail(ReasonBadTimestamp, errors.New("body is not a JSON object"))
	}
	raw := bytes.TrimSpace(env.Request.Timestamp)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return fail(ReasonBadTimestamp, errors.New("no request.timestamp"))
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return fail(ReasonBadTimestamp, errors.New("request.timestamp is not a string"))
	}
	ts, err := alexa.ParseTimestamp(s)
	if err != nil {
		return fail(ReasonBadTimestamp, err)
	}
	now := v.now()
	if d := now.Sub(ts); d > MaxSkew || d < -MaxSkew {
		return fail(ReasonTimestampRange, fmt.Errorf("%s from now", d.Round(time.Second)))
	}
	return nil
}
