package verify_test

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jokebox/jokebox/shared/alexa"
	"github.com/jokebox/jokebox/shared/verify"
	"github.com/jokebox/jokebox/shared/verify/verifytest"
)

var now = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func clock(t time.Time) func() time.Time { return func() time.Time { return t } }

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// fixture is an Env plus chains that break one rule each, served beside the
// valid one.
type fixture struct {
	*verifytest.Env
	urls map[string]string // name → canonical URL
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	env := verifytest.NewEnv(t, now)
	fx := &fixture{Env: env, urls: map[string]string{}}
	issue := func(ca *verifytest.CA, names []string, from, to time.Time) *x509.Certificate {
		t.Helper()
		c, err := ca.Issue(env.LeafKey, names, nil, from, to)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	day := 24 * time.Hour
	signer := []string{verify.SignerName}
	evil, err := verifytest.NewRoot("evil root", now.Add(-day), now.Add(day))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"expired":       verifytest.PEM(issue(env.Intermediate, signer, now.Add(-2*day), now.Add(-time.Second)), env.Intermediate.Cert),
		"future":        verifytest.PEM(issue(env.Intermediate, signer, now.Add(time.Second), now.Add(2*day)), env.Intermediate.Cert),
		"nosan":         verifytest.PEM(issue(env.Intermediate, []string{"echo-api.amazon.com.evil.example", "example.com"}, now.Add(-day), now.Add(day)), env.Intermediate.Cert),
		"upper-san":     verifytest.PEM(issue(env.Intermediate, []string{"example.com", "ECHO-API.amazon.com"}, now.Add(-day), now.Add(day)), env.Intermediate.Cert),
		"untrusted":     verifytest.PEM(issue(evil, signer, now.Add(-day), now.Add(day)), evil.Cert),
		"no-inter":      verifytest.PEM(issue(env.Intermediate, signer, now.Add(-day), now.Add(day))),
		"garbage":       []byte("-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n"),
		"empty":         []byte("no PEM here\n"),
		"private-key":   []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
		"huge":          []byte(strings.Repeat("A", 65<<10)),
		"inter-expired": nil, // filled below
	}
	oldInter, err := env.Root.NewIntermediate("expired intermediate", now.Add(-2*day), now.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	files["inter-expired"] = verifytest.PEM(issue(oldInter, signer, now.Add(-day), now.Add(day)), oldInter.Cert)
	for name, data := range files {
		fx.urls[name] = env.Server.Put("/echo.api/"+name+".pem", data)
	}
	fx.urls["missing"] = "https://s3.amazonaws.com/echo.api/missing.pem"
	return fx
}

func TestVerify(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	valid := verifytest.Body("amzn1.echo-api.request.1", now)
	headers := func(certURL string, body []byte) http.Header {
		h := http.Header{}
		h.Set(verify.HeaderCertURL, certURL)
		h.Set(verify.HeaderSignature, verifytest.Sign(fx.LeafKey, body))
		return h
	}
	withURL := func(raw string) http.Header { return headers(raw, valid) }
	chain := func(name string) http.Header { return headers(fx.urls[name], valid) }
	ts := func(d time.Duration) []byte { return verifytest.Body("r", now.Add(d)) }
	otherKey := verifytest.Key("other")
	raw := func(s string) []byte { return []byte(s) }

	tests := []struct {
		name   string
		header http.Header // nil: signed headers for body and the valid chain
		body   []byte      // nil: valid
		want   verify.Reason
	}{
		{name: "valid", want: ""},
		{name: "valid dotted URL", header: withURL("HTTPS://S3.AmazonAWS.com:443/echo.api/../echo.api/./echo-api-cert-test.pem")},
		{name: "SAN in other case", header: chain("upper-san")},

		{name: "no headers", header: http.Header{}, want: verify.ReasonMissingCertURL},
		{name: "no cert URL", header: func() http.Header { h := fx.Headers(valid); h.Del(verify.HeaderCertURL); return h }(), want: verify.ReasonMissingCertURL},
		{name: "no signature", header: func() http.Header { h := fx.Headers(valid); h.Del(verify.HeaderSignature); return h }(), want: verify.ReasonMissingSignature},
		{name: "only SHA-1 signature", header: func() http.Header {
			h := fx.Headers(valid)
			h.Set("Signature", h.Get(verify.HeaderSignature))
			h.Del(verify.HeaderSignature)
			return h
		}(), want: verify.ReasonMissingSignature},

		{name: "http scheme", header: withURL("http://s3.amazonaws.com/echo.api/echo-api-cert-test.pem"), want: verify.ReasonBadCertURL},
		{name: "wrong host", header: withURL("https://s3.evil.example/echo.api/echo-api-cert-test.pem"), want: verify.ReasonBadCertURL},
		{name: "wrong path", header: withURL("https://s3.amazonaws.com/echo.apix/echo-api-cert-test.pem"), want: verify.ReasonBadCertURL},
		{name: "path case", header: withURL("https://s3.amazonaws.com/Echo.Api/echo-api-cert-test.pem"), want: verify.ReasonBadCertURL},
		{name: "wrong port", header: withURL("https://s3.amazonaws.com:8443/echo.api/echo-api-cert-test.pem"), want: verify.ReasonBadCertURL},
		{name: "dot-dot out", header: withURL("https://s3.amazonaws.com/echo.api/../evil/echo-api-cert-test.pem"), want: verify.ReasonBadCertURL},
		{name: "encoded dot-dot", header: withURL("https://s3.amazonaws.com/echo.api/%2e%2e/evil/cert.pem"), want: verify.ReasonBadCertURL},
		{name: "encoded slash", header: withURL("https://s3.amazonaws.com/echo.api%2Fecho-api-cert-test.pem"), want: verify.ReasonBadCertURL},
		{name: "userinfo", header: withURL("https://a:b@s3.amazonaws.com/echo.api/echo-api-cert-test.pem"), want: verify.ReasonBadCertURL},
		{name: "query", header: withURL("https://s3.amazonaws.com/echo.api/echo-api-cert-test.pem?x=1"), want: verify.ReasonBadCertURL},

		{name: "chain missing", header: chain("missing"), want: verify.ReasonCertUnavailable},
		{name: "chain garbage", header: chain("garbage"), want: verify.ReasonBadChain},
		{name: "chain empty", header: chain("empty"), want: verify.ReasonBadChain},
		{name: "chain other PEM", header: chain("private-key"), want: verify.ReasonBadChain},
		{name: "chain too large", header: chain("huge"), want: verify.ReasonBadChain},
		{name: "expired", header: chain("expired"), want: verify.ReasonExpired},
		{name: "not yet valid", header: chain("future"), want: verify.ReasonNotYetValid},
		{name: "no SAN", header: chain("nosan"), want: verify.ReasonWrongSigner},
		{name: "untrusted root", header: chain("untrusted"), want: verify.ReasonUntrusted},
		{name: "intermediate missing", header: chain("no-inter"), want: verify.ReasonUntrusted},
		{name: "intermediate expired", header: chain("inter-expired"), want: verify.ReasonUntrusted},

		{name: "signature not base64", header: func() http.Header { h := fx.Headers(valid); h.Set(verify.HeaderSignature, "!!not base64!!"); return h }(), want: verify.ReasonBadSignature},
		{name: "signature truncated", header: func() http.Header {
			h := fx.Headers(valid)
			h.Set(verify.HeaderSignature, h.Get(verify.HeaderSignature)[:40])
			return h
		}(), want: verify.ReasonBadSignature},
		{name: "signed by another key", header: func() http.Header {
			h := fx.Headers(valid)
			h.Set(verify.HeaderSignature, verifytest.Sign(otherKey, valid))
			return h
		}(), want: verify.ReasonBadSignature},
		{name: "body changed after signing", header: fx.Headers(valid), body: append(append([]byte{}, valid...), ' '), want: verify.ReasonBadSignature},
		{name: "body of another request", header: fx.Headers(verifytest.Body("amzn1.echo-api.request.2", now)), want: verify.ReasonBadSignature},

		{name: "timestamp -149s", body: ts(-149 * time.Second)},
		{name: "timestamp +149s", body: ts(149 * time.Second)},
		{name: "timestamp -151s", body: ts(-151 * time.Second), want: verify.ReasonTimestampRange},
		{name: "timestamp +151s", body: ts(151 * time.Second), want: verify.ReasonTimestampRange},
		{name: "timestamp fractional", body: raw(`{"request":{"timestamp":"2026-11-23T12:00:01.250Z"}}`)},
		{name: "timestamp offset zone", body: raw(`{"request":{"timestamp":"2026-11-23T13:00:00+01:00"}}`)},
		{name: "timestamp epoch ms", body: raw(fmt.Sprintf(`{"request":{"timestamp":%d}}`, now.UnixMilli()-1000)), want: verify.ReasonBadTimestamp},
		{name: "timestamp epoch ms as string", body: raw(fmt.Sprintf(`{"request":{"timestamp":"%d"}}`, now.UnixMilli()-1000)), want: verify.ReasonBadTimestamp},
		{name: "timestamp missing", body: raw(`{"request":{"type":"LaunchRequest"}}`), want: verify.ReasonBadTimestamp},
		{name: "timestamp null", body: raw(`{"request":{"timestamp":null}}`), want: verify.ReasonBadTimestamp},
		{name: "timestamp not RFC 3339", body: raw(`{"request":{"timestamp":"23/11/2026 12:00"}}`), want: verify.ReasonBadTimestamp},
		{name: "timestamp object", body: raw(`{"request":{"timestamp":{}}}`), want: verify.ReasonBadTimestamp},
		{name: "body not JSON", body: raw(`not json`), want: verify.ReasonBadTimestamp},
		{name: "body empty", body: raw(``), want: verify.ReasonBadTimestamp},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body := tt.body
			if body == nil {
				body = valid
			}
			h := tt.header
			if h == nil {
				h = fx.Headers(body)
			}
			err := fx.Verifier(clock(now)).Verify(context.Background(), h, body)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Verify() = %v; want nil", err)
				}
				return
			}
			var ve *verify.Error
			if !errors.As(err, &ve) {
				t.Fatalf("Verify() = %v (%T); want *verify.Error %q", err, err, tt.want)
			}
			if ve.Reason != tt.want {
				t.Errorf("Verify() reason = %q (%v); want %q", ve.Reason, err, tt.want)
			}
		})
	}
}

