package bench

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jokebox/jokebox/internal/faultproxy"
	"github.com/jokebox/jokebox/shared/config"
)

// Machine describes where the comparison ran.
type Machine struct {
	CPU       string // model name from /proc/cpuinfo
	Cores     int
	GoVersion string
	Moto      string // moto's version
	Load      string // /proc/loadavg at the start: the machine may be shared
	Date      time.Time
}

// Params are the load parameters.
type Params struct {
	Clients           int
	Duration          time.Duration // measured, per phase
	Warmup            time.Duration // not measured, per phase
	Timeout           time.Duration // per request
	UploadConcurrency int
	ManifestTTL       time.Duration // JOKEBOX_MANIFEST_TTL of the skill process
	Audio             string        // file uploaded under every key
	AudioSize         int
}

// Row is one approach at one bucket size.
type Row struct {
	Approach string
	Objects  int
	Requests int            // finished, successes and errors
	Errors   map[string]int // by reason
	// P50 and P99 are over every finished request, errors included; a
	// request that timed out counts as Timeout.
	P50, P99   time.Duration
	Timeout    time.Duration
	Throughput float64           // successful requests per second
	Calls      faultproxy.Counts // AWS calls during the measured phase
	WarmCalls  faultproxy.Counts // AWS calls during the warm-up
	// SlowerThanAlexa counts requests slower than AlexaTimeout.
	SlowerThanAlexa int
	// Idle is the median latency of a few requests from one client, with
	// no other load, after the warm-up.
	Idle time.Duration
}

// ErrorCount is the number of failed requests.
func (r Row) ErrorCount() int {
	n := 0
	for _, c := range r.Errors {
		n += c
	}
	return n
}

// CallsPer1000 is AWS calls per 1,000 finished requests.
func (r Row) CallsPer1000() float64 {
	if r.Requests == 0 {
		return 0
	}
	return float64(r.Calls.Total()) * 1000 / float64(r.Requests)
}

// Size is everything measured at one bucket size.
type Size struct {
	Objects int
	// Keys is every key in the bucket: the audio and jokebox's manifest
	// objects, which (b) lists too.
	Keys int
	// A is jokebox through `jokebox serve`, B the list-per-request skill.
	A, B Row
	// Memory is the jokebox serve process's after its load phase.
	Memory Memory
	// Upload and Reindex are how long it took to bring the bucket to
	// Objects (from the previous size) and to index it.
	Uploaded     int
	Upload       time.Duration
	Reindex      time.Duration
	ReindexCalls faultproxy.Counts
	ReindexLine  string // `jokebox reindex`'s summary
	// ManifestAge is how long before the end of (a)'s measured phase its
	// manifest was loaded (the first warm-up request).
	ManifestAge time.Duration
}

// Step is a timed part of the run.
type Step struct {
	Name     string
	Duration time.Duration
}

// Report is a whole comparison.
type Report struct {
	Machine Machine
	Params  Params
	Sizes   []Size
	Steps   []Step
	Total   time.Duration
}

// Budget is one target the comparison checks.
type Budget struct {
	Name string
	Want string
	Got  string
	OK   bool
}

// MinSpeedup is the budget on (b)'s p50 over (a)'s at the smallest size.
const MinSpeedup = 100

// Budgets checks the report against the targets: at the smallest size,
// (a)'s p50 at least MinSpeedup times lower than (b)'s; at every size, (a)
// without errors and with no AWS call in its measured phase beyond one
// pointer read per manifest TTL that expired inside it.
func Budgets(r Report) []Budget {
	if len(r.Sizes) == 0 {
		return nil
	}
	var out []Budget
	first := r.Sizes[0]
	ratio := ratio(first.B.P50, first.A.P50)
	out = append(out, Budget{
		Name: fmt.Sprintf("p50 (b)/(a) at %s objects", thousands(first.Objects)),
		Want: fmt.Sprintf("≥ %d×", MinSpeedup),
		Got:  formatRatio(ratio),
		OK:   ratio >= MinSpeedup && first.A.P50 > 0,
	})
	for _, s := range r.Sizes {
		allowed := revalidations(s.ManifestAge, r.Params.Duration, r.Params.ManifestTTL)
		want := "0 (no TTL expiry inside the phase)"
		if allowed > 0 {
			want = fmt.Sprintf("≤ %d (one pointer read per TTL expiry inside the phase)", allowed)
		}
		out = append(out, Budget{
			Name: fmt.Sprintf("(a) AWS calls in the measured phase at %s objects", thousands(s.Objects)),
			Want: want,
			Got:  fmt.Sprintf("%d (%s per 1,000 requests)", s.A.Calls.Total(), formatCalls(s.A.CallsPer1000())),
			OK:   s.A.Calls.Total() <= int64(allowed) && s.A.Requests > 0,
		})
		out = append(out, Budget{
			Name: fmt.Sprintf("(a) errors at %s objects", thousands(s.Objects)),
			Want: "0",
			Got:  strconv.Itoa(s.A.ErrorCount()),
			OK:   s.A.ErrorCount() == 0,
		})
	}
	return out
}

