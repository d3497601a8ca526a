package audio

// adtsRates are the sample rates by ADTS sampling_frequency_index; 13 and up
// are reserved.
var adtsRates = [13]int{96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350}

// adtsFrame is a decoded ADTS header.
type adtsFrame struct {
	key        uint32 // MPEG version, profile, sample rate and channel bits, equal for every frame of a stream
	size       int    // bytes, header included
	samples    int    // 1024 per raw data block
	sampleRate int
	channels   int // 0: given in the stream, not the header
}

func (f adtsFrame) length() int      { return f.size }
func (f adtsFrame) stream() uint32   { return f.key }
func (f adtsFrame) sampleCount() int { return f.samples }
func (f adtsFrame) nominal() int     { return 0 }

// parseADTS decodes the ADTS header at the start of b: 12 sync bits, layer
// 0, a defined sample rate, and a frame length longer than the header.
func parseADTS(b []byte) (adtsFrame, bool) {
	if len(b) < 7 || b[0] != 0xFF || b[1]&0xF6 != 0xF0 {
		return adtsFrame{}, false
	}
	sr := int(b[2] >> 2 & 0x0F)
	if sr >= len(adtsRates) {
		return adtsFrame{}, false
	}
	hdr := 7
	if b[1]&1 == 0 {
		hdr = 9 // CRC follows the header
	}
	size := int(b[3]&3)<<11 | int(b[4])<<3 | int(b[5]>>5)
	if size <= hdr {
		return adtsFrame{}, false
	}
	return adtsFrame{
		key:        uint32(b[1]&0x09)<<16 | uint32(b[2]&0xFD)<<8 | uint32(b[3]&0xC0),
		size:       size,
		samples:    1024 * (int(b[6]&3) + 1),
		sampleRate: adtsRates[sr],
		channels:   []int{0, 1, 2, 3, 4, 5, 6, 8}[b[2]&1<<2|b[3]>>6],
	}, true
}

// adtsInfo reads an ADTS AAC stream whose first frame f begins at at and
// whose audio ends at end. The duration is counted over the frames when
// they are within the read bound, else extrapolated from those read.
func adtsInfo(s *source, at, end int64, f adtsFrame, info *Info) error {
	info.Format, info.Codec, info.SampleRate, info.Channels = FormatADTS, "aac", f.sampleRate, f.channels
	c := walkFrames(s, at, end, f, parseADTS, false)
	if c.complete {
		info.Duration = duration(c.samples, int64(f.sampleRate))
	} else if c.bytes > 0 {
		info.Duration = duration(int64(float64(c.samples)/float64(c.bytes)*float64(end-at)), int64(f.sampleRate))
		info.Estimated = true
	}
	info.Bitrate = rate(c.bytes*8, c.samples, int64(f.sampleRate))
	return checkBitrate(info.Bitrate)
}
