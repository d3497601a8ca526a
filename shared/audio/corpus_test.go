package audio

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// corpusDir holds the probe corpus that scripts/make-audio.sh makes.
const corpusDir = "../../testdata/corpus"

// corpusWant is the decision for one file of the corpus.
type corpusWant struct {
	reason string // "" when playable
	format string // when playable
	title  string
	lang   string
}

// corpus lists every file of testdata/corpus with its decision.
var corpus = map[string]corpusWant{
	// Each codec in MP4: only AAC plays.
	"aac.m4a":       {format: FormatMP4, title: "AAC in MP4"},
	"alac.m4a":      {reason: "ALAC: Alexa plays AAC in MP4"},
	"opus.mp4":      {reason: "Opus: Alexa plays AAC in MP4"},
	"flac.mp4":      {reason: "FLAC: Alexa plays AAC in MP4"},
	"ac3.mp4":       {reason: "AC-3: Alexa plays AAC in MP4"},
	"eac3.mp4":      {reason: "E-AC-3: Alexa plays AAC in MP4"},
	"mp3.m4a":       {reason: "MP3: Alexa plays AAC in MP4"},
	"mp2.mp4":       {reason: "MP2: Alexa plays AAC in MP4"},
	"video.mp4":     {reason: "video with no audio track: Alexa plays AAC in MP4"},
	"video-aac.mp4": {format: FormatMP4},
	// Bit rates, rates and layouts in MP4.
	"aac-8k-moov-end.m4a": {reason: "14 kbps: Alexa plays 16–384 kbps"},
	"aac-moov-end.m4a":    {format: FormatMP4, title: "Moov at the end"},
	"aac-8k-frag.mp4":     {reason: "14 kbps: Alexa plays 16–384 kbps"},
	"aac-frag.mp4":        {format: FormatMP4, title: "Fragmented"},
	"aac-20k.m4a":         {format: FormatMP4},
	"aac-392k-5.1.m4a":    {reason: "417 kbps: Alexa plays 16–384 kbps"},
	"aac-32khz.m4a":       {reason: "32 kHz AAC: Alexa plays AAC at 22.05, 44.1 or 48 kHz"},
	"quicktime.m4a":       {format: FormatMP4, title: "QuickTime AAC"},
	// ADTS, and ADTS named .mp3: the content decides.
	"adts-8k.aac":       {reason: "14 kbps: Alexa plays 16–384 kbps"},
	"adts.aac":          {format: FormatADTS},
	"adts-392k-5.1.aac": {reason: "411 kbps: Alexa plays 16–384 kbps"},
	"adts-named.mp3":    {format: FormatADTS},
	// MP3.
	"freeformat.mp3":  {reason: "free-format MP3: Alexa plays MP3 at 16–384 kbps"},
	"vbr-no-xing.mp3": {format: FormatMP3},
	"zeros.mp3":       {format: FormatMP3},
	"riff.mp3":        {reason: "MP3 inside a WAV (RIFF) file: Alexa plays plain MP3 files"},
	// Tags and languages.
	"id3v23-spa.mp3": {format: FormatMP3, title: "Tres", lang: "es"},
	"id3v24-fra.mp3": {format: FormatMP3, title: "Cuatro", lang: "fr"},
	"id3v1.mp3":      {format: FormatMP3, title: "Solo uno"},
	"lang-xx1.mp3":   {format: FormatMP3, title: "Garbage"},
	"lang-es.mp3":    {format: FormatMP3, title: "Dos letras", lang: "es"},
	// Playlists.
	"list.pls": {reason: PlaylistReason},
	"list.m3u": {reason: PlaylistReason},
}

// countingFile is an io.ReaderAt over a file that counts its reads.
type countingFile struct {
	f     *os.File
	reads int
	bytes int64
}

func (c *countingFile) ReadAt(p []byte, off int64) (int, error) {
	c.reads++
	c.bytes += int64(len(p))
	return c.f.ReadAt(p, off)
}

