package bench

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRunSmall runs the whole comparison, moto_server, `jokebox serve` and
// all, with tiny parameters, so that `make bench` cannot rot.
func TestRunSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("starts moto_server and builds jokebox; skipped with -short")
	}
	mod, err := ModuleDir(".")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var progress bytes.Buffer
	start := time.Now()
	rep, err := Run(ctx, Options{
		Sizes: []int{50}, Clients: 4, Duration: time.Second, Warmup: 200 * time.Millisecond, Timeout: 10 * time.Second,
		UploadConcurrency: 16, ManifestTTL: time.Minute,
		ModuleDir: mod, Audio: filepath.Join(mod, "testdata", "audio", "short.mp3"),
		Progress: &progress,
	})
	t.Logf("took %s; progress:\n%s", time.Since(start).Round(time.Millisecond), progress.String())
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Sizes) != 1 {
		t.Fatalf("%d sizes measured; want 1", len(rep.Sizes))
	}
	s := rep.Sizes[0]
	for _, row := range []Row{s.A, s.B} {
		if row.Requests == 0 || row.ErrorCount() != 0 || row.Throughput <= 0 {
			t.Errorf("%s: %d requests, errors %v, %.1f req/s; want requests, no errors", row.Approach, row.Requests, row.Errors, row.Throughput)
		}
	}
	if n := s.A.Calls.Total(); n != 0 {
		t.Errorf("(a) made %d AWS calls on the warm path (%s); want 0", n, s.A.Calls)
	}
	if got := s.A.WarmCalls["GetObject"]; got != 2 {
		t.Errorf("(a) warm-up calls %s; want GetObject 2 (pointer and manifest)", s.A.WarmCalls)
	}
	// One page per request at 50 objects, counted by the proxy.
	if got, want := s.B.Calls["ListObjectsV2"], int64(s.B.Requests); got != want {
		t.Errorf("(b) made %d ListObjectsV2 calls for %d requests; want one each", got, want)
	}
	if s.Memory.RSS <= 0 {
		t.Errorf("jokebox serve RSS %d KiB; want it measured", s.Memory.RSS)
	}
	if !strings.Contains(s.ReindexLine, "50 entries") {
		t.Errorf("reindex said %q; want 50 entries", s.ReindexLine)
	}
	md := Render(rep)
	for _, want := range []string{"| (a) jokebox serve | 50 |", "| (b) list per request | 50 |", "| **ratio (b)/(a)** | 50 |"} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	if d := time.Since(start); d > time.Minute {
		t.Errorf("took %s; keep it under a minute", d)
	}
}
