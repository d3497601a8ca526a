// Package faultproxy is a reverse proxy for tests that stands between the
// code under test and an AWS emulator and injects the faults a real backend
// has: 500s, 503s, throttling, refused connections. It counts what passes.
package faultproxy

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
)

// Mode is what the proxy does with a request.
type Mode int

// Modes.
const (
	Pass     Mode = iota // forward to the emulator
	Error500             // answer 500 InternalError
	Error503             // answer 503 SlowDown / ServiceUnavailable
	Throttle             // answer 400 ThrottlingException (SQS, SSM) or 503 SlowDown (S3)
	Down                 // close the connection, as if the emulator were stopped
)

// Proxy is a running fault proxy.
type Proxy struct {
	URL    string // point AWS_ENDPOINT_URL here
	server *httptest.Server

	mu    sync.Mutex
	mode  Mode
	match func(*http.Request) bool

	passed, faulted atomic.Int64
	sent            atomic.Int64
}

// Start proxies to target (an emulator's endpoint URL).
func Start(target string) (*Proxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	p := &Proxy{}
	rp := httputil.NewSingleHostReverseProxy(u)
	p.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		mode, match := p.mode, p.match
		p.mu.Unlock()
		if mode == Pass || (match != nil && !match(r)) {
			p.passed.Add(1)
			rp.ServeHTTP(&countingWriter{ResponseWriter: w, n: &p.sent}, r)
			return
		}
		p.faulted.Add(1)
		p.fault(w, r, mode)
	}))
	p.URL = p.server.URL
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

// Close stops the proxy.
func (p *Proxy) Close() { p.server.Close() }

// IsSSM, IsSQS and IsS3 tell the services apart by their protocol.
func IsSSM(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("X-Amz-Target"), "AmazonSSM.")
}

// IsSQS reports an SQS request (JSON protocol).
func IsSQS(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("X-Amz-Target"), "AmazonSQS.")
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
