package manifest

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// synthetic builds a valid manifest of n entries with realistic keys
// ("folder-NN/some-joke-name-NNNNNNN.mp3" over 100 folders), ~20-character
// titles and 32-hex-digit ETags, directly rather than through Apply.
func synthetic(n int) *Manifest {
	const folders = 100
	rng := rand.New(rand.NewPCG(uint64(n), 1))
	m := &Manifest{Version: 42, Created: time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)}
	m.Entries = make([]Entry, 0, n)
	m.Playlists = make([]Playlist, 1, folders+1)
	words := []string{"gato", "perro", "loro", "pulpo", "ñandú", "vaca", "burro", "pato"}
	per := (n + folders - 1) / folders
	for f := 0; f < folders && len(m.Entries) < n; f++ {
		p := Playlist{Name: fmt.Sprintf("folder-%02d", f), Seed: rng.Uint64()}
		for i := 0; i < per && len(m.Entries) < n; i++ {
			p.Order = append(p.Order, uint32(len(m.Entries)))
			m.Entries = append(m.Entries, Entry{
				Key:      fmt.Sprintf("folder-%02d/some-joke-name-%07d.mp3", f, f*per+i),
				Size:     50_000 + rng.Int64N(2_000_000),
				ETag:     fmt.Sprintf("%016x%016x", rng.Uint64(), rng.Uint64()),
				Title:    fmt.Sprintf("El %s y el %s %d", words[rng.IntN(len(words))], words[rng.IntN(len(words))], i%1000),
				Duration: time.Duration(5000+rng.IntN(600_000)) * time.Millisecond,
			})
		}
		FisherYates(p.Order, p.Seed)
		m.Playlists = append(m.Playlists, p)
	}
	lib := make([]uint32, len(m.Entries))
	for i := range lib {
		lib[i] = uint32(i)
	}
	FisherYates(lib, 7)
	m.Playlists[0] = Playlist{Name: "", Seed: 7, Order: lib}
	return m
}

var (
	encodedMu sync.Mutex
	encoded   = map[int][]byte{}
)

// encodedOf caches synthetic(n).Encode() across benchmarks.
func encodedOf(tb testing.TB, n int) []byte {
	tb.Helper()
	encodedMu.Lock()
	defer encodedMu.Unlock()
	if b, ok := encoded[n]; ok {
		return b
	}
	m := synthetic(n)
	if err := m.Validate(); err != nil {
		tb.Fatal(err)
	}
	b := m.Encode()
	encoded[n] = b
	return b
}

func BenchmarkDecode(b *testing.B) {
	for _, n := range []int{1_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			enc := encodedOf(b, n)
			b.ReportAllocs()
			b.SetBytes(int64(len(enc)))
			b.ResetTimer()
			for b.Loop() {
				if _, err := Decode(enc); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(enc))/float64(n), "bytes/entry")
		})
	}
}

func BenchmarkEncode1M(b *testing.B) {
	m := synthetic(1_000_000)
	b.ReportAllocs()
	b.ResetTimer()
	var size int
	for b.Loop() {
		size = len(m.Encode())
	}
	b.ReportMetric(float64(size)/1e6, "bytes/entry")
}

// BenchmarkApply applies a batch of 1,000 changes (400 adds, 300 removals,
// 300 updates) to a manifest of 100,000 entries.
func BenchmarkApply(b *testing.B) {
	base := synthetic(100_000)
	rng := rand.New(rand.NewPCG(3, 4))
	var changes []Change
	for i := range 400 {
		changes = append(changes, Upsert(Entry{Key: fmt.Sprintf("folder-%02d/new-joke-%07d.mp3", rng.IntN(120), i), Size: 1234, ETag: "0123456789abcdef0123456789abcdef", Title: "Un chiste nuevo"}))
	}
	for range 300 {
		changes = append(changes, Remove(base.Entries[rng.IntN(len(base.Entries))].Key))
	}
	for range 300 {
		e := base.Entries[rng.IntN(len(base.Entries))]
		e.ETag, e.Title = "fedcba9876543210fedcba9876543210", "Otro título"
		changes = append(changes, Upsert(e))
	}
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		m := clone(base)
		b.StartTimer()
		m.Apply(changes, rng)
	}
	b.ReportMetric(float64(len(changes)), "changes/op")
}

