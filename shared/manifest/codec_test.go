package manifest

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestEncodeDecodeRoundTrip(t *testing.T) {
	t.Parallel()
	withTitle := New()
	withTitle.Apply([]Change{Upsert(Entry{Key: "ñ/é \"quoted\" +?&=%.mp3", Size: 1 << 40, ETag: "abc-2", Title: strings.Repeat("á", 100), Duration: 5*time.Hour + 7*time.Millisecond}).WithLanguage("es")}, newRand(1))
	withTitle.Version = 1 << 40
	withTitle.Created = time.Date(2262, 1, 1, 0, 0, 0, 0, time.UTC)
	empty := New()
	empty.Version = 1
	empty.Created = time.Unix(0, 1).UTC()
	tests := map[string]*Manifest{
		"sample": sample(t, 200),
		"empty":  empty,
		"odd":    withTitle,
	}
	for name, m := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := m.Encode()
			got, err := Decode(b)
			if err != nil {
				t.Fatalf("Decode(Encode(m)): %v", err)
			}
			if diff := cmp.Diff(m, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
			if again := got.Encode(); string(again) != string(b) {
				t.Error("re-encoding a decoded manifest gives other bytes")
			}
		})
	}
}

// TestDecodeFlippedBytes flips every bit pattern of every byte of a small
// manifest: the checksum must catch each, and nothing may panic.
func TestDecodeFlippedBytes(t *testing.T) {
	t.Parallel()
	b := sample(t, 6).Encode()
	for i := range b {
		for _, mask := range []byte{0x01, 0x80, 0xff} {
			c := []byte(string(b))
			c[i] ^= mask
			if _, err := Decode(c); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("byte %d ^ %#x: Decode error %v; want ErrCorrupt", i, mask, err)
			}
		}
	}
	for n := range len(b) {
		if _, err := Decode(b[:n]); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("truncated to %d bytes: Decode error %v; want ErrCorrupt", n, err)
		}
	}
	if _, err := Decode(append([]byte(string(b)), 0)); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("one byte appended: Decode error %v; want ErrCorrupt", err)
	}
}

// reseal replaces b's checksum with a correct one, so that the decoder's
// structural checks are what sees a change.
// TestDecodeFormat1 reads a manifest written before entries had a
// language: format 1, the same layout without it.
func TestDecodeFormat1(t *testing.T) {
	str := func(b []byte, s string) []byte { return append(binary.AppendUvarint(b, uint64(len(s))), s...) }
	b := []byte("JBXM\x01")
	b = binary.AppendUvarint(b, 3)                        // version
	b = binary.AppendVarint(b, 1_700_000_000_000_000_000) // created
	b = binary.AppendUvarint(b, 1)                        // one entry
	b = str(b, "chistes/uno.mp3")
	b = binary.AppendUvarint(b, 1234)
	b = str(b, "etag")
	b = str(b, "Uno")
	b = binary.AppendUvarint(b, 9000)
	b = binary.AppendUvarint(b, 2) // the library and one folder
	for _, name := range []string{"", "chistes"} {
		b = str(b, name)
		b = binary.LittleEndian.AppendUint64(b, 7)
		b = binary.AppendUvarint(b, 1)
		b = binary.LittleEndian.AppendUint32(b, 0)
	}
	b = binary.AppendUvarint(b, 0) // no rejections
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
	m, err := Decode(b)
	if err != nil {
		t.Fatalf("Decode(format 1): %v", err)
	}
	want := Entry{Key: "chistes/uno.mp3", Size: 1234, ETag: "etag", Title: "Uno", Duration: 9 * time.Second}
	if len(m.Entries) != 1 || m.Entries[0] != want || m.Version != 3 || len(m.Playlists) != 2 {
		t.Errorf("Decode(format 1) = %+v", m)
	}
	if again, err := Decode(m.Encode()); err != nil || again.Entries[0] != want {
		t.Errorf("format 1 re-encoded: %v, %+v", err, again)
	}
}

func reseal(b []byte) []byte {
	body := b[:len(b)-4]
	return binary.LittleEndian.AppendUint32(body[:len(body):len(body)], crc32.Checksum(body, castagnoli))
}

// TestDecodeFlippedBytesResealed flips each byte behind a valid checksum:
// the result is either ErrCorrupt or a manifest that keeps every invariant.
func TestDecodeFlippedBytesResealed(t *testing.T) {
	t.Parallel()
	b := sample(t, 6).Encode()
	decoded := 0
	for i := len(magic) + 1; i < len(b)-4; i++ {
		for _, mask := range []byte{0x01, 0x40, 0x80, 0xff} {
			c := []byte(string(b))
			c[i] ^= mask
			m, err := Decode(reseal(c))
			if err != nil {
				if !errors.Is(err, ErrCorrupt) {
					t.Fatalf("byte %d ^ %#x: Decode error %v; want ErrCorrupt", i, mask, err)
				}
				continue
			}
			decoded++
			if err := m.Validate(); err != nil {
				t.Fatalf("byte %d ^ %#x: decoded an invalid manifest: %v", i, mask, err)
			}
		}
	}
	t.Logf("%d of the resealed flips still decode (titles, sizes, seeds)", decoded)
}

