package skill

import (
	"slices"
	"strings"
	"sync"

	"github.com/jokebox/jokebox/shared/alexa"
	"github.com/jokebox/jokebox/shared/manifest"
	"github.com/jokebox/jokebox/shared/spoken"
)

// How a playlist was resolved, for the log.
const (
	byEntityResolution = "entity-resolution"
	byName             = "name"
	byNearName         = "near-name"
	byNothing          = "none"
	byTie              = "tie"
)

// resolvePlaylist finds the folder playlist a slot names: first the ids of
// Alexa's entity resolution (ER_SUCCESS_MATCH; a value's id is the folder
// name), then the raw value against every way each folder may be said,
// normalized (case, accents, punctuation, articles, plurals), then a
// forgiving match (shared words, small edit distance). When two folders
// are equally close it picks none. how says which step decided.
func resolvePlaylist(m *manifest.Manifest, slot alexa.Slot, locale string, o *spoken.Overrides) (pl *manifest.Playlist, how string) {
	return resolveWith(m, slot, locale, saidForms(m, locale, o))
}

// form is one normalized way to say a folder, with what the forgiving
// match needs of it computed once.
type form struct {
	text  string
	runes []rune
	words []string // content words, sorted, unique
}

func newForm(text string) form {
	return form{text: text, runes: []rune(text), words: contentWords(text)}
}

// saidForms lists, per folder playlist of m, every way it may be said in
// locale, normalized for matching.
func saidForms(m *manifest.Manifest, locale string, o *spoken.Overrides) [][]form {
	lang := spoken.Language(locale)
	folders := m.Playlists[1:]
	said := make([][]form, len(folders))
	for i := range folders {
		for _, s := range o.Said(folders[i].Name, locale) {
			if f := newForm(spoken.Normalize(lang, s)); !slices.ContainsFunc(said[i], func(g form) bool { return g.text == f.text }) {
				said[i] = append(said[i], f)
			}
		}
	}
	return said
}

// saidCache keeps saidForms of the current manifest per locale, so that a
// request for a playlist by name does not normalize every folder's names.
type saidCache struct {
	mu sync.Mutex
	m  *manifest.Manifest
	by map[string][][]form
}

// maxSaidLocales bounds the cache: locales come from requests.
const maxSaidLocales = 16

func (c *saidCache) get(m *manifest.Manifest, locale string, o *spoken.Overrides) [][]form {
	c.mu.Lock()
	if c.m == m {
		if said, ok := c.by[locale]; ok {
			c.mu.Unlock()
			return said
		}
	}
	c.mu.Unlock()
	said := saidForms(m, locale, o) // outside the lock
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m != m {
		c.m, c.by = m, map[string][][]form{}
	}
	if len(c.by) < maxSaidLocales {
		c.by[locale] = said
	}
	return said
}

func resolveWith(m *manifest.Manifest, slot alexa.Slot, locale string, said [][]form) (pl *manifest.Playlist, how string) {
	if res := slot.Resolutions; res != nil {
		for _, a := range res.ResolutionsPerAuthority {
			if a.Status.Code != alexa.ERSuccessMatch {
				continue
			}
			for _, v := range a.Values {
				if p, ok := m.Playlist(v.Value.ID); ok && p.Name != "" {
					return p, byEntityResolution
				}
			}
		}
	}
	lang := spoken.Language(locale)
	q := spoken.Normalize(lang, slot.Value)
	if q == "" {
		return nil, byNothing
	}
	folders := m.Playlists[1:]
	exactly := func(q string) []int {
		var exact []int
		for i := range folders {
			if slices.ContainsFunc(said[i], func(f form) bool { return f.text == q }) {
				exact = append(exact, i)
			}
		}
		return exact
	}
	exact := exactly(q)
	if len(exact) == 0 {
		// What was said around the name ("un chiste de animales", "the
		// bedtime stories playlist"), when Alexa passed it all on.
		for _, bare := range withoutCarrier(lang, q) {
			if e := exactly(bare); len(e) > 0 {
				q, exact = bare, e
				break
			}
		}
	}
	switch len(exact) {
	case 1:
		return &folders[exact[0]], byName
	case 0:
	default:
		return nil, byTie
	}
	best, bestScore, tie := -1, 0.0, false
	query := newForm(q)
	var buf []int
	for i := range folders {
		score := 0.0
		for _, s := range said[i] {
			var c float64
			c, buf = closeness(query, s, buf)
			score = max(score, c)
		}
		switch {
		case score == 0:
		case score > bestScore:
			best, bestScore, tie = i, score, false
		case score == bestScore:
			tie = true
		}
	}
	switch {
	case best < 0:
		return nil, byNothing
	case tie:
		return nil, byTie
	}
	return &folders[best], byNearName
}

