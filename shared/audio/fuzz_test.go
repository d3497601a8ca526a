package audio

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"
)

// fuzzKeys are the names FuzzProbe gives its input, by the input's selector.
var fuzzKeys = []string{"a.mp3", "a.m4a", "a.aac", "a.mp4"}

// FuzzProbe checks, for any bytes and any file size at least their length,
// that Probe neither panics nor allocates in proportion to sizes written in
// the bytes, that it rejects only with ErrNotPlayable and a short reason, and
// that what it accepts has a clean title and a non-negative duration.
func FuzzProbe(f *testing.F) {
	files, err := filepath.Glob("../../testdata/audio/*")
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		for k := range fuzzKeys {
			f.Add(uint8(k), headOf(b), uint32(0))
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
	} {
		f.Add(seed.key, seed.b, seed.extra)
	}
	f.Fuzz(func(t *testing.T, key uint8, head []byte, extra uint32) {
		name := fuzzKeys[int(key)%len(fuzzKeys)]
		size := int64(len(head)) + int64(extra)
		var (
			info Info
			err  error
		)
		n := allocated(func() { info, err = Probe(name, head, size) })
		if limit := 8*uint64(len(head)) + 64<<10; n > limit {
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
			if r := Reason(err); r == "" || len(r) > 64 || !utf8.ValidString(r) {
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
