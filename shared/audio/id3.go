package audio

import (
	"bytes"
	"encoding/binary"

	"github.com/dhowden/tag"
)

// id3HeaderLen is the length of an ID3v2 header (and of its optional footer).
const id3HeaderLen = 10

// maxID3Tags bounds how many ID3v2 tags in a row skipID3 follows: some
// taggers prepend a new tag instead of replacing the old one.
const maxID3Tags = 4

// id3Header is the fixed part of an ID3v2 tag.
type id3Header struct {
	major byte  // 2, 3 or 4
	flags byte  // 0x80 unsynchronisation, 0x40 extended header (compression in v2.2), 0x10 footer (v2.4)
	body  int64 // bytes after the header, excluding any footer
}

// size is the whole tag's length: header, body and footer.
func (h id3Header) size() int64 {
	n := id3HeaderLen + h.body
	if h.major == 4 && h.flags&0x10 != 0 {
		n += id3HeaderLen
	}
	return n
}

// parseID3Header reads the ID3v2 header at the start of b. ok is false when b
// does not start with "ID3"; err is non-nil when it does but the header breaks
// the format (unknown version, size bytes with their top bit set).
func parseID3Header(b []byte) (h id3Header, ok bool, err error) {
	if len(b) < 3 || string(b[:3]) != "ID3" {
		return id3Header{}, false, nil
	}
	if len(b) < id3HeaderLen {
		return id3Header{}, true, reject("truncated ID3 tag")
	}
	if b[3] < 2 || b[3] > 4 || b[4] == 0xFF || b[6]|b[7]|b[8]|b[9] >= 0x80 {
		return id3Header{}, true, reject("malformed ID3 tag")
	}
	return id3Header{major: b[3], flags: b[5], body: int64(synchsafe(b[6:10]))}, true, nil
}

// skipID3 skips the ID3v2 tags at the start of a file. It returns the offset
// where the audio should start (which may lie beyond head) and the first
// tag's header, if any.
func skipID3(head []byte, size int64) (start int64, first *id3Header, err error) {
	for range maxID3Tags {
		if start >= int64(len(head)) {
			break
		}
		h, ok, err := parseID3Header(head[start:])
		if err != nil {
			return 0, nil, err
		}
		if !ok {
			break
		}
		if first == nil {
			first = &h
		}
		start += h.size()
		if start > size {
			return 0, nil, reject("ID3 tag runs past end of file")
		}
	}
	if first != nil && start == size {
		return 0, nil, reject("ID3 tag with no audio")
	}
	return start, first, nil
}

// id3Text returns the title (TIT2, or TT2 in ID3v2.2) and the language
// (TLAN, or TLA) of the ID3v2 tag at the start of head, each "" when the tag
// has none within head or it cannot be decoded. Only the frames wholly
// inside head are read: a tag cut off by the end of head still yields the
// frames that come before the cut.
func id3Text(head []byte, h id3Header) (title, lang string) {
	body := head[id3HeaderLen:min(int64(len(head)), id3HeaderLen+h.body)]
	if h.major < 4 && h.flags&0x80 != 0 {
		body = unsynchronise(body) // v2.2/v2.3 unsynchronise the whole tag after its header
	}
	if h.major == 2 && h.flags&0x40 != 0 {
		return "", "" // v2.2 compression: never defined, never used
	}
	if h.major >= 3 && h.flags&0x40 != 0 {
		if len(body) < 4 {
			return "", ""
		}
		var n int64
		if h.major == 3 {
			n = 4 + int64(binary.BigEndian.Uint32(body)) // size excludes itself
		} else {
			n = int64(synchsafe(body[:4])) // size includes itself
		}
		if n < 4 || n > int64(len(body)) {
			return "", ""
		}
		body = body[n:]
	}
	idLen, hdrLen, titleID, langID := 4, 10, "TIT2", "TLAN"
	if h.major == 2 {
		idLen, hdrLen, titleID, langID = 3, 6, "TT2", "TLA"
	}
	for len(body) >= hdrLen && body[0] != 0 {
		var n int
		switch h.major {
		case 2:
			n = int(body[3])<<16 | int(body[4])<<8 | int(body[5])
		case 3:
			n = int(min(binary.BigEndian.Uint32(body[4:8]), uint32(len(body))))
		default:
			n = synchsafe(body[4:8])
		}
		if n > len(body)-hdrLen {
			return title, lang // truncated by the end of head (or corrupt)
		}
		if id := string(body[:idLen]); id == titleID || id == langID {
			var flags byte
			if h.major > 2 {
				flags = body[9]
			}
			text := decodeID3Text(h.major, flags, body[:idLen], body[hdrLen:hdrLen+n])
			if id == titleID && title == "" {
				title = text
			} else if id == langID && lang == "" {
				lang = text
			}
			if title != "" && lang != "" {
				return title, lang
			}
		}
		body = body[hdrLen+n:]
	}
	return title, lang
}

