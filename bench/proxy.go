package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"maps"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// Counts is how many AWS calls went through the proxy, by operation
// ("ListObjectsV2", "GetObject", ...).
type Counts map[string]int64

// Total is the number of calls of every operation.
func (c Counts) Total() int64 {
	var n int64
	for _, v := range c {
		n += v
	}
	return n
}

// Sub returns the calls made since before, a snapshot taken earlier.
func (c Counts) Sub(before Counts) Counts {
	d := Counts{}
	for op, n := range c {
		if n -= before[op]; n != 0 {
			d[op] = n
		}
	}
	return d
}

// String lists the operations in order, "GetObject 2, ListObjectsV2 20".
func (c Counts) String() string {
	if c.Total() == 0 {
		return "none"
	}
	var parts []string
	for _, op := range slices.Sorted(maps.Keys(c)) {
		parts = append(parts, fmt.Sprintf("%s %d", op, c[op]))
	}
	return strings.Join(parts, ", ")
}

// Operation names an S3 REST call from its method and path-style URL, the
// way the proxy counts it.
func Operation(method string, u *url.URL) string {
	q := u.Query()
	key := strings.Contains(strings.TrimPrefix(u.Path, "/"), "/")
	switch {
	case method == http.MethodGet && q.Get("list-type") == "2":
		return "ListObjectsV2"
	case method == http.MethodGet && key:
		return "GetObject"
	case method == http.MethodHead && key:
		return "HeadObject"
	case method == http.MethodPut && key:
		return "PutObject"
	case method == http.MethodPut:
		return "CreateBucket"
	case method == http.MethodPost && strings.HasPrefix(u.Path, "/moto-api"):
		return "moto-api"
	}
	return method + " other"
}

// Proxy is a reverse proxy to moto that counts every request it forwards.
// Both designs reach AWS only through it, so their calls are counted, not
// assumed.
type Proxy struct {
	// URL is where clients reach it, http://127.0.0.1:PORT.
	URL string

	mu     sync.Mutex
	counts Counts
	srv    *http.Server
	done   chan struct{}
}

// StartProxy serves a counting reverse proxy to target on a free loopback
// port until Close.
func StartProxy(target string) (*Proxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("proxy target: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("proxy: %w", err)
	}
	p := &Proxy{URL: "http://" + ln.Addr().String(), counts: Counts{}, done: make(chan struct{})}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConns = 256
	transport.MaxIdleConnsPerHost = 128
	rp := &httputil.ReverseProxy{
		Rewrite:   func(r *httputil.ProxyRequest) { r.SetURL(u) },
		Transport: transport,
		// A client that gave up cancels its call; the client counts that.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	p.srv = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p.count(Operation(r.Method, r.URL))
			rp.ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() {
		defer close(p.done)
		_ = p.srv.Serve(ln)
	}()
	return p, nil
}

func (p *Proxy) count(op string) {
	p.mu.Lock()
	p.counts[op]++
	p.mu.Unlock()
}

// Snapshot returns the calls counted so far.
func (p *Proxy) Snapshot() Counts {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.counts)
}

// Close stops the proxy.
func (p *Proxy) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := p.srv.Shutdown(ctx)
	<-p.done
	if errors.Is(err, context.DeadlineExceeded) {
		return p.srv.Close()
	}
	return err
}
