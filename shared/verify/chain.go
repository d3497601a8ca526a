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

// cache holds chains by canonical URL. Concurrent requests for a URL share
// one fetch; a chain is fetched again once its first certificate expires,
// and a failure is remembered for failureTTL.
type cache struct {
	mu      sync.Mutex
	entries map[string]*entry
}

// get returns the entry for url, fetching it when absent or due for
// refresh. It waits for a fetch in flight, or until ctx is done.
func (c *cache) get(ctx context.Context, url string, now func() time.Time, fetch func(context.Context, string, *entry)) (*entry, error) {
	c.mu.Lock()
	e := c.entries[url]
	if e != nil {
		select {
		case <-e.done:
			if now().Before(e.refreshAt) {
				c.mu.Unlock()
				return e, nil
			}
			e = nil // due for refresh
		default: // in flight
		}
	}
	if e == nil {
		c.evictLocked(now())
		e = &entry{done: make(chan struct{})}
		c.entries[url] = e
		// The fetch outlives the request that started it: others may be
		// waiting for it. It has its own timeout.
		go func(ctx context.Context) {
			defer close(e.done)
			fetch(ctx, url, e)
		}(context.WithoutCancel(ctx))
	}
	c.mu.Unlock()
	select {
	case <-e.done:
		return e, nil
	case <-ctx.Done():
		return nil, fail(ReasonCertUnavailable, ctx.Err())
	}
}

// evictLocked makes room for one more entry: first entries due for
// refresh, then any finished one. Fetches in flight stay.
func (c *cache) evictLocked(now time.Time) {
	if len(c.entries) < maxChainURLs {
		return
	}
	for _, stale := range []bool{true, false} {
		for url, e := range c.entries {
			select {
			case <-e.done:
				if !stale || !now.Before(e.refreshAt) {
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
