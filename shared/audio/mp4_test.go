package audio

import (
	"bytes"
	"encoding/binary"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestProbeMP4(t *testing.T) {
	t.Parallel()
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	mdat := mp4Box("mdat", make([]byte, 8000)) // 18 kbit/s over 3.5 s
	moov := mp4Box("moov", mvhd0(1000, 3500), aacTrak(), ilstTitle(1, []byte("Título")))
	// A large mdat before moov, cut by the end of the head: its size says
	// 10 MB, the file is 10 MB and a bit, the head has 64 KB.
	bigMdat := binary.BigEndian.AppendUint32(nil, 10<<20)
	bigMdat = append(bigMdat, "mdat"...)
	bigMdat = append(bigMdat, make([]byte, 64<<10)...)
	largesize := cat([]byte{0, 0, 0, 1}, []byte("mdat"), binary.BigEndian.AppendUint64(nil, 16+8000), make([]byte, 8000))
	qtMeta := mp4Box("meta", mp4Box("hdlr", make([]byte, 25)), mp4Box("ilst", mp4Box("\xa9nam", mp4Box("data", []byte{0, 0, 0, 1, 0, 0, 0, 0}, []byte("QuickTime")))))
	tests := []struct {
		name string
		key  string
		head []byte
		size int64 // len(head) when 0
		want probeResult
	}{
		{"M4A with title", "a.m4a", cat(ftyp("M4A ", "M4A ", "mp42", "isom"), moov, mdat), 0, probeResult{Title: "Título", Duration: 3500 * time.Millisecond}},
		{"mdat before moov", "a.m4a", cat(ftyp("M4A "), mdat, moov), 0, probeResult{Title: "Título", Duration: 3500 * time.Millisecond}},
		{"moov beyond head", "a.mp4", cat(ftyp("isom", "iso2", "mp41"), bigMdat), 10<<20 + 500, probeResult{}},
		{"mvhd version 1", "a.m4a", cat(ftyp("mp42"), mp4Box("moov", mvhd1(48000, 48000*3), aacTrak()), mdat), 0, probeResult{Duration: 3 * time.Second}},
		{"mvhd unknown duration", "a.m4a", cat(ftyp("mp42"), mp4Box("moov", mvhd0(1000, 0xFFFFFFFF), aacTrak()), mdat), 0, probeResult{}},
		{"mvhd zero timescale", "a.m4a", cat(ftyp("mp42"), mp4Box("moov", mvhd0(0, 1000), aacTrak()), mdat), 0, probeResult{}},
		{"compatible brand only", "a.mp4", cat(ftyp("abcd", "wxyz", "mp42"), moov), 0, probeResult{Title: "Título", Duration: 3500 * time.Millisecond}},
		{"audiobook", "a.m4a", cat(ftyp("M4B "), moov), 0, probeResult{Title: "Título", Duration: 3500 * time.Millisecond}},
		{"QuickTime-style meta", "a.m4a", cat(ftyp("M4A "), mp4Box("moov", mvhd0(1, 7), aacTrak(), qtMeta)), 0, probeResult{Title: "QuickTime", Duration: 7 * time.Second}},
		{"64-bit box size", "a.m4a", cat(ftyp("M4A "), largesize, moov), 0, probeResult{Title: "Título", Duration: 3500 * time.Millisecond}},
		{"mdat to end of file", "a.m4a", cat(ftyp("M4A "), moov, []byte{0, 0, 0, 0}, []byte("mdat"), make([]byte, 8000)), 0, probeResult{Title: "Título", Duration: 3500 * time.Millisecond}},
		{"non-text title", "a.m4a", cat(ftyp("M4A "), mp4Box("moov", mvhd0(1000, 1000), aacTrak(), ilstTitle(21, []byte{7})), mdat), 0, probeResult{Duration: time.Second}},
		{"JPEG title", "a.m4a", cat(ftyp("M4A "), mp4Box("moov", mvhd0(1000, 1000), aacTrak(), ilstTitle(13, []byte{0xFF, 0xD8})), mdat), 0, probeResult{Duration: time.Second}},
		{"8 kbit/s", "a.m4a", cat(ftyp("M4A "), moov, mp4Box("mdat", make([]byte, 3500))), 0, probeResult{Reason: "8 kbps: Alexa plays 16–384 kbps"}},
		{"15.9 kbit/s", "a.m4a", cat(ftyp("M4A "), mp4Box("moov", mvhd0(1000, 3000), aacTrak()), mp4Box("mdat", make([]byte, 5950))), 0, probeResult{Reason: "15.9 kbps: Alexa plays 16–384 kbps"}},
		// The sample description decides, not the brand.
		{"QuickTime brand", "a.m4a", cat(ftyp("qt  ", "qt  "), moov), 0, probeResult{Title: "Título", Duration: 3500 * time.Millisecond}},
		{"binary brand", "a.mp4", cat(ftyp("\x00\x01\xfe\xff"), moov), 0, probeResult{Title: "Título", Duration: 3500 * time.Millisecond}},
		{"FairPlay", "a.m4a", cat(ftyp("M4P ", "M4P ", "mp42", "isom"), moov), 0, probeResult{Reason: "DRM-protected audio"}},
		{"Audible", "a.m4a", cat(ftyp("aax ", "aax ", "M4B ", "mp42"), moov), 0, probeResult{Reason: "DRM-protected audio"}},
		{"no ftyp", "a.m4a", cat(moov, mdat), 0, probeResult{Reason: "not an MP4 file"}},
		{"text", "a.m4a", []byte("this is not a movie at all"), 0, probeResult{Reason: "not an MP4 file"}},
		{"ftyp too short", "a.m4a", cat(mp4Box("ftyp", []byte("M4A ")), moov), 0, probeResult{Reason: "malformed MP4 ftyp box"}},
		{"ftyp past head", "a.m4a", ftyp("M4A ", "mp42")[:16], 1000, probeResult{Reason: "malformed MP4 ftyp box"}},
		{"box past end of file", "a.m4a", cat(ftyp("M4A "), moov, mdat)[:len(ftyp("M4A "))+len(moov)+500], 0, probeResult{Reason: "truncated MP4 file"}},
		{"no moov", "a.m4a", cat(ftyp("M4A "), mdat), 0, probeResult{Reason: "MP4 file without a moov box"}},
		{"malformed box", "a.m4a", cat(ftyp("M4A "), []byte{0, 0, 0, 3}, []byte("free")), 0, probeResult{Reason: "malformed MP4 box"}},
		{"trailing junk after moov", "a.m4a", cat(ftyp("M4A "), moov, []byte{0, 0, 0, 3, 'x'}), 0, probeResult{Title: "Título", Duration: 3500 * time.Millisecond}},
		{"moov cut by head", "a.m4a", cat(ftyp("M4A "), moov)[:len(ftyp("M4A "))+8+108+10], int64(len(ftyp("M4A ")) + len(moov) + len(mdat)), probeResult{Duration: 3500 * time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			size := tt.size
			if size == 0 {
				size = int64(len(tt.head))
			}
			got := probe(tt.key, tt.head, size)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Probe mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestProbeADTS(t *testing.T) {
	t.Parallel()
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	// 44.1 kHz (index 4), stereo, 371-byte frames of 1024 samples.
	five := adts(4, 2, 371, 5)
	frameDur := func(n int) time.Duration { return time.Duration(n*1024) * time.Second / 44100 }
	tagged := cat(id3v2(4, 0, -1, frame24("TIT2", 0, utf8Text("Radio"))), five)
	crc := adts(3, 1, 300, 4) // 48 kHz mono, then set protection_absent = 0 (CRC present)
	for i := 0; i < len(crc); i += 300 {
		crc[i+1] = 0xF0
	}
	tests := []struct {
		name string
		head []byte
		size int64 // len(head) when 0
		want probeResult
	}{
		{"five frames", five, 0, probeResult{Duration: frameDur(5)}},
		{"with CRC", crc, 0, probeResult{Duration: 4 * 1024 * time.Second / 48000}},
		{"ID3 title", tagged, 0, probeResult{Title: "Radio", Duration: frameDur(5)}},
		{"two frames to the end", adts(4, 2, 371, 2), 0, probeResult{Duration: frameDur(2)}},
		{"estimate from head", five, 371 * 1000, probeResult{Duration: frameDur(1000)}},
		{"one frame", adts(4, 2, 371, 1), 0, probeResult{Reason: "not an ADTS AAC stream"}},
		{"cut in the third frame", five[:2*371+100], 0, probeResult{Reason: "truncated ADTS AAC stream"}},
		{"reserved sample rate", adts(13, 2, 371, 5), 0, probeResult{Reason: "not an ADTS AAC stream"}},
		{"frame shorter than header", adts(4, 2, 7, 5), 0, probeResult{Reason: "not an ADTS AAC stream"}},
		{"channel change", cat(adts(4, 2, 371, 1), adts(4, 1, 371, 1), adts(4, 2, 371, 1)), 0, probeResult{Reason: "not an ADTS AAC stream"}},
		{"MP3 frames: the content decides", frames(mpeg1Mono, mpeg1MonoLen, 3), 0, probeResult{Duration: 3 * mpeg1MonoLen * 8 * time.Second / 128000}},
		{"text", []byte("plain text in an .aac file"), 0, probeResult{Reason: "not an ADTS AAC stream"}},
		{"ID3 only", id3v2(3, 0, 0), 0, probeResult{Reason: "ID3 tag with no audio"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			size := tt.size
			if size == 0 {
				size = int64(len(tt.head))
			}
			got := probe("radio/news.aac", tt.head, size)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Probe mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestProbeReaderMP4Layouts: ProbeReader reads the moov box at the end of
// a file, and the fragments of a fragmented one, with few ranges.
func TestProbeReaderMP4Layouts(t *testing.T) {
	t.Parallel()
	entry := audioEntry("mp4a", 44100, 2, esds(0x40, 64000, asc(2, 4, 2, 0)))
	moov := mp4Box("moov", mvhd0(1000, 60000), trak("soun", 44100, 0, entry), ilstTitle(1, []byte("End")))
	data := moovAtEnd(moov, 1<<20)
	r := &splitReader{first: data[:len(data)/2], last: data[len(data)/2:], size: 1 << 20}
	info, err := ProbeReader("end.m4a", r, r.size)
	if err != nil || info.Title != "End" || info.Duration != time.Minute || info.Bitrate != 64000 || info.Codec != "aac" {
		t.Errorf("ProbeReader(moov at the end of 1 MB) = %+v, %v; want End, 1m0s, 64 kbps AAC", info, err)
	}
	if r.reads != 2 {
		t.Errorf("ProbeReader(moov at the end) made %d reads; want 2 (the head, the tail)", r.reads)
	}
	if info, err := Probe("end.m4a", data[:len(data)/2], 1<<20); err != nil || info != (Info{}) {
		t.Errorf("Probe(head only, moov beyond it) = %+v, %v; want accepted on trust, nothing known", info, err)
	}
}

// TestProbeMP4SampleDescription: the first audio track's sample entry and
// its esds decide, from crafted boxes for what ffmpeg cannot write (HE-AAC,
// other AAC object types, esds object types).
func TestProbeMP4SampleDescription(t *testing.T) {
	t.Parallel()
	file := func(traks ...[]byte) []byte {
		moov := mp4Box("moov", append([][]byte{mvhd0(1000, 2000)}, traks...)...)
		return bytes.Join([][]byte{ftyp("M4A "), moov, mp4Box("mdat", make([]byte, 8000))}, nil)
	}
	aac := func(rate int, dsi []byte, avg uint32) []byte {
		return trak("soun", uint32(rate), 0, audioEntry("mp4a", rate, 2, esds(0x40, avg, dsi)))
	}
	tests := []struct {
		name   string
		b      []byte
		rate   int
		reason string
	}{
		{"AAC LC 44.1 kHz", file(aac(44100, asc(2, 4, 2, 0), 64000)), 44100, ""},
		// HE-AAC: a 24 kHz core with SBR to 48 kHz output; v2 adds PS.
		{"HE-AAC v1", file(aac(48000, asc(5, 6, 2, 3), 48000)), 48000, ""},
		{"HE-AAC v2", file(aac(48000, asc(29, 6, 1, 3), 32000)), 48000, ""},
		{"HE-AAC at 32 kHz out", file(aac(32000, asc(5, 8, 2, 5), 32000)), 0, "32 kHz AAC: Alexa plays AAC at 22.05, 44.1 or 48 kHz"},
		{"AAC Main", file(aac(44100, asc(1, 4, 2, 0), 64000)), 0, "AAC Main: Alexa plays AAC in MP4"},
		{"xHE-AAC", file(aac(44100, []byte{0xF9, 0x40, 0x00, 0x00}, 64000)), 0, "xHE-AAC: Alexa plays AAC in MP4"},
		{"AC-3 by esds", file(trak("soun", 48000, 0, audioEntry("mp4a", 48000, 2, esds(0xA5, 64000, nil)))), 0, "AC-3: Alexa plays AAC in MP4"},
		{"Vorbis by esds", file(trak("soun", 48000, 0, audioEntry("mp4a", 48000, 2, esds(0xDD, 64000, nil)))), 0, "Vorbis: Alexa plays AAC in MP4"},
		{"mp4a without esds", file(trak("soun", 44100, 0, audioEntry("mp4a", 44100, 2))), 0, "MP4 audio without an esds description: Alexa plays AAC in MP4"},
		{"unknown entry", file(trak("soun", 44100, 0, audioEntry("zzzz", 44100, 2))), 0, `codec "zzzz": Alexa plays AAC in MP4`},
		{"encrypted", file(trak("soun", 44100, 0, audioEntry("enca", 44100, 2))), 0, "encrypted audio: Alexa plays AAC in MP4"},
		// The first audio track decides; a video track before it does not.
		{"video then AAC", file(trak("vide", 90000, 0, mp4Box("mp4v", make([]byte, 78))), aac(44100, asc(2, 4, 2, 0), 64000)), 44100, ""},
		{"ALAC then AAC", file(trak("soun", 44100, 0, audioEntry("alac", 44100, 2)), aac(44100, asc(2, 4, 2, 0), 64000)), 0, "ALAC: Alexa plays AAC in MP4"},
		{"video only", file(trak("vide", 90000, 0, mp4Box("mp4v", make([]byte, 78)))), 0, "video with no audio track: Alexa plays AAC in MP4"},
		{"392 kbps", file(aac(48000, asc(2, 3, 6, 0), 392000)), 0, "392 kbps: Alexa plays 16–384 kbps"},
		{"384 kbps", file(aac(48000, asc(2, 3, 6, 0), 384000)), 48000, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, err := Probe("a.m4a", tt.b, int64(len(tt.b)))
			if got := Reason(err); got != tt.reason {
				t.Fatalf("Probe reason %q; want %q", got, tt.reason)
			}
			if err == nil && (info.SampleRate != tt.rate || info.Codec != "aac" || info.Format != FormatMP4) {
				t.Errorf("Probe = %+v; want AAC in MP4 at %d Hz", info, tt.rate)
			}
		})
	}
}

func TestLanguage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		tlan, want string
		warned     bool
	}{
		{"spa", "es", false}, {"SPA", "es", false}, {"esl", "", true}, {"ger", "de", false}, {"deu", "de", false},
		{"es", "es", false}, {"en", "en", false}, {"eng / spa", "en", false}, {"fra-CA", "fr", false},
		{"xx1", "", true}, {"xx", "", true}, {"zzz", "", true}, {"haw", "", true}, {"und", "", true},
		{"e", "", true}, {"english", "", true}, {"", "", false}, {"  ", "", false},
	}
	for _, tt := range tests {
		got, warning := language(tt.tlan)
		if got != tt.want || (warning != "") != tt.warned {
			t.Errorf("language(%q) = %q, %q; want %q, warned %v", tt.tlan, got, warning, tt.want, tt.warned)
		}
	}
}
