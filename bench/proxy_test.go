package bench

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

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
		{"DELETE", "/b/k", "DELETE other"},
		{"GET", "/b", "GET other"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.url, func(t *testing.T) {
			u, err := url.Parse(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			if got := Operation(tt.method, u); got != tt.want {
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
	p, err := StartProxy(backend.URL)
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
	if diff := cmp.Diff(Counts{"ListObjectsV2": 2, "GetObject": 1}, p.Snapshot()); diff != "" {
		t.Errorf("Snapshot (-want +got):\n%s", diff)
	}
}
