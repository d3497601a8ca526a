package alexa

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// agree checks that unmarshal decodes b exactly as encoding/json does: the
// same request, or an error from both.
func agree(t *testing.T, b []byte) {
	t.Helper()
	var want, got Request
	werr := json.Unmarshal(b, &want)
	gerr := unmarshal(b, &got)
	if (werr == nil) != (gerr == nil) {
		t.Fatalf("encoding/json: %v; unmarshal: %v\ninput %q", werr, gerr, b)
	}
	if werr != nil {
		return
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("unmarshal differs from encoding/json (-encoding/json +unmarshal):\n%s\ninput %q", diff, b)
	}
}

// seeds are every sample request in events/skill, the fuzz corpus's
// inputs, and JSON encoding/json treats in its own ways.
func seeds(tb testing.TB) [][]byte {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "events", "skill", "*.json"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no samples in events/skill: %v", err)
	}
	corpus, _ := filepath.Glob(filepath.Join("testdata", "fuzz", "*", "*"))
	var out [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, b)
	}
	for _, f := range corpus {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		if v, ok := fuzzValue(b); ok {
			out = append(out, v)
		}
	}
	for _, s := range []string{
		`{"REQUEST":{"TYPE":"LaunchRequest"}}`,                        // names matched without case
		`{"request":{"type":"A"},"request":{"locale":"es-ES"}}`,       // duplicate names: the last wins, merged
		`{"request":{"type":"\xff\xfeLaunch"}}`,                       // invalid UTF-8, replaced
		`{"request":{"type":"\ud800"}}`,                               // a lone surrogate
		`{"request":{"offsetInMilliseconds":1.5}}`,                    // a fraction into an integer
		`{"request":{"offsetInMilliseconds":"5"}}`,                    // a string into an integer
		`{"request":{"intent":{"slots":{"a":{"value":"x"},"a":{}}}}}`, // duplicate map keys
		`{"request":null,"context":{"System":null}}`,                  // nulls
		`{"request":{"type":"LaunchRequest"}} {}`,                     // trailing data
		`{"context":{"System":{"device":{"supportedInterfaces":{"AudioPlayer":{},"Display":[]}}}}}`,
		`{"context":{"ſystem":{"application":{"applicationId":"x"}}}}`, // long s folds to s
		`{"request":{"type":"LaunchRequest","timestamp":"2026-12-01T00:00:00Z"}}` + strings.Repeat(" ", 10),
		`[]`, `null`, `"x"`, `{`, ``,
	} {
		out = append(out, []byte(s))
	}
	return out
}

// fuzzValue reads the []byte of a "go test fuzz v1" corpus file.
func fuzzValue(b []byte) ([]byte, bool) {
	lines := strings.SplitN(string(b), "\n", 3)
	if len(lines) < 2 || !strings.HasPrefix(lines[1], "[]byte(") {
		return nil, false
	}
	s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")"))
	if err != nil {
		return nil, false
	}
	return []byte(s), true
}

// TestUnmarshalAgrees: the request decoder and encoding/json decode every
// sample, every fuzz-corpus input and encoding/json's corner cases alike.
func TestUnmarshalAgrees(t *testing.T) {
	for _, b := range seeds(t) {
		agree(t, b)
	}
}

// FuzzUnmarshalAgrees looks for any input on which the request decoder
// and encoding/json disagree.
func FuzzUnmarshalAgrees(f *testing.F) {
	for _, b := range seeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) { agree(t, b) })
}

// BenchmarkUnmarshal compares the request decoder with encoding/json on a
// LaunchRequest: the figure behind unmarshal's doc comment.
func BenchmarkUnmarshal(b *testing.B) {
	body, err := os.ReadFile(filepath.Join("..", "..", "events", "skill", "launch.es-ES.json"))
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		fn   func([]byte, *Request) error
	}{
		{"encoding-json", func(b []byte, r *Request) error { return json.Unmarshal(b, r) }},
		{"unmarshal", unmarshal},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				var r Request
				if err := bc.fn(body, &r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
