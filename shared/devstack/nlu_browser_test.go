package devstack_test

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/jokebox/jokebox/shared/skillpkg"
)

// understood is what window.jokebox.understand returns.
type understood struct {
	Launch bool   `json:"launch"`
	Intent string `json:"intent"`
	Sample string `json:"sample"`
	Slots  map[string]struct {
		Value       string `json:"value"`
		Resolutions *struct {
			ResolutionsPerAuthority []struct {
				Status struct{ Code string } `json:"status"`
				Values []struct {
					Value struct{ ID string } `json:"value"`
				} `json:"values"`
			} `json:"resolutionsPerAuthority"`
		} `json:"resolutions"`
	} `json:"slots"`
}

// resolvedID is the playlist slot's entity-resolution id, or "".
func (u understood) resolvedID() string {
	s := u.Slots["playlist"]
	if s.Resolutions == nil || len(s.Resolutions.ResolutionsPerAuthority) == 0 || len(s.Resolutions.ResolutionsPerAuthority[0].Values) == 0 {
		return ""
	}
	return s.Resolutions.ResolutionsPerAuthority[0].Values[0].Value.ID
}

// TestBrowserUnderstands: the page matches typed text against the
// interaction model the dev server builds for the indexed folders: sample
// utterances, slots and the playlist values with their synonyms.
func TestBrowserUnderstands(t *testing.T) {
	st := startStack(t, sampleLibrary(t))
	ctx := browser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(st.URL), chromedp.WaitVisible(chromedp.ID("btn-open"))); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		locale, text, intent, value, id string
	}{
		{"es-ES", "abre caja de chistes", "", "", ""},
		{"es-ES", "pon animales", "PlayJokeIntent", "animales", "animales"},
		{"es-ES", "Alexa, pon sonidos de animales", "PlayJokeIntent", "sonidos de animales", "animales"},
		{"es-ES", "ponme bichos", "PlayJokeIntent", "bichos", "animales"},
		{"es-ES", "pon chistes en inglés", "PlayJokeIntent", "chistes en inglés", "jokes"},
		{"es-ES", "pon chistes en ingles", "PlayJokeIntent", "chistes en ingles", "jokes"},
		{"es-ES", "pon el animal", "PlayJokeIntent", "animal", "animales"}, // "pon el {playlist}": articles are in the samples
		{"es-ES", "pon un chiste de animales", "PlayJokeIntent", "animales", "animales"},
		{"es-MX", "otro", "AMAZON.NextIntent", "", ""},
		{"en-US", "another one", "AMAZON.NextIntent", "", ""},
		{"es-ES", "pon dinosaurios", "PlayJokeIntent", "dinosaurios", ""},
		{"es-ES", "animales", "PlayJokeIntent", "animales", "animales"},
		{"es-ES", "pide a caja de chistes que ponga animales", "PlayJokeIntent", "animales", "animales"},
		{"es-MX", "cuéntame un chiste", "PlayJokeIntent", "", ""},
		{"es-ES", "pon un chiste", "PlayJokeIntent", "", ""},
		{"es-ES", "qué listas tienes", "ListPlaylistsIntent", "", ""},
		{"es-ES", "pausa", "AMAZON.PauseIntent", "", ""},
		{"es-US", "continúa", "AMAZON.ResumeIntent", "", ""},
		{"es-ES", "siguiente", "AMAZON.NextIntent", "", ""},
		{"es-ES", "para", "AMAZON.StopIntent", "", ""},
		{"es-ES", "¿qué hora es?", "AMAZON.FallbackIntent", "", ""},
		{"es-ES", "dinosaurios", "AMAZON.FallbackIntent", "", ""},
		{"en-US", "open joke box", "", "", ""},
		{"en-US", "play animals", "PlayJokeIntent", "animals", "animales"},
		{"en-GB", "play the animal sounds playlist", "PlayJokeIntent", "animal sounds", "animales"},
		{"en-US", "ask joke box to play jokes", "PlayJokeIntent", "jokes", "jokes"},
		{"en-US", "play spanish jokes", "PlayJokeIntent", "spanish jokes", "chistes"},
		{"en-US", "play chistes", "PlayJokeIntent", "chistes", "chistes"},
		{"en-US", "tell me a joke", "PlayJokeIntent", "", ""},
		{"en-US", "what can i listen to", "ListPlaylistsIntent", "", ""},
		{"en-US", "start over", "AMAZON.StartOverIntent", "", ""},
		{"en-US", "stop", "AMAZON.StopIntent", "", ""},
		{"en-US", "what is the weather", "AMAZON.FallbackIntent", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.locale+" "+tt.text, func(t *testing.T) {
			got, err := chromedp.Run(ctx, chromedp.Evaluate[understood](`window.jokebox.understand(`+jsString(tt.text)+`, `+jsString(tt.locale)+`)`, chromedp.EvalAwaitPromise))
			if err != nil {
				t.Fatal(err)
			}
			if tt.intent == "" {
				if !got.Launch {
					t.Errorf("understand(%q, %s) = %+v; want a launch", tt.text, tt.locale, got)
				}
				return
			}
			if got.Intent != tt.intent || got.Slots["playlist"].Value != tt.value || got.resolvedID() != tt.id {
				t.Errorf("understand(%q, %s) = %s {playlist %q, id %q} by sample %q; want %s {playlist %q, id %q}",
					tt.text, tt.locale, got.Intent, got.Slots["playlist"].Value, got.resolvedID(), got.Sample, tt.intent, tt.value, tt.id)
			}
		})
	}
}

