package bench

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jokebox/jokebox/internal/faultproxy"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// sampleReport is a fixed report: two sizes, (b) timing out at the second.
func sampleReport() Report {
	return Report{
		Machine: Machine{CPU: "AMD EPYC", Cores: 2, GoVersion: "go1.26.8", Moto: "5.2.1", Load: "1.00 0.50 0.25", Date: time.Date(2026, 11, 23, 15, 30, 0, 0, time.UTC)},
		Params: Params{
			Clients: 16, Duration: 10 * time.Second, Warmup: 2 * time.Second, Timeout: 30 * time.Second,
			UploadConcurrency: 24, ManifestTTL: time.Minute, Audio: "testdata/audio/short.mp3", AudioSize: 5259,
		},
		Sizes: []Size{
			{
				Objects: 1500, Keys: 1503, Uploaded: 1500, Upload: 6700 * time.Millisecond, Reindex: 6400 * time.Millisecond,
				ReindexCalls: faultproxy.Counts{"ListObjectsV2": 2, "GetObject": 1501, "PutObject": 2},
				ReindexLine:  "manifest v1: 1500 entries in 5 playlists, 0 rejected (added 1500, updated 0, removed 0)",
				Memory:       Memory{RSS: 27034, Peak: 28570},
				ManifestAge:  12 * time.Second,
				A: Row{
					Approach: "(a) jokebox serve", Objects: 1500, Requests: 56638, Errors: map[string]int{},
					P50: 1630 * time.Microsecond, P99: 21300 * time.Microsecond, Timeout: 30 * time.Second,
					Throughput: 5663.2, Calls: faultproxy.Counts{}, WarmCalls: faultproxy.Counts{"GetObject": 2}, Idle: 412 * time.Microsecond,
				},
				B: Row{
					Approach: "(b) list per request", Objects: 1500, Requests: 35, Errors: map[string]int{},
					P50: 5570 * time.Millisecond, P99: 8110 * time.Millisecond, Timeout: 30 * time.Second,
					Throughput: 2.69, Calls: faultproxy.Counts{"ListObjectsV2": 70}, SlowerThanAlexa: 1, Idle: 180 * time.Millisecond,
				},
			},
			{
				Objects: 10000, Keys: 10004, Uploaded: 8500, Upload: 58600 * time.Millisecond, Reindex: 59400 * time.Millisecond,
				ReindexCalls: faultproxy.Counts{"ListObjectsV2": 10, "GetObject": 8501, "PutObject": 2},
				ReindexLine:  "manifest v2: 10000 entries in 5 playlists, 0 rejected (added 8500, updated 0, removed 0)",
				Memory:       Memory{RSS: 31200, Peak: 33000},
				ManifestAge:  12 * time.Second,
				A: Row{
					Approach: "(a) jokebox serve", Objects: 10000, Requests: 50123, Errors: map[string]int{},
					P50: 1700 * time.Microsecond, P99: 25 * time.Millisecond, Timeout: 30 * time.Second,
					Throughput: 5012.3, Calls: faultproxy.Counts{}, WarmCalls: faultproxy.Counts{"GetObject": 2}, Idle: 450 * time.Microsecond,
				},
				B: Row{
					Approach: "(b) list per request", Objects: 10000, Requests: 16, Errors: map[string]int{"timeout": 16},
					P50: 30 * time.Second, P99: 30 * time.Second, Timeout: 30 * time.Second,
					Throughput: 0, Calls: faultproxy.Counts{"ListObjectsV2": 150}, SlowerThanAlexa: 16, Idle: 2100 * time.Millisecond,
				},
			},
		},
		Steps: []Step{{"go build ./cmd/jokebox", 5600 * time.Millisecond}, {"start moto_server", 700 * time.Millisecond}},
		Total: 250 * time.Second,
	}
}

func TestRenderGolden(t *testing.T) {
	t.Parallel()
	got := Render(sampleReport())
	golden := filepath.Join("testdata", "report.golden.md")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./bench/ -run TestRenderGolden -update)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("Render (-want +got):\n%s", diff)
	}
}

