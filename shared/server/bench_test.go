package server_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jokebox/jokebox/shared/server"
	"github.com/jokebox/jokebox/shared/verify/verifytest"
)

var serveDuration = flag.Duration("serve.duration", 10*time.Second, "how long BenchmarkServeVerified drives the server (1s under -benchtime=1x unless set)")

// BenchmarkServeVerified drives the real HTTPS server, with verification on,
// from 50 concurrent clients, answered by the real skill handler.
func BenchmarkServeVerified(b *testing.B) {
	benchServe(b, realSkill(b))
}

// benchClients is how many clients post at once.
const benchClients = 50

// benchDuration is -serve.duration, or 1 s when the benchmark runs once
// (-benchtime=1x, as in CI) and the flag was not given.
func benchDuration() time.Duration {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "serve.duration" })
	if bt := flag.Lookup("test.benchtime"); !set && bt != nil && bt.Value.String() == "1x" {
		return time.Second
	}
	return *serveDuration
}

// benchServe starts the server on a loopback port with TLS and request
// verification (a test CA, the chain served by a TLS test server), posts
// signed requests from benchClients clients for benchDuration, and reports
// req/s, latency percentiles, the share of 200 answers and the number of
// chain fetches. It ignores b.N: one run is the whole measurement.
func benchServe(b *testing.B, inv server.Invoker) {
	dur := benchDuration()
	if dur > 2*time.Minute {
		b.Fatalf("-serve.duration %s: signed bodies would outlive their 150 s timestamps", dur)
	}
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
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	deadline := start.Add(dur)
	for c := range benchClients {
		wg.Go(func() {
			for i := c; time.Now().Before(deadline); i += benchClients {
				s := pool[i%len(pool)]
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
	b.ReportMetric(float64(elapsed.Nanoseconds())/float64(len(all)), "ns/op")
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "req/s")
	b.ReportMetric(pct(0.50), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
	b.ReportMetric(100*float64(succeeded)/float64(len(all)), "success-%")
	b.ReportMetric(float64(env.Server.TotalFetches()), "chain-fetches")
	if succeeded != len(all) {
		b.Errorf("%d of %d requests failed", len(all)-succeeded, len(all))
	}
}
