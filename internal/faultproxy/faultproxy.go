// Package faultproxy is a reverse proxy that stands between the code under
// test and an AWS emulator. It counts every call by operation (the
// benchmark's evidence of how many AWS calls each design makes) and, for
// fault tests, injects the faults a real backend has: 500s, 503s,
// throttling, refused connections.
package faultproxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Mode is what the proxy does with a request.
type Mode int

// Modes.
const (
	Pass     Mode = iota // forward to the emulator
	Error500             // answer 500 InternalError
	Error503             // answer 503 SlowDown / ServiceUnavailable
	Throttle             // answer 400 ThrottlingException (SQS, SSM, DynamoDB) or 503 SlowDown (S3)
	Down                 // close the connection, as if the emulator were stopped
	// Lost forwards the request to the emulator, which carries it out,
	// then closes the connection without its answer: a response lost on
	// the way back, after which a client cannot know whether its write
	// happened, and its SDK sends the same request again.
	Lost
	// Slow holds the request for the proxy's delay (SetDelay, 1 s by
	// default) or until the client gives up, then forwards it.
	Slow
)

// Proxy is a running proxy.
type Proxy struct {
	URL string // point AWS_ENDPOINT_URL here: http://127.0.0.1:PORT
	srv *http.Server
	// done is closed when the server has stopped serving.
	done chan struct{}

	mu     sync.Mutex
	mode   Mode
	match  func(*http.Request) bool
	counts Counts

	delay time.Duration // of Slow; 0 is a second

	passed, faulted atomic.Int64
	sent            atomic.Int64
}

// Start serves a proxy to target (an emulator's endpoint URL) on a free
// loopback port until Close. It passes every request until told otherwise.
func Start(target string) (*Proxy, error) {
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
	// Enough idle connections for a load test's concurrency, so that the
	// proxy measures calls, not connection set-up.
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
			p.mu.Lock()
			p.counts[Operation(r)]++
			mode, match := p.mode, p.match
			p.mu.Unlock()
			if mode == Pass || (match != nil && !match(r)) {
				p.passed.Add(1)
				rp.ServeHTTP(&countingWriter{ResponseWriter: w, n: &p.sent}, r)
				return
			}
			p.faulted.Add(1)
			if mode == Slow {
				p.mu.Lock()
				d := p.delay
				p.mu.Unlock()
				if d <= 0 {
					d = time.Second
				}
				t := time.NewTimer(d)
				defer t.Stop()
				select {
				case <-t.C:
				case <-r.Context().Done():
					return
				}
				rp.ServeHTTP(&countingWriter{ResponseWriter: w, n: &p.sent}, r)
				return
			}
			if mode == Lost {
				rp.ServeHTTP(httptest.NewRecorder(), r)
				mode = Down
			}
			p.fault(w, r, mode)
		}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() {
		defer close(p.done)
		_ = p.srv.Serve(ln)
	}()
	return p, nil
}

// Set changes the mode for every request from now on.
func (p *Proxy) Set(m Mode) { p.SetFor(m, nil) }

// SetFor changes the mode for requests that match (nil: all); others pass.
func (p *Proxy) SetFor(m Mode, match func(*http.Request) bool) {
	p.mu.Lock()
	p.mode, p.match = m, match
	p.mu.Unlock()
}

// SetDelay sets how long Slow holds a request.
func (p *Proxy) SetDelay(d time.Duration) {
	p.mu.Lock()
	p.delay = d
	p.mu.Unlock()
}

// Passed is how many requests reached the emulator.
func (p *Proxy) Passed() int64 { return p.passed.Load() }

// Faulted is how many requests got a fault.
func (p *Proxy) Faulted() int64 { return p.faulted.Load() }

// Sent is how many response body bytes the emulator's answers carried
// back through the proxy: a test can check that a client read only what it
// needed.
func (p *Proxy) Sent() int64 { return p.sent.Load() }

// countingWriter counts the body bytes written through it.
type countingWriter struct {
	http.ResponseWriter
	n *atomic.Int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.ResponseWriter.Write(b)
	c.n.Add(int64(n))
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer (flushes).
func (c *countingWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// Calls returns the calls counted so far by operation, faulted ones
// included: every call the client made.
func (p *Proxy) Calls() Counts {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.counts)
}

// Close stops the proxy, letting calls in flight finish for up to 5 s.
func (p *Proxy) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.srv.Shutdown(ctx); errors.Is(err, context.DeadlineExceeded) {
		_ = p.srv.Close()
	}
	<-p.done
}

// Counts is how many AWS calls went through the proxy, by operation
// ("ListObjectsV2", "GetObject", "ReceiveMessage", ...).
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

// Operation names the AWS call r makes: the action of a JSON-protocol
// service (SQS, SSM) from its X-Amz-Target header, or the S3 REST
// operation from the method and path-style URL.
func Operation(r *http.Request) string {
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		if _, action, ok := strings.Cut(t, "."); ok {
			return action
		}
		return t
	}
	u := r.URL
	q := u.Query()
	key := strings.Contains(strings.TrimPrefix(u.Path, "/"), "/")
	switch {
	case strings.HasPrefix(u.Path, "/moto-api"):
		return "moto-api"
	case r.Method == http.MethodGet && q.Get("list-type") == "2":
		return "ListObjectsV2"
	case r.Method == http.MethodGet && key:
		return "GetObject"
	case r.Method == http.MethodHead && key:
		return "HeadObject"
	case r.Method == http.MethodPut && key && r.Header.Get("X-Amz-Copy-Source") != "":
		return "CopyObject"
	case r.Method == http.MethodPut && key:
		return "PutObject"
	case r.Method == http.MethodDelete && key:
		return "DeleteObject"
	case r.Method == http.MethodPut && q.Has("notification"):
		return "PutBucketNotificationConfiguration"
	case r.Method == http.MethodPut:
		return "CreateBucket"
	}
	return r.Method + " other"
}

// IsSSM, IsSQS and IsS3 tell the services apart by their protocol.
func IsSSM(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("X-Amz-Target"), "AmazonSSM.")
}

// IsSQS reports an SQS request (JSON protocol).
func IsSQS(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("X-Amz-Target"), "AmazonSQS.")
}

// IsDynamoDB reports a DynamoDB request (JSON protocol).
func IsDynamoDB(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("X-Amz-Target"), "DynamoDB_")
}

// IsS3 reports an S3 request.
func IsS3(r *http.Request) bool { return r.Header.Get("X-Amz-Target") == "" }

func (p *Proxy) fault(w http.ResponseWriter, r *http.Request, m Mode) {
	switch m {
	case Down:
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
		w.WriteHeader(http.StatusBadGateway)
	case Error500:
		awsError(w, r, http.StatusInternalServerError, "InternalError", "injected internal error")
	case Error503:
		awsError(w, r, http.StatusServiceUnavailable, "ServiceUnavailable", "injected unavailability")
	case Throttle:
		if IsS3(r) {
			awsError(w, r, http.StatusServiceUnavailable, "SlowDown", "injected throttling")
			return
		}
		awsError(w, r, http.StatusBadRequest, "ThrottlingException", "injected throttling")
	}
}

// awsError answers in the protocol of the service: XML for S3, JSON for the
// JSON-protocol services.
func awsError(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	if IsS3(r) {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(status)
		w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>` + code + `</Code><Message>` + msg + `</Message></Error>`))
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	w.Write([]byte(`{"__type":"` + code + `","message":"` + msg + `"}`))
}
