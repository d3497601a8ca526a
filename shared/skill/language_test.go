package skill

import (
	"io/fs"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	"github.com/jokebox/jokebox/shared/alexa"
	"github.com/jokebox/jokebox/shared/manifest"
	"github.com/jokebox/jokebox/shared/spoken"
	skillpackage "github.com/jokebox/jokebox/skill-package"
)

// sampleMedia is a manifest of the repository's sample media folder, as
// `jokebox dev` indexes it.
func sampleMedia(t *testing.T) *manifest.Manifest {
	t.Helper()
	root := filepath.Join("..", "..", "media")
	var keys []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(root, p)
		keys = append(keys, filepath.ToSlash(rel))
		return err
	})
	if err != nil || len(keys) == 0 {
		t.Fatalf("sample media in %s: %d files, %v", root, len(keys), err)
	}
	return buildManifest(1, keys...)
}

func realOverrides(t *testing.T) *spoken.Overrides {
	t.Helper()
	o, err := spoken.ParseOverrides(skillpackage.Overrides())
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// TestLaunchPlaysDeviceLanguage launches the skill 20 times per locale on
// the sample media, each time on a device that carries the previous
// answer's token, with a random start: a Spanish device never plays the
// English folder, an English one never a Spanish folder, and asking for a
// folder by name plays it whatever its language.
func TestLaunchPlaysDeviceLanguage(t *testing.T) {
	m := sampleMedia(t)
	for _, tc := range []struct {
		locale   string
		refused  []string
		askFor   string
		askedDir string
	}{
		{"es-ES", []string{"jokes"}, "jokes", "jokes"},
		{"es-MX", []string{"jokes"}, "chistes en inglés", "jokes"},
		{"en-US", []string{"animales", "chistes"}, "animals", "animales"},
		{"en-GB", []string{"animales", "chistes"}, "chistes", "chistes"},
	} {
		t.Run(tc.locale, func(t *testing.T) {
			h := newTestHandler(t, &memSource{m: m}, Config{Playlists: realOverrides(t), Continuous: true})
			h.pick = rand.IntN
			token := ""
			seen := map[string]bool{}
			for i := range 20 {
				req := load(t, "launch.es-ES.json", func(r *alexa.Request) {
					r.Request.Locale = tc.locale
					r.Context.AudioPlayer = &alexa.AudioPlayerState{Token: token, PlayerActivity: "STOPPED"}
					if i%2 == 0 {
						r.Context.AudioPlayer = nil // a device new to the skill
					}
				})
				d, tok := played(t, handle(t, h, req))
				token = d.AudioItem.Stream.Token
				key := tok.Key
				seen[key] = true
				for _, f := range tc.refused {
					if manifest.Folder(key) == f {
						t.Errorf("launch %d in %s played %s from folder %s", i+1, tc.locale, key, f)
					}
				}
			}
			if len(seen) < 3 {
				t.Errorf("20 launches played only %d files: %v", len(seen), seen)
			}
			req := load(t, "intent.play.animales.es-ES.json", func(r *alexa.Request) {
				r.Request.Locale = tc.locale
				r.Request.Intent.Slots[PlaylistSlot] = alexa.Slot{Name: PlaylistSlot, Value: tc.askFor}
				r.Context.AudioPlayer = nil
			})
			if _, tok := played(t, handle(t, h, req)); manifest.Folder(tok.Key) != tc.askedDir {
				t.Errorf("asking for %q in %s played %s; want folder %s", tc.askFor, tc.locale, tok.Key, tc.askedDir)
			}
		})
	}
}

// TestLaunchUsesTagLanguage: without an overrides entry for its folder, a
// file's own ID3 language tag decides; the overrides file wins over it.
func TestLaunchUsesTagLanguage(t *testing.T) {
	m := buildManifest(1, "mezcla/uno.mp3", "mezcla/two.mp3", "mezcla/tres.mp3", "jokes/tagged-es.mp3", "jokes/four.mp3", "suelto.mp3")
	lang := map[string]string{"mezcla/uno.mp3": "es", "mezcla/two.mp3": "en", "mezcla/tres.mp3": "es", "jokes/tagged-es.mp3": "es"}
	m.Languages = lang
	over, err := spoken.ParseOverrides([]byte(`{"folders": {"jokes": {"language": "en"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	h := newTestHandler(t, &memSource{m: m}, Config{Playlists: over})
	h.pick = rand.IntN
	for _, tc := range []struct {
		locale  string
		allowed []string
	}{
		{"es-ES", []string{"mezcla/uno.mp3", "mezcla/tres.mp3", "suelto.mp3"}},
		{"en-US", []string{"mezcla/two.mp3", "jokes/tagged-es.mp3", "jokes/four.mp3", "suelto.mp3"}},
	} {
		seen := map[string]bool{}
		for range 20 {
			req := load(t, "launch.es-ES.json", func(r *alexa.Request) {
				r.Request.Locale = tc.locale
				r.Context.AudioPlayer = nil
			})
			_, tok := played(t, handle(t, h, req))
			seen[tok.Key] = true
			if !slices.Contains(tc.allowed, tok.Key) {
				t.Errorf("launch in %s played %s; want one of %q", tc.locale, tok.Key, tc.allowed)
			}
		}
		if len(seen) < 2 {
			t.Errorf("20 launches in %s played only %v", tc.locale, seen)
		}
	}
}
