package index

import (
	"context"
	"encoding/binary"
	"testing"
)

// TestReconcileKeepsTagLanguage: a file's ID3 language tag (TLAN) reaches
// its manifest entry, which the skill uses for a folder the overrides file
// does not mark.
func TestReconcileKeepsTagLanguage(t *testing.T) {
	t.Parallel()
	tlan := func(code string) []byte {
		frame := append([]byte("TLAN"), 0, 0, 0, 0, 0, 0)
		binary.BigEndian.PutUint32(frame[4:], uint32(1+len(code)))
		frame = append(frame, 0)
		frame = append(frame, code...)
		n := len(frame)
		tag := []byte{'I', 'D', '3', 3, 0, 0, byte(n >> 21 & 0x7F), byte(n >> 14 & 0x7F), byte(n >> 7 & 0x7F), byte(n & 0x7F)}
		return append(tag, frame...)
	}
	short := readAudio(t, "short.mp3")
	e := newMemEnv(t, map[string][]byte{
		"mezcla/uno.mp3": append(tlan("spa"), short...),
		"mezcla/two.mp3": append(tlan("eng"), short...),
		"mezcla/sin.mp3": short,
	})
	if _, _, err := e.ix.Reconcile(context.Background(), ReconcileOptions{}); err != nil {
		t.Fatal(err)
	}
	m, _, _ := e.load(t)
	got := map[string]string{}
	for _, en := range m.Entries {
		got[en.Key] = m.Languages[en.Key]
	}
	want := map[string]string{"mezcla/uno.mp3": "es", "mezcla/two.mp3": "en", "mezcla/sin.mp3": ""}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: language %q; want %q (entries %v)", k, got[k], w, got)
		}
	}
}