func TestBudgets(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(*Report)
		failed []string
	}{
		{"sample passes", func(*Report) {}, nil},
		{"(a) only 50× faster", func(r *Report) { r.Sizes[0].A.P50 = r.Sizes[0].B.P50 / 50 }, []string{"p50 (b)/(a) at 1,500 objects"}},
		{"(a) made a call", func(r *Report) { r.Sizes[1].A.Calls = faultproxy.Counts{"GetObject": 1} }, []string{"(a) AWS calls in the measured phase at 10,000 objects"}},
		{"a TTL expiry allows one pointer read", func(r *Report) {
			r.Params.ManifestTTL = 5 * time.Second
			r.Sizes[1].A.Calls = faultproxy.Counts{"GetObject": 1}
		}, nil},
		{"(a) errors", func(r *Report) { r.Sizes[0].A.Errors = map[string]int{"status 500": 3} }, []string{"(a) errors at 1,500 objects"}},
		{"(a) no requests", func(r *Report) { r.Sizes[1].A.Requests = 0 }, []string{"(a) AWS calls in the measured phase at 10,000 objects"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := sampleReport()
			tt.change(&r)
			var failed []string
			for _, b := range Budgets(r) {
				if !b.OK {
					failed = append(failed, b.Name)
				}
			}
			if diff := cmp.Diff(tt.failed, failed); diff != "" {
				t.Errorf("failed budgets (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRevalidations(t *testing.T) {
	t.Parallel()
	tests := []struct {
		age, d, ttl time.Duration
		want        int
	}{
		{12 * time.Second, 10 * time.Second, time.Minute, 0},
		{65 * time.Second, 10 * time.Second, time.Minute, 1},
		{55 * time.Second, 10 * time.Second, time.Minute, 0},
		{130 * time.Second, 120 * time.Second, time.Minute, 2},
		{12 * time.Second, 10 * time.Second, 5 * time.Second, 2},
	}
	for _, tt := range tests {
		if got := revalidations(tt.age, tt.d, tt.ttl); got != tt.want {
			t.Errorf("revalidations(%v, %v, %v) = %d; want %d", tt.age, tt.d, tt.ttl, got, tt.want)
		}
	}
}

func TestFormats(t *testing.T) {
	t.Parallel()
	tests := []struct{ got, want string }{
		{formatDuration(0), "–"},
		{formatDuration(412 * time.Microsecond), "412 µs"},
		{formatDuration(1234 * time.Microsecond), "1.23 ms"},
		{formatDuration(21300 * time.Microsecond), "21.3 ms"},
		{formatDuration(5570 * time.Millisecond), "5.57 s"},
		{formatDuration(30 * time.Second), "30.0 s"},
		{latencyCell(30*time.Second, 30*time.Second), "≥ 30.0 s"},
		{latencyCell(29*time.Second, 30*time.Second), "29.0 s"},
		{ratioCell(30*time.Second, time.Millisecond, 30*time.Second), "≥ 30,000×"},
		{ratioCell(0, time.Millisecond, 30*time.Second), "–"},
		{formatRatio(3417.2), "3,417×"},
		{formatRatio(12.34), "12.3×"},
		{formatRatio(0.000475), "0.000475×"},
		{formatRatio(0), "–"},
		{formatRate(5663.2), "5,663"},
		{formatRate(2.691), "2.69"},
		{formatCalls(0), "0"},
		{formatCalls(2000), "2,000"},
		{formatCalls(0.0177), "0.02"},
		{formatKiB(27034), "26.4 MiB"},
		{human(10 * time.Second), "10 s"},
		{human(1500 * time.Millisecond), "1.5 s"},
		{human(time.Minute), "1 min"},
		{human(10 * time.Minute), "10 min"},
		{thousands(0), "0"},
		{thousands(999), "999"},
		{thousands(1000), "1,000"},
		{thousands(1234567), "1,234,567"},
		{thousands(-1500), "-1,500"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q; want %q", tt.got, tt.want)
		}
	}
}
