package skill

import (
	"slices"
	"strconv"
	"strings"

	"github.com/jokebox/jokebox/shared/alexa"
	"github.com/jokebox/jokebox/shared/manifest"
	"github.com/jokebox/jokebox/shared/spoken"
)

// ListPlaylistsIntent asks which playlists there are.
const ListPlaylistsIntent = "ListPlaylistsIntent"

// Most playlist names spoken in one answer.
const (
	maxListed  = 5 // "what playlists do you have?"
	maxSuggest = 3 // after an unknown playlist
)

// spokenNames are the folder playlists' names as said in the request's
// locale, the device's language and unmarked folders first, then the
// others, each group in the manifest's order.
func (r *request) spokenNames(m *manifest.Manifest) []string {
	lang := spoken.Language(r.Request.Request.Locale)
	var mine, others []string
	for _, p := range m.Playlists[1:] {
		n := r.h.cfg.Playlists.Name(p.Name, r.Request.Request.Locale)
		if n == "" {
			continue
		}
		if l := r.h.cfg.Playlists.FolderLanguage(p.Name); l == "" || l == lang {
			mine = append(mine, n)
		} else {
			others = append(others, n)
		}
	}
	return slices.Compact(append(mine, others...))
}

// join lists names for speech: "a, b and c" with word "and", at most limit
// names and then "n more".
func (r *request) join(names []string, word string, limit int) string {
	if len(names) > limit {
		rest := len(names) - limit
		names = append(slices.Clone(names[:limit]), fill(r.say.More, "count", strconv.Itoa(rest)))
	}
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	last := names[len(names)-1]
	if spoken.Language(r.Request.Request.Locale) == "es" {
		word = spanishConjunction(word, last)
	}
	return strings.Join(names[:len(names)-1], ", ") + " " + word + " " + last
}

// spanishConjunction turns "y" into "e" before an i sound and "o" into "u"
// before an o sound, as Spanish grammar asks ("cuentos e historias").
func spanishConjunction(word, next string) string {
	p := spoken.Plain(next)
	switch {
	case word == "y" && (strings.HasPrefix(p, "i") || strings.HasPrefix(p, "hi")) && !strings.HasPrefix(p, "hie") && !strings.HasPrefix(p, "ia"):
		return "e"
	case word == "o" && (strings.HasPrefix(p, "o") || strings.HasPrefix(p, "ho")):
		return "u"
	}
	return word
}

// listPlaylists answers "what playlists do you have?": up to five names and
// how many more, keeping the session open so that a name alone plays it.
func (r *request) listPlaylists() (*alexa.Response, error) {
	m, answer := r.manifest()
	if answer != nil {
		return answer, nil
	}
	names := r.spokenNames(m)
	switch len(names) {
	case 0:
		return ask(r.say.ListNone, r.say.Reprompt), nil
	case 1:
		return ask(fill(r.say.ListOne, "playlists", names[0]), fill(r.say.ListReprompt, "example", names[0])), nil
	}
	text := fill(r.say.ListPlaylists, "count", strconv.Itoa(len(names)), "playlists", r.join(names, r.say.And, maxListed))
	return ask(text, fill(r.say.ListReprompt, "example", names[0])), nil
}

// help names a real playlist in its example.
func (r *request) help() (*alexa.Response, error) {
	m, err := r.h.lib.get(r.ctx)
	if err != nil || len(m.Playlists) < 2 {
		return ask(r.say.HelpNone, r.say.Reprompt), nil
	}
	names := r.spokenNames(m)
	if len(names) == 0 {
		return ask(r.say.HelpNone, r.say.Reprompt), nil
	}
	return ask(fill(r.say.Help, "example", names[0]), r.say.Reprompt), nil
}

// unknownPlaylist is what the skill says when it cannot find what was
// asked for: up to three real playlists to ask for instead.
func (r *request) unknownPlaylist(m *manifest.Manifest, said string) string {
	names := r.spokenNames(m)
	if len(names) == 0 {
		return fill(r.say.UnknownPlaylistNone, "playlist", said)
	}
	if len(names) > maxSuggest {
		names = names[:maxSuggest]
	}
	return fill(r.say.UnknownPlaylist, "playlist", said, "playlists", r.join(names, r.say.Or, maxSuggest))
}

// fits reports whether an entry may play from the library on this device:
// its language is unmarked or the device's. The language is its folder's
// in the overrides file, else the file's own ID3 language tag. Folder
// playlists play whatever their language.
func (r *request) fits(c cursor) bool {
	if c.pl.Name != "" || c.pos < 0 {
		return true
	}
	e := c.entry()
	l := r.h.cfg.Playlists.FolderLanguage(manifest.Folder(e.Key))
	if l == "" {
		l = c.m.Languages[e.Key]
	}
	return l == "" || l == spoken.Language(r.Request.Request.Locale)
}

// advance moves c step entries (+1 or -1), skipping in the library the
// entries of folders in another language than the device's. When nothing
// fits it moves as if everything did.
func (r *request) advance(c cursor, step int) cursor {
	next := c.moved(step)
	if step == 0 {
		return next
	}
	for i, n := 0, len(c.pl.Order); i < n; i++ {
		if r.fits(next) {
			return next
		}
		next = next.moved(step)
	}
	return c.moved(step)
}

// start is where a device new to a playlist starts: a random entry that
// fits.
func (r *request) start(m *manifest.Manifest, pl *manifest.Playlist) cursor {
	c := cursor{m: m, pl: pl, pos: r.h.pick(len(pl.Order))}
	if r.fits(c) {
		return c
	}
	return r.advance(c, 1)
}
