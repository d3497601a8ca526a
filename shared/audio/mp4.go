package audio

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/dhowden/tag"
)

// mp4Brands are the ftyp brands of MP4 files whose audio Alexa can play:
// iTunes audio and audiobooks, the ISO base and MP4 brands (also written for
// plain AAC), DASH, and 3GPP audio.
var mp4Brands = map[string]bool{
	"M4A ": true, "M4B ": true, "mp41": true, "mp42": true, "mp71": true,
	"isom": true, "iso2": true, "iso3": true, "iso4": true, "iso5": true, "iso6": true,
	"dash": true, "3gp4": true, "3gp5": true, "3gp6": true, "3g2a": true, "MSNV": true, "f4a ": true,
}

// mp4DRMBrands are brands of encrypted audio no other player can decode.
var mp4DRMBrands = map[string]bool{"M4P ": true, "aax ": true}

// box is an MP4 box found in a byte slice.
type box struct {
	typ       string
	start     int64 // offset of the box
	bodyStart int64 // offset of its first byte after the header
	end       int64 // offset after the box: may lie beyond the slice
}

// readBox reads the box header at off in b, in a parent that ends at limit.
// ok is false when the header is not wholly in b, or is malformed (a size
// smaller than the header); a size of 0 means "to the end of the parent".
func readBox(b []byte, off, limit int64) (bx box, ok bool) {
	if off < 0 || off+8 > int64(len(b)) {
		return box{}, false
	}
	n := int64(binary.BigEndian.Uint32(b[off:]))
	bx = box{typ: string(b[off+4 : off+8]), start: off, bodyStart: off + 8}
	switch n {
	case 0:
		n = limit - off
	case 1:
		if off+16 > int64(len(b)) {
			return box{}, false
		}
		large := binary.BigEndian.Uint64(b[off+8:])
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

// children calls fn for each child box of the bytes b[from:to] (to may lie
// beyond b) until fn returns false or a header is missing or malformed.
func children(b []byte, from, to int64, fn func(box) bool) {
	for off := from; off < to; {
		bx, ok := readBox(b, off, to)
		if !ok || bx.end > to || !fn(bx) {
			return
		}
		off = bx.end
	}
}

// probeMP4 checks an MP4 file: ftyp brand, top-level boxes, moov/mvhd.
func probeMP4(head []byte, size int64) (Info, error) {
	ftyp, ok := readBox(head, 0, size)
	if !ok || ftyp.typ != "ftyp" {
		return Info{}, reject("not an MP4 file")
	}
	if ftyp.end < ftyp.bodyStart+8 || ftyp.end > int64(len(head)) {
		return Info{}, reject("malformed MP4 ftyp box")
	}
	major := string(head[ftyp.bodyStart : ftyp.bodyStart+4])
	if mp4DRMBrands[major] {
		return Info{}, reject("DRM-protected audio")
	}
	known := mp4Brands[major]
	// Compatible brands follow the major brand and its 4-byte minor version.
	for off := ftyp.bodyStart + 8; !known && off+4 <= ftyp.end; off += 4 {
		known = mp4Brands[string(head[off:off+4])]
	}
	if !known {
		return Info{}, reject(fmt.Sprintf("unsupported MP4 brand %q", major))
	}

	var (
		info     Info
		moov     bool
		complete = true // the top-level boxes, as far as head shows them, are well formed
		media    int64  // bytes in the mdat boxes the head shows
	)
	for off := int64(0); off < size && off < int64(len(head)); {
		bx, ok := readBox(head, off, size)
		if !ok {
			complete = false
			break
		}
		if bx.end > size {
			return Info{}, reject("truncated MP4 file")
		}
		switch bx.typ {
		case "moov":
			moov = true
			info = readMoov(head, bx)
		case "mdat":
			media += bx.end - bx.bodyStart
		}
		off = bx.end
	}
	if !moov && int64(len(head)) == size {
		if !complete {
			return Info{}, reject("malformed MP4 box")
		}
		return Info{}, reject("MP4 file without a moov box")
	}
	// The media data over the duration is the bit rate of all tracks
	// together: a video track or a second audio track can only raise it,
	// so it proves a rate too low, never one too high.
	if media > 0 && info.Duration > 0 {
		info.Bitrate = int(min(float64(media)*8/info.Duration.Seconds(), 1e9))
		if info.Bitrate < MinBitrate {
			return Info{}, checkBitrate(info.Bitrate)
		}
	}
	return info, nil
}

// readMoov reads the duration (mvhd) and title (udta/meta/ilst/©nam, or
// meta/ilst/©nam directly under moov) from the part of moov within head.
func readMoov(head []byte, moov box) Info {
	var info Info
	children(head, moov.bodyStart, moov.end, func(bx box) bool {
		switch bx.typ {
		case "mvhd":
			info.Duration = mvhdDuration(head, bx)
		case "udta":
			children(head, bx.bodyStart, bx.end, func(u box) bool {
				if u.typ == "meta" {
					info.Title = metaTitle(head, u)
				}
				return info.Title == ""
			})
		case "meta":
			if info.Title == "" {
				info.Title = metaTitle(head, bx)
			}
		}
		return true
	})
	return info
}

// mvhdDuration returns the movie duration from an mvhd box, or 0.
func mvhdDuration(head []byte, bx box) time.Duration {
	b := head[bx.bodyStart:min(bx.end, int64(len(head)))]
	var scale, dur uint64
	switch {
	case len(b) >= 20 && b[0] == 0: // version, flags, creation, modification (4 each)
		scale = uint64(binary.BigEndian.Uint32(b[12:]))
		dur = uint64(binary.BigEndian.Uint32(b[16:]))
		if dur == 0xFFFFFFFF {
			return 0
		}
	case len(b) >= 32 && b[0] == 1: // 64-bit creation and modification times and duration
		scale = uint64(binary.BigEndian.Uint32(b[20:]))
		dur = binary.BigEndian.Uint64(b[24:])
		if dur > 1<<62 {
			return 0
		}
	default:
		return 0
	}
	return duration(int64(dur), int64(scale))
}

// metaTitle returns the ©nam text of a meta box, decoded by dhowden/tag from
// a copy of just that box once its size and type are checked.
func metaTitle(head []byte, meta box) string {
	from := meta.bodyStart
	// meta is a "full box" (4 bytes of version and flags) in ISO files; in
	// QuickTime files its children start at once, with hdlr.
	if from+8 <= int64(len(head)) && string(head[from+4:from+8]) != "hdlr" {
		from += 4
	}
	var title string
	children(head, from, meta.end, func(bx box) bool {
		if bx.typ != "ilst" {
			return true
		}
		children(head, bx.bodyStart, bx.end, func(item box) bool {
			if item.typ != "\xa9nam" {
				return true
			}
			title = decodeMP4Title(head, item)
			return false
		})
		return false
	})
	return title
}

// decodeMP4Title decodes a ©nam item whose first child is a UTF-8 "data"
// box. dhowden/tag type-asserts every title to a string, so items of another
// data type (which would make it panic) are left out here.
func decodeMP4Title(head []byte, item box) string {
	if item.end > int64(len(head)) || item.bodyStart != item.start+8 {
		return ""
	}
	data, ok := readBox(head, item.bodyStart, item.end)
	// data box body: version (1), type (3, 1 = UTF-8), locale (4), text.
	if !ok || data.typ != "data" || data.end != item.end || data.end-data.bodyStart < 8 ||
		!bytes.Equal(head[data.bodyStart:data.bodyStart+4], []byte{0, 0, 0, 1}) {
		return ""
	}
	// The library reads a flat run of boxes, entering ilst: an ilst header
	// then the item is all it needs.
	buf := make([]byte, 0, 8+item.end-item.start)
	buf = binary.BigEndian.AppendUint32(buf, uint32(8+item.end-item.start))
	buf = append(buf, "ilst"...)
	buf = append(buf, head[item.start:item.end]...)
	m, err := tag.ReadAtoms(bytes.NewReader(buf))
	if err != nil {
		return ""
	}
	return m.Title()
}
