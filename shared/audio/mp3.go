package audio

import (
	"bytes"
	"encoding/binary"
)

// syncWindow is how far after the ID3 tags the first audio frame may start.
// Players search a similar distance (ExoPlayer sniffs 32 KB), and junk
// beyond it is a sign the file is not what its name says.
const syncWindow = 32 << 10

// minFrames is how many consecutive frames make a stream: one frame header
// can be a chance match in any binary, three chained by their lengths hardly.
const minFrames = 3

// maxHeader is the longest frame header: ADTS with its CRC.
const maxHeader = 9

// mpegFrame is a decoded MPEG-1/2/2.5 Layer III frame header.
type mpegFrame struct {
	key        uint32 // version, layer and sample-rate bits, equal for every frame of a stream
	lsf        bool   // MPEG-2 or 2.5 ("low sampling frequency")
	mono       bool
	crc        bool
	bitrate    int // bits a second
	sampleRate int
	size       int // bytes, header included
}

// samples is the number of samples a frame holds.
func (f mpegFrame) samples() int {
	if f.lsf {
		return 576
	}
	return 1152
}

// sideInfo is the length of the Layer III side information after the header (and CRC).
func (f mpegFrame) sideInfo() int {
	switch {
	case f.lsf && f.mono:
		return 9
	case f.lsf, f.mono:
		return 17
	}
	return 32
}

var (
	// mpegBitrates are the Layer III bit rates in kbit/s by index, for MPEG-1
	// and for MPEG-2/2.5; index 0 ("free") and 15 ("bad") are not accepted.
	mpegBitrates = [2][15]int{
		{0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320},
		{0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160},
	}
	// mpegRates are the sample rates by version bits (0 MPEG-2.5, 1 reserved,
	// 2 MPEG-2, 3 MPEG-1) and index.
	mpegRates = [4][3]int{{11025, 12000, 8000}, {}, {22050, 24000, 16000}, {44100, 48000, 32000}}
)

// parseMPEG decodes the 4-byte frame header at the start of b, accepting
// only Layer III with a real bit rate, sample rate and emphasis.
func parseMPEG(b []byte) (mpegFrame, bool) {
	if len(b) < 4 || b[0] != 0xFF || b[1]&0xE0 != 0xE0 {
		return mpegFrame{}, false
	}
	version := b[1] >> 3 & 3
	layer := b[1] >> 1 & 3
	brIndex := b[2] >> 4
	srIndex := b[2] >> 2 & 3
	if version == 1 || layer != 1 || brIndex == 0 || brIndex == 15 || srIndex == 3 || b[3]&3 == 2 {
		return mpegFrame{}, false
	}
	f := mpegFrame{
		key:        uint32(b[1]&0xFE)<<8 | uint32(b[2]&0x0C),
		lsf:        version != 3,
		mono:       b[3]>>6 == 3,
		crc:        b[1]&1 == 0,
		sampleRate: mpegRates[version][srIndex],
	}
	table := 0
	if f.lsf {
		table = 1
	}
	f.bitrate = mpegBitrates[table][brIndex] * 1000
	f.size = f.samples()/8*f.bitrate/f.sampleRate + int(b[2]>>1&1)
	return f, true
}

// frameHeader is what findFrames needs of a decoded frame header (MPEG or ADTS).
type frameHeader interface {
	length() int    // bytes, header included
	stream() uint32 // header bits every frame of one stream shares
}

func (f mpegFrame) length() int    { return f.size }
func (f mpegFrame) stream() uint32 { return f.key }

// findFrames returns the offset and header of the first frame in b, starting
// within syncWindow of start, that begins a chain of frames (see chain).
// truncated reports that the chain at start ended with the end of the file
// in the middle of a frame, to tell a cut-off file from one that is not audio.
func findFrames[F frameHeader](b []byte, start, size int64, parse func([]byte) (F, bool)) (at int64, first F, ok, truncated bool) {
	end := min(int64(len(b)), start+syncWindow)
	for i := start; i < end; i++ {
		j := bytes.IndexByte(b[i:end], 0xFF)
		if j < 0 {
			break
		}
		i += int64(j)
		f, valid := parse(b[i:])
		if !valid {
			continue
		}
		chained, cut := chain(b, i, size, f, parse)
		if chained {
			return i, f, true, false
		}
		// Only a chain from where the audio should start says "cut off":
		// elsewhere a chance sync is likelier than a truncated stream.
		truncated = truncated || cut && i == start
	}
	return 0, first, false, truncated
}

