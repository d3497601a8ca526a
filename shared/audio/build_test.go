package audio

// Builders of crafted files for the tests: MPEG frames, ID3v2 tags, MP4
// boxes and ADTS frames, written from the specifications rather than from
// the parsers under test.

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

// Frame headers used by the tests, with their frame lengths.
var (
	// MPEG-1 Layer III, 128 kbit/s, 44.1 kHz, mono, no CRC: 144×128000/44100 = 417 bytes.
	mpeg1Mono = []byte{0xFF, 0xFB, 0x90, 0xC0}
	// MPEG-2 Layer III, 32 kbit/s, 22.05 kHz, mono, no CRC: 72×32000/22050 = 104 bytes.
	mpeg2Mono = []byte{0xFF, 0xF3, 0x40, 0xC4}
	// MPEG-1 Layer II, 128 kbit/s, 44.1 kHz: valid MPEG audio, but not MP3.
	mpeg1Layer2 = []byte{0xFF, 0xFD, 0x90, 0xC0}
)

const (
	mpeg1MonoLen = 417
	mpeg2MonoLen = 104
)

// frames returns n frames of length bytes, each header then zeros.
func frames(header []byte, length, n int) []byte {
	var b []byte
	for range n {
		f := make([]byte, length)
		copy(f, header)
		b = append(b, f...)
	}
	return b
}

// xingFrame returns an MPEG-1 mono frame carrying a Xing (or Info) header
// that counts nframes frames.
func xingFrame(magic string, nframes uint32) []byte {
	f := make([]byte, mpeg1MonoLen)
	copy(f, mpeg1Mono)
	x := 4 + 17 // header, then MPEG-1 mono side information
	copy(f[x:], magic)
	binary.BigEndian.PutUint32(f[x+4:], 1) // flags: frame count present
	binary.BigEndian.PutUint32(f[x+8:], nframes)
	return f
}

// vbriFrame returns an MPEG-1 mono frame carrying a VBRI header that counts
// nframes frames.
func vbriFrame(nframes uint32) []byte {
	f := make([]byte, mpeg1MonoLen)
	copy(f, mpeg1Mono)
	v := 4 + 32
	copy(f[v:], "VBRI")
	binary.BigEndian.PutUint16(f[v+4:], 1)
	binary.BigEndian.PutUint32(f[v+10:], 12345)
	binary.BigEndian.PutUint32(f[v+14:], nframes)
	return f
}

// ss encodes n as a 4-byte synchsafe integer.
func ss(n int) []byte {
	return []byte{byte(n>>21) & 0x7F, byte(n>>14) & 0x7F, byte(n>>7) & 0x7F, byte(n) & 0x7F}
}

// id3v2 returns an ID3v2 tag of the given version and flags around body,
// declaring bodySize bytes (len(body) when bodySize < 0).
func id3v2(major, flags byte, bodySize int, body ...[]byte) []byte {
	all := bytes.Join(body, nil)
	if bodySize < 0 {
		bodySize = len(all)
	}
	b := append([]byte{'I', 'D', '3', major, 0, flags}, ss(bodySize)...)
	return append(b, all...)
}

// frame23 returns an ID3v2.3 frame; frame24 an ID3v2.4 one; frame22 an ID3v2.2 one.
func frame23(id string, flags uint16, data []byte) []byte {
	b := append([]byte(id), 0, 0, 0, 0, byte(flags>>8), byte(flags))
	binary.BigEndian.PutUint32(b[4:], uint32(len(data)))
	return append(b, data...)
}

func frame24(id string, flags uint16, data []byte) []byte {
	b := append([]byte(id), ss(len(data))...)
	b = append(b, byte(flags>>8), byte(flags))
	return append(b, data...)
}

func frame22(id string, data []byte) []byte {
	n := len(data)
	b := append([]byte(id), byte(n>>16), byte(n>>8), byte(n))
	return append(b, data...)
}

// utf8Text is ID3 text frame data in UTF-8 (encoding 3).
func utf8Text(s string) []byte { return append([]byte{3}, s...) }

// mp4Box returns an MP4 box of type typ around body.
func mp4Box(typ string, body ...[]byte) []byte {
	all := bytes.Join(body, nil)
	b := binary.BigEndian.AppendUint32(nil, uint32(8+len(all)))
	b = append(b, typ...)
	return append(b, all...)
}

// ftyp returns an ftyp box with a major brand and compatible brands.
func ftyp(major string, compatible ...string) []byte {
	body := append([]byte(major), 0, 0, 0, 0)
	for _, c := range compatible {
		body = append(body, c...)
	}
	return mp4Box("ftyp", body)
}

// mvhd0 returns a version-0 mvhd box.
func mvhd0(timescale, duration uint32) []byte {
	body := make([]byte, 100)
	binary.BigEndian.PutUint32(body[12:], timescale)
	binary.BigEndian.PutUint32(body[16:], duration)
	return mp4Box("mvhd", body)
}