// revalidations is how many times a manifest loaded age before the end of
// a phase of length d expires inside the phase with ttl.
func revalidations(age, d, ttl time.Duration) int {
	if ttl <= 0 {
		return math.MaxInt32
	}
	start := max(age-d, 0)
	return int(age/ttl) - int(start/ttl)
}

// Render writes the report as markdown.
func Render(r Report) string {
	var b strings.Builder
	m, p := r.Machine, r.Params
	b.WriteString("# jokebox end-to-end comparison\n\n")
	b.WriteString("Generated by `make bench` (`go run ./bench/cmd/report`); do not edit by hand.\n\n")
	fmt.Fprintf(&b, "- Machine: %s, %d cores, %s, moto %s; load average at start %s\n", m.CPU, m.Cores, m.GoVersion, m.Moto, m.Load)
	fmt.Fprintf(&b, "- Date: %s\n", m.Date.UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&b, "- Load: %d concurrent clients on loopback, each POSTing an es-ES LaunchRequest and waiting for the answer; %s measured per phase after a %s warm-up; request timeout %s\n",
		p.Clients, human(p.Duration), human(p.Warmup), human(p.Timeout))
	fmt.Fprintf(&b, "- Bucket: copies of `%s` (%s bytes) under distinct keys in %d folders, on one moto_server\n\n", p.Audio, thousands(p.AudioSize), len(folders))

	b.WriteString("| approach | objects | requests | errors | p50 | p99 | req/s | AWS calls / 1,000 requests |\n")
	b.WriteString("|---|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, s := range r.Sizes {
		for _, row := range []Row{s.A, s.B} {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", row.Approach, thousands(row.Objects), thousands(row.Requests),
				thousands(row.ErrorCount()), latencyCell(row.P50, row.Timeout), latencyCell(row.P99, row.Timeout), formatRate(row.Throughput), formatCalls(row.CallsPer1000()))
		}
		fmt.Fprintf(&b, "| **ratio (b)/(a)** | %s | | | **%s** | **%s** | **%s** | |\n", thousands(s.Objects),
			ratioCell(s.B.P50, s.A.P50, s.B.Timeout), ratioCell(s.B.P99, s.A.P99, s.B.Timeout), formatRatio(s.B.Throughput/s.A.Throughput))
	}

	b.WriteString("\n(a) is jokebox: `jokebox serve --insecure-skip-verify` (a separate process) answering from its cached manifest. ")
	b.WriteString("(b) is the design it replaces, written in the benchmark: ListObjectsV2 over the whole bucket on every request, a random key, a presigned GET.\n\n")
	b.WriteString("Notes:\n\n")
	b.WriteString("- Request verification is **off** in (a) (`--insecure-skip-verify`), as (b) has none; `BenchmarkServeVerified` in `shared/server` measures verified serving.\n")
	b.WriteString("- A success is a 200 answer with an `AudioPlayer.Play` directive; anything else, or no answer within the timeout, is an error. ")
	b.WriteString("p50 and p99 are over every request of the phase, errors included; a request that timed out counts as the timeout, and a percentile that lands on one is shown as ≥ the timeout. ")
	b.WriteString("req/s is successes per second of the phase (requests still in flight when it ends are waited for).\n")
	b.WriteString("- AWS calls are counted by a reverse proxy in front of moto that both approaches go through, between snapshots taken around each measured phase.\n")
	ttlNote := "jokebox's default"
	if p.ManifestTTL != config.DefaultManifestTTL {
		ttlNote = "jokebox's default is " + human(config.DefaultManifestTTL)
	}
	fmt.Fprintf(&b, "- The skill process runs with a manifest TTL of %s (JOKEBOX_MANIFEST_TTL; %s): it loads the manifest on its first request, before the measured phase (calls before it:", human(p.ManifestTTL), ttlNote)
	for i, s := range r.Sizes {
		if i > 0 {
			b.WriteString(";")
		}
		fmt.Fprintf(&b, " %s at %s objects", s.A.WarmCalls, thousands(s.Objects))
	}
	b.WriteString("), and a TTL expiry inside a measured phase would show there as one GetObject of the pointer.\n")
	for _, s := range r.Sizes {
		fmt.Fprintf(&b, "- At %s objects: one request alone (1 client, no other load, median of 3) takes %s in (a) and %s in (b). (b)'s AWS calls in the phase: %s (%d per complete request for the bucket's %s keys, jokebox's manifest objects included; fewer when a request times out mid-listing).",
			thousands(s.Objects), formatDuration(s.A.Idle), formatDuration(s.B.Idle), s.B.Calls, (s.Keys+999)/1000, thousands(s.Keys))
		for _, row := range []Row{s.A, s.B} {
			if row.SlowerThanAlexa > 0 {
				fmt.Fprintf(&b, " %s of %s's %s requests took longer than Alexa's %s limit.", thousands(row.SlowerThanAlexa), row.Approach[:3], thousands(row.Requests), human(AlexaTimeout))
			}
		}
		b.WriteString("\n")
	}
	for _, s := range r.Sizes {
		for _, row := range []Row{s.A, s.B} {
			if len(row.Errors) > 0 {
				fmt.Fprintf(&b, "- Errors of %s at %s objects: %s.\n", row.Approach, thousands(row.Objects), formatErrors(row.Errors))
			}
		}
	}
	b.WriteString("- `jokebox serve` resident memory after its phase:")
	for i, s := range r.Sizes {
		if i > 0 {
			b.WriteString(";")
		}
		fmt.Fprintf(&b, " %s at %s objects (peak %s)", formatKiB(s.Memory.RSS), thousands(s.Objects), formatKiB(s.Memory.Peak))
	}
	b.WriteString(".\n")
	b.WriteString("- Everything shares the machine: load generator, both skills, proxy and moto (Python). (b)'s latency is mostly moto listing; on AWS each ListObjectsV2 page is a network round trip instead, but the number of calls per request, one per 1,000 keys, is the same.\n")

	b.WriteString("\n## Budgets\n\n| check | budget | measured | |\n|---|---|---|---|\n")
	for _, bu := range Budgets(r) {
		mark := "pass"
		if !bu.OK {
			mark = "**FAIL**"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", bu.Name, bu.Want, bu.Got, mark)
	}

	b.WriteString("\n## Preparation and timings\n\n| step | time |\n|---|--:|\n")
	for _, s := range r.Steps {
		fmt.Fprintf(&b, "| %s | %s |\n", s.Name, formatSeconds(s.Duration))
	}
	fmt.Fprintf(&b, "| **total** | **%s** |\n\n", formatSeconds(r.Total))
	for _, s := range r.Sizes {
		fmt.Fprintf(&b, "- Indexing %s objects: `%s`; AWS calls: %s.\n", thousands(s.Objects), s.ReindexLine, s.ReindexCalls)
	}
	return b.String()
}

