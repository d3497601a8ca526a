package skillpkg

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// modelCanaries are models that must not type-check as ask-smapi-model's
// InteractionModelData, in the same tsc run as the built ones: proof that
// the check can fail.
var modelCanaries = map[string]string{
	// what jokebox wrote before synonyms were always written
	"value-without-synonyms": `{"interactionModel":{"languageModel":{"invocationName":"joke box","intents":[],"types":[{"name":"PlaylistName","values":[{"id":"a","name":{"value":"a"}}]}]}}}`,
	"misspelt-samples":       `{"interactionModel":{"languageModel":{"invocationName":"joke box","intents":[{"name":"PlayJokeIntent","sample":["play"]}]}}}`,
	"synonyms-as-string":     `{"interactionModel":{"languageModel":{"invocationName":"joke box","intents":[],"types":[{"name":"PlaylistName","values":[{"id":"a","name":{"value":"a","synonyms":"b"}}]}]}}}`,
	"no-invocation-name":     `{"interactionModel":{"languageModel":{"intents":[]}}}`,
	"manifest-bad-interface": `MANIFEST{"manifest":{"apis":{"custom":{"interfaces":[{"type":"AUDIO_PLAYA"}]}}}}`,
}

var tsError = regexp.MustCompile(`(?m)^(.+?\.ts)\((\d+),\d+\): error (TS\d+: .*)$`)

// TestModelTypes type-checks, with tsc --strict, every model Build makes
// (for the sample media, for the names of shared/spoken's word-list test,
// and with no folders) against ask-smapi-model's InteractionModelData,
// and the built skill.json against its SkillManifestEnvelope, with
// canaries that must fail. It needs the pinned typescript and
// ask-smapi-model of package.json (npm ci); it is skipped only with -short.
func TestModelTypes(t *testing.T) {
	if testing.Short() {
		t.Skip("runs tsc; skipped with -short")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	tsc := filepath.Join(root, "node_modules", ".bin", "tsc")
	model := filepath.Join(root, "node_modules", "ask-smapi-model")
	for _, p := range []string{tsc, filepath.Join(model, "index.d.ts")} {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("%s is missing: run `npm ci` in %s to install the pinned typescript and ask-smapi-model (%v)", p, root, err)
		}
	}
	names, err := os.ReadFile(filepath.Join("..", "spoken", "testdata", "names.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var wordNames []string
	for _, l := range strings.Split(string(names), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			wordNames = append(wordNames, l)
		}
	}
	pkg := realPackage(t)
	over, err := pkg.ParseOverrides()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	header := fmt.Sprintf("import type { v1 } from %q;\n\n", model)
	var files []string
	write := func(name, typ, body string) {
		src := header + "export const m: " + typ + " = " + body + ";\n"
		path := filepath.Join(dir, name+".ts")
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, path)
	}
	const modelType, manifestType = "v1.skill.interactionModel.InteractionModelData", "v1.skill.Manifest.SkillManifestEnvelope"
	for _, b := range []struct {
		name    string
		folders []string
	}{{"sample", sampleFolders(t)}, {"names", wordNames}, {"empty", nil}} {
		built, _ := Build(pkg, b.folders, over)
		for _, l := range built.Locales() {
			body, err := EncodeModel(built.Models[l])
			if err != nil {
				t.Fatal(err)
			}
			write(b.name+"_"+l, modelType, string(body))
		}
		manifest, err := built.SkillJSON()
		if err != nil {
			t.Fatal(err)
		}
		write(b.name+"_skill", manifestType, string(manifest))
	}
	for name, c := range modelCanaries {
		typ := modelType
		if m, ok := strings.CutPrefix(c, "MANIFEST"); ok {
			c, typ = m, manifestType
		}
		write("canary_"+name, typ, c)
	}
	cmd := exec.Command(tsc, append([]string{"--strict", "--noEmit", "--skipLibCheck", "--target", "es2020", "--module", "commonjs", "--moduleResolution", "node", "--pretty", "false"}, files...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("tsc: %v\n%s", err, out)
	}
	failed := map[string]bool{}
	for _, m := range tsError.FindAllStringSubmatch(string(out), -1) {
		file := strings.TrimSuffix(filepath.Base(m[1]), ".ts")
		if strings.HasPrefix(file, "canary_") {
			failed[file] = true
			continue
		}
		t.Errorf("%s does not type-check: line %s: %s", file, m[2], m[3])
	}
	for name := range modelCanaries {
		if !failed["canary_"+name] {
			t.Errorf("canary %s type-checked: the check cannot fail\n%s", name, out)
		}
	}
	if len(tsError.FindAllString(string(out), -1)) == 0 && len(out) > 0 {
		t.Errorf("tsc printed something else:\n%s", out)
	}
	t.Logf("%d files type-checked with %s", len(files), tsc)
}
