package spoken

import (
	"os"
	"slices"
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
		{"es", "cuento de miedo", []string{"cuentos de miedo"}},
		{"es", "chistes cortos", []string{"chiste corto"}},
		{"es", "los chistes de jaimito", []string{"el chiste de jaimito"}},
		{"es", "canción", []string{"canciones"}},
		{"es", "canciones infantiles", []string{"canción infantil"}},
		{"es", "ratones", []string{"ratón"}},
		{"es", "jóvenes", []string{"joven"}},
		{"es", "joven", []string{"jóvenes"}},
		{"es", "pez", []string{"peces"}},
		{"es", "peces de colores", []string{"pez de colores"}},
		{"es", "chiste", []string{"chistes"}},
		{"es", "ciudades", []string{"ciudad"}},
		{"es", "viajes", []string{"viaje"}},
		{"es", "tres cerditos", nil},      // a number fixes the plural
		{"es", "brujas y fantasmas", nil}, // two nouns
		{"es", "el ratón pérez", nil},     // a proper name after the noun
		{"es", "spaces", nil},             // not Spanish: never "spaz"
		{"es", "lunes", nil},
		{"en", "knock knock jokes", []string{"knock knock joke"}},
		{"en", "jokes", []string{"joke"}},
		{"en", "story", []string{"stories"}},
		{"en", "bedtime stories", []string{"bedtime story"}},
		{"en", "tales of terror", []string{"tale of terror"}},
		{"en", "box", []string{"boxes"}},
		{"en", "spaces", []string{"space"}},
		{"en", "movies", []string{"movie"}},
		{"en", "buses", []string{"bus"}},
		{"en", "news", nil},
		{"en", "rock and roll", nil},
		{"en", "top ten", nil},
		{"en", "a joke", nil},
	} {
		if diff := cmp.Diff(tc.want, Variants(tc.lang, tc.in)); diff != "" {
			t.Errorf("Variants(%s, %q) (-want +got):\n%s", tc.lang, tc.in, diff)
		}
	}
}

// TestSay: numbers, "&", initialisms and apostrophes come out as
// specified in both languages.
func TestSay(t *testing.T) {
	for _, tc := range []struct{ lang, in, want string }{
		{"es", "3 Cerditos", "tres cerditos"},
		{"en", "3 Little Pigs", "three little pigs"},
		{"es", "Top 10", "top diez"},
		{"en", "Top 10", "top ten"},
		{"es", "21 chistes", "veintiuno chistes"},
		{"en", "21 jokes", "twenty one jokes"},
		{"es", "101 dálmatas", "ciento uno dálmatas"},
		{"en", "101 Dalmatians", "one hundred one dalmatians"},
		{"es", "chistes 2024", "chistes dos mil veinticuatro"},
		{"es", "Agente 007", "agente cero cero siete"},
		{"es", "Rock & Roll", "rock y roll"},
		{"en", "Rock & Roll", "rock and roll"},
		{"es", "Padre & Hijo", "padre e hijo"},
		{"es", "A.B.C.", "a. b. c."},
		{"en", "A.B.C. Songs", "a. b. c. songs"},
		{"en", "a. b. c. songs", "a. b. c. songs"},
		{"en", "BBC Sounds", "b. b. c. sounds"},
		{"en", "NASA", "nasa"},
		{"en", "Dad’s Jokes", "dad's jokes"},
		{"en", "Dad's Jokes", "dad's jokes"},
		{"en", "Dadʼs Jokes", "dad's jokes"},
		{"en", "Dad‘s Jokes", "dad's jokes"},
		{"es", "Jaimito’s", "jaimito's"},
		{"en", "rock-n-roll", "rock n roll"},
	} {
		if got := Say(tc.lang, tc.in); got != tc.want {
			t.Errorf("Say(%s, %q) = %q; want %q", tc.lang, tc.in, got, tc.want)
		}
	}
}

// TestNumbersKeepDigits: a folder named with digits keeps its digit form
// as a synonym, and a "&" folder never shares a form with a "-n-" one.
func TestNumbersKeepDigits(t *testing.T) {
	var o *Overrides
	for _, tc := range []struct{ folder, locale, name, synonym string }{
		{"Los 3 Cerditos", "es-ES", "los tres cerditos", "los 3 cerditos"},
		{"Top 10", "en-US", "top ten", "top 10"},
		{"Top 10", "es-MX", "top diez", "top 10"},
		{"Rock & Roll", "es-ES", "rock and roll", "rock y roll"},
	} {
		if got := o.Name(tc.folder, tc.locale); got != tc.name {
			t.Errorf("Name(%q, %s) = %q; want %q", tc.folder, tc.locale, got, tc.name)
		}
		if got := o.Synonyms(tc.folder, tc.locale); !slices.Contains(got, tc.synonym) {
			t.Errorf("Synonyms(%q, %s) = %q; want %q among them", tc.folder, tc.locale, got, tc.synonym)
		}
	}
	for _, l := range []string{"es-ES", "en-US"} {
		amp := o.Said("Rock & Roll", l)
		for _, s := range o.Said("rock-n-roll", l)[1:] {
			if slices.Contains(amp, s) {
				t.Errorf("%s: %q names both Rock & Roll and rock-n-roll", l, s)
			}
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
		{"es", "Los 3 Cerditos", "3 cerditos"},
		{"es", "Los Tres Cerditos", "tres cerdito"},
		{"es", "Rock & Roll", "rock y roll"},
		{"en", "A.B.C.", "a b c"},
		{"en", "a. b. c.", "abc"},
		{"en", "Dad’s jokes", "dad's joke"},
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

// FuzzSay: any folder name gives forms without a panic; Form and Say are
// idempotent, so a spoken form read again is the same form; a name is
// never among its own synonyms; and Normalize agrees on a name and its
// Form.
func FuzzSay(f *testing.F) {
	for _, s := range []string{"Los 3 Cerditos", "Rock & Roll", "A.B.C. Songs", "Dad’s Jokes", "Top 10", "Agente 007", "BBC", "a.b", "&&", "1234567", "ʼ'’"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		for _, lang := range []string{"es", "en"} {
			form := Form(name)
			if again := Form(form); again != form {
				t.Errorf("Form(%q) = %q, but Form of that is %q", name, form, again)
			}
			said := Say(lang, name)
			if again := Say(lang, said); again != said {
				t.Errorf("Say(%s, %q) = %q, but Say of that is %q", lang, name, said, again)
			}
			if a, b := Normalize(lang, name), Normalize(lang, form); a != b {
				t.Errorf("Normalize(%s): %q → %q but its form %q → %q", lang, name, a, form, b)
			}
			_ = Variants(lang, said)
		}
		var o *Overrides
		for _, l := range []string{"es-MX", "en-GB"} {
			if slices.Contains(o.Synonyms(name, l), o.Name(name, l)) {
				t.Errorf("%s: %q is among its own synonyms", l, name)
			}
		}
	})
}
