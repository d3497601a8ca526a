package alexa_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jokebox/jokebox/shared/alexa"
)

// FuzzDecodeRequest checks that Decode never panics, that what it accepts
// validates, and that an accepted request survives an encode and decode.
func FuzzDecodeRequest(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("..", "..", "events", "skill", "*.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds in events/skill: %v", err)
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"request":{"type":"IntentRequest"},"context":{"System":{"application":{"applicationId":"x"}}}}`))
	f.Add([]byte(`{"request":{"type":"LaunchRequest","offsetInMilliseconds":-1},"session":{"application":{"applicationId":"x"}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		req, err := alexa.Decode(b)
		if err != nil {
			if req != nil {
				t.Fatalf("Decode returned a request and an error: %v", err)
			}
			return
		}
		if err := req.Validate(); err != nil {
			t.Fatalf("decoded request does not validate: %v", err)
		}
		if req.ApplicationID() == "" {
			t.Fatal("decoded request has no application ID")
		}
		again, err := json.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		req2, err := alexa.Decode(again)
		if err != nil {
			t.Fatalf("re-encoded request refused: %v\n%s", err, again)
		}
		if diff := cmp.Diff(req, req2); diff != "" {
			t.Fatalf("encode and decode changed the request (-first +second):\n%s", diff)
		}
	})
}
