package virtualalexa_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/jokebox/jokebox"
	"github.com/jokebox/jokebox/shared/skill"
	"github.com/jokebox/jokebox/shared/skillpkg"
	skillpackage "github.com/jokebox/jokebox/skill-package"
)

// corpusCase is one utterance of the corpus in one locale, with what the
// speaker means.
type corpusCase struct {
	Utterance string `json:"utterance"`
	Locale    string `json:"locale"`
	Intent    string `json:"-"`
	Folder    string `json:"-"`
	Line      string `json:"-"` // file:line
}

// understood is what an NLU made of an utterance.
type understood struct {
	Intent string `json:"intent"`
	Value  string `json:"value"`
	ID     string `json:"id"`
}

// corpusResult is a line of corpus.js's output.
type corpusResult struct {
	Utterance string      `json:"utterance"`
	Locale    string      `json:"locale"`
	VA        *understood `json:"va"`
	NLU       understood  `json:"nlu"`
	Sent      string      `json:"sent"`
	Played    *string     `json:"played"`
	SentID    string      `json:"sentID"`
	Error     string      `json:"error"`
	Fatal     string      `json:"fatal"`
}

// Outcomes of a case, the rows of the corpus table.
const (
	byModel   = "resolved as intended by the model"
	byRescue  = "rescued by the skill"
	wrong     = "wrong"
	unmatched = "unmatched"
)

var localeGroups = map[string][]string{"es": {"es-ES", "es-MX", "es-US"}, "en": {"en-US", "en-GB"}}

