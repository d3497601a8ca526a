package manifest

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// MaxPointerSize is the SSM standard tier's limit on a parameter value. The
// emulators do not enforce it, so EncodePointer does.
const MaxPointerSize = 4096

// Pointer is the small record that says which manifest object is current.
// It lives in an SSM parameter, or in S3 when no parameter is configured.
type Pointer struct {
	Version   int64     `json:"version"`
	Key       string    `json:"key"`      // manifest object key in the bucket
	Checksum  string    `json:"checksum"` // of the object's bytes, see Checksum
	Size      int64     `json:"size"`     // of the object in bytes
	Entries   int       `json:"entries"`
	Playlists int       `json:"playlists"`
	Rejected  int       `json:"rejected"`
	Created   time.Time `json:"created"`
}

// ObjectKey is where version v of the manifest is kept.
func ObjectKey(v int64) string {
	return fmt.Sprintf("%smanifests/%020d.jbx", Prefix, v)
}

// PointerFor describes the encoded manifest b of m.
func PointerFor(m *Manifest, b []byte) Pointer {
	e, p, r := m.Counts()
	return Pointer{
		Version: m.Version, Key: ObjectKey(m.Version), Checksum: Checksum(b), Size: int64(len(b)),
		Entries: e, Playlists: p, Rejected: r, Created: m.Created,
	}
}

// EncodePointer returns p as JSON, refusing values over MaxPointerSize.
func EncodePointer(p Pointer) ([]byte, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	if len(b) > MaxPointerSize {
		return nil, fmt.Errorf("manifest pointer is %d bytes, over the %d-byte parameter limit", len(b), MaxPointerSize)
	}
	return b, nil
}

// DecodePointer parses and checks a pointer.
func DecodePointer(b []byte) (Pointer, error) {
	var p Pointer
	if len(b) > MaxPointerSize {
		return p, fmt.Errorf("%w: pointer of %d bytes", ErrCorrupt, len(b))
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return p, fmt.Errorf("%w: pointer: %v", ErrCorrupt, err)
	}
	if p.Version < 1 || !strings.HasPrefix(p.Key, Prefix) || !strings.HasPrefix(p.Checksum, "crc32c:") {
		return p, fmt.Errorf("%w: pointer %+v", ErrCorrupt, p)
	}
	return p, nil
}
