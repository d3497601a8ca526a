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
}

func (f adtsFrame) length() int    { return f.size }
func (f adtsFrame) stream() uint32 { return f.key }

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
	}, true
}

// probeADTS checks an AAC file: ID3v2 tags, then ADTS frames. The duration
// is exact when the whole file is in head, else extrapolated from the frames
// in head.
func probeADTS(head []byte, size int64) (Info, error) {
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
		return info, nil // tags fill the head: see probeMP3
	}
	at, f, ok, truncated := findFrames(head, start, size, parseADTS)
	if !ok {
		if truncated {
			return Info{}, reject("truncated ADTS AAC stream")
		}
		return Info{}, reject("not an ADTS AAC stream")
	}
	var samples int64
	pos := at
	for pos < int64(len(head)) {
		g, ok := parseADTS(head[pos:])
		if !ok || g.key != f.key || pos+int64(g.size) > size {
			break
		}
		samples += int64(g.samples)
		pos += int64(g.size)
	}
	if pos == size || pos == at {
		info.Duration = duration(samples, int64(f.sampleRate))
	} else {
		// samples/(pos−at) per byte, over the size−at bytes of audio; size
		// is at most maxSize, so the product fits a float64's 53 bits well.
		est := float64(samples) / float64(pos-at) * float64(size-at)
		info.Duration = duration(int64(est), int64(f.sampleRate))
	}
	info.Bitrate = rate((pos-at)*8, samples, int64(f.sampleRate))
	if err := checkBitrate(info.Bitrate); err != nil {
		return Info{}, err
	}
	return info, nil
}
