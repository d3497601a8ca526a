package verify

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// entry is one fetched chain, or the failure to fetch it. Its fields are set
// before done is closed and never change after.
type entry struct {
	done chan struct{}

	err       *Error // the fetch or parse failed
	leaf      *x509.Certificate
	key       *rsa.PublicKey
	signer    bool  // the leaf names SignerName
	chainErr  error // the chain did not verify to a root when fetched
	refreshAt time.Time
}

// check applies the per-request rules to a fetched chain.
func (e *entry) check(now time.Time) error {
	switch {
	case e.err != nil:
		return e.err
	case now.Before(e.leaf.NotBefore):
		return fail(ReasonNotYetValid, fmt.Errorf("valid from %s", e.leaf.NotBefore.Format(time.RFC3339)))
	case now.After(e.leaf.NotAfter):
		return fail(ReasonExpired, fmt.Errorf("expired %s", e.leaf.NotAfter.Format(time.RFC3339)))
	case !e.signer:
		return fail(ReasonWrongSigner, fmt.Errorf("names %q", e.leaf.DNSNames))
	case e.chainErr != nil:
		return fail(ReasonUntrusted, e.chainErr)
	}
	return nil
}

// good says whether the chain verified and names the signer: an entry
// worth keeping over the others.
func (e *entry) good() bool {
	return e.err == nil && e.chainErr == nil && e.signer
}

// cache holds chains by canonical URL. Concurrent requests for a URL share
// one fetch, and at most cap(slots) fetches run at once over all URLs. A
// good chain is fetched again once its first certificate expires; a failure
// or an unverifiable chain is remembered for failureTTL. When full, the
// cache drops entries due for refresh first, then failures, then good
// chains, and never the chain that verified last.
type cache struct {
	mu       sync.Mutex
	entries  map[string]*entry
	lastGood string // URL of the chain that verified last

	slots    chan struct{} // one per fetch in flight
	slotWait time.Duration // how long a request waits for a free slot
}

// lookupLocked returns the entry for url if it is in flight or fresh.
func (c *cache) lookupLocked(url string, now time.Time) *entry {
	e := c.entries[url]
	if e == nil {
		return nil
	}
	select {
	case <-e.done:
		if now.Before(e.refreshAt) {
			return e
		}
		return nil // due for refresh
	default: // in flight
		return e
	}
}

// get returns the entry for url, fetching it when absent or due for
// refresh. It waits for a fetch in flight, or until ctx is done. When
// every fetch slot is taken, it waits up to slotWait for one and then
// fails without fetching.
func (c *cache) get(ctx context.Context, url string, now func() time.Time, fetch func(context.Context, string, *entry)) (*entry, error) {
	c.mu.Lock()
	e := c.lookupLocked(url, now())
	c.mu.Unlock()
	if e == nil {
		if err := c.acquire(ctx); err != nil {
			return nil, err
		}
		c.mu.Lock()
		if e = c.lookupLocked(url, now()); e != nil {
			<-c.slots // another request started it meanwhile
		} else {
			c.evictLocked(now())
			e = &entry{done: make(chan struct{})}
			c.entries[url] = e
			// The fetch outlives the request that started it: others may
			// be waiting for it. It has its own timeout.
			go func(ctx context.Context) {
				defer func() { <-c.slots }()
				fetch(ctx, url, e)
				c.mu.Lock()
				if e.good() {
					c.lastGood = url
				}
				c.mu.Unlock()
				close(e.done)
			}(context.WithoutCancel(ctx))
		}
		c.mu.Unlock()
	}
	select {
	case <-e.done:
		return e, nil
	case <-ctx.Done():
		return nil, fail(ReasonCertUnavailable, ctx.Err())
	}
}

