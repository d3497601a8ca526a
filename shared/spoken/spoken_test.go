package spoken

import (
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestForm(t *testing.T) {
	for in, want := range map[string]string{
		"Cuentos de Miedo": "cuentos de miedo",
		"knock-knock":      "knock knock",
		"Top_10.Jokes":     "top 10 jokes",
		"niños":            "niños",
		"  --  ":           "",
		"rock'n'roll":      "rock'n'roll",
	} {
		if got := Form(in); got != want {
			t.Errorf("Form(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestVariants(t *testing.T) {
	for _, tc := range []struct {
		lang, in string
		want     []string
	}{
		{"es", "animales", []string{"animal"}},
		{"es", "animal", []string{"animales"}},
		{"es", "cuentos de miedo", []string{"cuento de miedo"}},
		{"es", "canción", []string{"canciones"}},
		{"es", "pez", []string{"peces"}},
		{"es", "chiste", []string{"chistes"}},
		{"en", "knock knock", []string{"knock knocks"}},
		{"en", "jokes", []string{"joke"}},
		{"en", "story", []string{"stories"}},
		{"en", "stories", []string{"story"}},
		{"en", "box", []string{"boxes"}},
	} {
		if diff := cmp.Diff(tc.want, Variants(tc.lang, tc.in)); diff != "" {
			t.Errorf("Variants(%s, %q) (-want +got):\n%s", tc.lang, tc.in, diff)
		}
	}
}

func TestNormalize(t *testing.T) {
	for _, tc := range []struct{ lang, a, b string }{
		{"es", "Los Cuentos de Miedo", "cuento de miedo"},
		{"es", "ANIMALES", "el animal"},
		{"es", "niños", "nino"},
		{"en", "the Jokes!", "joke"},
		{"en", "Knock-Knocks", "knock knock"},
	} {
		if x, y := Normalize(tc.lang, tc.a), Normalize(tc.lang, tc.b); x != y {
			t.Errorf("Normalize(%s): %q → %q but %q → %q", tc.lang, tc.a, x, tc.b, y)
		}
	}
}

func TestOverrides(t *testing.T) {
	o, err := ParseOverrides([]byte(`{"folders": {
		"animales": {"language": "es", "names": {"en": "animals", "en-GB": "Animal Noises"}, "synonyms": {"es": ["Bichos"]}}
	}}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := o.Name("animales", "en-US"); got != "animals" {
		t.Errorf("Name en-US = %q", got)
	}
	if got := o.Name("animales", "en-GB"); got != "animal noises" {
		t.Errorf("Name en-GB = %q", got)
	}
	if got := o.Name("Cuentos", "es-ES"); got != "cuentos" {
		t.Errorf("Name of an unnamed folder = %q", got)
	}
	if got, want := o.Synonyms("animales", "es-MX"), []string{"animal", "bicho", "bichos"}; !cmp.Equal(got, want) {
		t.Errorf("Synonyms es-MX = %q; want %q", got, want)
	}
	if got, want := o.Synonyms("animales", "en-US"), []string{"animal", "animales"}; !cmp.Equal(got, want) {
		t.Errorf("Synonyms en-US = %q; want %q", got, want)
	}
	if got := o.FolderLanguage("animales"); got != "es" {
		t.Errorf("FolderLanguage = %q", got)
	}
	var none *Overrides
	if none.FolderLanguage("x") != "" || none.Name("Knock-Knock", "en-US") != "knock knock" {
		t.Error("nil overrides do not behave as empty")
	}
}

func TestParseOverridesRejects(t *testing.T) {
	for name, in := range map[string]string{
		"not JSON":         `{`,
		"unknown field":    `{"folders": {}, "folder": {}}`,
		"unknown in entry": `{"folders": {"a": {"lang": "es"}}}`,
		"bad language":     `{"folders": {"a": {"language": "Spanish"}}}`,
		"bad names key":    `{"folders": {"a": {"names": {"Spanish": "x"}}}}`,
		"empty name":       `{"folders": {"a": {"names": {"es": " - "}}}}`,
		"empty folder":     `{"folders": {"": {}}}`,
		"trailing":         `{"folders": {}} {}`,
	} {
		if _, err := ParseOverrides([]byte(in)); err == nil {
			t.Errorf("%s: ParseOverrides(%s) accepted it", name, in)
		}
	}
}

func FuzzParseOverrides(f *testing.F) {
	if b, err := os.ReadFile("../../skill-package/" + OverridesFile); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"folders": {"a": {"language": "es", "names": {"en": "x"}, "synonyms": {"es": ["y"]}}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		o, err := ParseOverrides(b)
		if err != nil {
			return
		}
		for name := range o.Folders {
			for _, l := range []string{"es-ES", "en-US"} {
				if o.Name(name, l) == "" && Form(name) != "" {
					t.Errorf("folder %q has no name in %s", name, l)
				}
				_ = o.Synonyms(name, l)
			}
		}
	})
}

func TestPlain(t *testing.T) {
	for in, want := range map[string]string{
		"Animales":               "animales",
		"Ñandú":                  "nandu",
		"  cuentos -- cortos!! ": "cuentos cortos",
		"Él Niño":                "el nino",
		"Straße":                 "strasse",
		"Ça va":                  "ca va",
		"Chistes 2":              "chistes 2",
		"who's there":            "who's there",
		"日本語":                    "日本語",
		"_-_":                    "",
	} {
		if got := Plain(in); got != want {
			t.Errorf("Plain(%q) = %q; want %q", in, got, want)
		}
	}
}
