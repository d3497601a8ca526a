package audio

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current results")

func TestPlayable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		key  string
		want bool
	}{
		{"chistes/el-pez-y-el-mar.mp3", true},
		{"LOUD.MP3", true},
		{"book/chapter 1.M4a", true},
		{"raw.aac", true},
		{"video.mp4", true},
		{"animales/el pato y el ñandú.mp3", true},
		{"notes.txt", false},
		{"song.wav", false},
		{"song.ogg", false},
		{"mp3", false},
		{"folder.mp3/", false},
		{"song.mp3.bak", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := Playable(tt.key); got != tt.want {
			t.Errorf("Playable(%q) = %v; want %v", tt.key, got, tt.want)
		}
	}
}

// probeResult is Probe's outcome in a comparable form.
type probeResult struct {
	Title    string        `json:",omitempty"`
	Language string        `json:",omitempty"`
	Duration time.Duration `json:",omitempty"`
	Reason   string        `json:",omitempty"`
}

func probe(key string, head []byte, size int64) probeResult {
	info, err := Probe(key, head, size)
	return probeResult{Title: info.Title, Language: info.Language, Duration: info.Duration, Reason: Reason(err)}
}

func TestProbeFixtures(t *testing.T) {
	t.Parallel()
	long := readFile(t, "testdata", "audio", "long.mp3")
	tests := []struct {
		name   string
		key    string
		head   []byte
		size   int64
		want   string  // title
		reason string  // "" when accepted
		min    float64 // seconds
		max    float64
	}{
		{"short", "short.mp3", readFile(t, "testdata", "audio", "short.mp3"), -1, "Short Test", "", 1.0, 1.6},
		{"no title", "notitle.mp3", readFile(t, "testdata", "audio", "notitle.mp3"), -1, "", "", 0.8, 1.4},
		{"xing", "vbr.mp3", readFile(t, "testdata", "audio", "vbr.mp3"), -1, "Variable Rate", "", 1.3, 1.9},
		{"long", "long.mp3", long, -1, "Long Test", "", 19, 24},
		{"long, 4 KB head", "long.mp3", long[:4096], int64(len(long)), "Long Test", "", 19, 24},
		{"long, upper-case key", "LONG.MP3", long, -1, "Long Test", "", 19, 24},
		{"text named .mp3", "text.mp3", readFile(t, "testdata", "audio", "text.mp3"), -1, "", "not an MP3 stream", 0, 0},
		{"empty", "empty.mp3", readFile(t, "testdata", "audio", "empty.mp3"), -1, "", "zero-byte file", 0, 0},
		// The content decides, not the name (see the package doc).
		{"mp3 named .m4a", "short.m4a", readFile(t, "testdata", "audio", "short.mp3"), -1, "Short Test", "", 1.0, 1.6},
		{"mp3 named .aac", "short.aac", readFile(t, "testdata", "audio", "short.mp3"), -1, "Short Test", "", 1.0, 1.6},
		{"text named .m4a", "text.m4a", readFile(t, "testdata", "audio", "text.mp3"), -1, "", "not an MP4 file", 0, 0},
		{"text named .aac", "text.aac", readFile(t, "testdata", "audio", "text.mp3"), -1, "", "not an ADTS AAC stream", 0, 0},
		{"UTF-16 title", "el pato y el ñandú.mp3", readFile(t, "media", "animales", "el pato y el ñandú.mp3"), -1, "El pato y el ñandú", "", 5, 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			size := tt.size
			if size < 0 {
				size = int64(len(tt.head))
			}
			info, err := Probe(tt.key, headOf(tt.head), size)
			if got := Reason(err); got != tt.reason {
				t.Fatalf("Probe(%q) reason %q; want %q", tt.key, got, tt.reason)
			}
			if err != nil {
				if !errors.Is(err, ErrNotPlayable) {
					t.Errorf("Probe(%q) error %v does not wrap ErrNotPlayable", tt.key, err)
				}
				return
			}
			if info.Title != tt.want {
				t.Errorf("Probe(%q) title %q; want %q", tt.key, info.Title, tt.want)
			}
			if s := info.Duration.Seconds(); s < tt.min || s > tt.max {
				t.Errorf("Probe(%q) duration %v; want %v–%vs", tt.key, info.Duration, tt.min, tt.max)
			}
		})
	}
}

