package audio

import (
	"encoding/binary"
	"fmt"
	"strconv"
)

// mp4DRMBrands are brands of encrypted audio no other player can decode.
var mp4DRMBrands = map[string]bool{"M4P ": true, "aax ": true}

// aacRates are the sample rates Alexa plays AAC in MP4 at.
var aacRates = map[int]bool{22050: true, 44100: true, 48000: true}

// maxBoxRead bounds the bytes read of one box that is parsed whole (a
// sample description, a moof, an ilst item): anything larger is skipped.
const maxBoxRead = 64 << 10

// box is an MP4 box.
type box struct {
	typ       string
	start     int64 // offset of the box in the file
	bodyStart int64 // offset of its first byte after the header
	end       int64 // offset after the box
}

// readBox reads the box header at the start of b, for a box at off in a
// parent that ends at limit. ok is false when the header is not wholly in
// b, or is malformed (a size smaller than the header); a size of 0 means
// "to the end of the parent".
func readBox(b []byte, off, limit int64) (bx box, ok bool) {
	if len(b) < 8 {
		return box{}, false
	}
	n := int64(binary.BigEndian.Uint32(b))
	bx = box{typ: string(b[4:8]), start: off, bodyStart: off + 8}
	switch n {
	case 0:
		n = limit - off
	case 1:
		if len(b) < 16 {
			return box{}, false
		}
		large := binary.BigEndian.Uint64(b[8:])
		if large > 1<<62 {
			return box{}, false
		}
		n = int64(large)
		bx.bodyStart = off + 16
	}
	if n < bx.bodyStart-off {
		return box{}, false
	}
	bx.end = off + n
	return bx, true
}

// children calls fn for each child box of the file's bytes from..to until
// fn returns false, a header is missing or malformed, or a child overruns
// its parent. It reports whether it reached to.
func children(s *source, from, to int64, fn func(box) bool) bool {
	for off := from; off < to; {
		bx, ok := readBox(s.bytes(off, min(16, to-off)), off, to)
		if !ok || bx.end > to {
			return false
		}
		if !fn(bx) {
			return true
		}
		off = bx.end
	}
	return true
}

// body returns a box's body when it is at most maxBoxRead bytes and can be
// read whole, else nil.
func body(s *source, bx box) []byte { return bodyUpTo(s, bx, maxBoxRead) }

// bodyUpTo is body with a bound of limit bytes.
func bodyUpTo(s *source, bx box, limit int64) []byte {
	n := bx.end - bx.bodyStart
	if n > limit {
		return nil
	}
	b := s.bytes(bx.bodyStart, n)
	if int64(len(b)) < n {
		return nil
	}
	return b
}

// mp4Track is what the probe reads of one trak.
type mp4Track struct {
	id         uint32
	handler    string // "soun", "vide", ...
	timescale  uint32
	duration   uint64 // mdhd, in timescale units
	entry      string // the first sample entry's type ("mp4a", "alac")
	stsdSeen   bool
	codec      string // the codec's name when it is not AAC ("ALAC"), "" for AAC
	sampleRate int
	channels   int
	avgBitrate uint32 // esds, else btrt
	sampleSize int64  // stsz: bytes in all samples; -1 unknown
	firstChunk int64  // stco/co64: offset of the first chunk; -1 unknown
	oti        byte   // esds object type indication
}

// mp4 is what the probe gathers from an MP4 file's boxes.
type mp4 struct {
	moov      bool
	scale     uint32 // mvhd timescale
	dur       uint64 // mvhd duration
	mehd      uint64 // mvex/mehd fragment duration, in mvhd units
	fragments bool   // mvex present: samples are in moof boxes
	tracks    int
	video     int
	audio     *mp4Track
	title     string
	mdat      int64 // bytes of the mdat boxes' bodies seen

	trexDur, trexSize uint32 // defaults for the audio track's fragments

	// fragments of the audio track, counted
	fragDur, fragBytes int64
	fragFrom, fragTo   int64 // file range the counted fragments cover
	fragSkipped        bool  // a moof too large to read was not counted
	sidxDur, sidxBytes int64 // first sidx: in its own timescale (sidxScale)
	sidxScale          uint32
}

