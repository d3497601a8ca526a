package audio

import (
	"bytes"
	"encoding/binary"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// id3HeaderLen is the length of an ID3v2 header (and of its optional footer).
const id3HeaderLen = 10

// maxID3Tags bounds how many ID3v2 tags in a row skipID3 follows: some
// taggers prepend a new tag instead of replacing the old one.
const maxID3Tags = 4

// maxTextFrame bounds the text frames read for a title or a language: a
// frame claiming more is skipped.
const maxTextFrame = 16 << 10

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
// where the audio should start (which may lie beyond what was read) and the
// first tag's header, if any.
func skipID3(s *source) (start int64, first *id3Header, err error) {
	for range maxID3Tags {
		b := s.bytes(start, id3HeaderLen)
		if len(b) == 0 {
			break
		}
		h, ok, err := parseID3Header(b)
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
		if start > s.size {
			return 0, nil, reject("ID3 tag runs past end of file")
		}
	}
	if first != nil && start == s.size {
		return 0, nil, reject("ID3 tag with no audio")
	}
	return start, first, nil
}

// id3Text returns the title (TIT2, or TT2 in ID3v2.2) and the language
// (TLAN, or TLA) of the ID3v2 tag at the start of the file, each "" when
// the tag has none within what can be read or it cannot be decoded. Frames
// are found by their headers, so a large picture before the title costs a
// read, not its size; a tag cut off by what can be read still yields the
// frames that come before the cut.
func id3Text(s *source, h id3Header) (title, lang string) {
	// get returns up to n bytes of the tag's body from off.
	get := func(off, n int64) []byte {
		if off >= h.body {
			return nil
		}
		return s.bytes(id3HeaderLen+off, min(n, h.body-off))
	}
	if h.major < 4 && h.flags&0x80 != 0 {
		// v2.2/v2.3 unsynchronise the whole tag after its header: frame
		// offsets count the decoded bytes, so decode what the head holds.
		body := unsynchronise(get(0, HeadSize))
		get = func(off, n int64) []byte {
			if off >= int64(len(body)) {
				return nil
			}
			return body[off:min(int64(len(body)), off+n)]
		}
	}
	if h.major == 2 && h.flags&0x40 != 0 {
		return "", "" // v2.2 compression: never defined, never used
	}
	var off int64
	if h.major >= 3 && h.flags&0x40 != 0 {
		b := get(0, 4)
		if len(b) < 4 {
			return "", ""
		}
		if h.major == 3 {
			off = 4 + int64(binary.BigEndian.Uint32(b)) // size excludes itself
		} else {
			off = int64(synchsafe(b)) // size includes itself
		}
		if off < 4 {
			return "", ""
		}
	}
	idLen, hdrLen, titleID, langID := 4, int64(10), "TIT2", "TLAN"
	if h.major == 2 {
		idLen, hdrLen, titleID, langID = 3, 6, "TT2", "TLA"
	}
	for {
		hdr := get(off, hdrLen)
		if int64(len(hdr)) < hdrLen || hdr[0] == 0 {
			return title, lang
		}
		var n int64
		switch h.major {
		case 2:
			n = int64(hdr[3])<<16 | int64(hdr[4])<<8 | int64(hdr[5])
		case 3:
			n = int64(binary.BigEndian.Uint32(hdr[4:8]))
		default:
			n = int64(synchsafe(hdr[4:8]))
		}
		if id := string(hdr[:idLen]); (id == titleID && title == "" || id == langID && lang == "") && n <= maxTextFrame {
			data := get(off+hdrLen, n)
			if int64(len(data)) < n {
				return title, lang // truncated by what can be read (or corrupt)
			}
			var flags byte
			if h.major > 2 {
				flags = hdr[9]
			}
			if h.major == 4 && h.flags&0x80 != 0 {
				flags |= 0x02 // tag-level unsynchronisation: every frame is unsynchronised
			}
			text := id3Frame(h.major, flags, data)
			if id == titleID {
				title = text
			} else {
				lang = text
			}
			if title != "" && lang != "" {
				return title, lang
			}
		}
		off += hdrLen + n
	}
}

// id3Frame decodes one text frame's data (encoding byte, then text) after
// undoing what its flags say, or returns "" for compressed or encrypted frames.
func id3Frame(major, flags byte, data []byte) string {
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
		if flags&0x02 != 0 {
			data = unsynchronise(data)
		}
		if flags&0x01 != 0 { // data length indicator
			if len(data) < 4 {
				return ""
			}
			data = data[4:]
		}
	}
	if len(data) == 0 {
		return ""
	}
	return id3String(data[0], data[1:])
}