// chain reports whether frames follow each other from b[at], which holds
// the valid frame first: minFrames whole frames in a row, or at least two that end
// exactly at the end of the file, or at least two that run past the end of a
// head shorter than the file. truncated is set when the file ends in the
// middle of a frame.
func chain[F frameHeader](b []byte, at, size int64, first F, parse func([]byte) (F, bool)) (ok, truncated bool) {
	pos := at + int64(first.length())
	for n := 1; n < minFrames; n++ {
		switch {
		case pos == size:
			return n >= 2, false
		case pos > size:
			return false, true
		case pos >= int64(len(b)):
			return n >= 2, false // the head ends here, the file does not
		}
		f, valid := parse(b[pos:])
		if !valid {
			// Fewer bytes than any header before the end of the file: cut off.
			return false, int64(len(b)) == size && size-pos < maxHeader
		}
		if f.stream() != first.stream() {
			return false, false
		}
		pos += int64(f.length())
	}
	if pos > size {
		return false, true // the last frame runs past the end of the file
	}
	return true, false
}

// probeMP3 checks an MP3 file: ID3v2 tags, then Layer III frames.
func probeMP3(head []byte, size int64) (Info, error) {
	start, tagHdr, err := skipID3(head, size)
	if err != nil {
		return Info{}, err
	}
	var info Info
	if tagHdr != nil {
		info.Title, info.Language = id3Text(head, *tagHdr)
		info.Language = language(info.Language)
	}
	if start >= int64(len(head)) {
		// The tags fill the head (big cover art) and size says audio
		// follows: the frames cannot be checked from here. See the
		// package documentation.
		return info, nil
	}
	at, f, ok, truncated := findFrames(head, start, size, parseMPEG)
	if !ok {
		if truncated {
			return Info{}, reject("truncated MP3 stream")
		}
		return Info{}, reject("not an MP3 stream")
	}
	if frames := vbrFrames(head[at:], f); frames > 0 {
		info.Duration = duration(frames*int64(f.samples()), int64(f.sampleRate))
	} else {
		info.Duration = duration((size-at)*8, int64(f.bitrate))
	}
	// The bit rate comes from the frames themselves, not from a Xing count
	// and the file size, which disagree on a cut-off file.
	info.Bitrate = mpegAverage(head, at, f)
	if err := checkBitrate(info.Bitrate); err != nil {
		return Info{}, err
	}
	return info, nil
}

// mpegAverage returns the average bit rate of the frames of first's stream
// in head from at: the frame bit rate for CBR, the mean over the head for VBR.
func mpegAverage(head []byte, at int64, first mpegFrame) int {
	var bits, samples int64
	for pos := at; pos < int64(len(head)); {
		g, ok := parseMPEG(head[pos:])
		if !ok || g.key != first.key {
			break
		}
		bits += int64(g.bitrate) * int64(g.samples())
		samples += int64(g.samples())
		pos += int64(g.size)
	}
	if samples == 0 {
		return first.bitrate
	}
	return int(bits / samples)
}

// vbrFrames returns the frame count of a Xing/Info or VBRI header in the
// frame at the start of b, or 0 when there is none.
func vbrFrames(b []byte, f mpegFrame) int64 {
	b = b[:min(len(b), f.size)]
	x := 4 + f.sideInfo()
	if f.crc {
		x += 2
	}
	if len(b) >= x+12 && (string(b[x:x+4]) == "Xing" || string(b[x:x+4]) == "Info") {
		if flags := binary.BigEndian.Uint32(b[x+4:]); flags&1 != 0 {
			return int64(binary.BigEndian.Uint32(b[x+8:]))
		}
		return 0
	}
	// VBRI (Fraunhofer) sits 32 bytes after the header whatever the mode:
	// "VBRI", version, delay, quality (2 bytes each), bytes, frames (4 each).
	const v = 4 + 32
	if len(b) >= v+18 && string(b[v:v+4]) == "VBRI" {
		return int64(binary.BigEndian.Uint32(b[v+14:]))
	}
	return 0
}