// probeMP4 checks an MP4 file: its first audio track must be AAC (LC,
// HE-AAC v1/v2) at a rate Alexa plays, and its bit rate within bounds.
func probeMP4(s *source) (Info, error) {
	head := s.head
	ftyp, ok := readBox(head, 0, s.size)
	if !ok || ftyp.end < ftyp.bodyStart+8 || ftyp.end > int64(len(head)) {
		return Info{}, reject("malformed MP4 ftyp box")
	}
	if mp4DRMBrands[string(head[ftyp.bodyStart:ftyp.bodyStart+4])] {
		return Info{}, reject("DRM-protected audio")
	}
	var (
		m        mp4
		complete = true // the top-level boxes are well formed as far as they were read
	)
	for off := int64(0); off < s.size; {
		if m.moov && !m.fragments && len(s.have(off)) < 16 {
			break // nothing after a whole moov decides: no reads to check the rest
		}
		bx, ok := readBox(s.bytes(off, 16), off, s.size)
		if !ok {
			complete = false
			break
		}
		if bx.end > s.size {
			return Info{}, reject("truncated MP4 file")
		}
		switch bx.typ {
		case "moov":
			m.readMoov(s, bx)
		case "mdat":
			m.mdat += bx.end - bx.bodyStart
			if m.fragTo == bx.start {
				m.fragTo = bx.end // the counted fragment's samples
			}
		case "moof":
			m.readMoof(s, bx)
		case "sidx":
			if m.sidxScale == 0 {
				m.readSidx(body(s, bx))
			}
		}
		off = bx.end
	}
	unsure := s.short && !complete // the walk stopped at what could be read
	switch {
	case !m.moov && unsure && s.r == nil:
		// Probe's head ends before the moov box: taken on trust, as the
		// package documentation says.
		return Info{}, nil
	case !m.moov && unsure:
		return Info{}, reject(fmt.Sprintf("MP4 moov box not within the %d KB jokebox reads", MaxRead>>10))
	case !m.moov && !complete:
		return Info{}, reject("malformed MP4 box")
	case !m.moov:
		return Info{}, reject("MP4 file without a moov box")
	}
	info := Info{Format: FormatMP4, Title: m.title}
	t := m.audio
	switch {
	case t == nil && s.short && s.r == nil:
		info.Duration = duration(int64(m.dur), int64(m.scale))
		return info, nil // moov cut by Probe's head: taken on trust
	case t == nil && m.video > 0:
		return Info{}, reject("video with no audio track: Alexa plays AAC in MP4")
	case t == nil && s.short:
		return Info{}, reject(fmt.Sprintf("MP4 moov box larger than the %d KB jokebox reads", MaxRead>>10))
	case t == nil:
		return Info{}, reject("MP4 file with no audio track: Alexa plays AAC in MP4")
	case !t.stsdSeen && s.r == nil:
		return info, nil
	case !t.stsdSeen:
		return Info{}, reject("MP4 audio track without a sample description")
	case t.codec != "":
		return Info{}, reject(t.codec + ": Alexa plays AAC in MP4")
	}
	info.Codec, info.SampleRate, info.Channels = "aac", t.sampleRate, t.channels

	// Duration: the movie's (after its edit lists: what plays), the
	// track's, the fragments' (mehd, sidx, or counted), in that order.
	switch {
	case m.dur > 0 && m.scale > 0 && m.dur < 1<<62:
		info.Duration = duration(int64(m.dur), int64(m.scale))
	case t.duration > 0 && t.timescale > 0 && t.duration < 1<<62:
		info.Duration = duration(int64(t.duration), int64(t.timescale))
	case m.mehd > 0 && m.mehd < 1<<62:
		info.Duration = duration(int64(m.mehd), int64(m.scale))
	case m.sidxDur > 0:
		info.Duration = duration(m.sidxDur, int64(m.sidxScale))
	case m.fragDur > 0 && t.timescale > 0:
		d := m.fragDur
		if (!complete || m.fragSkipped) && m.fragTo > m.fragFrom {
			// Fragments beyond the bound: the rest at the same time a byte.
			d = int64(float64(d) * float64(s.size-m.fragFrom) / float64(m.fragTo-m.fragFrom))
			info.Estimated = true
		}
		info.Duration = duration(d, int64(t.timescale))
	}
	// The track's own duration (mdhd, with the encoder's priming) is the
	// time its samples' bytes take.
	secs := info.Duration.Seconds()
	if t.duration > 0 && t.timescale > 0 && t.duration < 1<<62 {
		secs = duration(int64(t.duration), int64(t.timescale)).Seconds()
	}
	// Bit rate: the samples' bytes over the duration when every sample was
	// counted (stsz, or all the fragments), else what the sample
	// description says (esds, btrt), else the fragments counted or sidx.
	// The samples come first because a fragmented file's esds is written
	// before them: ffmpeg puts the encoder's target there (32 kbps for a
	// stream of 46).
	switch {
	case t.sampleSize > 0 && secs > 0:
		info.Bitrate = int(min(float64(t.sampleSize)*8/secs, 1e9))
	case m.fragBytes > 0 && m.fragDur > 0 && t.timescale > 0 && complete && !m.fragSkipped:
		info.Bitrate = rate(m.fragBytes*8, m.fragDur, int64(t.timescale))
	case t.avgBitrate > 0:
		info.Bitrate = int(t.avgBitrate)
	case m.fragBytes > 0 && m.fragDur > 0 && t.timescale > 0:
		info.Bitrate = rate(m.fragBytes*8, m.fragDur, int64(t.timescale))
	case m.sidxBytes > 0 && m.sidxDur > 0:
		info.Bitrate = rate(m.sidxBytes*8, m.sidxDur, int64(m.sidxScale))
	case m.tracks == 1 && m.mdat > 0 && secs > 0:
		info.Bitrate = int(min(float64(m.mdat)*8/secs, 1e9))
	}
	if err := checkBitrate(info.Bitrate); err != nil {
		return Info{}, err
	}
	if !aacRates[t.sampleRate] {
		khz := strconv.FormatFloat(float64(t.sampleRate)/1000, 'f', -1, 64)
		return Info{}, reject(khz + " kHz AAC: Alexa plays AAC at 22.05, 44.1 or 48 kHz")
	}
	return info, nil
}