func BenchmarkShuffle1M(b *testing.B) {
	m := synthetic(1_000_000)
	b.ReportAllocs()
	var seed uint64
	for b.Loop() {
		seed++
		m.Shuffle(seed)
	}
}

// BenchmarkDecodeHeap1M times decoding a million-entry manifest, built and
// encoded once before the timed loop, and reports the heap the decoded
// manifest holds (its buffer included) after a garbage collection: the
// skill's budget is 200 MB resident for the whole process.
func BenchmarkDecodeHeap1M(b *testing.B) {
	enc := synthetic(1_000_000).Encode()
	heap := decodedHeap(b, enc)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(enc); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(heap)/(1<<20), "heap-MiB")
}

// decodedHeap returns the heap in use, after a collection, that the
// manifest decoded from enc holds, enc itself included (its strings share
// the buffer).
func decodedHeap(tb testing.TB, enc []byte) uint64 {
	tb.Helper()
	var before, after runtime.MemStats
	runtime.GC() // whatever built enc is garbage from here on
	runtime.ReadMemStats(&before)
	m, err := Decode(enc)
	if err != nil {
		tb.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(m)
	return after.HeapAlloc - before.HeapAlloc + uint64(cap(enc))
}

// TestDecodeMillionHeap checks the memory budget of a cold start: a
// million decoded entries must hold at most 200 MB of heap, and a fresh
// process that reads and decodes them is measured for its resident size.
func TestDecodeMillionHeap(t *testing.T) {
	if os.Getenv("JOKEBOX_DECODE_CHILD") != "" {
		t.Skip("runs in the parent test only")
	}
	if testing.Short() {
		t.Skip("builds a million-entry manifest (a few seconds, ~400 MB); skipped with -short")
	}
	if runtime.GOOS != "linux" {
		t.Skip("reads the child's resident size from /proc/self/status (Linux only)")
	}
	if raceDetector {
		t.Skip("the race detector multiplies memory (569 MB resident seen); the budget is checked by the plain go test run")
	}
	heap := decodedHeap(t, synthetic(1_000_000).Encode())
	t.Logf("heap held by a decoded 1M-entry manifest: %.1f MiB", float64(heap)/(1<<20))
	if heap > 200e6 {
		t.Errorf("decoded 1M entries hold %.1f MB of heap; budget 200 MB", float64(heap)/1e6)
	}

	path := filepath.Join(t.TempDir(), "m.jbx")
	if err := os.WriteFile(path, encodedOf(t, 1_000_000), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestDecodeChild$", "-test.v")
	cmd.Env = append(os.Environ(), "JOKEBOX_DECODE_CHILD="+path)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	measured := false
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "resident") {
			t.Log(strings.TrimSpace(line))
			measured = true
		}
	}
	if !measured {
		t.Fatalf("the child measured nothing:\n%s", out)
	}
}

// residentBudget is docs/performance.md's budget for the skill's process with a
// million entries loaded: 200 MB resident.
const residentBudget = 200e6

// TestDecodeChild is TestDecodeMillionHeap's fresh process: it reads and
// decodes the manifest it is given, reports its resident memory and fails
// when that exceeds the budget.
func TestDecodeChild(t *testing.T) {
	path := os.Getenv("JOKEBOX_DECODE_CHILD")
	if path == "" {
		t.Skip("run by TestDecodeMillionHeap")
	}
	start := time.Now()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	runtime.GC()
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	rss, hwm := statusBytes(t, status, "VmRSS:"), statusBytes(t, status, "VmHWM:")
	t.Logf("resident after reading and decoding %d entries in %v: %.1f MB (peak %.1f MB)", len(m.Entries), took.Round(time.Millisecond), float64(rss)/1e6, float64(hwm)/1e6)
	if rss > residentBudget {
		t.Errorf("resident %.1f MB after decoding %d entries; budget %.0f MB", float64(rss)/1e6, len(m.Entries), residentBudget/1e6)
	}
	runtime.KeepAlive(m)
}

// statusBytes reads a "Name:   1234 kB" line of /proc/self/status.
func statusBytes(t *testing.T, status []byte, name string) int64 {
	t.Helper()
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, name); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatalf("/proc/self/status %s%s: %v", name, v, err)
			}
			return n * 1024
		}
	}
	t.Fatalf("/proc/self/status has no %s", name)
	return 0
}