// probeFile runs ProbeReader on a file and returns what it read.
func probeFile(t *testing.T, p string) (Info, *countingFile, error) {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	c := &countingFile{f: f}
	info, err := ProbeReader(filepath.Base(p), c, st.Size())
	return info, c, err
}

// TestProbeCorpus asserts the decision and reason for every file of the
// corpus, and that every file there has one.
func TestProbeCorpus(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join(corpusDir, "*"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, p := range files {
		name := filepath.Base(p)
		if name == "README.md" {
			continue
		}
		seen[name] = true
		want, ok := corpus[name]
		if !ok {
			t.Errorf("%s: in the corpus but not in the table", name)
			continue
		}
		info, _, err := probeFile(t, p)
		if got := Reason(err); got != want.reason {
			t.Errorf("ProbeReader(%s) reason %q; want %q", name, got, want.reason)
			continue
		}
		if err == nil && (info.Format != want.format || info.Title != want.title || info.Language != want.lang) {
			t.Errorf("ProbeReader(%s) = %s %q %q; want %s %q %q", name, info.Format, info.Title, info.Language, want.format, want.title, want.lang)
		}
	}
	for name := range corpus {
		if !seen[name] {
			t.Errorf("%s: in the table but not in %s (run scripts/make-audio.sh corpus)", name, corpusDir)
		}
	}
}

// largeLayouts writes, into dir, the files whose layout the committed corpus
// cannot hold cheaply: 1 MB covers, a lying Xing count, tags written here
// byte by byte (ID3v2.4 unsynchronisation, multi-value, APE), and with ffmpeg
// unless short, a one-hour fast-start M4A and long moov-at-end and
// fragmented ones. It returns each file's decision.
func largeLayouts(t *testing.T, dir string, short bool) map[string]corpusWant {
	t.Helper()
	cover := make([]byte, 1<<20)
	rand.Read(cover)
	apic := frame23("APIC", 0, append([]byte("\x00image/jpeg\x00\x03\x00"), cover...))
	coverTag := func(title string) []byte { return id3v2(3, 0, -1, frame23("TIT2", 0, utf8Text(title)), apic) }
	plain := readFile(t, "testdata", "audio", "notitle.mp3")
	vbr := bytes.Clone(readFile(t, "testdata", "audio", "vbr.mp3"))
	// The Xing frame count of vbr.mp3, after its ID3v2 tag: set to 0xFFFFFFF0.
	if i := bytes.Index(vbr, []byte("Xing")); i < 0 {
		t.Fatal("vbr.mp3 has no Xing header")
	} else {
		binary.BigEndian.PutUint32(vbr[i+8:], 0xFFFFFFF0)
	}
	// ID3v2.4 with tag-level unsynchronisation: a UTF-16 title (its BOM
	// is FF FE), every FF followed by 00, and no frame flag saying so.
	utf16Title := []byte{1, 0xFF, 0xFE, 'S', 0, 'y', 0, 'n', 0, 'c', 0, 0xFF, 0}
	unsynced := bytes.ReplaceAll(utf16Title, []byte{0xFF}, []byte{0xFF, 0})
	ape := apeTag("Título APE")
	files := map[string]struct {
		b    []byte
		want corpusWant
	}{
		"cover-8k.mp3":      {append(coverTag("Big cover"), readFile(t, "testdata", "audio", "rate8.mp3")...), corpusWant{reason: "8 kbps: Alexa plays 16–384 kbps"}},
		"cover-text.mp3":    {append(coverTag("Big cover"), "This is text, after a picture, not audio.\n"...), corpusWant{reason: "not an MP3 stream"}},
		"cover-ok.mp3":      {append(coverTag("Big cover"), plain...), corpusWant{format: FormatMP3, title: "Big cover"}},
		"xing-lie.mp3":      {vbr, corpusWant{format: FormatMP3, title: "Variable Rate"}},
		"id3v24-unsync.mp3": {append(id3v2(4, 0x80, -1, frame24("TIT2", 0, unsynced)), plain...), corpusWant{format: FormatMP3, title: "Sync\u00ff"}},
		"multi-value.mp3":   {append(id3v2(4, 0, -1, frame24("TIT2", 0, []byte("\x03Uno\x00Dos\x00"))), plain...), corpusWant{format: FormatMP3, title: "Uno / Dos"}},
		"ape.mp3":           {append(bytes.Clone(plain), ape...), corpusWant{format: FormatMP3, title: "Título APE"}},
	}
	want := map[string]corpusWant{}
	for name, f := range files {
		if err := os.WriteFile(filepath.Join(dir, name), f.b, 0o600); err != nil {
			t.Fatal(err)
		}
		want[name] = f.want
	}
	if short {
		return want
	}
	noise := func(rate string, secs int) []string {
		return []string{"-f", "lavfi", "-i", "anoisesrc=r=" + rate + ":a=0.1:c=pink", "-t", strconv.Itoa(secs), "-ac", "1", "-c:a", "aac"}
	}
	encodes := map[string]struct {
		args []string
		want corpusWant
	}{
		"one-hour.m4a":     {append(noise("22050", 3600), "-b:a", "16k", "-movflags", "+faststart", "-metadata", "title=One hour"), corpusWant{format: FormatMP4, title: "One hour"}},
		"one-hour-8k.m4a":  {append(noise("8000", 3600), "-b:a", "8k", "-movflags", "+faststart"), corpusWant{reason: "8 kbps: Alexa plays 16–384 kbps"}},
		"long-8k-end.m4a":  {append(noise("8000", 600), "-b:a", "8k"), corpusWant{reason: "8 kbps: Alexa plays 16–384 kbps"}},
		"long-end.m4a":     {append(noise("22050", 120), "-b:a", "24k", "-metadata", "title=Long, moov at the end"), corpusWant{format: FormatMP4, title: "Long, moov at the end"}},
		"long-8k-frag.mp4": {append(noise("8000", 600), "-b:a", "8k", "-movflags", "frag_keyframe+empty_moov"), corpusWant{reason: "8 kbps: Alexa plays 16–384 kbps"}},
		"long-frag.mp4":    {append(noise("22050", 600), "-b:a", "24k", "-movflags", "frag_keyframe+empty_moov"), corpusWant{format: FormatMP4}},
		// 1 s fragments, 600 of them: counted until the bound, then extrapolated.
		"many-frag.mp4":        {append(noise("22050", 600), "-b:a", "24k", "-movflags", "frag_keyframe+empty_moov", "-frag_duration", "1000000"), corpusWant{format: FormatMP4}},
		"many-frag-8k.mp4":     {append(noise("8000", 600), "-b:a", "8k", "-movflags", "frag_keyframe+empty_moov", "-frag_duration", "1000000"), corpusWant{reason: "8 kbps: Alexa plays 16–384 kbps"}},
		"long-vbr-no-xing.mp3": {[]string{"-f", "lavfi", "-i", "anoisesrc=r=22050:a=0.1:c=pink", "-t", "300", "-ac", "1", "-c:a", "libmp3lame", "-q:a", "7", "-write_xing", "0"}, corpusWant{format: FormatMP3}},
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	sem := make(chan struct{}, 2)
	for name, e := range encodes {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			args := append([]string{"-nostdin", "-v", "error", "-y"}, e.args...)
			out, err := exec.Command("ffmpeg", append(args, filepath.Join(dir, name))...).CombinedOutput()
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.Errorf("ffmpeg %s: %v\n%s", name, err, out)
				return
			}
			want[name] = e.want
		})
	}
	wg.Wait()
	return want
}