func TestDecodeRejects(t *testing.T) {
	t.Parallel()
	good := sample(t, 4).Encode()
	tests := map[string][]byte{
		"empty":  nil,
		"short":  []byte("JBXM"),
		"magic":  reseal(append([]byte("XXXX"), good[4:]...)),
		"format": reseal(append([]byte("JBXM\x03"), good[5:]...)),
		"long language": reseal(func() []byte {
			m := New()
			m.Apply([]Change{Upsert(Entry{Key: "a.mp3"}).WithLanguage(strings.Repeat("x", MaxLanguage+1))}, newRand(1))
			return m.Encode()
		}()),
		"json":        []byte(`{"version":1}`),
		"huge count":  reseal([]byte("JBXM\x01\x01\x00\xff\xff\xff\xff\x07\x00\x00\x00\x00")),
		"big varint":  reseal([]byte("JBXM\x01\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01\x00\x00\x00\x00")),
		"trailing":    reseal(append(append([]byte(string(good[:len(good)-4])), 0), 0, 0, 0, 0)),
		"invalid key": reseal(New().withEntry(Entry{Key: Prefix + "x.mp3"}).Encode()),
	}
	for name, b := range tests {
		if _, err := Decode(b); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: Decode error %v; want ErrCorrupt", name, err)
		}
	}
}

// withEntry adds e to the library, bypassing Apply's checks.
func (m *Manifest) withEntry(e Entry) *Manifest {
	m.Entries = append(m.Entries, e)
	m.Playlists[0].Order = append(m.Playlists[0].Order, uint32(len(m.Entries)-1))
	return m
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		breakIt func(m *Manifest)
	}{
		{"entries unsorted", func(m *Manifest) { m.Entries[1], m.Entries[2] = m.Entries[2], m.Entries[1] }},
		{"entry duplicated", func(m *Manifest) { m.Entries[2].Key = m.Entries[1].Key }},
		{"empty key", func(m *Manifest) { m.Entries[0].Key = "" }},
		{"key under the reserved prefix", func(m *Manifest) { m.Entries[len(m.Entries)-1].Key = Prefix + "z.mp3" }},
		{"rejections unsorted", func(m *Manifest) { m.Rejected[0], m.Rejected[1] = m.Rejected[1], m.Rejected[0] }},
		{"rejection duplicated", func(m *Manifest) { m.Rejected[1].Key = m.Rejected[0].Key }},
		{"key both playable and rejected", func(m *Manifest) { m.Rejected[0].Key = m.Entries[0].Key; sortRejected(m) }},
		{"no playlists", func(m *Manifest) { m.Playlists = nil }},
		{"library not first", func(m *Manifest) { m.Playlists[0], m.Playlists[1] = m.Playlists[1], m.Playlists[0] }},
		{"library misses an entry", func(m *Manifest) { m.Playlists[0].Order = m.Playlists[0].Order[1:] }},
		{"library repeats an entry", func(m *Manifest) { m.Playlists[0].Order[0] = m.Playlists[0].Order[1] }},
		{"library index out of range", func(m *Manifest) { m.Playlists[0].Order[0] = uint32(len(m.Entries)) }},
		{"folder playlists unsorted", func(m *Manifest) { m.Playlists[1], m.Playlists[2] = m.Playlists[2], m.Playlists[1] }},
		{"folder playlist duplicated", func(m *Manifest) { m.Playlists[2].Name = m.Playlists[1].Name }},
		{"folder playlist unnamed", func(m *Manifest) { m.Playlists[1].Name = "" }},
		{"folder playlist empty", func(m *Manifest) {
			m.Playlists = append(m.Playlists, Playlist{Name: "zzz"})
		}},
		{"folder playlist misses an entry", func(m *Manifest) { m.Playlists[1].Order = m.Playlists[1].Order[1:] }},
		{"folder playlist repeats an entry", func(m *Manifest) { m.Playlists[1].Order[0] = m.Playlists[1].Order[1] }},
		{"folder playlist holds another folder's entry", func(m *Manifest) {
			m.Playlists[1].Order[0], m.Playlists[2].Order[0] = m.Playlists[2].Order[0], m.Playlists[1].Order[0]
		}},
		{"folder playlist holds a root entry", func(m *Manifest) {
			root, _ := m.Lookup("root-000.mp3")
			m.Playlists[1].Order = append(m.Playlists[1].Order, uint32(root))
		}},
		{"folder playlist index out of range", func(m *Manifest) { m.Playlists[1].Order[0] = 1 << 30 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := sample(t, 16)
			tt.breakIt(m)
			err := m.Validate()
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Validate() = %v; want ErrCorrupt", err)
			}
			// What Validate refuses, Decode refuses too.
			if _, err := Decode(m.Encode()); !errors.Is(err, ErrCorrupt) {
				t.Errorf("Decode of the encoded broken manifest: %v; want ErrCorrupt", err)
			}
		})
	}
	if err := New().Validate(); err != nil {
		t.Errorf("New().Validate() = %v", err)
	}
}

func sortRejected(m *Manifest) {
	for i := 1; i < len(m.Rejected); i++ {
		for j := i; j > 0 && m.Rejected[j-1].Key > m.Rejected[j].Key; j-- {
			m.Rejected[j-1], m.Rejected[j] = m.Rejected[j], m.Rejected[j-1]
		}
	}
}

func TestChecksum(t *testing.T) {
	t.Parallel()
	if got, want := Checksum([]byte("123456789")), "crc32c:e3069283"; got != want {
		t.Errorf("Checksum(check string) = %s; want %s (CRC-32C check value)", got, want)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(New().Encode())
	f.Add(sample(f, 3).Encode())
	f.Add(sample(f, 12).Encode())
	f.Add([]byte("JBXM\x01"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Decode error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		if err := m.Validate(); err != nil {
			t.Fatalf("Decode accepted an invalid manifest: %v", err)
		}
		again, err := Decode(m.Encode())
		if err != nil {
			t.Fatalf("re-encoded manifest does not decode: %v", err)
		}
		if diff := cmp.Diff(m, again, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("re-encode round trip (-first +second):\n%s", diff)
		}
	})
}
