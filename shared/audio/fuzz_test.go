package audio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"runtime/metrics"
	"slices"
	"testing"
	"unicode/utf8"
)

// fuzzKeys are the names FuzzProbe gives its input, by the input's selector.
var fuzzKeys = []string{"a.mp3", "a.m4a", "a.aac", "a.mp4"}

// FuzzProbe checks, for any bytes and any file size at least their length,
// that Probe neither panics nor allocates in proportion to sizes written in
// the bytes, that it rejects only with ErrNotPlayable and a short reason, and
// that what it accepts has a clean title and a non-negative duration.
//
// The allocation bound is checked on every input, exactly or roughly (see
// exactAlloc): runtime.ReadMemStats stops the world, and twice per input it
// cost more than Probe itself.
func FuzzProbe(f *testing.F) {
	// The corpus, read by ProbeReader: its first and last 3 KB, zeros
	// between (the whole file when it is no longer): every MP4 path, from
	// real files, in inputs small enough to mutate fast.
	for _, p := range fixtureFiles(f, corpusDir+"/*") {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		k := max(slices.Index(fuzzKeys, "a"+filepath.Ext(p)), 0)
		if len(b) <= 6<<10 {
			f.Add(uint8(k)|splitLayout, b, uint32(0))
			continue
		}
		ends := append(slices.Clip(b[:3<<10]), b[len(b)-3<<10:]...)
		f.Add(uint8(k)|splitLayout, ends, uint32(len(b)-len(ends)))
	}
	for _, p := range fixtureFiles(f, "../../testdata/audio/*") {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		// The first fuzzSeedHead bytes and the rest as the size: Probe decides
		// as on the whole head (TestFuzzSeedsDecideAsWholeFiles), and mutants
		// of a 2 KB input run and minimize far faster than of an 86 KB one.
		head := b[:min(len(b), fuzzSeedHead)]
		for k := range fuzzKeys {
			f.Add(uint8(k), head, uint32(len(b)-len(head)))
		}
		// The first and last KB, for ProbeReader's reads beyond the head
		// (a moov at the end, fragments, an ID3v1 or APE tag).
		if len(b) > 4<<10 {
			ends := append(slices.Clip(b[:1<<10]), b[len(b)-1<<10:]...)
			for k := range fuzzKeys {
				f.Add(uint8(k|splitLayout), ends, uint32(len(b)-len(ends)))
			}
		}
	}
	three := frames(mpeg1Mono, mpeg1MonoLen, 3)
	moov := mp4Box("moov", mvhd0(1000, 3500), ilstTitle(1, []byte("Título")))
	for _, seed := range []struct {
		key   uint8
		b     []byte
		extra uint32
	}{
		{0, append(xingFrame("Xing", 100), three...), 0},
		{0, append(vbriFrame(100), three...), 0},
		{0, append(id3v2(4, 0, -1, frame24("TIT2", 0x0043, []byte("g\x00\x00\x00\x04\x03x"))), three...), 0},
		{0, append(id3v2(3, 0xC0, -1, []byte{0, 0, 0, 6, 0, 0, 0, 0, 0, 0}, frame23("TIT2", 0, []byte("\x01\xfe\xff\x00A"))), three...), 0},
		{0, id3v2(2, 0, 1<<20, frame22("TT2", []byte("\x00Big"))), 2 << 20},
		{1, bytes.Join([][]byte{ftyp("M4A ", "mp42"), moov, mp4Box("mdat", make([]byte, 100))}, nil), 0},
		{1, bytes.Join([][]byte{ftyp("isom"), mp4Box("moov", mvhd1(48000, 1<<40), mp4Box("meta", mp4Box("hdlr", make([]byte, 25)), mp4Box("ilst")))}, nil), 1000},
		{2, adts(4, 2, 371, 3), 0},
		{2, append(id3v2(3, 0, -1, frame23("TIT2", 0, utf8Text("AAC"))), adts(3, 1, 300, 3)...), 5000},
		// ftyp and an mdat that runs to a moov at the end of a 1 MB file.
		{1 | splitLayout, moovAtEnd(mp4Box("moov", mvhd0(1000, 60000), trak("soun", 44100, 0, audioEntry("mp4a", 44100, 2, esds(0x40, 64000, asc(2, 4, 2, 0)))), ilstTitle(1, []byte("End"))), 1<<20), 1<<20 - 2*2000},
		{1, bytes.Join([][]byte{ftyp("iso5"), mp4Box("moov", mvhd0(1000, 0), aacTrak(), mp4Box("mvex", mp4Box("trex", make([]byte, 24))))}, nil), 1 << 20},
	} {
		f.Add(seed.key, seed.b, seed.extra)
	}
	fuzzing := fuzzing()
	f.Fuzz(func(t *testing.T, key uint8, head []byte, extra uint32) {
		name := fuzzKeys[int(key)%len(fuzzKeys)]
		size := int64(len(head)) + int64(extra)
		if key&splitLayout != 0 {
			fuzzReader(t, name, head, size)
			return
		}
		var (
			info Info
			err  error
		)
		probe := func() { info, err = Probe(name, head, size) }
		limit := 8*uint64(len(head)) + 64<<10
		var n uint64
		if exactAlloc(fuzzing, key, head, extra) {
			n = allocated(probe)
		} else if n = allocatedRoughly(probe); n > limit {
			n = allocated(probe) // Probe is deterministic: confirm before failing
		}
		if n > limit {
			t.Errorf("Probe(%s, %d bytes, size %d) allocated %d bytes; want at most %d", name, len(head), size, n, limit)
		}
		switch {
		case len(head) == 0 && size > 0:
			if err == nil || errors.Is(err, ErrNotPlayable) {
				t.Errorf("Probe with no head bytes: %v; want a caller error", err)
			}
		case err != nil:
			if !errors.Is(err, ErrNotPlayable) {
				t.Errorf("Probe error %v does not wrap ErrNotPlayable", err)
			}
			if r := Reason(err); r == "" || len(r) > 128 || !utf8.ValidString(r) {
				t.Errorf("Reason %q: want short valid text", r)
			}
			if info != (Info{}) {
				t.Errorf("Probe returned %+v with error %v", info, err)
			}
		default:
			if !utf8.ValidString(info.Title) || len(info.Title) > maxTitle {
				t.Errorf("title %q: want valid UTF-8 of at most %d bytes", info.Title, maxTitle)
			}
			if info.Duration < 0 {
				t.Errorf("duration %v < 0", info.Duration)
			}
		}
	})
}