// id3String decodes ID3v2 text in encoding enc (0 ISO-8859-1, 1 UTF-16
// with a byte-order mark, 2 UTF-16BE, 3 UTF-8). A frame may hold several
// values separated by NULs (ID3v2.4); they are joined as "Uno / Dos".
func id3String(enc byte, b []byte) string {
	var values []string
	switch enc {
	case 0, 3:
		for v := range bytes.SplitSeq(b, []byte{0}) {
			if enc == 0 {
				values = append(values, latin1(v))
			} else {
				values = append(values, string(v))
			}
		}
	case 1, 2:
		var u []uint16
		for i := 0; i+1 < len(b); i += 2 {
			u = append(u, uint16(b[i])<<8|uint16(b[i+1]))
		}
		for v := range splitUTF16(u) {
			little := false
			if len(v) > 0 && enc == 1 && (v[0] == 0xFFFE || v[0] == 0xFEFF) {
				little = v[0] == 0xFFFE
				v = v[1:]
			}
			if little {
				for i := range v {
					v[i] = v[i]>>8 | v[i]<<8
				}
			}
			values = append(values, string(utf16.Decode(v)))
		}
	default:
		return ""
	}
	for len(values) > 0 && strings.TrimSpace(values[len(values)-1]) == "" {
		values = values[:len(values)-1]
	}
	return strings.Join(values, " / ")
}

// splitUTF16 yields the NUL-separated runs of u.
func splitUTF16(u []uint16) func(func([]uint16) bool) {
	return func(yield func([]uint16) bool) {
		for len(u) > 0 {
			i := 0
			for i < len(u) && u[i] != 0 {
				i++
			}
			if !yield(u[:i]) || i == len(u) {
				return
			}
			u = u[i+1:]
		}
	}
}

// latin1 decodes ISO-8859-1.
func latin1(b []byte) string {
	if utf8.Valid(b) && !bytes.ContainsFunc(b, func(r rune) bool { return r >= 0x80 }) {
		return string(b)
	}
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}

// tailTitle returns the title of an APEv2 tag or an ID3v1 tag at the end of
// the file (APE first: it holds UTF-8 and longer titles), and the bytes those
// tags take, which are not audio. It reads the last bytes once, and an APE
// tag's items when they are not among them.
func tailTitle(s *source, audioStart int64) (title string, tail int64) {
	const v1Len, apeFooter = 128, 32
	n := min(s.size-audioStart, v1Len+apeFooter)
	b := s.bytes(s.size-n, n)
	if int64(len(b)) != n {
		return "", 0
	}
	end := int64(len(b)) // the end of the APE tag, if any, in b
	var v1 string
	if len(b) >= v1Len && string(b[len(b)-v1Len:len(b)-v1Len+3]) == "TAG" {
		v1 = latin1(bytes.TrimRight(b[len(b)-v1Len+3:len(b)-v1Len+33], "\x00 "))
		end -= v1Len
		tail = v1Len
	}
	if end < apeFooter || string(b[end-apeFooter:end-apeFooter+8]) != "APETAGEX" {
		return v1, tail
	}
	f := b[end-apeFooter : end]
	size := int64(binary.LittleEndian.Uint32(f[12:])) // items and footer
	count := binary.LittleEndian.Uint32(f[16:])
	flags := binary.LittleEndian.Uint32(f[20:])
	tagEnd := s.size - tail
	if size < apeFooter || size > tagEnd-audioStart {
		return v1, tail
	}
	tail += size
	if flags&(1<<31) != 0 && size+apeFooter <= tagEnd-audioStart { // a header precedes the items
		tail += apeFooter
	}
	if size > maxTextFrame {
		return v1, tail
	}
	items := s.bytes(tagEnd-size, size-apeFooter)
	for range min(count, 64) {
		if len(items) < 9 {
			break
		}
		vlen := int64(binary.LittleEndian.Uint32(items))
		k := bytes.IndexByte(items[8:], 0)
		if k < 0 || vlen > int64(len(items)-8-k-1) {
			break
		}
		key, value := string(items[8:8+k]), items[8+k+1:8+k+1+int(vlen)]
		if strings.EqualFold(key, "Title") && binary.LittleEndian.Uint32(items[4:])&6 == 0 { // UTF-8 text
			return strings.ReplaceAll(string(value), "\x00", " / "), tail
		}
		items = items[8+k+1+int(vlen):]
	}
	return v1, tail
}

// synchsafe decodes a 28-bit ID3v2 "synchsafe" integer (7 bits a byte).
func synchsafe(b []byte) int {
	return int(b[0]&0x7F)<<21 | int(b[1]&0x7F)<<14 | int(b[2]&0x7F)<<7 | int(b[3]&0x7F)
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
