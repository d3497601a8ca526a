package skill

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/jokebox/jokebox/shared/alexa"
)

// FuzzHandle decodes arbitrary requests and answers them: the handler never
// panics, never fails on a valid request for its skill, and every URL it
// signs is for a key of the manifest.
func FuzzHandle(f *testing.F) {
	for _, file := range fixtures(f) {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	m := buildManifest(4, "a/uno.mp3", "a/dos.mp3", "b/tres.mp3", "cuatro.mp3", "#c/cinco.mp3")
	sign := &countingSigner{}
	h := newTestHandler(f, &memSource{m: m}, Config{Continuous: true})
	h.sign = sign
	f.Fuzz(func(t *testing.T, raw []byte) {
		sign.mu.Lock()
		sign.keys = sign.keys[:0]
		sign.mu.Unlock()
		out, err := h.Invoke(context.Background(), raw)
		if alexa.IsWarmup(raw) {
			return
		}
		req, derr := alexa.Decode(raw)
		if derr != nil {
			return
		}
		if err != nil {
			t.Fatalf("Invoke refused a valid request: %v", err)
		}
		checkResponse(t, req, out)
		var resp alexa.Response
		if err := json.Unmarshal(out, &resp); err != nil {
			t.Fatal(err)
		}
		for _, k := range sign.signed() {
			if _, ok := m.Lookup(k); !ok {
				t.Fatalf("signed %q, which is not in the manifest", k)
			}
		}
	})
}