// mvhd1 returns a version-1 mvhd box.
func mvhd1(timescale uint32, duration uint64) []byte {
	body := make([]byte, 112)
	body[0] = 1
	binary.BigEndian.PutUint32(body[20:], timescale)
	binary.BigEndian.PutUint64(body[24:], duration)
	return mp4Box("mvhd", body)
}

// ilstTitle returns udta/meta/ilst/©nam with a data box of the given type.
func ilstTitle(dataType byte, value []byte) []byte {
	data := mp4Box("data", []byte{0, 0, 0, dataType, 0, 0, 0, 0}, value)
	hdlr := mp4Box("hdlr", make([]byte, 4), []byte("\x00\x00\x00\x00mdirappl"), make([]byte, 9))
	meta := mp4Box("meta", []byte{0, 0, 0, 0}, hdlr, mp4Box("ilst", mp4Box("\xa9nam", data)))
	return mp4Box("udta", meta)
}

// adts returns n ADTS frames (AAC LC, no CRC) of length bytes at sample-rate
// index sfi with channel configuration ch.
func adts(sfi, ch byte, length, n int) []byte {
	h := []byte{
		0xFF, 0xF1,
		1<<6 | sfi<<2 | ch>>2,
		ch<<6 | byte(length>>11)&3,
		byte(length >> 3),
		byte(length&7)<<5 | 0x1F,
		0xFC,
	}
	return frames(h, length, n)
}

// readFile reads a file of the repository for a test.
func readFile(tb testing.TB, elem ...string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(append([]string{"..", ".."}, elem...)...))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// headOf returns the part of a whole file that the indexer would fetch.
func headOf(b []byte) []byte { return b[:min(len(b), HeadSize)] }

// trak returns a track of the given handler ("soun", "vide") whose media
// header says duration units of timescale (0: unknown) and whose sample
// description holds entry; extra boxes (stsz, stco) go in its sample table.
func trak(handler string, timescale, duration uint32, entry []byte, extra ...[]byte) []byte {
	tkhd := make([]byte, 84)
	binary.BigEndian.PutUint32(tkhd[12:], 1) // track ID
	mdhd := make([]byte, 24)
	binary.BigEndian.PutUint32(mdhd[12:], timescale)
	binary.BigEndian.PutUint32(mdhd[16:], duration)
	hdlr := append(make([]byte, 8), handler...)
	hdlr = append(hdlr, make([]byte, 13)...)
	stsd := mp4Box("stsd", []byte{0, 0, 0, 0, 0, 0, 0, 1}, entry)
	stbl := mp4Box("stbl", append([][]byte{stsd}, extra...)...)
	return mp4Box("trak", mp4Box("tkhd", tkhd), mp4Box("mdia", mp4Box("mdhd", mdhd), mp4Box("hdlr", hdlr), mp4Box("minf", stbl)))
}

// audioEntry returns a sample entry of type typ (ISO AudioSampleEntry,
// version 0) at rate Hz with channels, around child boxes.
func audioEntry(typ string, rate, channels int, kids ...[]byte) []byte {
	b := make([]byte, 28)
	binary.BigEndian.PutUint16(b[6:], 1) // data reference index
	binary.BigEndian.PutUint16(b[16:], uint16(channels))
	binary.BigEndian.PutUint16(b[18:], 16)
	binary.BigEndian.PutUint32(b[24:], uint32(rate)<<16)
	return mp4Box(typ, append([][]byte{b}, kids...)...)
}

// esds returns an esds box: object type oti, average bit rate avg, and a
// decoder-specific info (an AudioSpecificConfig for AAC).
func esds(oti byte, avg uint32, dsi []byte) []byte {
	dc := []byte{oti, 0x15, 0, 0, 0}
	dc = binary.BigEndian.AppendUint32(dc, avg)
	dc = binary.BigEndian.AppendUint32(dc, avg)
	dc = append(dc, 0x05, byte(len(dsi)))
	dc = append(dc, dsi...)
	es := append([]byte{0, 1, 0, 0x04, byte(len(dc))}, dc...)
	es = append(es, 0x06, 1, 2) // SLConfigDescriptor
	return mp4Box("esds", []byte{0, 0, 0, 0, 0x03, byte(len(es))}, es)
}

// asc returns an AudioSpecificConfig: object type aot at sample-rate index
// sfi with channel configuration ch; for SBR (5) and PS (29), ext is the
// extension (output) sample-rate index and the core is AAC LC.
func asc(aot, sfi, ch, ext byte) []byte {
	v := uint32(aot)<<27 | uint32(sfi)<<23 | uint32(ch)<<19
	if aot == 5 || aot == 29 {
		v |= uint32(ext)<<15 | 2<<10
	}
	return binary.BigEndian.AppendUint32(nil, v)
}

// aacTrak is a 44.1 kHz stereo AAC LC track with no duration or bit rate
// of its own.
func aacTrak() []byte {
	return trak("soun", 44100, 0, audioEntry("mp4a", 44100, 2, esds(0x40, 0, asc(2, 4, 2, 0))))
}