// readMoov reads the movie header, the tracks, the fragment defaults and
// the title.
func (m *mp4) readMoov(s *source, moov box) {
	m.moov = true
	children(s, moov.bodyStart, moov.end, func(bx box) bool {
		switch bx.typ {
		case "mvhd":
			m.scale, m.dur = fullBoxTimes(s.bytes(bx.bodyStart, min(bx.end-bx.bodyStart, 32)), 12, 20)
		case "trak":
			m.tracks++
			t := readTrak(s, bx)
			if t.handler == "vide" {
				m.video++
			}
			if t.handler == "soun" && m.audio == nil {
				m.audio = &t
			}
		case "mvex":
			m.fragments = true
			children(s, bx.bodyStart, bx.end, func(c box) bool {
				b := body(s, c)
				switch {
				case c.typ == "mehd" && len(b) >= 8 && b[0] == 0:
					m.mehd = uint64(binary.BigEndian.Uint32(b[4:]))
				case c.typ == "mehd" && len(b) >= 12 && b[0] == 1:
					m.mehd = binary.BigEndian.Uint64(b[4:])
				case c.typ == "trex" && len(b) >= 24 && m.audio != nil && binary.BigEndian.Uint32(b[4:]) == m.audio.id:
					m.trexDur, m.trexSize = binary.BigEndian.Uint32(b[12:]), binary.BigEndian.Uint32(b[16:])
				}
				return true
			})
		case "udta":
			children(s, bx.bodyStart, bx.end, func(u box) bool {
				switch u.typ {
				case "meta":
					m.title = metaTitle(s, u)
				case "\xa9nam":
					// QuickTime user data text: size (2), language (2), text.
					if b := body(s, u); len(b) >= 4 {
						n := int(binary.BigEndian.Uint16(b))
						m.title = string(b[4:min(len(b), 4+n)])
					}
				}
				return m.title == ""
			})
		case "meta":
			if m.title == "" {
				m.title = metaTitle(s, bx)
			}
		}
		return true
	})
}

// fullBoxTimes reads a timescale and a duration from a version-0 or -1
// full box body (mvhd, mdhd) at the offsets they have in version 0 (v0Scale;
// the duration follows) and version 1 (v1Scale, a 64-bit duration follows).
func fullBoxTimes(b []byte, v0Scale, v1Scale int) (scale uint32, dur uint64) {
	switch {
	case len(b) >= v0Scale+8 && b[0] == 0:
		d := binary.BigEndian.Uint32(b[v0Scale+4:])
		if d == 0xFFFFFFFF {
			d = 0
		}
		return binary.BigEndian.Uint32(b[v0Scale:]), uint64(d)
	case len(b) >= v1Scale+12 && b[0] == 1:
		d := binary.BigEndian.Uint64(b[v1Scale+4:])
		if d == 1<<64-1 {
			d = 0
		}
		return binary.BigEndian.Uint32(b[v1Scale:]), d
	}
	return 0, 0
}