// latencyCell writes a latency percentile, as "≥ timeout" when it landed on
// a request that timed out.
func latencyCell(d, timeout time.Duration) string {
	if timeout > 0 && d >= timeout {
		return "≥ " + formatDuration(timeout)
	}
	return formatDuration(d)
}

// ratioCell writes (b)/(a) for latencies, as a lower bound when (b)'s
// latency is a timeout.
func ratioCell(b, a, timeout time.Duration) string {
	r := formatRatio(ratio(b, a))
	if timeout > 0 && b >= timeout && r != "–" {
		return "≥ " + r
	}
	return r
}

// ratio is a/b, or 0 when b is 0.
func ratio(a, b time.Duration) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// formatDuration writes d with three significant digits: 412 µs, 1.23 ms, 2.41 s.
func formatDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "–"
	case d < time.Millisecond:
		return sig3(float64(d)/float64(time.Microsecond)) + " µs"
	case d < time.Second:
		return sig3(float64(d)/float64(time.Millisecond)) + " ms"
	default:
		return sig3(d.Seconds()) + " s"
	}
}

// human writes a parameter: 10 s, 1.5 s, 10 min.
func human(d time.Duration) string {
	if d >= time.Minute && d%time.Minute == 0 {
		return fmt.Sprintf("%d min", d/time.Minute)
	}
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + " s"
}

func formatSeconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + " s"
}

// sig3 writes v (≥ 0) with three significant digits, or as a whole number
// when it has more than three digits before the point.
func sig3(v float64) string {
	switch {
	case v >= 100:
		return strconv.FormatFloat(math.Round(v), 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
}

func formatRate(v float64) string {
	if v >= 100 {
		return thousands(int(math.Round(v)))
	}
	return sig3(v)
}

// formatRatio writes 463×, 12.5× or 0.00215×.
func formatRatio(v float64) string {
	switch {
	case v <= 0 || math.IsInf(v, 0) || math.IsNaN(v):
		return "–"
	case v >= 1000:
		return thousands(int(math.Round(v))) + "×"
	case v >= 1:
		return sig3(v) + "×"
	default:
		return strconv.FormatFloat(v, 'g', 3, 64) + "×"
	}
}

func formatCalls(v float64) string {
	if v == math.Trunc(v) {
		return thousands(int(v))
	}
	if v >= 100 {
		return thousands(int(math.Round(v)))
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

func formatKiB(kib int64) string {
	return strconv.FormatFloat(float64(kib)/1024, 'f', 1, 64) + " MiB"
}

func formatErrors(errs map[string]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(errs)) {
		parts = append(parts, fmt.Sprintf("%s × %s", k, thousands(errs[k])))
	}
	return strings.Join(parts, ", ")
}

// thousands writes n with commas: 10,000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