// apeTag returns an APEv2 tag (header, one Title item, footer).
func apeTag(title string) []byte {
	item := binary.LittleEndian.AppendUint32(nil, uint32(len(title)))
	item = append(item, 0, 0, 0, 0)
	item = append(item, "Title\x00"...)
	item = append(item, title...)
	hf := func(flags uint32) []byte {
		b := append([]byte("APETAGEX"), 0xD0, 0x07, 0, 0) // version 2000
		b = binary.LittleEndian.AppendUint32(b, uint32(len(item)+32))
		b = binary.LittleEndian.AppendUint32(b, 1)
		b = binary.LittleEndian.AppendUint32(b, flags)
		return append(b, make([]byte, 8)...)
	}
	return bytes.Join([][]byte{hf(1<<31 | 1<<29), item, hf(1 << 31)}, nil)
}

// TestProbeLargeLayouts: the layouts that need reads beyond the head are
// decided there, within MaxRead bytes and MaxRanges reads.
func TestProbeLargeLayouts(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	want := largeLayouts(t, dir, testing.Short())
	var most int64
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range want {
			if !yield(k) {
				return
			}
		}
	}) {
		w := want[name]
		info, c, err := probeFile(t, filepath.Join(dir, name))
		if got := Reason(err); got != w.reason {
			t.Errorf("ProbeReader(%s) reason %q; want %q", name, got, w.reason)
		} else if err == nil && (info.Format != w.format || info.Title != w.title || info.Language != w.lang) {
			t.Errorf("ProbeReader(%s) = %s %q %q; want %s %q %q", name, info.Format, info.Title, info.Language, w.format, w.title, w.lang)
		}
		if c.bytes > MaxRead || c.reads > MaxRanges {
			t.Errorf("ProbeReader(%s) read %d bytes in %d reads; want at most %d in %d", name, c.bytes, c.reads, MaxRead, MaxRanges)
		}
		most = max(most, c.bytes)
		t.Logf("%s: %d reads, %d bytes, %v%s", name, c.reads, c.bytes, info.Duration.Round(time.Millisecond), map[bool]string{true: " (estimated)"}[info.Estimated])
	}
	t.Logf("most bytes read of one file: %d (bound %d)", most, MaxRead)
}