// decodeID3Text decodes one text frame's data with dhowden/tag, from a
// minimal tag built around it: the frame's size is already known to fit in
// the data, so the library cannot be made to allocate more than that.
func decodeID3Text(major, flags byte, id, data []byte) string {
	switch major {
	case 3:
		if flags&0xC0 != 0 { // compressed or encrypted
			return ""
		}
		if flags&0x20 != 0 { // group identifier byte
			if len(data) < 1 {
				return ""
			}
			data = data[1:]
		}
	case 4:
		if flags&0x0C != 0 { // compressed or encrypted
			return ""
		}
		if flags&0x40 != 0 { // group identifier byte
			if len(data) < 1 {
				return ""
			}
			data = data[1:]
		}
		if flags&0x01 != 0 { // data length indicator
			if len(data) < 4 {
				return ""
			}
			data = data[4:]
		}
		if flags&0x02 != 0 {
			data = unsynchronise(data)
		}
	}
	if len(data) == 0 {
		return ""
	}
	// Header, one frame, then a frame header's worth of zero padding: the
	// library counts the tag header against the tag's size, so without the
	// padding a short frame would not be read.
	hdrLen := 10
	if major == 2 {
		hdrLen = 6
	}
	frame := hdrLen + len(data)
	buf := make([]byte, 0, id3HeaderLen+frame+id3HeaderLen)
	buf = append(buf, 'I', 'D', '3', major, 0, 0)
	buf = appendSynchsafe(buf, frame+id3HeaderLen)
	buf = append(buf, id...)
	switch major {
	case 2:
		buf = append(buf, byte(len(data)>>16), byte(len(data)>>8), byte(len(data)))
	case 3:
		buf = binary.BigEndian.AppendUint32(buf, uint32(len(data)))
	default:
		buf = appendSynchsafe(buf, len(data))
	}
	if major > 2 {
		buf = append(buf, 0, 0)
	}
	buf = append(buf, data...)
	buf = append(buf, make([]byte, id3HeaderLen)...)
	m, err := tag.ReadID3v2Tags(bytes.NewReader(buf))
	if err != nil {
		return ""
	}
	text, _ := m.Raw()[string(id)].(string)
	return text
}

// synchsafe decodes a 28-bit ID3v2 "synchsafe" integer (7 bits a byte).
func synchsafe(b []byte) int {
	return int(b[0]&0x7F)<<21 | int(b[1]&0x7F)<<14 | int(b[2]&0x7F)<<7 | int(b[3]&0x7F)
}

// appendSynchsafe appends n (< 2^28) as a synchsafe integer.
func appendSynchsafe(b []byte, n int) []byte {
	return append(b, byte(n>>21)&0x7F, byte(n>>14)&0x7F, byte(n>>7)&0x7F, byte(n)&0x7F)
}

// unsynchronise undoes ID3v2 unsynchronisation: every 0xFF 0x00 becomes 0xFF.
// It returns b itself when there is nothing to undo.
func unsynchronise(b []byte) []byte {
	if !bytes.Contains(b, []byte{0xFF, 0x00}) {
		return b
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		out = append(out, b[i])
		if b[i] == 0xFF && i+1 < len(b) && b[i+1] == 0x00 {
			i++
		}
	}
	return out
}