// readTrak reads a track's id, handler, timescale and duration and its
// sample table's first description, sizes and first chunk.
func readTrak(s *source, trak box) mp4Track {
	t := mp4Track{sampleSize: -1, firstChunk: -1}
	var walk func(parent box)
	walk = func(parent box) {
		children(s, parent.bodyStart, parent.end, func(bx box) bool {
			switch bx.typ {
			case "mdia", "minf", "stbl":
				walk(bx)
			case "tkhd":
				b := s.bytes(bx.bodyStart, min(bx.end-bx.bodyStart, 24))
				if len(b) >= 16 && b[0] == 0 {
					t.id = binary.BigEndian.Uint32(b[12:])
				} else if len(b) >= 24 && b[0] == 1 {
					t.id = binary.BigEndian.Uint32(b[20:])
				}
			case "mdhd":
				t.timescale, t.duration = fullBoxTimes(s.bytes(bx.bodyStart, min(bx.end-bx.bodyStart, 32)), 12, 20)
			case "hdlr":
				// The media handler, not a QuickTime data handler in minf.
				if b := s.bytes(bx.bodyStart, min(bx.end-bx.bodyStart, 12)); len(b) >= 12 && parent.typ == "mdia" {
					t.handler = string(b[8:12])
				}
			case "stsd":
				t.readStsd(s, bx)
			case "stsz", "stz2":
				t.sampleSize = stszTotal(s, bx)
			case "stco", "co64":
				if b := s.bytes(bx.bodyStart, min(bx.end-bx.bodyStart, 16)); len(b) >= 12 && binary.BigEndian.Uint32(b[4:]) > 0 {
					if bx.typ == "stco" {
						t.firstChunk = int64(binary.BigEndian.Uint32(b[8:]))
					} else if len(b) >= 16 {
						t.firstChunk = int64(binary.BigEndian.Uint64(b[8:]) &^ (1 << 63))
					}
				}
			}
			return true
		})
	}
	walk(trak)
	if t.oti == 0x69 || t.oti == 0x6B {
		t.codec = "MPEG audio"
		if t.firstChunk >= 0 {
			if b := s.bytes(t.firstChunk, 4); len(b) == 4 && b[0] == 0xFF && b[1]&0xE0 == 0xE0 {
				t.codec = map[byte]string{1: "MP3", 2: "MP2", 3: "MP1"}[b[1]>>1&3]
			}
		}
		if t.codec == "" {
			t.codec = "MPEG audio"
		}
	}
	return t
}

// stszTotal returns the bytes of all samples a stsz box lists, or -1 when
// the table is beyond what can be read.
func stszTotal(s *source, bx box) int64 {
	b := s.bytes(bx.bodyStart, min(bx.end-bx.bodyStart, 12))
	if bx.typ != "stsz" || len(b) < 12 {
		return -1
	}
	size, count := int64(binary.BigEndian.Uint32(b[4:])), int64(binary.BigEndian.Uint32(b[8:]))
	if size != 0 {
		return size * count
	}
	if 12+4*count > bx.end-bx.bodyStart {
		return -1
	}
	var total int64
	for off, left := bx.bodyStart+12, count*4; left > 0; {
		// What was read already, else one read for the rest of the table.
		t := s.have(off)
		if len(t) < 4 {
			t = s.bytes(off, left)
		}
		t = t[:min(int64(len(t)), left)]
		if len(t) < 4 {
			return -1
		}
		t = t[:len(t)&^3]
		for i := 0; i < len(t); i += 4 {
			total += int64(binary.BigEndian.Uint32(t[i:]))
		}
		off += int64(len(t))
		left -= int64(len(t))
	}
	return total
}

// sampleEntryNames name the codecs of sample entries that are not AAC.
var sampleEntryNames = map[string]string{
	"alac": "ALAC", "Opus": "Opus", "fLaC": "FLAC", "ac-3": "AC-3", "ec-3": "E-AC-3", "ac-4": "AC-4",
	".mp3": "MP3", "ms\x00\x55": "MP3", "samr": "AMR", "sawb": "AMR-WB", "dtsc": "DTS", "dtsh": "DTS", "dtsl": "DTS",
	"dtse": "DTS", "mha1": "MPEG-H", "mhm1": "MPEG-H", "sowt": "PCM", "twos": "PCM", "lpcm": "PCM", "ipcm": "PCM",
	"fpcm": "PCM", "in24": "PCM", "in32": "PCM", "fl32": "PCM", "fl64": "PCM", "raw ": "PCM", "ulaw": "µ-law",
	"alaw": "A-law", "enca": "encrypted audio", "vorb": "Vorbis",
}

