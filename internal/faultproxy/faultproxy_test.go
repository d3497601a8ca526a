package faultproxy

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestOperation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		method, url, want string
	}{
		{"GET", "/b?list-type=2", "ListObjectsV2"},
		{"GET", "/b?list-type=2&continuation-token=x", "ListObjectsV2"},
		{"GET", "/b/_jokebox/pointer.json", "GetObject"},
		{"GET", "/b/animales/chiste-00001.mp3?x-id=GetObject", "GetObject"},
		{"HEAD", "/b/animales/chiste-00001.mp3", "HeadObject"},
		{"PUT", "/b/animales/chiste-00001.mp3?x-id=PutObject", "PutObject"},
		{"PUT", "/b", "CreateBucket"},
		{"POST", "/moto-api/reset", "moto-api"},
		{"DELETE", "/b/k", "DeleteObject"},
		{"GET", "/b", "GET other"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.url, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.url, nil)
			if got := Operation(r); got != tt.want {
				t.Errorf("Operation(%s, %s) = %q; want %q", tt.method, tt.url, got, tt.want)
			}
		})
	}
}

func TestCounts(t *testing.T) {
	t.Parallel()
	before := Counts{"GetObject": 2, "PutObject": 5}
	after := Counts{"GetObject": 2, "PutObject": 7, "ListObjectsV2": 10}
	got := after.Sub(before)
	if diff := cmp.Diff(Counts{"PutObject": 2, "ListObjectsV2": 10}, got); diff != "" {
		t.Errorf("Sub (-want +got):\n%s", diff)
	}
	if got.Total() != 12 {
		t.Errorf("Total() = %d; want 12", got.Total())
	}
	if s := got.String(); s != "ListObjectsV2 10, PutObject 2" {
		t.Errorf("String() = %q", s)
	}
	if s := (Counts{}).String(); s != "none" {
		t.Errorf("empty String() = %q; want none", s)
	}
}

// TestProxyCounts forwards through the proxy to a test backend.
func TestProxyCounts(t *testing.T) {
	t.Parallel()
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(r.Method + " " + r.URL.String()))
	}))
	defer backend.Close()
	p, err := Start(backend.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for _, path := range []string{"/b?list-type=2", "/b?list-type=2&continuation-token=x", "/b/k.mp3"} {
		resp, err := http.Get(p.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if got := string(body); got != "GET "+path {
			t.Errorf("backend saw %q; want %q", got, "GET "+path)
		}
	}
	if diff := cmp.Diff(Counts{"ListObjectsV2": 2, "GetObject": 1}, p.Calls()); diff != "" {
		t.Errorf("Snapshot (-want +got):\n%s", diff)
	}
}

func TestOperationByHeader(t *testing.T) {
	t.Parallel()
	tests := []struct {
		method, url, header, value, want string
	}{
		{"POST", "/", "X-Amz-Target", "AmazonSQS.ReceiveMessage", "ReceiveMessage"},
		{"POST", "/", "X-Amz-Target", "AmazonSSM.GetParameter", "GetParameter"},
		{"POST", "/", "X-Amz-Target", "Odd", "Odd"},
		{"PUT", "/b/new.mp3", "X-Amz-Copy-Source", "b/old.mp3", "CopyObject"},
		{"PUT", "/b?notification", "", "", "PutBucketNotificationConfiguration"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(tt.method, tt.url, nil)
		if tt.header != "" {
			r.Header.Set(tt.header, tt.value)
		}
		if got := Operation(r); got != tt.want {
			t.Errorf("Operation(%s %s, %s: %s) = %q; want %q", tt.method, tt.url, tt.header, tt.value, got, tt.want)
		}
	}
}

// TestFaultsCounted: a faulted call is answered by the proxy in the
// service's protocol, never reaches the backend, and is still counted as a
// call the client made.
func TestFaultsCounted(t *testing.T) {
	t.Parallel()
	var reached atomic.Int64
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
	}))
	defer backend.Close()
	p, err := Start(backend.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	p.SetFor(Throttle, IsSQS)
	get := func(target string) int {
		req, _ := http.NewRequest("POST", p.URL+"/", nil)
		if target != "" {
			req.Header.Set("X-Amz-Target", target)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := get("AmazonSQS.ReceiveMessage"); code != http.StatusBadRequest {
		t.Errorf("throttled SQS call = %d; want 400", code)
	}
	if code := get("AmazonSSM.GetParameter"); code != http.StatusOK {
		t.Errorf("SSM call = %d; want 200 (passed)", code)
	}
	p.Set(Down)
	if _, err := http.Post(p.URL+"/b/k", "text/plain", nil); err == nil {
		t.Error("call through a Down proxy succeeded; want a connection error")
	}
	if reached.Load() != 1 || p.Passed() != 1 || p.Faulted() != 2 {
		t.Errorf("backend reached %d, passed %d, faulted %d; want 1, 1, 2", reached.Load(), p.Passed(), p.Faulted())
	}
	want := Counts{"ReceiveMessage": 1, "GetParameter": 1, "POST other": 1}
	if diff := cmp.Diff(want, p.Calls()); diff != "" {
		t.Errorf("Calls (-want +got):\n%s", diff)
	}
}

// TestLost: a Lost call reaches the backend, which carries it out, and the
// client gets no answer, only a closed connection.
func TestLost(t *testing.T) {
	t.Parallel()
	var reached atomic.Int64
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
	}))
	defer backend.Close()
	p, err := Start(backend.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	p.Set(Lost)
	req, _ := http.NewRequest(http.MethodPut, p.URL+"/b/k", strings.NewReader("body"))
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("Lost call answered %d; want a connection error", resp.StatusCode)
	}
	if reached.Load() != 1 || p.Faulted() != 1 {
		t.Errorf("backend reached %d times, faulted %d; want 1 and 1", reached.Load(), p.Faulted())
	}
}

// TestSlow holds a request for the delay and forwards it, and lets a
// request go as soon as its client gives up.
func TestSlow(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) }))
	defer backend.Close()
	p, err := Start(backend.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	p.SetDelay(300 * time.Millisecond)
	p.SetFor(Slow, IsDynamoDB)
	get := func(ctx context.Context, target string) (*http.Response, time.Duration, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, p.URL+"/", nil)
		req.Header.Set("X-Amz-Target", target)
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		return resp, time.Since(start), err
	}
	if resp, took, err := get(context.Background(), "DynamoDB_20120810.GetItem"); err != nil || resp.StatusCode != http.StatusOK || took < 300*time.Millisecond {
		t.Errorf("slow GetItem: %v, %v after %v; want 200 after at least 300ms", resp, err, took)
	}
	if _, took, err := get(context.Background(), "AmazonSSM.GetParameter"); err != nil || took > 250*time.Millisecond {
		t.Errorf("SSM (not matched): %v after %v; want at once", err, took)
	}
	p.SetDelay(10 * time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, took, err := get(ctx, "DynamoDB_20120810.GetItem"); err == nil || took > 5*time.Second {
		t.Errorf("a request given up after 50ms: %v after %v; want an error at once", err, took)
	}
	if p.Faulted() != 2 || p.Passed() != 1 {
		t.Errorf("faulted %d, passed %d; want 2, 1", p.Faulted(), p.Passed())
	}
}