// ffprobeResult is what ffprobe says of a file, from
// ffprobe -show_entries stream=codec_type,codec_name,sample_rate,channels,bit_rate:format=format_name,duration,bit_rate -of json.
type ffprobeResult struct {
	Streams []struct {
		CodecType  string `json:"codec_type"`
		CodecName  string `json:"codec_name"`
		SampleRate string `json:"sample_rate"`
		Channels   int    `json:"channels"`
		BitRate    string `json:"bit_rate"`
		Packets    string `json:"nb_read_packets"` // with -count_packets
	} `json:"streams"`
	Format struct {
		FormatName string `json:"format_name"`
		Duration   string `json:"duration"`
		BitRate    string `json:"bit_rate"`
		Size       string `json:"size"`
	} `json:"format"`
}

func ffprobe(t *testing.T, p string, count bool) (ffprobeResult, bool) {
	t.Helper()
	args := []string{"-v", "error", "-show_entries",
		"stream=codec_type,codec_name,sample_rate,channels,bit_rate,nb_read_packets:format=format_name,duration,bit_rate,size", "-of", "json", p}
	if count {
		args = append([]string{"-count_packets"}, args...)
	}
	out, err := exec.Command("ffprobe", args...).Output()
	if err != nil {
		return ffprobeResult{}, false
	}
	var r ffprobeResult
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("ffprobe %s: %v", p, err)
	}
	return r, true
}

// ffprobeCodecs are ffprobe's names for the codecs the probe refuses in MP4
// by name. ffprobe calls MP2 in MP4 "mp3" (one object type covers both);
// the probe reads the first frame's layer.
var ffprobeCodecs = map[string][]string{
	"ALAC": {"alac"}, "Opus": {"opus"}, "FLAC": {"flac"}, "AC-3": {"ac3"}, "E-AC-3": {"eac3"}, "MP3": {"mp3"}, "MP2": {"mp2", "mp3"},
}