// esdsNames name the codecs of esds object type indications that are not
// AAC, and of AAC object types that are not LC or HE-AAC.
var (
	esdsNames = map[byte]string{0xA5: "AC-3", 0xA6: "E-AC-3", 0xA9: "DTS", 0xAD: "Opus", 0xDD: "Vorbis", 0xE1: "QCELP", 0x66: "AAC Main", 0x68: "AAC SSR"}
	aotNames  = map[int]string{1: "AAC Main", 3: "AAC SSR", 4: "AAC LTP", 6: "AAC Scalable", 17: "ER AAC LC", 19: "ER AAC LTP", 20: "ER AAC Scalable", 23: "AAC-LD", 39: "AAC-ELD", 42: "xHE-AAC"}
)

// readStsd reads the first sample entry of an audio sample description.
func (t *mp4Track) readStsd(s *source, stsd box) {
	b := s.bytes(stsd.bodyStart, min(stsd.end-stsd.bodyStart, 16))
	if len(b) < 16 || binary.BigEndian.Uint32(b[4:]) == 0 {
		return
	}
	entry, ok := readBox(b[8:], stsd.bodyStart+8, stsd.end)
	if !ok || entry.end > stsd.end {
		return
	}
	t.stsdSeen, t.entry = true, entry.typ
	e := body(s, entry)
	// SampleEntry: 6 reserved, data reference index (2); AudioSampleEntry
	// (QuickTime sound description): version (2), revision (2), vendor
	// (4), channels (2), sample size (2), compression id (2), packet size
	// (2), rate (16.16).
	if len(e) < 28 {
		t.codec = "malformed MP4 sample description"
		return
	}
	t.channels = int(binary.BigEndian.Uint16(e[16:]))
	t.sampleRate = int(binary.BigEndian.Uint32(e[24:]) >> 16)
	kids := 28
	switch binary.BigEndian.Uint16(e[8:]) { // QuickTime sound description versions
	case 1:
		kids += 16
	case 2:
		kids += 36
	}
	if entry.typ != "mp4a" {
		t.codec = sampleEntryNames[entry.typ]
		if t.codec == "" {
			t.codec = "codec " + strconv.Quote(entry.typ)
		}
		return
	}
	esds, btrt := findMP4aChildren(e, kids)
	if len(btrt) >= 12 {
		t.avgBitrate = binary.BigEndian.Uint32(btrt[8:])
	}
	if esds == nil {
		t.codec = "MP4 audio without an esds description"
		return
	}
	t.readEsds(esds)
}

// findMP4aChildren returns the bodies of the esds and btrt boxes among the
// children of an mp4a entry's body from off, looking inside a QuickTime
// "wave" box too.
func findMP4aChildren(e []byte, off int) (esds, btrt []byte) {
	for off+8 <= len(e) {
		bx, ok := readBox(e[off:], int64(off), int64(len(e)))
		if !ok || bx.end > int64(len(e)) {
			break
		}
		b := e[bx.bodyStart:bx.end]
		switch bx.typ {
		case "esds":
			esds = b
		case "btrt":
			btrt = b
		case "wave":
			if we, wb := findMP4aChildren(b, 0); we != nil {
				esds = we
				if wb != nil {
					btrt = wb
				}
			}
		}
		off = int(bx.end)
	}
	return esds, btrt
}

