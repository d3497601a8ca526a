package skill

import (
	"testing"

	"github.com/jokebox/jokebox/shared/alexa"
	"github.com/jokebox/jokebox/shared/spoken"
)

// er is a slot as Alexa sends it when entity resolution matched ids.
func er(value string, ids ...string) alexa.Slot {
	r := alexa.Resolution{Authority: "amzn1.er-authority.echo-sdk.test.PlaylistName"}
	r.Status.Code = alexa.ERSuccessMatch
	for _, id := range ids {
		var v alexa.ResolvedValue
		v.Value.ID, v.Value.Name = id, value
		r.Values = append(r.Values, v)
	}
	return alexa.Slot{Name: PlaylistSlot, Value: value, Resolutions: &alexa.Resolutions{ResolutionsPerAuthority: []alexa.Resolution{r}}}
}

func raw(value string) alexa.Slot { return alexa.Slot{Name: PlaylistSlot, Value: value} }

func TestResolvePlaylist(t *testing.T) {
	m := buildManifest(1,
		"Cuentos de Miedo/a.mp3", "knock-knock/a.mp3", "animales/a.mp3", "chistes/a.mp3", "jokes/a.mp3",
		"gatos/a.mp3", "patos/a.mp3", "Canciones/a.mp3", "canciones_/a.mp3", "stories/a.mp3", "top.mp3",
	)
	over, err := spoken.ParseOverrides([]byte(`{"folders": {
		"animales": {"language": "es", "names": {"en": "animals"}, "synonyms": {"es": ["bichos"]}},
		"jokes": {"language": "en", "names": {"es": "chistes en inglés"}}
	}}`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		locale string
		slot   alexa.Slot
		want   string // "" for none
		how    string
	}{
		{"er id wins over raw value", "es-ES", er("sonidos de animales", "animales"), "animales", byEntityResolution},
		{"er id that is no folder falls back to raw", "es-ES", er("chistes", "cuentos"), "chistes", byName},
		{"er second id when first is gone", "en-US", er("x", "gone", "jokes"), "jokes", byEntityResolution},
		{"er no match uses raw", "es-ES", alexa.Slot{Value: "chistes", Resolutions: &alexa.Resolutions{ResolutionsPerAuthority: []alexa.Resolution{{}}}}, "chistes", byName},
		{"es exact", "es-ES", raw("animales"), "animales", byName},
		{"es case and accents", "es-ES", raw("CUENTOS DE MIEDO"), "Cuentos de Miedo", byName},
		{"es article", "es-ES", raw("los cuentos de miedo"), "Cuentos de Miedo", byName},
		{"es singular", "es-MX", raw("cuento de miedo"), "Cuentos de Miedo", byName},
		{"es singular of -es plural", "es-ES", raw("animal"), "animales", byName},
		{"es accent-free of accented name", "es-ES", raw("chistes en ingles"), "jokes", byName},
		{"es owner synonym", "es-US", raw("bichos"), "animales", byName},
		{"es punctuation", "es-ES", raw("¡chistes!"), "chistes", byName},
		{"en spoken form", "en-US", raw("knock knock"), "knock-knock", byName},
		{"en plural", "en-GB", raw("knock knocks"), "knock-knock", byName},
		{"en article and singular", "en-US", raw("the joke"), "jokes", byName},
		{"en owner name", "en-US", raw("animals"), "animales", byName},
		{"en owner name singular", "en-US", raw("the animal"), "animales", byName},
		{"en irregular plural", "en-US", raw("story"), "stories", byName},
		{"folder name said in another locale", "en-US", raw("cuentos de miedo"), "Cuentos de Miedo", byName},
		{"es carrier words around the name", "es-ES", raw("un chiste de animales"), "animales", byName},
		{"es carrier words after the name", "es-MX", raw("cuentos de miedo por favor"), "Cuentos de Miedo", byName},
		{"es the list of", "es-ES", raw("la lista de los bichos"), "animales", byName},
		{"en carrier words around the name", "en-US", raw("the knock knock playlist"), "knock-knock", byName},
		{"en a joke about", "en-GB", raw("a joke about animals"), "animales", byName},
		{"a name that starts like a carrier is itself first", "es-ES", raw("cuentos de miedo"), "Cuentos de Miedo", byName},
		{"near: one letter off", "es-ES", raw("chistez"), "chistes", byNearName},
		{"near: shared words", "es-ES", raw("miedo"), "Cuentos de Miedo", byNearName},
		{"near: misheard word", "en-US", raw("nock knock"), "knock-knock", byNearName},
		{"tie: equally close", "es-ES", raw("datos"), "", byTie},
		{"tie: two folders say the same", "es-ES", raw("canciones"), "", byTie},
		{"unknown", "es-ES", raw("dinosaurios"), "", byNothing},
		{"unknown en", "en-US", raw("dinosaurs"), "", byNothing},
		{"near: one letter short", "es-ES", raw("gat"), "gatos", byNearName},
		{"too short to be near", "es-ES", raw("ga"), "", byNothing},
		{"empty", "es-ES", raw(" ¿? "), "", byNothing},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pl, how := resolvePlaylist(m, tc.slot, tc.locale, over)
			got := ""
			if pl != nil {
				got = pl.Name
			}
			if got != tc.want || how != tc.how {
				t.Errorf("resolvePlaylist(%q, %s) = %q by %s; want %q by %s", tc.slot.Value, tc.locale, got, how, tc.want, tc.how)
			}
		})
	}
}

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b  string
		limit int
		want  int
	}{
		{"chistes", "chistes", 2, 0},
		{"chistes", "chistez", 2, 1},
		{"gato", "pato", 1, 1},
		{"ñandú", "nandu", 2, 2},
		{"abc", "abcdef", 1, 2},
		{"kitten", "sitting", 5, 3},
	} {
		if got, _ := editDistance([]rune(tc.a), []rune(tc.b), tc.limit, nil); got != tc.want {
			t.Errorf("editDistance(%q, %q, %d) = %d; want %d", tc.a, tc.b, tc.limit, got, tc.want)
		}
	}
}