// TestProbeAgreesWithFFprobe is the differential test: for every fixture
// (testdata/audio, the corpus, and the large layouts) the probe's decision
// agrees with ffprobe's reading. For a playable file: the format, the codec,
// the sample rate and channels, the bit rate within 10 % and the duration
// within 2 %. For a refused one: the codec the reason names, the bit rate
// outside 16–384 kbps within 10 % of the one the reason names, the sample
// rate, no audio stream, or a format ffprobe does not take for MP3, ADTS or
// MP4.
func TestProbeAgreesWithFFprobe(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("ffprobe"); err != nil {
		t.Fatalf("ffprobe not installed (scripts/setup.sh installs ffmpeg): %v", err)
	}
	dir := t.TempDir()
	largeLayouts(t, dir, testing.Short())
	var files []string
	for _, pattern := range []string{"../../testdata/audio/*", filepath.Join(corpusDir, "*"), filepath.Join(dir, "*")} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	var worstRate, worstDur float64
	var worstRateFile, worstDurFile string
	checked, estimates := 0, 0
	for _, p := range files {
		name := filepath.Base(p)
		if st, err := os.Stat(p); err != nil || st.Size() == 0 || strings.HasSuffix(name, ".md") || strings.HasSuffix(name, ".wav") || strings.HasSuffix(name, ".opus") {
			continue // empty, documentation, or for jokebox add (not a playable name)
		}
		info, _, err := probeFile(t, p)
		ff, ok := ffprobe(t, p, false)
		var audioStream int = -1
		for i, s := range ff.Streams {
			if s.CodecType == "audio" {
				audioStream = i
				break
			}
		}
		checked++
		reason := Reason(err)
		switch {
		case err == nil:
			if !ok || audioStream < 0 {
				t.Errorf("%s: playable (%s), but ffprobe reads no audio in it", name, info.Format)
				continue
			}
			s := ff.Streams[audioStream]
			wantFormat := map[string]string{FormatMP3: "mp3", FormatADTS: "aac", FormatMP4: "mov,mp4,m4a,3gp,3g2,mj2"}[info.Format]
			if ff.Format.FormatName != wantFormat || s.CodecName != info.Codec {
				t.Errorf("%s: probe %s/%s; ffprobe %s/%s", name, info.Format, info.Codec, ff.Format.FormatName, s.CodecName)
			}
			if strconv.Itoa(info.SampleRate) != s.SampleRate || info.Channels != s.Channels {
				t.Errorf("%s: probe %d Hz, %d channels; ffprobe %s Hz, %d channels", name, info.SampleRate, info.Channels, s.SampleRate, s.Channels)
			}
			br, _ := strconv.ParseFloat(cmpOr(s.BitRate, ff.Format.BitRate), 64)
			dur, _ := strconv.ParseFloat(ff.Format.Duration, 64)
			if info.Format != FormatMP4 {
				// ffprobe's MP3 and ADTS durations are estimates (the first
				// frame's bit rate over the size, or a Xing count, trusted;
				// tags at the end counted as audio): its packet count is
				// the reference, and the bytes over it the bit rate.
				counted, _ := ffprobe(t, p, true)
				packets, _ := strconv.ParseFloat(counted.Streams[audioStream].Packets, 64)
				spf := 1024.0
				if info.Format == FormatMP3 {
					spf = 1152
					if info.SampleRate < 32000 {
						spf = 576
					}
				}
				if c := packets * spf / float64(info.SampleRate); math.Abs(c-dur)/c > 0.02 {
					size, _ := strconv.ParseFloat(ff.Format.Size, 64)
					t.Logf("%s: ffprobe estimates %.3fs at %.0f bit/s; its %0.f packets last %.3fs: %.0f bit/s over the file's bytes", name, dur, br, packets, c, size*8/c)
					estimates++
					dur, br = c, size*8/c
				}
			}
			if d := math.Abs(float64(info.Bitrate)-br) / br; !(d <= 0.10) {
				t.Errorf("%s: probe %d bit/s; ffprobe %.0f (%.1f %% off; want within 10 %%)", name, info.Bitrate, br, 100*d)
			} else if d > worstRate {
				worstRate, worstRateFile = d, name
			}
			if d := math.Abs(info.Duration.Seconds()-dur) / dur; !(d <= 0.02) {
				t.Errorf("%s: probe %v; ffprobe %.3fs (%.1f %% off; want within 2 %%)", name, info.Duration, dur, 100*d)
			} else if d > worstDur {
				worstDur, worstDurFile = d, name
			}
		case strings.HasSuffix(reason, ": Alexa plays AAC in MP4"):
			codec := strings.TrimSuffix(reason, ": Alexa plays AAC in MP4")
			if codec == "video with no audio track" {
				if audioStream >= 0 {
					t.Errorf("%s: refused %q; ffprobe reads %s audio", name, reason, ff.Streams[audioStream].CodecName)
				}
				continue
			}
			if audioStream < 0 || !slices.Contains(ffprobeCodecs[codec], ff.Streams[audioStream].CodecName) {
				t.Errorf("%s: refused %q; ffprobe reads %+v", name, reason, ff.Streams)
			}
		case strings.HasSuffix(reason, " kbps: Alexa plays 16–384 kbps"):
			kbps, _ := strconv.ParseFloat(strings.TrimSuffix(reason, " kbps: Alexa plays 16–384 kbps"), 64)
			if audioStream < 0 {
				t.Errorf("%s: refused %q; ffprobe reads no audio", name, reason)
				continue
			}
			br, _ := strconv.ParseFloat(cmpOr(ff.Streams[audioStream].BitRate, ff.Format.BitRate), 64)
			if d := math.Abs(kbps*1000-br) / br; !(d <= 0.10) || br >= MinBitrate && br <= MaxBitrate {
				t.Errorf("%s: refused %q; ffprobe reads %.0f bit/s", name, reason, br)
			}
		case strings.HasSuffix(reason, " kHz AAC: Alexa plays AAC at 22.05, 44.1 or 48 kHz"):
			khz := strings.TrimSuffix(reason, " kHz AAC: Alexa plays AAC at 22.05, 44.1 or 48 kHz")
			if hz, _ := strconv.ParseFloat(khz, 64); audioStream < 0 || ff.Streams[audioStream].SampleRate != strconv.Itoa(int(hz*1000)) {
				t.Errorf("%s: refused %q; ffprobe reads %+v", name, reason, ff.Streams)
			}
		case strings.HasPrefix(reason, "free-format MP3"):
			// ffprobe cannot read it either, or reads MP3 with no bit rate.
			if ok && audioStream >= 0 && ff.Streams[audioStream].BitRate != "" {
				t.Errorf("%s: refused %q; ffprobe reads %+v", name, reason, ff.Streams)
			}
		default:
			// Not MP3, ADTS or MP4 at all (text, WAV, playlists): ffprobe
			// fails, or reads another format.
			if ok && slices.Contains([]string{"mp3", "aac", "mov,mp4,m4a,3gp,3g2,mj2"}, ff.Format.FormatName) {
				t.Errorf("%s: refused %q; ffprobe reads %s %+v", name, reason, ff.Format.FormatName, ff.Streams)
			}
		}
	}
	t.Logf("%d files checked against ffprobe (%d playable MP3/ADTS by its packet count); worst bit rate %.2f %% off (%s), worst duration %.2f %% off (%s)",
		checked, estimates, 100*worstRate, worstRateFile, 100*worstDur, worstDurFile)
}

func cmpOr(a, b string) string {
	if a != "" && a != "N/A" {
		return a
	}
	return b
}

// TestProbeReaderReadsOnlyWhatDecides: a CBR MP3 with a title, or a
// fast-start M4A, far larger than the head, is decided from the head alone:
// one read.
func TestProbeReaderReadsOnlyWhatDecides(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"long.mp3", "rate24.m4a"} {
		b := readFile(t, "testdata", "audio", name)
		r := &splitReader{first: b, size: 50 << 20}
		info, err := ProbeReader(name, r, r.size)
		if err != nil || info.Title == "" || r.reads != 1 {
			t.Errorf("ProbeReader(%s, then zeros to 50 MB) = %+v, %v in %d reads; want its title, in 1 read", name, info, err, r.reads)
		}
	}
}