// splitLayout in FuzzProbe's selector makes the input a file for
// ProbeReader: its first half at the start, its second half at the end, and
// zeros between.
const splitLayout = 4

// fuzzReader checks ProbeReader on the file split lays out: it reads at most
// MaxRead bytes in MaxRanges reads, allocates in proportion to them, not to
// sizes in the bytes, and decides as Probe's contract says.
func fuzzReader(t *testing.T, name string, data []byte, size int64) {
	r := &splitReader{first: data[:len(data)/2], last: data[len(data)/2:], size: size}
	var (
		info Info
		err  error
	)
	n := allocated(func() { info, err = ProbeReader(name, r, size) })
	if limit := 8*uint64(len(data)) + 2*uint64(r.bytes) + 64<<10; n > limit {
		t.Errorf("ProbeReader(%s, size %d) allocated %d bytes reading %d; want at most %d", name, size, n, r.bytes, limit)
	}
	if r.bytes > MaxRead || r.reads > MaxRanges {
		t.Errorf("ProbeReader(%s, size %d) read %d bytes in %d reads; want at most %d in %d", name, size, r.bytes, r.reads, MaxRead, MaxRanges)
	}
	switch {
	case size == 0 && Reason(err) != "zero-byte file":
		t.Errorf("ProbeReader of an empty file: %v", err)
	case err != nil:
		if !errors.Is(err, ErrNotPlayable) {
			t.Errorf("ProbeReader error %v does not wrap ErrNotPlayable", err)
		}
		if r := Reason(err); r == "" || len(r) > 128 || !utf8.ValidString(r) {
			t.Errorf("Reason %q: want short valid text", r)
		}
		if info != (Info{}) {
			t.Errorf("ProbeReader returned %+v with error %v", info, err)
		}
	case !utf8.ValidString(info.Title) || len(info.Title) > maxTitle || info.Duration < 0:
		t.Errorf("ProbeReader accepted with title %q, duration %v", info.Title, info.Duration)
	}
}

// splitReader reads a file of size bytes: first at its start, last at its
// end, zeros between (where they overlap, first wins). It counts its reads.
type splitReader struct {
	first, last []byte
	size        int64
	bytes       int64
	reads       int
}

func (r *splitReader) ReadAt(p []byte, off int64) (int, error) {
	r.reads++
	r.bytes += int64(len(p))
	if off < 0 || off >= r.size {
		return 0, io.EOF
	}
	n := min(int64(len(p)), r.size-off)
	clear(p[:n])
	lastAt := r.size - int64(len(r.last))
	if o := max(off, lastAt); o < off+n {
		copy(p[o-off:n], r.last[o-lastAt:])
	}
	if off < int64(len(r.first)) {
		copy(p[:n], r.first[off:])
	}
	if n < int64(len(p)) {
		return int(n), io.EOF
	}
	return int(n), nil
}