// readCorpus reads corpus/*.tsv: utterance, locales ("es" and "en" name
// the language's locales), intent, folder ("" for none).
func readCorpus(t *testing.T) (map[string][]corpusCase, []string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("corpus", "*.tsv"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus/*.tsv: %v", err)
	}
	byGroup := map[string][]corpusCase{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		group := strings.TrimSuffix(filepath.Base(f), ".tsv")
		for i, l := range strings.Split(string(b), "\n") {
			if strings.TrimSpace(l) == "" || strings.HasPrefix(l, "#") {
				continue
			}
			cols := strings.Split(l, "\t")
			if len(cols) != 4 {
				t.Fatalf("%s:%d: %d columns; want utterance, locales, intent, folder", f, i+1, len(cols))
			}
			locales := strings.Split(cols[1], ",")
			if g, ok := localeGroups[cols[1]]; ok {
				locales = g
			}
			for _, loc := range locales {
				if !slices.Contains(localeGroups[group], loc) {
					t.Fatalf("%s:%d: locale %q is not one of %s", f, i+1, loc, group)
				}
				byGroup[group] = append(byGroup[group], corpusCase{Utterance: cols[0], Locale: loc, Intent: cols[2], Folder: cols[3], Line: fmt.Sprintf("%s:%d", f, i+1)})
			}
		}
	}
	b, err := os.ReadFile(filepath.Join("corpus", "folders.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var folders []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			folders = append(folders, l)
		}
	}
	return byGroup, folders
}

// judge says how a case came out, and why when it did not resolve.
func judge(c corpusCase, r corpusResult) (outcome, why string) {
	played := ""
	if r.Played != nil {
		played = *r.Played
	}
	if r.Error != "" {
		return unmatched, "the skill call failed: " + r.Error
	}
	switch r.Sent {
	case "model":
		va := r.VA
		switch {
		case va.ID != "" && va.ID != c.Folder:
			return wrong, fmt.Sprintf("the model resolved folder %q", va.ID)
		case va.Intent != c.Intent:
			return wrong, fmt.Sprintf("the model matched %s", va.Intent)
		case c.Folder == "":
			return byModel, ""
		case va.ID == c.Folder && played == c.Folder:
			return byModel, ""
		case played != "" && played != c.Folder:
			return wrong, fmt.Sprintf("the skill played folder %q", played)
		}
		return unmatched, fmt.Sprintf("the model matched %s with playlist %q, and the skill played %q", va.Intent, va.Value, played)
	case "rescue":
		switch {
		case played == c.Folder && c.Folder != "" && c.Intent == "PlayJokeIntent":
			return byRescue, ""
		case played != "" && played != c.Folder:
			return wrong, fmt.Sprintf("the rescue of %q played folder %q", r.NLU.Value, played)
		}
		return unmatched, fmt.Sprintf("no sample matched; the rescue of %q played %q", r.NLU.Value, played)
	}
	return unmatched, "no sample of the model matches"
}

// TestCorpus runs every utterance of corpus/*.tsv in its locales through
// virtual-alexa on the models built for the corpus bucket (corpus/
// folders.txt, folders no model was written for) and through the skill
// behind `jokebox serve`, and through the simulator's nlu.js. It fails
// when nlu.js and virtual-alexa disagree on any utterance, when any
// utterance lands in a wrong folder, and when fewer than 95% of a language
// group's cases resolve as intended, by the model or by the skill's rescue.
// The table it logs is the one in docs/playlists.md:
//
//	go test ./e2e/virtualalexa -run TestCorpus -v
func TestCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("starts moto_server, jokebox serve and node; skipped with -short")
	}
	root := repoRoot(t)
	node := needNode(t, root)
	byGroup, folders := readCorpus(t)

	// The models `jokebox skill build` makes for this bucket.
	pkg, err := skillpkg.LoadFS(skillpackage.FS())
	if err != nil {
		t.Fatal(err)
	}
	over, err := pkg.ParseOverrides()
	if err != nil {
		t.Fatal(err)
	}
	built, skipped := skillpkg.Build(pkg, folders, over)
	if len(skipped) > 0 {
		t.Fatalf("folders left out of the models: %v", skipped)
	}
	if ps := skillpkg.Validate(built, skill.Intents()); len(ps) > 0 {
		t.Fatalf("the built package does not validate: %v", ps)
	}
	dir := t.TempDir()
	if err := built.Write(dir); err != nil {
		t.Fatal(err)
	}

	// One clip in every folder.
	sample, err := jokebox.Sample()
	if err != nil {
		t.Fatal(err)
	}
	var clip []byte
	_ = fs.WalkDir(sample, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && clip == nil && strings.HasSuffix(p, ".mp3") {
			clip, err = fs.ReadFile(sample, p)
		}
		return err
	})
	files := map[string][]byte{}
	for _, f := range folders {
		files[f+"/clip.mp3"] = clip
	}
	addr := startSkill(t, files)

	var all []corpusCase
	for _, g := range []string{"es", "en"} {
		all = append(all, byGroup[g]...)
	}
	casesFile := filepath.Join(dir, "cases.json")
	b, err := json.Marshal(all)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(casesFile, b, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), node, filepath.Join(root, "e2e", "virtualalexa", "corpus.js"))
	cmd.Dir = root
	cmd.Env = append(os.Environ(),
		"JOKEBOX_MODELS="+filepath.Join(dir, filepath.FromSlash(skillpkg.ModelDir)),
		"JOKEBOX_CASES="+casesFile,
		"JOKEBOX_SKILL_URL=http://"+addr+"/alexa",
		"JOKEBOX_APP_ID="+appID,
		"JOKEBOX_NLU="+filepath.Join(root, "shared", "devstack", "web", "nlu.js"),
	)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("corpus.js: %v\n%s\n%s", err, out, stderr.String())
	}
	var results []corpusResult
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var r corpusResult
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("corpus.js printed %q: %v", sc.Text(), err)
		}
		if r.Fatal != "" {
			t.Fatalf("corpus.js: %s", r.Fatal)
		}
		results = append(results, r)
	}
	if len(results) != len(all) {
		t.Fatalf("corpus.js judged %d cases of %d\n%s", len(results), len(all), stderr.String())
	}

	table := map[string]map[string]int{}
	i := 0
	for _, g := range []string{"es", "en"} {
		table[g] = map[string]int{}
		for _, c := range byGroup[g] {
			r := results[i]
			i++
			if r.Utterance != c.Utterance || r.Locale != c.Locale {
				t.Fatalf("result %d is for %q in %s; want %q in %s", i, r.Utterance, r.Locale, c.Utterance, c.Locale)
			}
			// nlu.js understands what the model understands.
			switch {
			case r.VA != nil && (r.NLU.Intent != r.VA.Intent || r.NLU.ID != r.VA.ID || !strings.EqualFold(strings.TrimSpace(r.NLU.Value), strings.TrimSpace(r.VA.Value))):
				t.Errorf("%s: %q in %s: nlu.js understood %+v, virtual-alexa %+v", c.Line, c.Utterance, c.Locale, r.NLU, *r.VA)
			case r.VA == nil && r.NLU.ID != "":
				t.Errorf("%s: %q in %s: nlu.js resolved folder %q (%s), virtual-alexa matched nothing", c.Line, c.Utterance, c.Locale, r.NLU.ID, r.NLU.Intent)
			}
			outcome, why := judge(c, r)
			table[g][outcome]++
			switch outcome {
			case wrong:
				t.Errorf("%s: %q in %s: want %s %q: %s", c.Line, c.Utterance, c.Locale, c.Intent, c.Folder, why)
			case unmatched:
				t.Logf("unmatched: %s: %q in %s: want %s %q: %s", c.Line, c.Utterance, c.Locale, c.Intent, c.Folder, why)
			}
		}
	}
	var report strings.Builder
	fmt.Fprintf(&report, "\n| language | cases | %s | %s | %s | %s | resolved |\n|---|---|---|---|---|---|---|\n", byModel, byRescue, wrong, unmatched)
	for _, g := range []string{"es", "en"} {
		n := len(byGroup[g])
		ok := table[g][byModel] + table[g][byRescue]
		fmt.Fprintf(&report, "| %s (%s) | %d | %d | %d | %d | %d | %.1f %% |\n", g, strings.Join(localeGroups[g], ", "), n,
			table[g][byModel], table[g][byRescue], table[g][wrong], table[g][unmatched], 100*float64(ok)/float64(n))
		if 100*ok < 95*n {
			t.Errorf("%s: %d of %d cases resolved as intended (%.1f %%); the goal is 95 %%", g, ok, n, 100*float64(ok)/float64(n))
		}
	}
	t.Log(report.String())
}
