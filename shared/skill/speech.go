package skill

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"path"
	"strings"
)

//go:embed speech/*.json
var speechFiles embed.FS

// Phrases is what the skill says in one locale. In a phrase, {playlist}
// is replaced by a playlist's spoken name, {playlists} by a list of them,
// {count} by a number and {example} by one playlist's name.
type Phrases struct {
	Welcome             string `json:"welcome"`
	Playlist            string `json:"playlist"`
	UnknownPlaylist     string `json:"unknown_playlist"`
	UnknownPlaylistNone string `json:"unknown_playlist_none"` // when there are no folders
	ListPlaylists       string `json:"list_playlists"`
	ListOne             string `json:"list_one"`
	ListNone            string `json:"list_none"`
	ListReprompt        string `json:"list_reprompt"`
	Empty               string `json:"empty"`
	NoPlayer            string `json:"no_player"`
	Help                string `json:"help"`
	HelpNone            string `json:"help_none"` // when there are no folders
	Reprompt            string `json:"reprompt"`
	Loop                string `json:"loop"`
	Shuffle             string `json:"shuffle"`
	Trouble             string `json:"trouble"`
	Fallback            string `json:"fallback"`
	// And, Or and More join lists: "a, b and c", "a, b or c", "3 more".
	And  string `json:"and"`
	Or   string `json:"or"`
	More string `json:"more"`
}

// speech holds the phrases of every locale, with the owner's overrides.
type speech struct {
	locales map[string]*Phrases
}

// defaultLocale is the fallback of last resort.
const defaultLocale = "en-US"

// loadSpeech reads the embedded phrase files and applies welcome overrides,
// keyed by locale ("es-MX"), language ("es") or "" for every locale.
func loadSpeech(welcome map[string]string) (*speech, error) {
	entries, err := speechFiles.ReadDir("speech")
	if err != nil {
		return nil, err
	}
	s := &speech{locales: map[string]*Phrases{}}
	for _, e := range entries {
		b, err := speechFiles.ReadFile(path.Join("speech", e.Name()))
		if err != nil {
			return nil, err
		}
		var p Phrases
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p); err != nil {
			return nil, fmt.Errorf("speech %s: %w", e.Name(), err)
		}
		locale := strings.TrimSuffix(e.Name(), ".json")
		for _, k := range []string{"", language(locale), locale} {
			if w, ok := welcome[k]; ok && w != "" {
				p.Welcome = w
			}
		}
		s.locales[locale] = &p
	}
	if s.locales[defaultLocale] == nil {
		return nil, fmt.Errorf("speech: no %s phrases", defaultLocale)
	}
	return s, nil
}

// For returns the phrases for a locale: the locale itself, else the first
// locale of its language in a fixed order (es-AR → es-ES), else en-US.
func (s *speech) For(locale string) *Phrases {
	if p, ok := s.locales[locale]; ok {
		return p
	}
	switch language(locale) {
	case "es":
		return s.locales["es-ES"]
	case "en":
		return s.locales["en-US"]
	}
	return s.locales[defaultLocale]
}

// Locales lists the locales with phrases.
func (s *speech) Locales() []string {
	out := make([]string, 0, len(s.locales))
	for l := range s.locales {
		out = append(out, l)
	}
	return out
}

func language(locale string) string {
	l, _, _ := strings.Cut(locale, "-")
	return strings.ToLower(l)
}

// fill replaces {name} placeholders in a phrase; pairs are name, value.
func fill(phrase string, pairs ...string) string {
	for i := 0; i+1 < len(pairs); i += 2 {
		phrase = strings.ReplaceAll(phrase, "{"+pairs[i]+"}", pairs[i+1])
	}
	return phrase
}