// readmeExamples are the utterances docs/development.md suggests for the
// simulator; the test checks that it still says each of them.
var readmeExamples = []string{"pon animales", "pausa", "siguiente", "tell me a joke"}

// folderOf is the top-level folder of the key a stream token names (its
// last field, query-escaped).
func folderOf(t *testing.T, token string) string {
	t.Helper()
	f := strings.Split(token, "|")
	key, err := url.QueryUnescape(f[len(f)-1])
	if err != nil {
		t.Fatalf("token %q: %v", token, err)
	}
	folder, _, _ := strings.Cut(key, "/")
	return folder
}

// TestBrowserReadmeExamples types each example of docs/development.md and of
// skill.json's example phrases, in Spanish and English, into the simulator
// running on the sample media, and checks that it plays from the right
// folder: a named folder, or one in the device's language.
func TestBrowserReadmeExamples(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "docs", "development.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(string(readme)), " ")
	for _, e := range readmeExamples {
		if !strings.Contains(text, `"`+e+`"`) {
			t.Errorf("docs/development.md no longer says %q; update readmeExamples", e)
		}
	}
	pkg, err := skillpkg.Load(filepath.Join("..", "..", "skill-package"))
	if err != nil {
		t.Fatal(err)
	}
	spanish, english := []string{"animales", "chistes"}, []string{"jokes"}
	type step struct {
		text     string
		folders  []string // where it must play from; nil: no new stream
		playlist string   // the playlist of the new stream's token ("" the library)
	}
	byLocale := map[string][]step{
		"es-ES": {
			{"Alexa, abre caja de chistes", spanish, ""},
			{"pon animales", []string{"animales"}, "animales"},
			{"siguiente", []string{"animales"}, "animales"},
			{"pausa", nil, ""},
			{"qué listas tienes", nil, ""},
			{"chistes", []string{"chistes"}, "chistes"},
			{"pon chistes en inglés", english, "jokes"},
		},
		"en-US": {
			{"Alexa, open joke box", english, ""},
			{"tell me a joke", english, ""},
			{"play animals", []string{"animales"}, "animales"},
			{"pause", nil, ""},
		},
	}
	for locale, steps := range map[string][]string{"es-ES": pkg.Skill.Manifest.PublishingInformation.Locales["es-ES"].ExamplePhrases, "en-US": pkg.Skill.Manifest.PublishingInformation.Locales["en-US"].ExamplePhrases} {
		for _, phrase := range steps {
			want, playlist := spanish, ""
			if locale == "en-US" {
				want = english
			}
			if strings.Contains(phrase, "animal") {
				want, playlist = []string{"animales"}, "animales"
			}
			byLocale[locale] = append(byLocale[locale], step{phrase, want, playlist})
		}
	}

	ctx, _ := openSimulator(t, sampleLibrary(t), 3)
	for _, locale := range []string{"es-ES", "en-US"} {
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](`document.getElementById("locale").value = `+jsString(locale))); err != nil {
			t.Fatal(err)
		}
		for _, s := range byLocale[locale] {
			if s.folders != nil && s.playlist == "" {
				// A library play: stop first, so that no queued stream
				// of the library starts meanwhile and passes for it.
				if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](`window.jokebox.intent("AMAZON.StopIntent")`, chromedp.EvalAwaitPromise)); err != nil {
					t.Fatal(err)
				}
				if p := state(t, ctx); !p.Paused || len(p.Queue) != 0 {
					t.Fatalf("%s: still playing after Stop: %+v", locale, p)
				}
			}
			before := state(t, ctx)
			if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("utterance"), s.text+"\r")); err != nil {
				t.Fatal(err)
			}
			if s.folders == nil {
				waitFor(t, ctx, locale+" "+s.text+": an answer", 10*time.Second, func(p playerState) bool { return p.Requests > before.Requests })
				continue
			}
			// Continuous play may start a queued stream meanwhile: wait for
			// one of the asked-for playlist (the token's third field).
			now := waitFor(t, ctx, locale+" "+s.text+": a new stream of playlist "+s.playlist, 10*time.Second, func(p playerState) bool {
				f := strings.Split(p.Token, "|")
				return p.Requests > before.Requests && p.Token != before.Token && len(f) > 2 && f[2] == s.playlist
			})
			if f := folderOf(t, now.Token); !slices.Contains(s.folders, f) {
				t.Errorf("%s %q played %q from folder %q; want one of %q", locale, s.text, now.Title, f, s.folders)
			} else {
				t.Logf("%s %q → %s/%s", locale, s.text, f, now.Title)
			}
		}
	}
	if s := state(t, ctx); s.Errors != 0 {
		log, _ := chromedp.Run(ctx, chromedp.Evaluate[json.RawMessage](`window.jokebox.log()`))
		t.Errorf("the page logged %d errors: %s", s.Errors, log)
	}
}