// TestProbeGolden pins Probe's result for every committed audio file (the
// sample library and the fixtures) in testdata/probe.golden.json.
func TestProbeGolden(t *testing.T) {
	t.Parallel()
	// golden is a probeResult with a readable duration.
	type golden struct {
		Title    string `json:",omitempty"`
		Duration string `json:",omitempty"`
		Reason   string `json:",omitempty"`
	}
	got := map[string]golden{}
	for _, dir := range []string{"media", "testdata/audio", "testdata/corpus"} {
		root := filepath.Join("..", "..", dir)
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !Playable(p) {
				return err
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(filepath.Join("..", ".."), p)
			r := probe(p, headOf(b), int64(len(b)))
			g := golden{Title: r.Title, Reason: r.Reason}
			if r.Duration != 0 {
				g.Duration = r.Duration.String()
			}
			got[filepath.ToSlash(rel)] = g
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join("testdata", "probe.golden.json")
	if *update {
		b, err := json.MarshalIndent(got, "", "\t")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	var want map[string]golden
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Probe results differ from %s (-want +got):\n%s", file, diff)
	}
}

func TestProbeMP3(t *testing.T) {
	t.Parallel()
	three := frames(mpeg1Mono, mpeg1MonoLen, 3)
	random := make([]byte, 64<<10)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	bigTag := id3v2(3, 0, 1<<20, frame23("TIT2", 0, utf8Text("Big Art")), frame23("APIC", 0, make([]byte, HeadSize)))
	title := func(s string) []byte { return id3v2(3, 0, -1, frame23("TIT2", 0, utf8Text(s))) }
	cbr := func(n int) time.Duration { // n MPEG-1 128 kbit/s frames of 417 bytes
		return time.Duration(n*mpeg1MonoLen*8) * time.Second / 128000
	}
	tests := []struct {
		name string
		head []byte
		size int64 // len(head) when 0
		want probeResult
	}{
		{"three frames", three, 0, probeResult{Duration: cbr(3)}},
		{"MPEG-2 frames", frames(mpeg2Mono, mpeg2MonoLen, 3), 0, probeResult{Duration: 78 * time.Millisecond}},
		{"two frames to the end", frames(mpeg1Mono, mpeg1MonoLen, 2), 0, probeResult{Duration: cbr(2)}},
		{"one frame", frames(mpeg1Mono, mpeg1MonoLen, 1), 0, probeResult{Reason: "not an MP3 stream"}},
		{"truncated frames", frames(mpeg1Mono, mpeg1MonoLen, 3)[:2*mpeg1MonoLen+100], 0, probeResult{Reason: "truncated MP3 stream"}},
		{"frame claims past the end", three[:mpeg1MonoLen+2], 0, probeResult{Reason: "truncated MP3 stream"}},
		{"head shorter than file", three[:2*mpeg1MonoLen+10], 100 * mpeg1MonoLen, probeResult{Duration: cbr(100)}},
		{"junk before frames", append(bytes.Repeat([]byte{0}, 1000), three...), 0, probeResult{Duration: cbr(3)}},
		{"frames too far from start", append(bytes.Repeat([]byte{' '}, syncWindow+10), three...), 0, probeResult{Reason: "not an MP3 stream"}},
		{"40 KB of zeros before the frames", append(make([]byte, 40<<10), three...), 0, probeResult{Duration: cbr(3)}},
		{"layer II", frames(mpeg1Layer2, mpeg1MonoLen, 3), 0, probeResult{Reason: "MPEG Layer II (MP2) audio: Alexa plays MP3 and AAC"}},
		{"free bitrate", frames([]byte{0xFF, 0xFB, 0x00, 0xC0}, mpeg1MonoLen, 3), 0, probeResult{Reason: "free-format MP3: Alexa plays MP3 at 16–384 kbps"}},
		{"bad bitrate", frames([]byte{0xFF, 0xFB, 0xF0, 0xC0}, mpeg1MonoLen, 3), 0, probeResult{Reason: "not an MP3 stream"}},
		{"reserved sample rate", frames([]byte{0xFF, 0xFB, 0x9C, 0xC0}, mpeg1MonoLen, 3), 0, probeResult{Reason: "not an MP3 stream"}},
		{"reserved version", frames([]byte{0xFF, 0xEB, 0x90, 0xC0}, mpeg1MonoLen, 3), 0, probeResult{Reason: "not an MP3 stream"}},
		{"reserved emphasis", frames([]byte{0xFF, 0xFB, 0x90, 0xC2}, mpeg1MonoLen, 3), 0, probeResult{Reason: "not an MP3 stream"}},
		{"mixed sample rates", bytes.Join([][]byte{frames(mpeg1Mono, mpeg1MonoLen, 1), frames(mpeg2Mono, mpeg2MonoLen, 1), frames(mpeg1Mono, mpeg1MonoLen, 1)}, nil), 0, probeResult{Reason: "not an MP3 stream"}},
		{"garbage", random, 0, probeResult{Reason: "not an MP3 stream"}},
		{"HTML", []byte("<!DOCTYPE html><title>404</title>"), 0, probeResult{Reason: "not an MP3 stream"}},
		{"Xing frame count", append(xingFrame("Xing", 1000), three...), 1000 * mpeg1MonoLen, probeResult{Duration: 1000 * 1152 * time.Second / 44100}},
		{"Info frame count", append(xingFrame("Info", 50), three...), 50 * mpeg1MonoLen, probeResult{Duration: 50 * 1152 * time.Second / 44100}},
		{"VBRI frame count", append(vbriFrame(77), three...), 77 * mpeg1MonoLen, probeResult{Duration: 77 * 1152 * time.Second / 44100}},
		{"Xing frame count larger than the file", append(xingFrame("Xing", 0xFFFFFFF0), three...), 0, probeResult{Duration: cbr(4)}},
		{"ID3 header only", id3v2(3, 0, 0), 0, probeResult{Reason: "ID3 tag with no audio"}},
		{"ID3 tag only", title("Solo"), 0, probeResult{Reason: "ID3 tag with no audio"}},
		{"ID3 tag past the end", id3v2(3, 0, 5000), 0, probeResult{Reason: "ID3 tag runs past end of file"}},
		{"ID3 bad version", append([]byte("ID3\xff\x00\x00\x00\x00\x00\x00"), three...), 0, probeResult{Reason: "malformed ID3 tag"}},
		{"ID3 bad size byte", append([]byte("ID3\x03\x00\x00\x00\x00\x80\x00"), three...), 0, probeResult{Reason: "malformed ID3 tag"}},
		{"ID3 cut short", []byte("ID3\x03\x00"), 0, probeResult{Reason: "truncated ID3 tag"}},
		{"ID3 then text", append(title("Texto"), "just words, no audio"...), 0, probeResult{Reason: "not an MP3 stream"}},
		{"ID3v2.3 title", append(title("Hola, ñandú"), three...), 0, probeResult{Title: "Hola, ñandú", Duration: cbr(3)}},
		{"ID3v2.4 title", append(id3v2(4, 0, -1, frame24("TIT2", 0, utf8Text("Cuatro"))), three...), 0, probeResult{Title: "Cuatro", Duration: cbr(3)}},
		{"ID3v2.4 footer", append(append(id3v2(4, 0x10, -1, frame24("TIT2", 0, utf8Text("Pie"))), append([]byte("3DI\x04\x00\x10"), ss(14)...)...), three...), 0, probeResult{Title: "Pie", Duration: cbr(3)}},
		{"ID3v2.2 title", append(id3v2(2, 0, -1, frame22("TT2", []byte("\x00Two"))), three...), 0, probeResult{Title: "Two", Duration: cbr(3)}},
		{"ID3 Latin-1 title", append(id3v2(3, 0, -1, frame23("TIT2", 0, []byte("\x00Ni\xf1o"))), three...), 0, probeResult{Title: "Niño", Duration: cbr(3)}},
		{"ID3 UTF-16 title", append(id3v2(3, 0, -1, frame23("TIT2", 0, []byte("\x01\xff\xfeO\x00k\x00"))), three...), 0, probeResult{Title: "Ok", Duration: cbr(3)}},
		{"ID3 title after other frames", append(id3v2(3, 0, -1, frame23("TALB", 0, utf8Text("Album")), frame23("TIT2", 0, utf8Text("Second"))), three...), 0, probeResult{Title: "Second", Duration: cbr(3)}},
		{"ID3 padding", append(id3v2(3, 0, -1, frame23("TIT2", 0, utf8Text("Pad")), make([]byte, 500)), three...), 0, probeResult{Title: "Pad", Duration: cbr(3)}},
		{"ID3 extended header v2.3", append(id3v2(3, 0x40, -1, []byte{0, 0, 0, 6, 0, 0, 0, 0, 0, 0}, frame23("TIT2", 0, utf8Text("Ext"))), three...), 0, probeResult{Title: "Ext", Duration: cbr(3)}},
		{"ID3 extended header v2.4", append(id3v2(4, 0x40, -1, []byte{0, 0, 0, 6, 1, 0}, frame24("TIT2", 0, utf8Text("Ext4"))), three...), 0, probeResult{Title: "Ext4", Duration: cbr(3)}},
		{"ID3 unsynchronised", append(id3v2(3, 0x80, -1, bytes.ReplaceAll(frame23("TIT2", 0, []byte("\x00A\xffB")), []byte{0xFF}, []byte{0xFF, 0})), three...), 0, probeResult{Title: "A\u00ffB", Duration: cbr(3)}},
		{"ID3 compressed title", append(id3v2(3, 0, -1, frame23("TIT2", 0x0080, []byte("\x00\x00\x00\x10xyz"))), three...), 0, probeResult{Duration: cbr(3)}},
		{"ID3 frame past the tag", append(id3v2(3, 0, -1, frame23("TIT2", 0, utf8Text("x"))[:10], []byte{3}), three...), 0, probeResult{Duration: cbr(3)}},
		{"ID3 title with controls and spaces", append(title(" \tline\none\x00 "), three...), 0, probeResult{Title: "line one", Duration: cbr(3)}},
		{"two ID3 tags", append(append(title("First"), title("Second")...), three...), 0, probeResult{Title: "First", Duration: cbr(3)}},
		{"ID3v2.3 language", append(id3v2(3, 0, -1, frame23("TLAN", 0, []byte("\x00spa")), frame23("TIT2", 0, utf8Text("Uno"))), three...), 0, probeResult{Title: "Uno", Language: "es", Duration: cbr(3)}},
		{"ID3v2.4 language after title", append(id3v2(4, 0, -1, frame24("TIT2", 0, utf8Text("One")), frame24("TLAN", 0, utf8Text("eng"))), three...), 0, probeResult{Title: "One", Language: "en", Duration: cbr(3)}},
		{"ID3v2.2 language", append(id3v2(2, 0, -1, frame22("TLA", []byte("\x00ENG"))), three...), 0, probeResult{Language: "en", Duration: cbr(3)}},
		{"ID3 two-letter language", append(id3v2(3, 0, -1, frame23("TLAN", 0, utf8Text("es"))), three...), 0, probeResult{Language: "es", Duration: cbr(3)}},
		{"ID3 unknown language", append(id3v2(3, 0, -1, frame23("TLAN", 0, utf8Text("xyz"))), three...), 0, probeResult{Duration: cbr(3)}},
		{"ID3 tag bigger than head", bigTag[:HeadSize], 4 << 20, probeResult{Title: "Big Art"}},
		{"ID3 tag bigger than head, no audio after", bigTag[:HeadSize], 1<<20 + 10, probeResult{Reason: "ID3 tag with no audio"}},
		{"ID3 tag bigger than file", bigTag[:HeadSize], 1 << 19, probeResult{Reason: "ID3 tag runs past end of file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			size := tt.size
			if size == 0 {
				size = int64(len(tt.head))
			}
			got := probe("x.mp3", tt.head, size)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Probe mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestProbeCallerMistakes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		head []byte
		size int64
	}{
		{"head longer than size", make([]byte, 10), 5},
		{"negative size", nil, -1},
		{"empty head", nil, 100},
		{"absurd size", make([]byte, 10), 1 << 62},
	}
	for _, tt := range tests {
		_, err := Probe("x.mp3", tt.head, tt.size)
		if err == nil || errors.Is(err, ErrNotPlayable) {
			t.Errorf("%s: Probe error %v; want an error not wrapping ErrNotPlayable", tt.name, err)
		}
	}
}

func TestProbeUnsupportedExtension(t *testing.T) {
	t.Parallel()
	_, err := Probe("song.wav", []byte("RIFF"), 4)
	if got := Reason(err); got != "unsupported file type" || !errors.Is(err, ErrNotPlayable) {
		t.Errorf("Probe(song.wav) = %v (reason %q); want unsupported file type", err, got)
	}
}

func TestReason(t *testing.T) {
	t.Parallel()
	_, zero := Probe("x.mp3", nil, 0)
	tests := []struct {
		err  error
		want string
	}{
		{nil, ""},
		{zero, "zero-byte file"},
		{fmt.Errorf("index chistes/x.mp3: %w", zero), "zero-byte file"},
		{ErrNotPlayable, "not playable audio"},
		{errors.New("access denied"), "access denied"},
	}
	for _, tt := range tests {
		if got := Reason(tt.err); got != tt.want {
			t.Errorf("Reason(%v) = %q; want %q", tt.err, got, tt.want)
		}
	}
	if got, want := zero.Error(), "not playable audio: zero-byte file"; got != want {
		t.Errorf("error text %q; want %q", got, want)
	}
}

func TestCleanTitle(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("ñ", 200) // 400 bytes
	got := cleanTitle(long)
	if len(got) > maxTitle || !strings.HasPrefix(long, got) || len(got) < maxTitle-1 {
		t.Errorf("cleanTitle(400 bytes) kept %d bytes; want a rune-aligned prefix of at most %d", len(got), maxTitle)
	}
	if got, want := cleanTitle("a\xffb"), "a\uFFFDb"; got != want {
		t.Errorf("cleanTitle(invalid UTF-8) = %q; want %q", got, want)
	}
}

// allocated returns the bytes fn allocates on the heap.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestProbeBoundedAllocation feeds sizes claimed inside the bytes that are
// far larger than the bytes: Probe must allocate in proportion to the bytes.
func TestProbeBoundedAllocation(t *testing.T) {
	three := frames(mpeg1Mono, mpeg1MonoLen, 3)
	huge23 := frame23("TIT2", 0, utf8Text("x"))
	binary23 := []byte{0, 0x90, 0, 0} // 9.4 MB
	copy(huge23[4:8], binary23)
	huge24 := frame24("TIT2", 0x0001, []byte{0x04, 0x7F, 0x7F, 0x7F, 3, 'x'}) // data length indicator 9 MB
	nam := mp4Box("\xa9nam", mp4Box("data", []byte{0, 0, 0, 1, 0, 0, 0, 0}, []byte("t")))
	copy(nam[:4], []byte{0, 0x90, 0, 0})
	tests := []struct {
		name, key string
		head      []byte
	}{
		{"ID3v2.3 frame claims 9 MB", "x.mp3", append(id3v2(3, 0, 20, huge23), three...)},
		{"ID3v2.4 length indicator claims 9 MB", "x.mp3", append(id3v2(4, 0, -1, huge24), three...)},
		{"ID3 tag claims 200 MB", "x.mp3", id3v2(4, 0, 200<<20, huge24)},
		{"©nam claims 9 MB", "x.m4a", bytes.Join([][]byte{ftyp("M4A "), mp4Box("moov", mvhd0(1000, 1000), mp4Box("udta", mp4Box("meta", []byte{0, 0, 0, 0}, mp4Box("ilst", nam))))}, nil)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			size := int64(len(tt.head))
			if tt.name == "ID3 tag claims 200 MB" {
				size = 300 << 20
			}
			n := allocated(func() { _, _ = Probe(tt.key, tt.head, size) })
			if limit := uint64(64 << 10); n > limit {
				t.Errorf("Probe allocated %d bytes for %d bytes of head; want at most %d", n, len(tt.head), limit)
			}
		})
	}
}

func ExampleProbe() {
	b, err := os.ReadFile("../../testdata/audio/short.mp3")
	if err != nil {
		fmt.Println(err)
		return
	}
	info, err := Probe("jokes/short.mp3", b[:min(len(b), HeadSize)], int64(len(b)))
	fmt.Printf("%q %.1fs %v\n", info.Title, info.Duration.Seconds(), err)

	_, err = Probe("jokes/notes.mp3", []byte("shopping list"), 13)
	fmt.Printf("%v %q\n", errors.Is(err, ErrNotPlayable), Reason(err))
	// Output:
	// "Short Test" 1.3s <nil>
	// true "not an MP3 stream"
}

func BenchmarkProbe(b *testing.B) {
	long := readFile(b, "testdata", "audio", "long.mp3")
	short := readFile(b, "testdata", "audio", "short.mp3")
	m4a := bytes.Join([][]byte{ftyp("M4A ", "mp42", "isom"), mp4Box("moov", mvhd0(44100, 44100*5), aacTrak(), ilstTitle(1, []byte("Título"))), mp4Box("mdat", make([]byte, 64<<10))}, nil)
	aac := adts(4, 2, 371, 500)
	for _, bc := range []struct {
		name, key string
		file      []byte
	}{
		{"mp3/long", "long.mp3", long},
		{"mp3/short", "short.mp3", short},
		{"m4a", "x.m4a", m4a},
		{"m4a/ffmpeg", "aac.m4a", readFile(b, "testdata", "corpus", "aac.m4a")},
		{"aac", "x.aac", aac},
	} {
		b.Run(bc.name, func(b *testing.B) {
			head := headOf(bc.file)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Probe(bc.key, head, int64(len(bc.file))); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestProbeBitrate checks Alexa's 16–384 kbps rule on the committed
// fixtures (LAME at 8, 16 and 320 kbit/s) and on crafted MP3 and ADTS
// streams, and that the reason names the rate.
func TestProbeBitrate(t *testing.T) {
	t.Parallel()
	// MPEG-2.5 Layer III, 8 kbit/s, 8 kHz, mono: 72×8000/8000 = 72 bytes.
	mpeg25Low := frames([]byte{0xFF, 0xE3, 0x18, 0xC4}, 72, 5)
	// MPEG-2 22.05 kHz mono frames alternating 8 kbit/s (26 bytes) and
	// 32 kbit/s (104 bytes): VBR averaging 20 kbit/s, first frame below 16.
	var vbr []byte
	for range 4 {
		vbr = append(vbr, frames([]byte{0xFF, 0xF3, 0x10, 0xC4}, 26, 1)...)
		vbr = append(vbr, frames(mpeg2Mono, mpeg2MonoLen, 1)...)
	}
	tests := []struct {
		name    string
		key     string
		file    []byte
		bitrate int
		reason  string
	}{
		{"LAME 8 kbit/s", "rate8.mp3", readFile(t, "testdata", "audio", "rate8.mp3"), 0, "8 kbps: Alexa plays 16–384 kbps"},
		{"LAME 16 kbit/s", "rate16.mp3", readFile(t, "testdata", "audio", "rate16.mp3"), 16000, ""},
		{"LAME 320 kbit/s", "rate320.mp3", readFile(t, "testdata", "audio", "rate320.mp3"), 320000, ""},
		{"LAME 32 kbit/s", "short.mp3", readFile(t, "testdata", "audio", "short.mp3"), 32000, ""},
		{"ffmpeg AAC 8 kbit/s in MP4", "rate8.m4a", readFile(t, "testdata", "audio", "rate8.m4a"), 0, "8 kbps: Alexa plays 16–384 kbps"},
		{"MPEG-2.5 8 kbit/s", "x.mp3", mpeg25Low, 0, "8 kbps: Alexa plays 16–384 kbps"},
		{"VBR averaging 20 kbit/s", "x.mp3", vbr, 20000, ""},
		{"MPEG-1 128 kbit/s", "x.mp3", frames(mpeg1Mono, mpeg1MonoLen, 3), 128000, ""},
		// 44.1 kHz ADTS: length×8×44100/1024 bits a second.
		{"ADTS 128 kbit/s", "x.aac", adts(4, 2, 371, 20), 371 * 8 * 44100 / 1024, ""},
		{"ADTS 14 kbit/s", "x.aac", adts(4, 1, 40, 20), 0, "14 kbps: Alexa plays 16–384 kbps"},
		{"ADTS 15.5 kbit/s", "x.aac", adts(4, 1, 45, 20), 0, "15.5 kbps: Alexa plays 16–384 kbps"},
		{"ADTS 413 kbit/s", "x.aac", adts(4, 2, 1200, 20), 0, "413 kbps: Alexa plays 16–384 kbps"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, err := Probe(tt.key, headOf(tt.file), int64(len(tt.file)))
			if got := Reason(err); got != tt.reason {
				t.Fatalf("Probe(%s) reason %q; want %q", tt.name, got, tt.reason)
			}
			if tt.reason != "" && !errors.Is(err, ErrNotPlayable) {
				t.Errorf("Probe(%s) error %v does not wrap ErrNotPlayable", tt.name, err)
			}
			if info.Bitrate != tt.bitrate {
				t.Errorf("Probe(%s) bit rate %d; want %d", tt.name, info.Bitrate, tt.bitrate)
			}
		})
	}
}