// acquire takes a fetch slot, waiting up to slotWait or until ctx is done.
func (c *cache) acquire(ctx context.Context) error {
	select {
	case c.slots <- struct{}{}:
		return nil
	default:
	}
	t := time.NewTimer(c.slotWait)
	defer t.Stop()
	select {
	case c.slots <- struct{}{}:
		return nil
	case <-t.C:
		return fail(ReasonCertUnavailable, fmt.Errorf("%d chain fetches already in flight", cap(c.slots)))
	case <-ctx.Done():
		return fail(ReasonCertUnavailable, ctx.Err())
	}
}

// evictLocked makes room for one more entry: first entries due for
// refresh, then failures and unverifiable chains, then good chains. Fetches
// in flight and the chain that verified last stay.
func (c *cache) evictLocked(now time.Time) {
	if len(c.entries) < maxChainURLs {
		return
	}
	evictable := []func(*entry) bool{
		func(e *entry) bool { return !now.Before(e.refreshAt) },
		func(e *entry) bool { return !e.good() },
		func(*entry) bool { return true },
	}
	for _, evict := range evictable {
		for url, e := range c.entries {
			if url == c.lastGood {
				continue
			}
			select {
			case <-e.done:
				if evict(e) {
					delete(c.entries, url)
				}
			default:
			}
			if len(c.entries) < maxChainURLs {
				return
			}
		}
	}
}

// fetch downloads and checks the chain at a canonical URL into e.
func (v *Verifier) fetch(ctx context.Context, url string, e *entry) {
	now := v.now()
	e.refreshAt = now.Add(failureTTL)
	ctx, cancel := context.WithTimeout(ctx, v.timeout)
	defer cancel()
	certs, derr := v.download(ctx, url)
	if derr != nil {
		e.err = derr
		return
	}
	leaf := certs[0]
	key, ok := leaf.PublicKey.(*rsa.PublicKey)
	if !ok {
		e.err = fail(ReasonBadChain, errors.New("leaf key is not RSA"))
		return
	}
	e.leaf, e.key = leaf, key
	e.signer = slices.ContainsFunc(leaf.DNSNames, func(n string) bool { return strings.EqualFold(n, SignerName) })
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	chains, err := leaf.Verify(x509.VerifyOptions{
		Roots:         v.roots,
		Intermediates: inter,
		CurrentTime:   now,
		// The leaf's name is checked above, as Amazon words it; its
		// extended key usage is not Amazon's rule.
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if err != nil {
		e.chainErr = err
		return
	}
	if !e.signer {
		return // remembered as briefly as a failure
	}
	e.refreshAt = leaf.NotAfter
	for _, c := range chains[0] {
		if c.NotAfter.Before(e.refreshAt) {
			e.refreshAt = c.NotAfter
		}
	}
}

// maxChainCerts bounds the certificates read from one PEM file.
const maxChainCerts = 8

// download fetches and parses a PEM chain, leaf first.
func (v *Verifier) download(ctx context.Context, url string) ([]*x509.Certificate, *Error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fail(ReasonCertUnavailable, err)
	}
	resp, err := v.client.Do(req)
	if err != nil {
		return nil, fail(ReasonCertUnavailable, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fail(ReasonCertUnavailable, fmt.Errorf("GET %s: %s", url, resp.Status))
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxChainSize+1))
	if err != nil {
		return nil, fail(ReasonCertUnavailable, fmt.Errorf("GET %s: %w", url, err))
	}
	if len(data) > maxChainSize {
		return nil, fail(ReasonBadChain, fmt.Errorf("more than %d bytes", maxChainSize))
	}
	certs, err := parseChain(data)
	if err != nil {
		return nil, fail(ReasonBadChain, err)
	}
	return certs, nil
}

// parseChain reads PEM CERTIFICATE blocks, leaf first. Any other block
// type is an error.
func parseChain(data []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("PEM block %.32q", b.Type)
		}
		if len(certs) == maxChainCerts {
			return nil, fmt.Errorf("more than %d certificates", maxChainCerts)
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, err
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, errors.New("no certificate")
	}
	return certs, nil
}
