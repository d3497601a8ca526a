package skill

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jokebox/jokebox/shared/alexa"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json from the handler's answers")

// testSkillID is the skill ID of the samples in events/skill.
const testSkillID = "amzn1.ask.skill.6f1c3d2e-8b4a-4c55-9e0d-1a2b3c4d5e6f"

// fixtureDir holds the sample requests.
var fixtureDir = filepath.Join("..", "..", "events", "skill")

func fixtures(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(fixtureDir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no samples in %s: %v", fixtureDir, err)
	}
	return files
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestGolden answers every sample request with a deterministic handler
// (continuous play on) and compares the answer with its golden file.
func TestGolden(t *testing.T) {
	h := newTestHandler(t, &memSource{m: testManifest()}, Config{SkillID: testSkillID, Continuous: true})
	h.nonce = func() string { return testNonce }
	for _, file := range fixtures(t) {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			out, err := h.Invoke(context.Background(), raw)
			if err != nil {
				t.Fatalf("Invoke: %v", err)
			}
			if !alexa.IsWarmup(raw) {
				req, err := alexa.Decode(raw)
				if err != nil {
					t.Fatal(err)
				}
				checkResponse(t, req, out)
			}
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, out, "", "  "); err != nil {
				t.Fatal(err)
			}
			pretty.WriteByte('\n')
			golden := filepath.Join("testdata", name+".golden.json")
			if *update {
				if err := os.WriteFile(golden, pretty.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./shared/skill -update)", err)
			}
			var w, g any
			if err := json.Unmarshal(want, &w); err != nil {
				t.Fatalf("golden %s: %v", golden, err)
			}
			if err := json.Unmarshal(out, &g); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(w, g); diff != "" {
				t.Errorf("answer to %s differs from %s (-want +got):\n%s", filepath.Base(file), golden, diff)
			}
		})
	}
}

// checkResponse checks what Alexa requires of any answer to req: playback
// requests get no speech, card, reprompt or shouldEndSession (checked on the
// raw JSON, so no key may be present at all); at most one Play; ENQUEUE
// carries expectedPreviousToken and REPLACE_ALL does not; tokens fit in
// 1,024 characters and are unique to the play; a Play ends the session.
func checkResponse(t testing.TB, req *alexa.Request, out []byte) {
	t.Helper()
	var generic struct {
		Version  string         `json:"version"`
		Response map[string]any `json:"response"`
	}
	if err := json.Unmarshal(out, &generic); err != nil {
		t.Fatalf("answer is not JSON: %v\n%s", err, out)
	}
	if generic.Version != "1.0" || generic.Response == nil {
		t.Errorf("answer has version %q and response %v, want 1.0 and an object", generic.Version, generic.Response)
	}
	if req.Request.Type.IsPlayback() || req.Request.Type == alexa.SessionEndedRequest {
		for _, k := range []string{"outputSpeech", "card", "reprompt", "shouldEndSession"} {
			if _, ok := generic.Response[k]; ok {
				t.Errorf("answer to %s has %q: %s", req.Request.Type, k, out)
			}
		}
	}
	if len(out) > 24<<10 {
		t.Errorf("answer of %d bytes, over Alexa's 24 KB", len(out))
	}
	var resp alexa.Response
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatal(err)
	}
	plays := 0
	for _, d := range resp.Response.Directives {
		if d.Type != alexa.PlayDirective {
			continue
		}
		plays++
		if d.AudioItem == nil {
			t.Fatalf("Play without an audio item: %s", out)
		}
		s := d.AudioItem.Stream
		switch d.PlayBehavior {
		case alexa.Enqueue:
			if s.ExpectedPreviousToken == "" {
				t.Errorf("ENQUEUE without expectedPreviousToken: %s", out)
			}
		case alexa.ReplaceAll, alexa.ReplaceEnqueued:
			if s.ExpectedPreviousToken != "" {
				t.Errorf("%s with expectedPreviousToken: %s", d.PlayBehavior, out)
			}
		default:
			t.Errorf("Play with behavior %q", d.PlayBehavior)
		}
		if len(s.Token) == 0 || len(s.Token) > 1024 {
			t.Errorf("token of %d characters", len(s.Token))
		}
		if s.Token == req.Player().Token || s.Token == req.Request.Token {
			t.Errorf("token %q is not new", s.Token)
		}
		if !strings.HasPrefix(s.URL, "https://") {
			t.Errorf("stream URL %q is not HTTPS", s.URL)
		}
		if !req.Request.Type.IsPlayback() && (resp.Response.ShouldEndSession == nil || !*resp.Response.ShouldEndSession) {
			t.Errorf("Play without shouldEndSession true: %s", out)
		}
	}
	if plays > 1 {
		t.Errorf("%d Play directives in one answer", plays)
	}
}
