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
