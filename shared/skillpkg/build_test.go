package skillpkg

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jokebox/jokebox/shared/spoken"
)

var update = flag.Bool("update", false, "rewrite the committed models from the sample media")

// playlistType returns a model's playlist values by id.
func playlistType(t *testing.T, p *Package, locale string) map[string]SlotValueName {
	t.Helper()
	got := map[string]SlotValueName{}
	for _, ty := range p.Models[locale].InteractionModel.LanguageModel.Types {
		if ty.Name == PlaylistType {
			for _, v := range ty.Values {
				got[v.ID] = v.Name
			}
		}
	}
	return got
}

func TestBuild(t *testing.T) {
	pkg := realPackage(t)
	before, _ := EncodeModel(pkg.Models["es-ES"])
	over, err := spoken.ParseOverrides([]byte(`{"folders": {"knock-knock": {"language": "en", "names": {"es": "toc toc"}, "synonyms": {"en": ["who's there"]}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	built, skipped := Build(pkg, []string{"knock-knock", "Cuentos de Miedo", "animales"}, over)
	if len(skipped) > 0 {
		t.Errorf("skipped %v", skipped)
	}
	if after, _ := EncodeModel(pkg.Models["es-ES"]); !bytes.Equal(before, after) {
		t.Error("Build changed its input")
	}
	want := map[string]map[string]SlotValueName{
		"es-ES": {
			"Cuentos de Miedo": {Value: "cuentos de miedo", Synonyms: []string{"cuento de miedo"}},
			"animales":         {Value: "animales", Synonyms: []string{"animal"}},
			"knock-knock":      {Value: "toc toc", Synonyms: []string{"knock knock"}},
		},
		"en-US": {
			"Cuentos de Miedo": {Value: "cuentos de miedo", Synonyms: []string{"cuento de miedo"}},
			"animales":         {Value: "animales", Synonyms: []string{"animal"}},
			"knock-knock":      {Value: "knock knock", Synonyms: []string{"who's there"}},
		},
	}
	for locale, w := range want {
		if diff := cmp.Diff(w, playlistType(t, built, locale)); diff != "" {
			t.Errorf("%s playlist values (-want +got):\n%s", locale, diff)
		}
	}
	// validate passes on the built package
	for _, p := range Validate(built, handledIntents) {
		t.Errorf("built package: %s", p)
	}
	if ps := MissingFolders(built, []string{"animales", "knock-knock"}); len(ps) > 0 {
		t.Errorf("MissingFolders after Build: %v", ps)
	}
	if ps := MissingFolders(pkg, []string{"animales", "knock-knock"}); len(ps) != len(locales) || !strings.Contains(ps[0].Message, `"knock-knock"`) {
		t.Errorf("MissingFolders before Build = %v; want one warning per locale naming knock-knock", ps)
	}
}

func TestBuildDropsSamplesThatNameAFolder(t *testing.T) {
	pkg := realPackage(t)
	samples := func(p *Package, locale string) []string {
		return p.Models[locale].InteractionModel.LanguageModel.Intents[0].Samples
	}
	if !slices.Contains(samples(pkg, "es-ES"), "un chiste") {
		t.Fatal("the es-ES model has no sample \"un chiste\"")
	}
	built, _ := Build(pkg, []string{"un chiste", "otra"}, nil)
	if slices.Contains(samples(built, "es-ES"), "un chiste") {
		t.Error("es-ES keeps the sample \"un chiste\" although a folder is called so")
	}
	if !slices.Contains(samples(pkg, "es-ES"), "un chiste") {
		t.Error("Build changed its input's samples")
	}
	if got, want := len(samples(built, "en-US")), len(samples(pkg, "en-US")); got != want {
		t.Errorf("en-US has %d samples; want %d", got, want)
	}
}

func TestBuildAccentSynonyms(t *testing.T) {
	built, _ := Build(realPackage(t), []string{"Canción de Cuna"}, nil)
	got := playlistType(t, built, "es-MX")["Canción de Cuna"]
	want := SlotValueName{Value: "canción de cuna", Synonyms: []string{"cancion de cuna", "canciones de cuna"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestBuildReportsFolders(t *testing.T) {
	long := strings.Repeat("muy ", 36) + "largo"
	over, _ := spoken.ParseOverrides([]byte(`{"folders": {"números": {"synonyms": {"es": ["cifras"]}}, "numeros": {"synonyms": {"es": ["cifras"]}}}}`))
	built, skipped := Build(realPackage(t), []string{"😀🎉", "日本の話", long, "Knock-Knock", "knock_knock", "números", "numeros", "ok"}, over)
	reasons := map[string]string{}
	for _, s := range skipped {
		if s.Locale == "es-ES" {
			reasons[s.Folder] = s.Reason
		}
	}
	for folder, want := range map[string]string{
		"😀🎉":          "no letters or digits",
		"日本の話":        "outside the Latin alphabet",
		long:          "over Alexa's 140",
		"knock_knock": `sounds the same as folder "Knock-Knock"`,
	} {
		if !strings.Contains(reasons[folder], want) {
			t.Errorf("folder %q: reason %q; want it to say %q", folder, reasons[folder], want)
		}
	}
	if len(reasons) != 4 {
		t.Errorf("reported %d folders in es-ES; want 4: %v", len(reasons), reasons)
	}
	got := playlistType(t, built, "es-ES")
	if _, ok := got["ok"]; !ok {
		t.Error("folder ok is missing")
	}
	for _, f := range []string{"números", "numeros"} {
		if slices.Contains(got[f].Synonyms, "cifras") {
			t.Errorf("folder %q got the synonym two folders share", f)
		}
	}
	if got["numeros"].Value != "numeros" || !slices.Contains(got["números"].Synonyms, "número") {
		t.Errorf("números/numeros = %+v / %+v", got["números"], got["numeros"])
	}
}

func TestBuildSlotLimit(t *testing.T) {
	folders := make([]string, 0, 30000)
	for i := range 30000 {
		folders = append(folders, "canción "+strings.Repeat("x", i%7)+string(rune('a'+i%26))+string(rune('a'+i/26%26))+string(rune('a'+i/676%26)))
	}
	built, skipped := Build(realPackage(t), folders, nil)
	n := 0
	for _, ty := range built.Models["en-US"].InteractionModel.LanguageModel.Types {
		for _, v := range ty.Values {
			n += 1 + len(v.Name.Synonyms)
		}
	}
	if n > MaxSlotValues {
		t.Errorf("en-US model has %d values and synonyms, over %d", n, MaxSlotValues)
	}
	over := 0
	for _, s := range skipped {
		if s.Locale == "en-US" && strings.Contains(s.Reason, "at most") {
			over++
		}
	}
	if over == 0 || len(playlistType(t, built, "en-US"))+over > len(folders) {
		t.Errorf("%d folders reported over the limit, %d kept, of %d", over, len(playlistType(t, built, "en-US")), len(folders))
	}
}

// sampleFolders are the top-level folders of the repository's sample media.
func sampleFolders(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir("../../media")
	if err != nil {
		t.Fatal(err)
	}
	var folders []string
	for _, e := range entries {
		if e.IsDir() {
			folders = append(folders, e.Name())
		}
	}
	return folders
}

// TestCommittedModelsMatchSampleMedia: the committed models are what
// `jokebox skill build` writes for the sample media, so every example of
// the docs work against `jokebox dev`. -update rewrites them.
func TestCommittedModelsMatchSampleMedia(t *testing.T) {
	pkg := realPackage(t)
	over, err := pkg.ParseOverrides()
	if err != nil {
		t.Fatal(err)
	}
	built, skipped := Build(pkg, sampleFolders(t), over)
	if len(skipped) > 0 {
		t.Errorf("skipped: %v", skipped)
	}
	if *update {
		if err := built.Write(realDir); err != nil {
			t.Fatal(err)
		}
	}
	for _, l := range locales {
		want, err := EncodeModel(built.Models[l])
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(realDir, ModelDir, l+".json"))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(string(want), string(got)); diff != "" {
			t.Errorf("%s model differs from skill build on the sample media (go test ./shared/skillpkg -update) (-build +file):\n%s", l, diff)
		}
	}
	want, err := built.SkillJSON()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(realDir, SkillFile))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs from skill build on the sample media (go test ./shared/skillpkg -update) (-build +file):\n%s", SkillFile, diff)
	}
	if ps := MissingFolders(pkg, sampleFolders(t)); len(ps) > 0 {
		t.Errorf("%v", ps)
	}
}

// TestBuildExamplePhrases: example phrases name only folders the built
// model has, or none, and skill validate checks each against the model.
func TestBuildExamplePhrases(t *testing.T) {
	pkg := realPackage(t)
	for _, tc := range []struct {
		name    string
		folders []string
		want    map[string]string // locale → the phrase naming a playlist, "" for none
	}{
		{"a bucket without animales", []string{"Cuentos de Miedo", "Knock-Knock Jokes"}, map[string]string{
			"es-ES": "Alexa, pide a caja de chistes que ponga cuentos de miedo",
			"en-US": "Alexa, ask joke box to play cuentos de miedo",
		}},
		{"the sample media", []string{"animales", "chistes", "jokes"}, map[string]string{
			"es-ES": "Alexa, pide a caja de chistes que ponga animales",
			"en-GB": "Alexa, ask joke box to play animals",
		}},
		{"an empty bucket", nil, map[string]string{"es-MX": "", "en-US": ""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			over, _ := pkg.ParseOverrides()
			built, _ := Build(pkg, tc.folders, over)
			for locale, want := range tc.want {
				phrases := built.Skill.Manifest.PublishingInformation.Locales[locale].ExamplePhrases
				var got string
				for _, p := range phrases {
					if strings.Contains(p, "ponga") || strings.Contains(p, "play") {
						got = p
					}
				}
				if got != want {
					t.Errorf("%s: example phrases %q; want the playlist one %q", locale, phrases, want)
				}
				if len(phrases) < 2 {
					t.Errorf("%s: only %d example phrases", locale, len(phrases))
				}
			}
			for _, p := range Validate(built, handledIntents) {
				t.Errorf("built package: %s", p)
			}
		})
	}
}
