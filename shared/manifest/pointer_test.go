package manifest

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestPointerRoundTrip(t *testing.T) {
	t.Parallel()
	m := sample(t, 20)
	b := m.Encode()
	p := PointerFor(m, b)
	want := Pointer{
		Version: 3, Key: "_jokebox/manifests/00000000000000000003.jbx", Checksum: Checksum(b), Size: int64(len(b)),
		Entries: 20, Playlists: 4, Rejected: 2, Created: m.Created,
	}
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("PointerFor (-want +got):\n%s", diff)
	}
	enc, err := EncodePointer(p)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodePointer(enc)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p, got); diff != "" {
		t.Errorf("pointer round trip (-want +got):\n%s", diff)
	}
}

func TestObjectKeySortsByVersion(t *testing.T) {
	t.Parallel()
	if a, b := ObjectKey(9), ObjectKey(10); a >= b {
		t.Errorf("ObjectKey(9) = %q sorts after ObjectKey(10) = %q", a, b)
	}
}

// TestEncodePointerLimit checks the SSM standard tier's 4 KB limit, which
// the emulators do not enforce.
func TestEncodePointerLimit(t *testing.T) {
	t.Parallel()
	p := Pointer{Version: 1, Key: ObjectKey(1), Checksum: "crc32c:00000000", Created: time.Unix(1, 0).UTC()}
	base, err := EncodePointer(p)
	if err != nil {
		t.Fatal(err)
	}
	p.Key += strings.Repeat("k", MaxPointerSize-len(base))
	if b, err := EncodePointer(p); err != nil || len(b) != MaxPointerSize {
		t.Errorf("pointer of exactly %d bytes: %d bytes, %v; want it accepted", MaxPointerSize, len(b), err)
	}
	p.Key += "k"
	if b, err := EncodePointer(p); err == nil {
		t.Errorf("pointer of %d bytes accepted; want refused", len(b))
	}
}

func TestDecodePointerRejects(t *testing.T) {
	t.Parallel()
	valid := `{"version":2,"key":"_jokebox/manifests/00000000000000000002.jbx","checksum":"crc32c:0badf00d","size":10,"created":"2026-11-23T14:49:56Z"}`
	if _, err := DecodePointer([]byte(valid)); err != nil {
		t.Fatalf("valid pointer: %v", err)
	}
	tests := map[string]string{
		"empty":          ``,
		"garbage":        `not json`,
		"truncated":      valid[:40],
		"array":          `[1,2]`,
		"null":           `null`,
		"empty object":   `{}`,
		"version zero":   strings.Replace(valid, `"version":2`, `"version":0`, 1),
		"negative":       strings.Replace(valid, `"version":2`, `"version":-2`, 1),
		"version string": strings.Replace(valid, `"version":2`, `"version":"2"`, 1),
		"key outside":    strings.Replace(valid, `"_jokebox/`, `"other/`, 1),
		"no checksum":    strings.Replace(valid, `crc32c:`, `md5:`, 1),
		"bad time":       strings.Replace(valid, `2026-11-23T14:49:56Z`, `yesterday`, 1),
		"too big":        valid[:len(valid)-1] + `,"pad":"` + strings.Repeat("x", MaxPointerSize) + `"}`,
	}
	for name, in := range tests {
		if _, err := DecodePointer([]byte(in)); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: DecodePointer error %v; want ErrCorrupt", name, err)
		}
	}
}

func FuzzDecodePointer(f *testing.F) {
	m := sample(f, 5)
	b, _ := EncodePointer(PointerFor(m, m.Encode()))
	f.Add(b)
	f.Add([]byte(`{"version":0}`))
	f.Add([]byte(`-`))
	f.Add([]byte(`{"version":1,"key":"_jokebox/x","checksum":"crc32c:"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := DecodePointer(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("DecodePointer error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		enc, err := EncodePointer(p)
		if err != nil {
			return // escaping can grow a value past the limit
		}
		again, err := DecodePointer(enc)
		if err != nil {
			t.Fatalf("re-encoded pointer %s does not decode: %v", enc, err)
		}
		if diff := cmp.Diff(p, again); diff != "" {
			t.Fatalf("pointer round trip (-first +second):\n%s", diff)
		}
		var raw map[string]any
		if err := json.Unmarshal(enc, &raw); err != nil {
			t.Fatalf("EncodePointer wrote invalid JSON: %v", err)
		}
	})
}
