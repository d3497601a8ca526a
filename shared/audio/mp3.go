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
	length() int      // bytes, header included
	stream() uint32   // header bits every frame of one stream shares
	sampleCount() int // samples a frame holds
	nominal() int     // the bit rate the header names (0 for ADTS, which names none)
}

func (f mpegFrame) length() int      { return f.size }
func (f mpegFrame) stream() uint32   { return f.key }
func (f mpegFrame) sampleCount() int { return f.samples() }
func (f mpegFrame) nominal() int     { return f.bitrate }

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

// frameCount is what walkFrames counted.
type frameCount struct {
	frames, samples, bytes int64
	nominal                int64 // the bit rates the headers name, times their samples
	vbr                    bool  // the frames name more than one bit rate
	complete               bool  // the count reached the end of the stream
}

// walkFrames counts the frames of first's stream from at (where first
// begins) to end, reading the file in windows, until a frame that does not
// follow, the end, or the read bound. With cbrStop it stops at the end of
// the first window when every frame so far names the same bit rate: the
// rest of a CBR stream is known from its size.
func walkFrames[F frameHeader](s *source, at, end int64, first F, parse func([]byte) (F, bool), cbrStop bool) frameCount {
	var c frameCount
	for pos := at; pos < end; {
		// What was read already, else few, large ranges: four fill MaxRead.
		w := s.have(pos)
		if int64(len(w)) < readAhead && pos+int64(len(w)) < end {
			w = s.bytes(pos, HeadSize)
		}
		i := 0
		for {
			if len(w)-i < maxHeader && pos+int64(i)+int64(len(w)-i) < end {
				break // the header may run past the window: read on from it
			}
			f, ok := parse(w[i:])
			if !ok || f.stream() != first.stream() || pos+int64(i+f.length()) > end {
				c.complete = true // the stream ends here (tags, junk, or a cut-off frame)
				return c
			}
			if i+f.length() > len(w) && pos+int64(i+f.length()) <= end {
				break
			}
			c.frames++
			c.samples += int64(f.sampleCount())
			c.bytes += int64(f.length())
			c.nominal += int64(f.nominal()) * int64(f.sampleCount())
			c.vbr = c.vbr || f.nominal() != first.nominal()
			i += f.length()
			if pos+int64(i) == end {
				c.complete = true
				return c
			}
		}
		if i == 0 || cbrStop && !c.vbr {
			return c // the bound stopped the reads, or CBR
		}
		pos += int64(i)
	}
	c.complete = true
	return c
}

// mpegInfo reads an MP3 stream whose first frame f begins at at and whose
// audio ends at end (before any tags at the end of the file).
func mpegInfo(s *source, at, end int64, f mpegFrame, info *Info) error {
	info.Format, info.Codec, info.SampleRate = FormatMP3, "mp3", f.sampleRate
	info.Channels = 2
	if f.mono {
		info.Channels = 1
	}
	audio := end - at
	if frames := vbrFrames(s.bytes(at, int64(f.size)), f); frames > 0 {
		// A count the file cannot hold (each frame takes at least the
		// lowest bit rate's bytes) is a broken or hostile header: ignored.
		least := int64(f.samples()/8*mpegBitrates[min(1, boolInt(f.lsf))][1]*1000/f.sampleRate) - 1
		if least > 0 && frames <= audio/least+1 {
			info.Duration = duration(frames*int64(f.samples()), int64(f.sampleRate))
			info.Bitrate = rate(audio*8, frames*int64(f.samples()), int64(f.sampleRate))
			// A CBR stream (LAME's "Info") has the rate its frames name,
			// whatever a count from a file cut since says.
			if c := walkFrames(s, at, end, f, parseMPEG, true); !c.vbr {
				info.Bitrate = f.bitrate
			}
			return checkBitrate(info.Bitrate)
		}
		info.Warning = "Xing/VBRI frame count larger than the file: ignored"
	}
	c := walkFrames(s, at, end, f, parseMPEG, true)
	if c.samples > 0 {
		info.Bitrate = int(c.nominal / c.samples)
	}
	switch {
	case !c.vbr:
		info.Bitrate = f.bitrate
		info.Duration = duration(audio*8, int64(f.bitrate))
	case c.complete:
		info.Duration = duration(c.samples, int64(f.sampleRate))
	default:
		// Counted within the bound: the rest at the same bytes a sample.
		info.Duration = duration(int64(float64(c.samples)/float64(c.bytes)*float64(audio)), int64(f.sampleRate))
		info.Estimated = true
	}
	return checkBitrate(info.Bitrate)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
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
