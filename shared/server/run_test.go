package server_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jokebox/jokebox/internal/syncbuf"
	"github.com/jokebox/jokebox/shared/server"
	"github.com/jokebox/jokebox/shared/verify/verifytest"
)

// started is a server running in the background on a loopback port.
type started struct {
	url  string
	done chan error // Serve's result
	logs *syncbuf.Buffer
}

func start(t *testing.T, ctx context.Context, inv server.Invoker, o server.Options) *started {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &started{done: make(chan error, 1), logs: &syncbuf.Buffer{}}
	o.Logger = slog.New(slog.NewJSONHandler(s.logs, nil))
	scheme := "http"
	if o.TLSCert != "" {
		scheme = "https"
	}
	s.url = scheme + "://" + ln.Addr().String()
	go func() { s.done <- server.Serve(ctx, ln, inv, o) }()
	return s
}

func tlsClient(env *verifytest.Env) *http.Client {
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: env.Roots}}, Timeout: 10 * time.Second}
}

func TestServeTLSAndGracefulShutdown(t *testing.T) {
	t.Parallel()
	env := verifytest.NewEnv(t, time.Now())
	certFile, keyFile, err := env.ServerCert(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	entered, release := make(chan struct{}), make(chan struct{})
	slow := server.InvokerFunc(func(ctx context.Context, _ []byte) ([]byte, error) {
		close(entered)
		<-release
		return []byte(okResponse), nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := start(t, ctx, slow, server.Options{TLSCert: certFile, TLSKey: keyFile, Verifier: env.Verifier(nil)})
	client := tlsClient(env)

	resp, err := client.Get(s.url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET /healthz: %s", resp.Status)
	}

	// A request in flight when shutdown begins still gets its answer.
	body := verifytest.Body("amzn1.echo-api.request.slow", time.Now())
	type result struct {
		status int
		body   string
		err    error
	}
	got := make(chan result, 1)
	go func() {
		req, _ := http.NewRequest("POST", s.url+"/alexa", strings.NewReader(string(body)))
		req.Header = env.Headers(body)
		resp, err := client.Do(req)
		if err != nil {
			got <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		got <- result{status: resp.StatusCode, body: string(b)}
	}()
	<-entered
	cancel()
	// Wait until the listener is closed: new connections are refused.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", strings.TrimPrefix(s.url, "https://"), time.Second)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("still accepting connections after shutdown began")
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case err := <-s.done:
		t.Fatalf("Serve returned %v before the request in flight finished", err)
	default:
	}
	close(release)
	r := <-got
	if r.err != nil || r.status != 200 || r.body != okResponse {
		t.Fatalf("request in flight: %d %q %v; want 200 %q", r.status, r.body, r.err, okResponse)
	}
	select {
	case err := <-s.done:
		if err != nil {
			t.Fatalf("Serve() = %v; want nil after a graceful shutdown", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after shutdown")
	}
	for _, want := range []string{`"msg":"serving HTTPS"`, `"msg":"shutting down"`, `"msg":"stopped"`} {
		if !strings.Contains(s.logs.String(), want) {
			t.Errorf("logs lack %s:\n%s", want, s.logs)
		}
	}
}

func TestServeShutdownTimeout(t *testing.T) {
	t.Parallel()
	block := make(chan struct{})
	defer close(block)
	entered := make(chan struct{})
	stuck := server.InvokerFunc(func(context.Context, []byte) ([]byte, error) {
		close(entered)
		<-block
		return nil, nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	s := start(t, ctx, stuck, server.Options{InsecureSkipVerify: true, ShutdownTimeout: 50 * time.Millisecond})
	go func() {
		resp, err := http.Post(s.url+"/alexa", "application/json", strings.NewReader("{}"))
		if err == nil {
			resp.Body.Close()
		}
	}()
	<-entered
	cancel()
	select {
	case err := <-s.done:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Serve() = %v; want the shutdown deadline", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not give up on a stuck request")
	}
}

func TestServeAnnouncesPlainHTTPAndSkippedVerification(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	s := start(t, ctx, fixedInvoker, server.Options{InsecureSkipVerify: true})
	resp, err := http.Post(s.url+"/alexa", "application/json", strings.NewReader(`{"request":{"requestId":"r1"}}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != server.ContentType {
		t.Errorf("POST /alexa: %s %q", resp.Status, resp.Header.Get("Content-Type"))
	}
	cancel()
	if err := <-s.done; err != nil {
		t.Fatal(err)
	}
	lines := logLines(t, s.logs.String())
	warnings := 0
	for _, l := range lines {
		msg, _ := l["msg"].(string)
		if l["level"] != "WARN" {
			continue
		}
		if strings.HasPrefix(msg, "serving plain HTTP; put it behind a TLS-terminating proxy") {
			continue
		}
		warnings++
		if !strings.Contains(msg, "must not face the internet") {
			t.Errorf("warning %q does not say the endpoint must not face the internet", msg)
		}
	}
	if warnings == 0 {
		t.Errorf("no warning about skipped verification:\n%s", s.logs)
	}
	if !strings.Contains(s.logs.String(), "serving plain HTTP; put it behind a TLS-terminating proxy") {
		t.Errorf("no plain HTTP notice:\n%s", s.logs)
	}
}

func TestRunRefusesBadConfig(t *testing.T) {
	t.Parallel()
	env := verifytest.NewEnv(t, time.Now())
	dir := t.TempDir()
	certFile, _, err := env.ServerCert(dir)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		o    server.Options
		want string
	}{
		{"cert without key", server.Options{Addr: "127.0.0.1:0", TLSCert: certFile, Verifier: env.Verifier(nil)}, "both a TLS certificate and its key"},
		{"key is not a key", server.Options{Addr: "127.0.0.1:0", TLSCert: certFile, TLSKey: certFile, Verifier: env.Verifier(nil)}, "load TLS certificate"},
		{"no verifier", server.Options{Addr: "127.0.0.1:0"}, "no verifier"},
		{"bad address", server.Options{Addr: "127.0.0.1:-1", InsecureSkipVerify: true}, "server:"},
	}
	for _, tt := range tests {
		err := server.Run(context.Background(), fixedInvoker, tt.o)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Run() = %v; want an error containing %q", tt.name, err, tt.want)
		}
	}
}