// readEsds reads the object type, the average bit rate and the
// AudioSpecificConfig of an esds body (ISO/IEC 14496-1 descriptors).
func (t *mp4Track) readEsds(b []byte) {
	if len(b) < 4 {
		t.codec = "malformed MP4 esds box"
		return
	}
	b = b[4:] // version and flags
	es, _ := descriptor(b, 0x03)
	if len(es) < 3 {
		t.codec = "malformed MP4 esds box"
		return
	}
	flags := es[2]
	es = es[3:]
	if flags&0x80 != 0 {
		es = es[min(2, len(es)):]
	}
	if flags&0x40 != 0 && len(es) > 0 {
		es = es[min(1+int(es[0]), len(es)):]
	}
	if flags&0x20 != 0 {
		es = es[min(2, len(es)):]
	}
	dc, _ := descriptor(es, 0x04)
	if len(dc) < 13 {
		t.codec = "malformed MP4 esds box"
		return
	}
	t.oti = dc[0]
	if avg := binary.BigEndian.Uint32(dc[9:]); avg > 0 {
		t.avgBitrate = avg
	}
	switch t.oti {
	case 0x40, 0x67:
	case 0x69, 0x6B:
		return // MP3 or MP2: readTrak looks at the first frame
	default:
		t.codec = esdsNames[t.oti]
		if t.codec == "" {
			t.codec = fmt.Sprintf("MP4 audio of object type 0x%02X", t.oti)
		}
		return
	}
	asc, _ := descriptor(dc[13:], 0x05)
	if t.oti == 0x67 && len(asc) == 0 {
		return // MPEG-2 AAC LC: the entry's rate and channels stand
	}
	t.readASC(asc)
}

// descriptor returns the body of the descriptor with tag at the start of b
// and what follows it, or nil when b does not start with one.
func descriptor(b []byte, tag byte) (body, rest []byte) {
	if len(b) < 2 || b[0] != tag {
		return nil, nil
	}
	n, i := 0, 1
	for ; i < len(b) && i <= 4; i++ {
		n = n<<7 | int(b[i]&0x7F)
		if b[i]&0x80 == 0 {
			break
		}
	}
	i++
	if i > len(b) || n > len(b)-i {
		return nil, nil
	}
	return b[i : i+n], b[i+n:]
}

// readASC reads an AudioSpecificConfig (ISO/IEC 14496-3 1.6.2.1): the object
// type, which must be AAC LC or HE-AAC (SBR, v1) or HE-AAC v2 (PS), and the
// sample rate played (SBR's output rate) and channels.
func (t *mp4Track) readASC(b []byte) {
	r := bitReader{b: b}
	aot := func() int {
		a := r.bits(5)
		if a == 31 {
			a = 32 + r.bits(6)
		}
		return a
	}
	rateOf := func() int {
		i := r.bits(4)
		if i == 15 {
			return r.bits(24)
		}
		if i < len(adtsRates) {
			return adtsRates[i]
		}
		return 0
	}
	obj := aot()
	sampleRate := rateOf()
	ch := r.bits(4)
	if obj == 5 || obj == 29 {
		sampleRate = rateOf()
		if core := aot(); core != 2 {
			obj = core
		}
	}
	if r.short {
		t.codec = "malformed AAC AudioSpecificConfig"
		return
	}
	if obj != 2 && obj != 5 && obj != 29 {
		t.codec = aotNames[obj]
		if t.codec == "" {
			t.codec = "AAC object type " + strconv.Itoa(obj)
		}
		return
	}
	t.sampleRate = sampleRate
	if ch > 0 && ch < 8 {
		t.channels = []int{0, 1, 2, 3, 4, 5, 6, 8}[ch]
	}
}

// bitReader reads big-endian bits; short is set when b runs out.
type bitReader struct {
	b     []byte
	pos   int
	short bool
}

func (r *bitReader) bits(n int) int {
	v := 0
	for range n {
		if r.pos >= 8*len(r.b) {
			r.short = true
			return 0
		}
		v = v<<1 | int(r.b[r.pos/8]>>(7-r.pos%8)&1)
		r.pos++
	}
	return v
}

// readMoof adds the audio track's fragment in a moof box to the counts.
func (m *mp4) readMoof(s *source, moof box) {
	if m.audio == nil {
		return
	}
	// A moof lists its samples (8 bytes each in ffmpeg's): one fragment
	// of a ten-minute file is 100 KB.
	b := bodyUpTo(s, moof, MaxRead/2)
	if b == nil {
		m.fragSkipped = true
		return
	}
	if m.fragFrom == 0 {
		m.fragFrom = moof.start
	}
	m.fragTo = moof.end
	for off := 0; off+8 <= len(b); {
		traf, ok := readBox(b[off:], int64(off), int64(len(b)))
		if !ok || traf.end > int64(len(b)) {
			return
		}
		if traf.typ == "traf" {
			m.readTraf(b[traf.bodyStart:traf.end])
		}
		off = int(traf.end)
	}
}

