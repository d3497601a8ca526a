package server_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jokebox/jokebox/shared/server"
	"github.com/jokebox/jokebox/shared/verify/verifytest"
)

// BenchmarkServeVerified drives the real HTTPS server, with verification on,
// from 50 concurrent clients, answered by the real skill handler: b.N
// requests in all, so -benchtime sets the run (10s for docs/performance.md's figure).
func BenchmarkServeVerified(b *testing.B) {
	benchServe(b, realSkill(b))
}

// benchClients is how many clients post at once.
const benchClients = 50

// benchServe starts the server on a loopback port with TLS and request
// verification (a test CA, the chain served by a TLS test server), posts
// b.N signed requests from benchClients clients, and reports req/s,
// latency percentiles, the share of 200 answers and the number of chain
// fetches.
func benchServe(b *testing.B, inv server.Invoker) {
	env := verifytest.NewEnv(b, time.Now())
	certFile, keyFile, err := env.ServerCert(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- server.Serve(ctx, ln, inv, server.Options{
			TLSCert: certFile, TLSKey: keyFile,
			Verifier: env.Verifier(nil),
			Logger:   slog.New(slog.DiscardHandler),
		})
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			b.Error(err)
		}
	}()
	url := "https://" + ln.Addr().String() + server.AlexaPath

	// A pool of signed bodies, so the clients do not spend the CPU they
	// share with the server on RSA signing.
	type signed struct {
		body   []byte
		header http.Header
	}
	pool := make([]signed, 256)
	now := time.Now()
	for i := range pool {
		body := verifytest.Body(fmt.Sprintf("amzn1.echo-api.request.bench-%d", i), now)
		h := env.Headers(body)
		h.Set("Content-Type", "application/json; charset=utf-8")
		pool[i] = signed{body, h}
	}
	client := &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig:     &tls.Config{RootCAs: env.Roots},
			MaxIdleConnsPerHost: benchClients,
		},
	}
	defer client.CloseIdleConnections()

	lat := make([][]time.Duration, benchClients)
	ok := make([]int, benchClients)
	var next atomic.Int64 // requests handed out, of b.N
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for c := range benchClients {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				if time.Since(now) > 140*time.Second {
					b.Error("the signed bodies are about to outlive their 150 s timestamps: run with a shorter -benchtime")
					return
				}
				s := pool[i%int64(len(pool))]
				req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(s.body))
				req.Header = s.header.Clone()
				t0 := time.Now()
				resp, err := client.Do(req)
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				lat[c] = append(lat[c], time.Since(t0))
				if err == nil && resp.StatusCode == http.StatusOK {
					ok[c]++
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()

	all := slices.Concat(lat...)
	if len(all) == 0 {
		b.Fatal("no request completed")
	}
	slices.Sort(all)
	succeeded := 0
	for _, n := range ok {
		succeeded += n
	}
	pct := func(p float64) float64 { return float64(all[int(p*float64(len(all)-1))].Microseconds()) }
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "req/s")
	b.ReportMetric(pct(0.50), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
	b.ReportMetric(100*float64(succeeded)/float64(len(all)), "success-%")
	b.ReportMetric(float64(env.Server.TotalFetches()), "chain-fetches")
	if succeeded != len(all) {
		b.Errorf("%d of %d requests failed", len(all)-succeeded, len(all))
	}
}
