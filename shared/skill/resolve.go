package skill

import (
	"slices"
	"strings"

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
	said := make([][]string, len(folders))
	var exact []int
	for i := range folders {
		for _, s := range o.Said(folders[i].Name, locale) {
			said[i] = append(said[i], spoken.Normalize(lang, s))
		}
		if slices.Contains(said[i], q) {
			exact = append(exact, i)
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
	for i := range folders {
		score := 0.0
		for _, s := range said[i] {
			score = max(score, closeness(q, s))
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

// closeness scores how near two normalized names are, 0 for not near
// enough: 1 - distance/length when the edit distance is within a quarter
// of the longer name (at most one edit for names under eight letters), or
// the share of content words they have in common when it is at least half.
func closeness(a, b string) float64 {
	ra, rb := []rune(a), []rune(b)
	n := max(len(ra), len(rb))
	score := 0.0
	if allowed := n / 4; allowed > 0 {
		if d := editDistance(ra, rb, allowed); d <= allowed {
			score = 1 - float64(d)/float64(n)
		}
	}
	if j := overlap(a, b); j >= 0.5 {
		score = max(score, 0.9*j)
	}
	return score
}

// functionWords do not count as shared words.
var functionWords = []string{"de", "del", "y", "e", "o", "of", "and", "or", "to", "for"}

// overlap is |A∩B| / |A∪B| over the content words of a and b.
func overlap(a, b string) float64 {
	words := func(s string) []string {
		w := slices.DeleteFunc(strings.Fields(s), func(w string) bool { return slices.Contains(functionWords, w) })
		slices.Sort(w)
		return slices.Compact(w)
	}
	wa, wb := words(a), words(b)
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
// soon as it is known to exceed limit.
func editDistance(a, b []rune, limit int) int {
	if d := len(a) - len(b); d > limit || -d > limit {
		return limit + 1
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
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
			return limit + 1
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