// moovAtEnd returns the input for a splitLayout file of size bytes (size
// at least 2×len(moov)): ftyp, an mdat up to moov, moov at the end.
func moovAtEnd(moov []byte, size int64) []byte {
	first := ftyp("M4A ", "mp42")
	first = binary.BigEndian.AppendUint32(first, uint32(size-int64(len(moov))-int64(len(first))))
	first = append(first, "mdat"...)
	first = append(first, make([]byte, 2000-len(first))...)
	last := append(make([]byte, 2000-len(moov)), moov...)
	return append(first, last...)
}

// fuzzSeedHead is how many leading bytes of each file in testdata/audio
// FuzzProbe is seeded with.
const fuzzSeedHead = 2 << 10

// TestFuzzSeedsDecideAsWholeFiles: Probe accepts or rejects each seed of
// FuzzProbe, cut to fuzzSeedHead bytes, as it does the whole file, with the
// same title, duration and reason, so the short seeds lead the fuzzer down
// the same paths.
func TestFuzzSeedsDecideAsWholeFiles(t *testing.T) {
	t.Parallel()
	for _, p := range fixtureFiles(t, "../../testdata/audio/*") {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, key := range fuzzKeys {
			whole, werr := Probe(key, headOf(b), int64(len(b)))
			seed, serr := Probe(key, b[:min(len(b), fuzzSeedHead)], int64(len(b)))
			whole.Bitrate, seed.Bitrate = 0, 0 // averaged over the frames present
			// The whole file shows an ID3v1 tag at its end, which is not audio.
			if d := whole.Duration - seed.Duration; d < 0 && -d < seed.Duration/20 {
				seed.Duration = whole.Duration
			}
			if seed != whole || Reason(serr) != Reason(werr) || (serr == nil) != (werr == nil) {
				t.Errorf("%s as %s: whole file %+v, %v; first %d bytes %+v, %v",
					filepath.Base(p), key, whole, werr, fuzzSeedHead, seed, serr)
			}
		}
	}
}

// fixtureFiles returns the files (not directories) pattern matches, at
// least one.
func fixtureFiles(tb testing.TB, pattern string) []string {
	tb.Helper()
	m, err := filepath.Glob(pattern)
	if err != nil {
		tb.Fatal(err)
	}
	var files []string
	for _, p := range m {
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			files = append(files, p)
		}
	}
	if len(files) == 0 {
		tb.Fatalf("no test audio in %s", pattern)
	}
	return files
}

// fuzzing reports whether this run fuzzes (-test.fuzz), rather than
// replaying the seeds and testdata/fuzz. It reads the flag, so it must be
// called after the flags are parsed, not in a package variable's initializer.
func fuzzing() bool {
	f := flag.Lookup("test.fuzz")
	return f != nil && f.Value.String() != ""
}

// exactAlloc says whether FuzzProbe measures an input's allocations exactly
// (allocated, two stop-the-world runtime.ReadMemStats calls, 7 µs each)
// rather than roughly (allocatedRoughly, 0.25 µs; over the limit, it is
// measured again exactly before it fails). A replay of the seeds and of
// testdata/fuzz measures every input exactly; fuzzing measures one input in
// 16 exactly, chosen by its length, selector, extra size and three of its
// bytes, so that a failure found while fuzzing fails again when replayed.
func exactAlloc(fuzzing bool, key uint8, head []byte, extra uint32) bool {
	if !fuzzing {
		return true
	}
	h := uint32(len(head))*0x9E3779B1 ^ extra*0x85EBCA77 ^ uint32(key)
	if len(head) > 0 {
		h ^= uint32(head[0]) | uint32(head[len(head)/2])<<8 | uint32(head[len(head)-1])<<16
	}
	h *= 0xC2B2AE3D
	return h>>28 == 0
}

// allocatedRoughly returns about the bytes fn allocates on the heap, from
// runtime/metrics without stopping the world. The runtime counts an
// allocation of more than 32 KB at once, but small objects only when the span
// they came from leaves the P's cache. So the count misses what fn allocated
// from spans still cached when it returns (one span per size class, 8 KB for
// most), and may add what was allocated before fn from spans that leave the
// cache during it (every cached span, if a GC cycle starts). A size read from
// the bytes and allocated, or anything proportional to one, still exceeds
// FuzzProbe's limit; a count over the limit may be too high, so it is not a
// failure until measured exactly.
func allocatedRoughly(fn func()) uint64 {
	s := [1]metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s[:])
	before := s[0].Value.Uint64()
	fn()
	metrics.Read(s[:])
	return s[0].Value.Uint64() - before
}
