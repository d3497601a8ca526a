package manifest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"slices"
	"strings"
	"time"
	"unsafe"
)

// The manifest object is a compact binary file, because the skill must load
// a million entries in well under a second on a small Lambda:
//
//	"JBXM" format(2)
//	uvarint version, varint created (Unix ns)
//	uvarint n, n × entry:      str key, uvarint size, str etag, str title, uvarint duration (ms), str language
//	uvarint p, p × playlist:   str name, uint64 seed (LE), uvarint len, len × uint32 index (LE)
//	uvarint r, r × rejection:  str key, uvarint size, str etag, str reason
//	uint32 CRC-32C (LE) of everything before it
//
// where str is a uvarint length followed by that many bytes of UTF-8.
// Format 1, written before entries had a language, is the same without it;
// Decode still reads it.
// `jokebox manifest --json` prints it for people.

const (
	magic         = "JBXM"
	formatVersion = 2
	// MaxKeyLen is S3's limit on a key's length in bytes.
	MaxKeyLen = 1024
	maxText   = 4096
	// MaxLanguage bounds an entry's language code ("es", "en").
	MaxLanguage = 8
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrCorrupt reports a manifest object that does not decode or whose
// contents break the manifest's invariants.
var ErrCorrupt = errors.New("manifest: corrupt")

// Checksum is the CRC-32C that the pointer records for an encoded manifest.
func Checksum(b []byte) string {
	return fmt.Sprintf("crc32c:%08x", crc32.Checksum(b, castagnoli))
}

// Encode returns the binary form of m.
func (m *Manifest) Encode() []byte {
	size := 64
	for _, e := range m.Entries {
		size += len(e.Key) + len(e.ETag) + len(e.Title) + 24
	}
	for _, p := range m.Playlists {
		size += len(p.Name) + 4*len(p.Order) + 24
	}
	for _, r := range m.Rejected {
		size += len(r.Key) + len(r.ETag) + len(r.Reason) + 24
	}
	b := make([]byte, 0, size)
	b = append(b, magic...)
	b = append(b, formatVersion)
	b = binary.AppendUvarint(b, uint64(m.Version))
	b = binary.AppendVarint(b, m.Created.UnixNano())
	b = binary.AppendUvarint(b, uint64(len(m.Entries)))
	for _, e := range m.Entries {
		b = appendStr(b, e.Key)
		b = binary.AppendUvarint(b, uint64(e.Size))
		b = appendStr(b, e.ETag)
		b = appendStr(b, e.Title)
		b = binary.AppendUvarint(b, uint64(e.Duration.Milliseconds()))
		b = appendStr(b, m.Languages[e.Key])
	}
	b = binary.AppendUvarint(b, uint64(len(m.Playlists)))
	for _, p := range m.Playlists {
		b = appendStr(b, p.Name)
		b = binary.LittleEndian.AppendUint64(b, p.Seed)
		b = binary.AppendUvarint(b, uint64(len(p.Order)))
		for _, idx := range p.Order {
			b = binary.LittleEndian.AppendUint32(b, idx)
		}
	}
	b = binary.AppendUvarint(b, uint64(len(m.Rejected)))
	for _, r := range m.Rejected {
		b = appendStr(b, r.Key)
		b = binary.AppendUvarint(b, uint64(r.Size))
		b = appendStr(b, r.ETag)
		b = appendStr(b, r.Reason)
	}
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

func appendStr(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// Decode parses an encoded manifest and checks its invariants. The returned
// manifest's strings share b's memory, so that a million entries cost one
// buffer rather than millions of small strings: the caller must not modify
// b afterwards.
func Decode(b []byte) (*Manifest, error) {
	if len(b) < len(magic)+1+4 || string(b[:len(magic)]) != magic {
		return nil, fmt.Errorf("%w: not a jokebox manifest", ErrCorrupt)
	}
	format := b[len(magic)]
	if format != 1 && format != formatVersion {
		return nil, fmt.Errorf("%w: format %d, want 1 or %d", ErrCorrupt, format, formatVersion)
	}
	body, sum := b[:len(b)-4], binary.LittleEndian.Uint32(b[len(b)-4:])
	if got := crc32.Checksum(body, castagnoli); got != sum {
		return nil, fmt.Errorf("%w: checksum %08x, want %08x", ErrCorrupt, got, sum)
	}
	d := decoder{buf: unsafe.String(unsafe.SliceData(body), len(body)), off: len(magic) + 1}
	m := &Manifest{}
	m.Version = int64(d.uvarint(math.MaxInt64))
	m.Created = time.Unix(0, d.varint()).UTC()

	n := d.count(5)
	m.Entries = make([]Entry, n)
	for i := range m.Entries {
		e := &m.Entries[i]
		e.Key = d.str(MaxKeyLen)
		e.Size = int64(d.uvarint(math.MaxInt64))
		e.ETag = d.str(maxText)
		e.Title = d.str(maxText)
		e.Duration = time.Duration(d.uvarint(math.MaxInt64/uint64(time.Millisecond))) * time.Millisecond
		if format >= 2 {
			if l := d.str(MaxLanguage); l != "" {
				if m.Languages == nil {
					m.Languages = map[string]string{}
				}
				m.Languages[e.Key] = l
			}
		}
	}
	np := d.count(10)
	m.Playlists = make([]Playlist, np)
	for i := range m.Playlists {
		p := &m.Playlists[i]
		p.Name = d.str(MaxKeyLen)
		p.Seed = d.uint64()
		p.Order = d.order(n)
	}
	nr := d.count(4)
	m.Rejected = make([]Rejection, nr)
	for i := range m.Rejected {
		r := &m.Rejected[i]
		r.Key = d.str(MaxKeyLen)
		r.Size = int64(d.uvarint(math.MaxInt64))
		r.ETag = d.str(maxText)
		r.Reason = d.str(maxText)
	}
	if d.err == nil && d.off != len(d.buf) {
		d.fail("%d trailing bytes", len(d.buf)-d.off)
	}
	if d.err != nil {
		return nil, d.err
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m, nil
}

// Validate checks the invariants the skill relies on: entries and
// rejections sorted and unique, a library playlist that orders every entry
// exactly once, and folder playlists that hold exactly their folder's
// entries.
func (m *Manifest) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
	}
	for i, e := range m.Entries {
		if e.Key == "" || strings.HasPrefix(e.Key, Prefix) {
			return bad("entry %d has key %q", i, e.Key)
		}
		if i > 0 && m.Entries[i-1].Key >= e.Key {
			return bad("entries not sorted at %q", e.Key)
		}
	}
	for i, r := range m.Rejected {
		if i > 0 && m.Rejected[i-1].Key >= r.Key {
			return bad("rejections not sorted at %q", r.Key)
		}
	}
	for i, j := 0, 0; i < len(m.Entries) && j < len(m.Rejected); { // both sorted: a key is playable or rejected, not both
		switch c := strings.Compare(m.Entries[i].Key, m.Rejected[j].Key); {
		case c == 0:
			return bad("key %q both playable and rejected", m.Entries[i].Key)
		case c < 0:
			i++
		default:
			j++
		}
	}
	if len(m.Playlists) == 0 || m.Playlists[0].Name != "" {
		return bad("no library playlist")
	}
	seen := make([]uint8, len(m.Entries)) // bit 0: library, bit 1: folder
	if len(m.Library().Order) != len(m.Entries) {
		return bad("library has %d of %d entries", len(m.Library().Order), len(m.Entries))
	}
	for _, idx := range m.Library().Order {
		if int(idx) >= len(seen) || seen[idx]&1 != 0 {
			return bad("library order repeats or overflows at %d", idx)
		}
		seen[idx] |= 1
	}
	// Entries are sorted, so a folder's entries (the keys starting with
	// its name and a slash) are one contiguous range: membership is a
	// bounds check, without touching the keys in play order.
	for i := 1; i < len(m.Playlists); i++ {
		p := &m.Playlists[i]
		if p.Name == "" || strings.IndexByte(p.Name, '/') >= 0 || (i > 1 && m.Playlists[i-1].Name >= p.Name) || len(p.Order) == 0 {
			return bad("playlist %d (%q) empty, unnamed or out of order", i, p.Name)
		}
		lo, hi := m.folderRange(p.Name)
		if len(p.Order) != hi-lo {
			return bad("playlist %q has %d of its folder's %d entries", p.Name, len(p.Order), hi-lo)
		}
		for _, idx := range p.Order {
			if int(idx) < lo || int(idx) >= hi || seen[idx]&2 != 0 {
				return bad("playlist %q holds entry %d wrongly", p.Name, idx)
			}
			seen[idx] |= 2
		}
	}
	for i, s := range seen {
		if s&2 == 0 && Folder(m.Entries[i].Key) != "" {
			return bad("entry %q missing from its folder playlist", m.Entries[i].Key)
		}
	}
	return nil
}

// folderRange returns the range of m.Entries in folder name: the keys
// from name+"/" up to, not including, name+"0" ('0' follows '/').
func (m *Manifest) folderRange(name string) (lo, hi int) {
	search := func(bound string) int {
		i, _ := slices.BinarySearchFunc(m.Entries, bound, func(e Entry, k string) int { return strings.Compare(e.Key, k) })
		return i
	}
	return search(name + "/"), search(name + "0")
}

type decoder struct {
	buf string
	off int
	err error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: at byte %d: %s", ErrCorrupt, d.off, fmt.Sprintf(format, args...))
	}
	d.off = len(d.buf)
}

func (d *decoder) uvarint(max uint64) uint64 {
	if d.err != nil {
		return 0
	}
	var v uint64
	var shift uint
	for i := 0; i < binary.MaxVarintLen64; i++ {
		if d.off >= len(d.buf) {
			d.fail("truncated")
			return 0
		}
		c := d.buf[d.off]
		d.off++
		if c < 0x80 {
			v |= uint64(c) << shift
			if v > max {
				d.fail("value %d out of range", v)
				return 0
			}
			return v
		}
		v |= uint64(c&0x7f) << shift
		shift += 7
	}
	d.fail("varint overflow")
	return 0
}

func (d *decoder) varint() int64 {
	u := d.uvarint(math.MaxUint64)
	return int64(u>>1) ^ -int64(u&1)
}

// count reads an element count and bounds it by the bytes left, so a corrupt
// count cannot make the decoder allocate more than the input justifies.
func (d *decoder) count(minSize int) int {
	n := d.uvarint(math.MaxInt32)
	if n > uint64((len(d.buf)-d.off)/minSize) {
		d.fail("count %d exceeds the data", n)
		return 0
	}
	return int(n)
}

func (d *decoder) str(max int) string {
	n := d.uvarint(uint64(max))
	if d.err != nil {
		return ""
	}
	if n > uint64(len(d.buf)-d.off) {
		d.fail("string of %d bytes truncated", n)
		return ""
	}
	s := d.buf[d.off : d.off+int(n)]
	d.off += int(n)
	return s
}

func (d *decoder) uint64() uint64 {
	if d.err != nil {
		return 0
	}
	if len(d.buf)-d.off < 8 {
		d.fail("truncated")
		return 0
	}
	v := binary.LittleEndian.Uint64([]byte(d.buf[d.off : d.off+8]))
	d.off += 8
	return v
}

func (d *decoder) order(entries int) []uint32 {
	n := d.uvarint(uint64(entries))
	if d.err != nil {
		return nil
	}
	if n*4 > uint64(len(d.buf)-d.off) {
		d.fail("order truncated")
		return nil
	}
	out := make([]uint32, n)
	for i := range out {
		s := d.buf[d.off : d.off+4]
		out[i] = uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
		d.off += 4
	}
	return out
}