func TestVerifyFetchesOnceForConcurrentRequests(t *testing.T) {
	t.Parallel()
	env := verifytest.NewEnv(t, now)
	env.Server.SetDelay(50 * time.Millisecond)
	v := env.Verifier(clock(now))
	const n = 200
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			body := verifytest.Body(fmt.Sprint("req-", i%4), now)
			errs <- v.Verify(context.Background(), env.Headers(body), body)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Verify() = %v", err)
		}
	}
	if got := env.Server.Fetches(verifytest.ChainPath); got != 1 {
		t.Errorf("chain fetched %d times for %d concurrent requests; want 1", got, n)
	}
	// Equivalent spellings of the URL share the cached chain.
	body := verifytest.Body("req-x", now)
	h := env.Headers(body)
	h.Set(verify.HeaderCertURL, "HTTPS://S3.AMAZONAWS.COM:443/echo.api/../echo.api"+strings.TrimPrefix(verifytest.ChainPath, "/echo.api"))
	if err := v.Verify(context.Background(), h, body); err != nil {
		t.Fatalf("Verify() = %v", err)
	}
	if got := env.Server.TotalFetches(); got != 1 {
		t.Errorf("%d fetches after a second spelling of the URL; want 1", got)
	}
}

func TestVerifyRefreshesChainWhenLeafExpires(t *testing.T) {
	t.Parallel()
	env := verifytest.NewEnv(t, now)
	clk := &fakeClock{t: now}
	v := env.Verifier(clk.Now)
	setClock := clk.Set
	check := func(wantFetches int, want verify.Reason) {
		t.Helper()
		body := verifytest.Body("r", clk.Now())
		err := v.Verify(context.Background(), env.Headers(body), body)
		var ve *verify.Error
		switch {
		case want == "" && err != nil:
			t.Fatalf("Verify() = %v; want nil", err)
		case want != "" && (!errors.As(err, &ve) || ve.Reason != want):
			t.Fatalf("Verify() = %v; want %q", err, want)
		}
		if got := env.Server.Fetches(verifytest.ChainPath); got != wantFetches {
			t.Fatalf("%d fetches; want %d", got, wantFetches)
		}
	}
	check(1, "")
	setClock(now.Add(23 * time.Hour))
	check(1, "") // still cached
	setClock(now.Add(25 * time.Hour))
	check(2, verify.ReasonExpired) // refetched, still the old leaf
	check(2, verify.ReasonExpired) // the failure is remembered briefly

	// Amazon replaces the file with a renewed certificate.
	renewed, err := env.Intermediate.Issue(env.LeafKey, []string{verify.SignerName}, nil, now, now.Add(72*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	env.Server.Put(verifytest.ChainPath, verifytest.PEM(renewed, env.Intermediate.Cert))
	setClock(now.Add(25*time.Hour + 10*time.Second))
	check(3, "")
}

func TestVerifyRetriesFailedFetch(t *testing.T) {
	t.Parallel()
	env := verifytest.NewEnv(t, now)
	clk := &fakeClock{t: now}
	v := env.Verifier(clk.Now)
	const p = "/echo.api/later.pem"
	body := verifytest.Body("r", now)
	h := env.Headers(body)
	h.Set(verify.HeaderCertURL, "https://s3.amazonaws.com"+p)
	verifyReason := func() verify.Reason {
		var ve *verify.Error
		if err := v.Verify(context.Background(), h, body); errors.As(err, &ve) {
			return ve.Reason
		} else if err != nil {
			t.Fatalf("Verify() = %v", err)
		}
		return ""
	}
	if r := verifyReason(); r != verify.ReasonCertUnavailable {
		t.Fatalf("reason %q; want %q", r, verify.ReasonCertUnavailable)
	}
	env.Server.Put(p, verifytest.PEM(env.Leaf, env.Intermediate.Cert))
	if r := verifyReason(); r != verify.ReasonCertUnavailable || env.Server.Fetches(p) != 1 {
		t.Fatalf("reason %q after %d fetches; want the failure cached", r, env.Server.Fetches(p))
	}
	clk.Set(now.Add(6 * time.Second))
	if r := verifyReason(); r != "" {
		t.Fatalf("reason %q after the failure expired; want success", r)
	}
}

func TestVerifyGivesUpWhenContextEnds(t *testing.T) {
	t.Parallel()
	env := verifytest.NewEnv(t, now)
	env.Server.SetDelay(300 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	body := verifytest.Body("r", now)
	err := env.Verifier(clock(now)).Verify(ctx, env.Headers(body), body)
	var ve *verify.Error
	if !errors.As(err, &ve) || ve.Reason != verify.ReasonCertUnavailable || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Verify() = %v; want %q wrapping the deadline", err, verify.ReasonCertUnavailable)
	}
}

func TestVerifyCacheIsBounded(t *testing.T) {
	t.Parallel()
	env := verifytest.NewEnv(t, now)
	v := env.Verifier(clock(now))
	body := verifytest.Body("r", now)
	h := env.Headers(body)
	for i := range 100 {
		h.Set(verify.HeaderCertURL, fmt.Sprintf("https://s3.amazonaws.com/echo.api/n%d.pem", i))
		_ = v.Verify(context.Background(), h, body)
	}
	// The valid chain still verifies after many unknown URLs.
	if err := v.Verify(context.Background(), env.Headers(body), body); err != nil {
		t.Fatalf("Verify() = %v", err)
	}
}

// TestVerifyBoundsConcurrentFetches sends 300 concurrent requests, each
// naming its own certificate URL: no more than MaxFetches chains may be
// fetched at once, and the valid chain, cached before, must keep
// verifying throughout.
func TestVerifyBoundsConcurrentFetches(t *testing.T) {
	t.Parallel()
	env := verifytest.NewEnv(t, now)
	v := env.Verifier(clock(now))
	good := verifytest.Body("good", now)
	if err := v.Verify(context.Background(), env.Headers(good), good); err != nil {
		t.Fatalf("Verify() = %v", err)
	}
	env.Server.SetDelay(10 * time.Millisecond)
	const n = 300
	var wg sync.WaitGroup
	var goodErrs sync.Map
	for i := range n {
		wg.Go(func() {
			body := verifytest.Body(fmt.Sprint("junk-", i), now)
			h := env.Headers(body)
			h.Set(verify.HeaderCertURL, fmt.Sprintf("https://s3.amazonaws.com/echo.api/junk-%d.pem", i))
			if err := v.Verify(context.Background(), h, body); err == nil {
				t.Errorf("Verify() of a request with a missing chain = nil")
			}
		})
		if i%30 == 0 {
			wg.Go(func() {
				if err := v.Verify(context.Background(), env.Headers(good), good); err != nil {
					goodErrs.Store(i, err)
				}
			})
		}
	}
	wg.Wait()
	if got := env.Server.MaxConcurrent(); got > verify.MaxFetches || got == 0 {
		t.Errorf("%d chain fetches in flight at once for %d distinct URLs; want 1 to %d", got, n, verify.MaxFetches)
	}
	goodErrs.Range(func(k, err any) bool {
		t.Errorf("valid request %v during the storm: Verify() = %v", k, err)
		return true
	})
	if err := v.Verify(context.Background(), env.Headers(good), good); err != nil {
		t.Fatalf("Verify() of the valid request after the storm = %v", err)
	}
	if got := env.Server.Fetches(verifytest.ChainPath); got != 1 {
		t.Errorf("valid chain fetched %d times; want 1 (junk must not evict it)", got)
	}
}

// TestVerifyKeepsGoodChainsOverFailures fills the cache with good chains
// at other URLs, then with failures and chains that do not verify: the
// chain that verified last must never be evicted by junk, and failures
// go before good chains.
func TestVerifyKeepsGoodChainsOverFailures(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	v := fx.Verifier(clock(now))
	chain := verifytest.PEM(fx.Leaf, fx.Intermediate.Cert)
	verifyAt := func(url, id string) error {
		body := verifytest.Body(id, now)
		h := fx.Headers(body)
		h.Set(verify.HeaderCertURL, url)
		return v.Verify(context.Background(), h, body)
	}
	// A few good chains at their own URLs, the valid one last.
	var goods []string
	for i := range 4 {
		goods = append(goods, fx.Server.Put(fmt.Sprintf("/echo.api/good-%d.pem", i), chain))
	}
	goods = append(goods, fx.CertURL)
	for i, u := range goods {
		if err := verifyAt(u, fmt.Sprint("g", i)); err != nil {
			t.Fatalf("Verify(%s) = %v", u, err)
		}
	}
	// Far more junk than the cache holds: missing files and chains that
	// fetch but do not verify.
	for i := range 200 {
		u := fmt.Sprintf("https://s3.amazonaws.com/echo.api/junk-%d.pem", i)
		if i%2 == 0 {
			u = fx.Server.Put(fmt.Sprintf("/echo.api/untrusted-%d.pem", i), mustRead(t, fx.urls["untrusted"], fx))
		}
		if err := verifyAt(u, fmt.Sprint("j", i)); err == nil {
			t.Fatalf("Verify(%s) = nil; want an error", u)
		}
	}
	for i, u := range goods {
		if err := verifyAt(u, fmt.Sprint("again", i)); err != nil {
			t.Fatalf("Verify(%s) after junk = %v", u, err)
		}
		p := strings.TrimPrefix(u, "https://s3.amazonaws.com")
		if got := fx.Server.Fetches(p); got != 1 {
			t.Errorf("%s fetched %d times; want 1 (evicted by junk)", p, got)
		}
	}
}

// mustRead fetches what the fixture serves at url.
func mustRead(t *testing.T, url string, fx *fixture) []byte {
	t.Helper()
	resp, err := fx.Server.Client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// FuzzVerify feeds arbitrary headers and bodies to a verifier whose
// fetcher returns the valid chain for any URL: it must never panic, every
// error must be an *Error, and nothing may pass without a real signature.
func FuzzVerify(f *testing.F) {
	env := verifytest.NewEnv(f, now)
	v := env.Verifier(clock(now))
	valid := verifytest.Body("r", now)
	f.Add(env.CertURL, verifytest.Sign(env.LeafKey, valid), valid)
	f.Add("https://s3.amazonaws.com/echo.api/../echo.api/x.pem", verifytest.Sign(env.LeafKey, valid), valid)
	f.Add("https://s3.amazonaws.com/echo.api/%2e%2e/x.pem", "AAAA", []byte(`{}`))
	f.Add("", "", []byte(nil))
	f.Add(env.CertURL, "!!", []byte(`{"request":{"timestamp":1}}`))
	f.Fuzz(func(t *testing.T, certURL, sig string, body []byte) {
		h := http.Header{}
		h.Set(verify.HeaderCertURL, certURL)
		h.Set(verify.HeaderSignature, sig)
		err := v.Verify(context.Background(), h, body)
		if err == nil {
			if string(body) != string(valid) {
				t.Fatalf("Verify passed a body never signed: %q", body)
			}
			return
		}
		var ve *verify.Error
		if !errors.As(err, &ve) || ve.Reason == "" {
			t.Fatalf("Verify() = %v (%T); want *verify.Error with a reason", err, err)
		}
	})
}

// TestTimestampAgreesWithDecode signs requests whose request.timestamp takes
// every shape seen or imagined and checks that the verifier and
// alexa.Decode agree on each: a request the verifier lets through is never
// refused by the decoder for its timestamp, and the other way round.
func TestTimestampAgreesWithDecode(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	for _, tc := range []struct {
		raw  string // the JSON value of request.timestamp; "" leaves it out
		want bool   // both accept
	}{
		{`"2026-11-23T12:00:00Z"`, true},
		{`"2026-11-23T12:00:00.250Z"`, true},
		{`"2026-11-23T13:00:00+01:00"`, true},
		{fmt.Sprint(now.UnixMilli()), false},
		{fmt.Sprintf(`"%d"`, now.UnixMilli()), false},
		{fmt.Sprint(now.Unix()), false},
		{`1.7e12`, false},
		{`"2026-11-23 12:00:00"`, false},
		{`"2026-11-23T12:00:00"`, false},
		{`""`, false},
		{`null`, false},
		{`{}`, false},
		{`true`, false},
		{``, false},
	} {
		t.Run(tc.raw, func(t *testing.T) {
			body := verifytest.Body("amzn1.echo-api.request.ts", now)
			old := []byte(fmt.Sprintf(`"timestamp":%q`, now.Format(time.RFC3339)))
			repl := []byte(`"timestamp":` + tc.raw)
			if tc.raw == "" {
				repl = []byte(`"timestampX":0`)
			}
			if !strings.Contains(string(body), string(old)) {
				t.Fatalf("verifytest.Body changed shape: %s", body)
			}
			body = []byte(strings.Replace(string(body), string(old), string(repl), 1))
			verr := fx.Verifier(clock(now)).Verify(context.Background(), fx.Headers(body), body)
			_, derr := alexa.Decode(body)
			if (verr == nil) != tc.want || (derr == nil) != tc.want {
				t.Errorf("timestamp %s: Verify = %v, Decode = %v; want both to %s", tc.raw, verr, derr, map[bool]string{true: "accept", false: "refuse"}[tc.want])
			}
		})
	}
}