// carriers are the words people say around a playlist's name, normalized
// (see spoken.Normalize: no articles, singular), by language: prefixes
// and suffixes.
var carriers = map[string][2][]string{
	"es": {{"chiste de", "chiste sobre", "cuento de", "lista de", "lista", "algo de", "carpeta de", "carpeta"}, {"por favor", "lista"}},
	"en": {{"joke about", "joke from", "story about", "something from", "playlist", "folder"}, {"playlist", "please", "folder"}},
}

// withoutCarrier lists a normalized name without the carrier words
// around it: without a suffix, without a prefix, without both.
func withoutCarrier(lang, q string) []string {
	prefixes, suffixes := carriers[lang][0], carriers[lang][1]
	cutSuffix := func(q string) string {
		for _, w := range suffixes {
			if rest, ok := strings.CutSuffix(q, " "+w); ok {
				return rest
			}
		}
		return q
	}
	pre := q
	for _, w := range prefixes {
		if rest, ok := strings.CutPrefix(q, w+" "); ok {
			pre = rest
			break
		}
	}
	var out []string
	for _, b := range []string{cutSuffix(q), pre, cutSuffix(pre)} {
		if b != q && b != "" && !slices.Contains(out, b) {
			out = append(out, b)
		}
	}
	return out
}

// closeness scores how near two normalized names are, 0 for not near
// enough: 1 - distance/length when the edit distance is within a quarter
// of the longer name (at most one edit for names under eight letters), or
// the share of content words they have in common when it is at least half.
// buf is scratch space for the edit distance, returned for reuse.
func closeness(a, b form, buf []int) (float64, []int) {
	n := max(len(a.runes), len(b.runes))
	score := 0.0
	if allowed := n / 4; allowed > 0 {
		var d int
		if d, buf = editDistance(a.runes, b.runes, allowed, buf); d <= allowed {
			score = 1 - float64(d)/float64(n)
		}
	}
	if j := overlap(a.words, b.words); j >= 0.5 {
		score = max(score, 0.9*j)
	}
	return score, buf
}

// functionWords do not count as shared words.
var functionWords = []string{"de", "del", "y", "e", "o", "of", "and", "or", "to", "for"}

// contentWords are the words of s that are not function words, sorted and
// unique.
func contentWords(s string) []string {
	w := slices.DeleteFunc(strings.Fields(s), func(w string) bool { return slices.Contains(functionWords, w) })
	slices.Sort(w)
	return slices.Compact(w)
}

// overlap is |A∩B| / |A∪B| of two sets of content words.
func overlap(wa, wb []string) float64 {
	if len(wa) == 0 || len(wb) == 0 {
		return 0
	}
	common := 0
	for _, w := range wa {
		if slices.Contains(wb, w) {
			common++
		}
	}
	return float64(common) / float64(len(wa)+len(wb)-common)
}

// editDistance is the Levenshtein distance between a and b, or limit+1 as
// soon as it is known to exceed limit. buf is scratch space, returned for
// reuse.
func editDistance(a, b []rune, limit int, buf []int) (int, []int) {
	if d := len(a) - len(b); d > limit || -d > limit {
		return limit + 1, buf
	}
	if cap(buf) < 2*(len(b)+1) {
		buf = make([]int, 2*(len(b)+1))
	}
	buf = buf[:2*(len(b)+1)]
	prev, cur := buf[:len(b)+1], buf[len(b)+1:]
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			rowMin = min(rowMin, cur[j])
		}
		if rowMin > limit {
			return limit + 1, buf
		}
		prev, cur = cur, prev
	}
	return prev[len(b)], buf
}