// readTraf counts the samples' durations and sizes of a track fragment.
func (m *mp4) readTraf(b []byte) {
	var (
		ours            bool
		defDur, defSize = m.trexDur, m.trexSize
	)
	for off := 0; off+8 <= len(b); {
		bx, ok := readBox(b[off:], int64(off), int64(len(b)))
		if !ok || bx.end > int64(len(b)) {
			return
		}
		c := b[bx.bodyStart:bx.end]
		switch {
		case bx.typ == "tfhd" && len(c) >= 8:
			flags := binary.BigEndian.Uint32(c) & 0xFFFFFF
			ours = binary.BigEndian.Uint32(c[4:]) == m.audio.id
			p := 8
			for _, f := range []struct {
				bit uint32
				n   int
				v   *uint32
			}{{0x1, 8, nil}, {0x2, 4, nil}, {0x8, 4, &defDur}, {0x10, 4, &defSize}} {
				if flags&f.bit == 0 {
					continue
				}
				if p+f.n > len(c) {
					return
				}
				if f.v != nil {
					*f.v = binary.BigEndian.Uint32(c[p:])
				}
				p += f.n
			}
		case bx.typ == "trun" && ours && len(c) >= 8:
			flags := binary.BigEndian.Uint32(c) & 0xFFFFFF
			n := int64(binary.BigEndian.Uint32(c[4:]))
			p := 8
			if flags&0x1 != 0 {
				p += 4
			}
			if flags&0x4 != 0 {
				p += 4
			}
			per := 0
			for _, bit := range []uint32{0x100, 0x200, 0x400, 0x800} {
				if flags&bit != 0 {
					per += 4
				}
			}
			if p > len(c) || per > 0 && n > int64((len(c)-p)/per) || per == 0 && n > 1<<32 {
				return
			}
			if flags&0x300 != 0x300 {
				// Defaults for what the samples do not carry.
				if flags&0x100 == 0 {
					m.fragDur += n * int64(defDur)
				}
				if flags&0x200 == 0 {
					m.fragBytes += n * int64(defSize)
				}
			}
			for i := int64(0); i < n && per > 0; i++ {
				q := p + int(i)*per
				if flags&0x100 != 0 {
					m.fragDur += int64(binary.BigEndian.Uint32(c[q:]))
					q += 4
				}
				if flags&0x200 != 0 {
					m.fragBytes += int64(binary.BigEndian.Uint32(c[q:]))
				}
			}
		}
		off = int(bx.end)
	}
}

// readSidx reads the total duration and size a segment index references.
func (m *mp4) readSidx(b []byte) {
	if len(b) < 24 {
		return
	}
	scale := binary.BigEndian.Uint32(b[8:])
	p := 20
	if b[0] == 1 {
		p = 28
	}
	if p+4 > len(b) || scale == 0 {
		return
	}
	n := int(binary.BigEndian.Uint16(b[p+2:]))
	p += 4
	var dur, size int64
	for i := 0; i < n && p+12 <= len(b); i++ {
		size += int64(binary.BigEndian.Uint32(b[p:]) & 0x7FFFFFFF)
		dur += int64(binary.BigEndian.Uint32(b[p+4:]))
		p += 12
	}
	m.sidxScale, m.sidxDur, m.sidxBytes = scale, dur, size
}

// metaTitle returns the ©nam text of a meta box: the UTF-8 text of its
// first data box.
func metaTitle(s *source, meta box) string {
	from := meta.bodyStart
	// meta is a "full box" (4 bytes of version and flags) in ISO files; in
	// QuickTime files its children start at once, with hdlr.
	if b := s.bytes(from, 8); len(b) == 8 && string(b[4:8]) != "hdlr" {
		from += 4
	}
	var title string
	children(s, from, meta.end, func(bx box) bool {
		if bx.typ != "ilst" {
			return true
		}
		children(s, bx.bodyStart, bx.end, func(item box) bool {
			if item.typ != "\xa9nam" {
				return true
			}
			b := body(s, item)
			data, ok := readBox(b, 0, int64(len(b)))
			// data box body: version (1), type (3, 1 = UTF-8), locale (4), text.
			if ok && data.typ == "data" && data.end == int64(len(b)) && data.end-data.bodyStart >= 8 &&
				string(b[data.bodyStart:data.bodyStart+4]) == "\x00\x00\x00\x01" {
				title = string(b[data.bodyStart+8 : data.end])
			}
			return false
		})
		return false
	})
	return title
}
