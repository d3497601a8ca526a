package spoken

import (
	"slices"
	"strings"
)

// Variants returns the other grammatical number of a spoken name in a
// language, or nothing when the rules are not sure. Spanish inflects the
// whole noun phrase before its first preposition, articles included, and
// leaves the words after it unchanged ("chistes cortos" ↔ "chiste corto",
// "los cuentos de miedo" ↔ "el cuento de miedo"); English inflects the
// last word before its first preposition ("bedtime stories" ↔ "bedtime
// story", "tales of terror" ↔ "tale of terror"). A phrase with a number, a
// conjunction or a word that does not look like the language has none.
func Variants(lang, s string) []string {
	words := strings.Fields(s)
	if len(words) == 0 {
		return nil
	}
	switch lang {
	case "es":
		return esVariants(words)
	case "en":
		return enVariants(words)
	}
	return nil
}

var (
	esPrepositions  = []string{"de", "del", "con", "en", "para", "sin", "a", "al", "por", "sobre", "desde", "hasta", "entre", "contra", "que", "según", "tras"}
	esConjunctions  = []string{"y", "e", "o", "u", "ni", "pero"}
	esArticlePlural = map[string]string{"el": "los", "la": "las", "un": "unos", "una": "unas"}

	enNotNouns     = []string{"there", "here", "where", "what", "who", "how", "why", "when", "now", "then", "this", "that", "these", "those", "it", "me", "you", "him", "her", "us", "them", "up", "down", "out", "off", "away", "back", "again", "too", "more", "less", "very", "just", "also", "so", "not", "no", "yes", "please", "thanks", "ok", "okay", "hello", "goodbye", "bye", "fun", "funny", "silly", "scary", "spooky", "old", "new", "good", "bad", "best", "all"}
	enPrepositions = []string{"of", "for", "with", "about", "from", "in", "on", "at", "to", "by", "under", "over", "before", "after", "into"}
	enConjunctions = []string{"and", "or", "nor", "but", "&"}
)

func esVariants(words []string) []string {
	head := len(words)
	for i, w := range words {
		if slices.Contains(esPrepositions, w) {
			head = i
			break
		}
	}
	if head == 0 {
		return nil
	}
	sing, plur := slices.Clone(words), slices.Clone(words)
	canSing, canPlur, content := true, true, 0
	for i, w := range words[:head] {
		if slices.Contains(esConjunctions, w) || isNumber(w) && !isArticle(w) {
			return nil
		}
		if p, ok := esArticlePlural[w]; ok {
			plur[i] = p
			canSing = false
			continue
		}
		if s := singularArticle(w); s != "" {
			sing[i] = s
			canPlur = false
			continue
		}
		content++
		s, okS := singularWord("es", w)
		p, okP := pluralWord("es", w)
		if okS {
			sing[i] = s
			canPlur = false
		} else {
			canSing = false
		}
		if okP {
			plur[i] = p
		} else {
			canPlur = false
		}
	}
	var out []string
	switch {
	case content == 0:
	case canSing:
		out = append(out, strings.Join(sing, " "))
	case canPlur && content == 1: // "el ratón pérez" has no sure plural
		out = append(out, strings.Join(plur, " "))
	}
	return out
}

func isArticle(w string) bool {
	_, ok := esArticlePlural[w]
	return ok || singularArticle(w) != ""
}

func singularArticle(w string) string {
	for s, p := range esArticlePlural {
		if p == w {
			return s
		}
	}
	return ""
}

func enVariants(words []string) []string {
	head := len(words)
	for i, w := range words {
		if slices.Contains(enConjunctions, w) || isNumber(w) {
			return nil
		}
		if slices.Contains(enPrepositions, w) && head == len(words) {
			head = i
		}
	}
	if head == 0 {
		return nil
	}
	last := words[head-1]
	if slices.Contains([]string{"a", "an", "the", "some"}, last) {
		return nil
	}
	out := slices.Clone(words)
	if s, ok := singularWord("en", last); ok {
		out[head-1] = s
		return []string{strings.Join(out, " ")}
	}
	if head >= 2 && slices.Contains([]string{"a", "an"}, words[head-2]) {
		return nil // "a joke" has no plural without its article changing
	}
	if slices.ContainsFunc(words[:head], func(w string) bool { return strings.Contains(w, "'") }) ||
		slices.Contains(enNotNouns, last) || strings.HasSuffix(last, "ing") || strings.HasSuffix(last, "ed") || strings.HasSuffix(last, "ly") {
		return nil // "who's there", "good morning": not a noun to pluralize
	}
	if p, ok := pluralWord("en", last); ok {
		out[head-1] = p
		return []string{strings.Join(out, " ")}
	}
	return nil
}

const (
	esLetters   = "abcdefghijlmnñopqrstuvxyzáéíóúü"
	esVowels    = "aeiouáéíóúü"
	esAccented  = "áéíóú"
	enLetters   = "abcdefghijklmnopqrstuvwxyz"
	plainVowels = "aeiou"
)

// looksSpanish reports a word that may be Spanish: Spanish letters only
// (no k or w), no English letter pairs, no s before a consonant at the
// start, and a Spanish ending.
func looksSpanish(w string) bool {
	r := []rune(w)
	if len(r) < 2 {
		return false
	}
	for _, c := range r {
		if !strings.ContainsRune(esLetters, c) {
			return false
		}
	}
	for _, pair := range []string{"sh", "th", "ph", "ck", "gh", "oo", "ee", "tt", "ss", "pp", "ff", "mm", "dd", "bb", "gg", "zz", "tz", "yn"} {
		if strings.Contains(w, pair) {
			return false
		}
	}
	if r[0] == 's' && !strings.ContainsRune(esVowels, r[1]) {
		return false
	}
	return strings.ContainsRune(esVowels+"lrndjzsyx", r[len(r)-1])
}

func looksEnglish(w string) bool {
	if len(w) < 2 {
		return false
	}
	for _, c := range w {
		if !strings.ContainsRune(enLetters, c) {
			return false
		}
	}
	return true
}

// Exceptions to the rules, plural → singular, and words the rules must
// leave alone.
var (
	esIrregular = map[string]string{
		"relojes": "reloj", "papás": "papá", "mamás": "mamá", "sofás": "sofá", "cafés": "café", "bebés": "bebé",
		"menús": "menú", "meses": "mes", "países": "país", "ingleses": "inglés", "franceses": "francés",
		"autobuses": "autobús", "dioses": "dios", "veces": "vez", "intereses": "interés", "marqueses": "marqués",
		"jabalíes": "jabalí", "rubíes": "rubí", "esquís": "esquí", "caracteres": "carácter", "regímenes": "régimen",
		"especímenes": "espécimen", "leyes": "ley", "reyes": "rey", "bueyes": "buey",
	}
	esInvariable = []string{
		"lunes", "martes", "miércoles", "jueves", "viernes", "tres", "dos", "seis", "más", "mas", "menos", "pues",
		"antes", "después", "atlas", "tenis", "paraguas", "cumpleaños", "crisis", "virus", "análisis", "tesis",
		"dosis", "oasis", "caries", "gratis", "lavaplatos", "sacacorchos", "abrelatas", "rascacielos", "parabrisas",
		"portaaviones", "salvavidas", "trabalenguas", "ciempiés", "mes", "entonces", "jamás", "además", "través",
		"quizás", "tal", "vez", "muy", "hoy", "ayer", "bien", "mal", "aquí", "allí", "ahí", "así", "nunca", "siempre",
		"también", "tampoco", "nada", "algo",
	}
	enIrregular = map[string]string{
		"children": "child", "men": "man", "women": "woman", "people": "person", "mice": "mouse", "feet": "foot",
		"teeth": "tooth", "geese": "goose", "wolves": "wolf", "knives": "knife", "wives": "wife", "lives": "life",
		"leaves": "leaf", "elves": "elf", "shelves": "shelf", "halves": "half", "calves": "calf", "thieves": "thief",
		"loaves": "loaf", "scarves": "scarf", "heroes": "hero", "potatoes": "potato", "tomatoes": "tomato",
		"echoes": "echo", "volcanoes": "volcano", "mosquitoes": "mosquito", "torpedoes": "torpedo",
		"buses": "bus", "gases": "gas", "quizzes": "quiz", "movies": "movie", "zombies": "zombie",
		"cookies": "cookie", "brownies": "brownie", "calories": "calorie", "goalies": "goalie", "selfies": "selfie",
		"hippies": "hippie", "rookies": "rookie", "pies": "pie", "ties": "tie", "lies": "lie", "genies": "genie",
		"smoothies": "smoothie", "pixies": "pixie", "oldies": "oldie", "goodies": "goodie", "sweeties": "sweetie",
		"freebies": "freebie", "aunties": "auntie", "indies": "indie", "veggies": "veggie", "boogies": "boogie",
		"birdies": "birdie", "hoodies": "hoodie", "cuties": "cutie", "kiddies": "kiddie", "doggies": "doggie",
		"lenses": "lens", "bonuses": "bonus", "viruses": "virus", "campuses": "campus", "choruses": "chorus",
		"avalanches": "avalanche", "niches": "niche", "oxen": "ox", "dice": "die", "criteria": "criterion",
		"phenomena": "phenomenon", "cacti": "cactus", "fungi": "fungus", "octopuses": "octopus",
	}
	enInvariable = []string{
		"news", "series", "species", "sheep", "fish", "deer", "moose", "aircraft", "physics", "mathematics",
		"economics", "politics", "athletics", "gymnastics", "this", "his", "is", "was", "has", "does", "yes",
		"always", "perhaps", "thanks", "pants", "jeans", "glasses", "scissors", "clothes", "christmas", "texas",
		"kansas", "paris", "chaos", "plus", "status", "its", "us", "whereas", "sometimes", "besides",
		"afterwards", "towards", "nowadays", "downstairs", "upstairs", "outdoors", "indoors", "means", "odds",
		"goods", "savings", "knock", "bedtime", "bingo", "rock", "roll", "pop", "jazz", "blues",
		"music", "fun", "love", "halloween", "easter", "info", "hip", "hop", "country", "gospel", "soul", "metal",
		"classical", "folk", "funk", "disco", "techno", "house", "punk", "rap", "reggae", "opera", "swing",
		"trivia", "stuff", "information", "advice", "homework", "furniture", "equipment", "luggage", "money", "water", "rice",
	}
)

// invert inverts an exception map.
func invert(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[v] = k
	}
	return out
}

var (
	esIrregularPlural = invert(esIrregular)
	enIrregularPlural = invert(enIrregular)
)

// singularWord is the singular of a plural word, and whether the rules
// are sure it is one.
func singularWord(lang, w string) (string, bool) {
	switch lang {
	case "es":
		return esSingular(w)
	case "en":
		return enSingular(w)
	}
	return "", false
}

// pluralWord is the plural of a singular word, and whether the rules are
// sure of it.
func pluralWord(lang, w string) (string, bool) {
	switch lang {
	case "es":
		return esPlural(w)
	case "en":
		return enPlural(w)
	}
	return "", false
}

// vowelGroups counts the runs of vowels of a word, roughly its syllables.
func vowelGroups(r []rune) int {
	n, in := 0, false
	for _, c := range r {
		v := strings.ContainsRune(esVowels, c)
		if v && !in {
			n++
		}
		in = v
	}
	return n
}

func hasAccent(r []rune) bool {
	return slices.ContainsFunc(r, func(c rune) bool { return strings.ContainsRune(esAccented, c) })
}

func unaccent(c rune) rune { return []rune(accents.Replace(string(c)))[0] }

func accent(c rune) rune {
	i := strings.IndexRune(plainVowels, c)
	if i < 0 {
		return c
	}
	return []rune(esAccented)[i]
}

// removeAccents drops every written accent of a word.
func removeAccents(r []rune) []rune {
	out := slices.Clone(r)
	for i, c := range out {
		if strings.ContainsRune(esAccented, c) {
			out[i] = unaccent(c)
		}
	}
	return out
}

// accentLastVowel writes the accent on the last vowel of the word.
func accentLastVowel(r []rune) []rune {
	out := slices.Clone(r)
	for i := len(out) - 1; i >= 0; i-- {
		if strings.ContainsRune(plainVowels, out[i]) {
			out[i] = accent(out[i])
			break
		}
	}
	return out
}

// accentPenultVowelGroup writes the accent on the vowel group before the
// last one (on its strong vowel when it has two): "joven" → "jóven" (for
// "jóvenes").
func accentPenultVowelGroup(r []rune) []rune {
	out := slices.Clone(r)
	var groups [][2]int
	for i := 0; i < len(out); i++ {
		if strings.ContainsRune(esVowels, out[i]) {
			j := i
			for j < len(out) && strings.ContainsRune(esVowels, out[j]) {
				j++
			}
			groups = append(groups, [2]int{i, j})
			i = j - 1
		}
	}
	if len(groups) < 2 {
		return out
	}
	g := groups[len(groups)-2]
	pick := g[0]
	for k := g[0]; k < g[1]; k++ {
		if strings.ContainsRune("aeo", out[k]) {
			pick = k
			break
		}
	}
	out[pick] = accent(out[pick])
	return out
}

func esSingular(w string) (string, bool) {
	if s, ok := esIrregular[w]; ok {
		return s, true
	}
	r := []rune(w)
	n := len(r)
	if n <= 3 || slices.Contains(esInvariable, w) || !looksSpanish(w) || r[n-1] != 's' {
		return "", false
	}
	prev := r[n-2]
	if strings.ContainsRune(esAccented, prev) || prev == 'i' || prev == 'u' {
		return "", false // país, inglés, crisis, virus: singular already
	}
	if n > 4 && prev == 'e' {
		c := r[n-3]
		before := r[n-4]
		if strings.ContainsRune(esVowels, c) && !hasAccent(r) || strings.ContainsRune("sxzk", c) {
			return "", false // series, buses, boxes: not sure
		}
		if c == 'h' && (n < 6 || r[n-4] != 'c' || !strings.ContainsRune(esVowels, r[n-5])) {
			return "", false // churches; but noches → noche
		}
		vowelBefore := strings.ContainsRune(esVowels, before)
		diphthong := (before == 'i' || before == 'u') && n > 5 && strings.ContainsRune("aeo", r[n-5])
		switch {
		case c == 'c' && vowelBefore:
			return string(r[:n-3]) + "z", true // peces → pez
		case c == 'n' && n > 6 && string(r[n-6:]) == "iones":
			return string(r[:n-5]) + "ión", true // canciones → canción
		case c == 'y':
			return string(r[:n-2]), true // reyes → rey
		case c == 'j':
			return string(r[:n-1]), true // viajes → viaje
		case c == 'd':
			if strings.ContainsRune("aeu", before) {
				return string(r[:n-2]), true // ciudades → ciudad
			}
			return string(r[:n-1]), true // grandes → grande
		case strings.ContainsRune("lrn", c):
			if !vowelBefore || diphthong {
				return string(r[:n-1]), true // padres → padre, bailes → baile
			}
			s := r[:n-2]
			if c == 'n' {
				switch {
				case hasAccent(s):
					s = removeAccents(s) // jóvenes → joven
				case vowelGroups(s) >= 2:
					s = accentLastVowel(s) // ratones → ratón
				}
			}
			return string(s), true // animales → animal, colores → color
		}
	}
	if strings.ContainsRune(esVowels, prev) {
		return string(r[:n-1]), true // chistes → chiste, cuentos → cuento
	}
	return "", false
}

func esPlural(w string) (string, bool) {
	if p, ok := esIrregularPlural[w]; ok {
		return p, true
	}
	r := []rune(w)
	n := len(r)
	if n <= 2 || slices.Contains(esInvariable, w) || !looksSpanish(w) {
		return "", false
	}
	if _, plural := esSingular(w); plural {
		return "", false
	}
	last := r[n-1]
	switch {
	case strings.ContainsRune(esVowels, last):
		return w + "s", true // chiste → chistes, papá → papás
	case last == 'z':
		return string(r[:n-1]) + "ces", true // pez → peces
	case strings.ContainsRune("lrdjy", last):
		return w + "es", true // animal → animales, ciudad → ciudades
	case last == 'n':
		switch {
		case hasAccent(r):
			return string(removeAccents(r)) + "es", true // canción → canciones
		case vowelGroups(r) >= 2:
			return string(accentPenultVowelGroup(r)) + "es", true // joven → jóvenes
		}
		return w + "es", true // tren → trenes
	}
	return "", false
}

func enSingular(w string) (string, bool) {
	if s, ok := enIrregular[w]; ok {
		return s, true
	}
	n := len(w)
	if n <= 3 || slices.Contains(enInvariable, w) || !looksEnglish(w) || w[n-1] != 's' {
		return "", false
	}
	for _, suf := range []string{"ss", "us", "is", "ous", "ics", "'s"} {
		if strings.HasSuffix(w, suf) {
			return "", false
		}
	}
	switch {
	case n > 4 && strings.HasSuffix(w, "ies"):
		return w[:n-3] + "y", true // stories → story
	case strings.HasSuffix(w, "aches"):
		if n > 5 && strings.ContainsRune(plainVowels, rune(w[n-6])) {
			return w[:n-2], true // beaches → beach
		}
		return w[:n-1], true // headaches → headache
	case strings.HasSuffix(w, "ches"), strings.HasSuffix(w, "shes"), strings.HasSuffix(w, "sses"),
		strings.HasSuffix(w, "xes"), strings.HasSuffix(w, "zzes"):
		return w[:n-2], true // boxes → box
	}
	return w[:n-1], true // jokes → joke
}

func enPlural(w string) (string, bool) {
	if p, ok := enIrregularPlural[w]; ok {
		return p, true
	}
	n := len(w)
	if n < 3 || slices.Contains(enInvariable, w) || !looksEnglish(w) {
		return "", false
	}
	if _, plural := enSingular(w); plural || strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") {
		return "", false
	}
	last := w[n-1]
	switch {
	case last == 'y' && !strings.ContainsRune(plainVowels, rune(w[n-2])):
		return w[:n-1] + "ies", true // story → stories
	case last == 'x' || last == 'z' || strings.HasSuffix(w, "ch") || strings.HasSuffix(w, "sh") || strings.HasSuffix(w, "ss"):
		return w + "es", true // box → boxes
	}
	return w + "s", true // joke → jokes
}

// guessLanguage is the language a name looks written in, "es" or "en", or
// "" when it shows no sign of either or signs of both: accents, ñ,
// Spanish articles and prepositions and Spanish endings on one side; k,
// w, English letter pairs, English small words and endings on the other.
func guessLanguage(s string) string {
	es, en := 0, 0
	for _, w := range strings.Fields(s) {
		switch {
		case slices.Contains([]string{"de", "del", "los", "las", "el", "la", "y", "con", "para", "un", "una", "por", "en", "sin", "mis", "tus"}, w):
			es++
		case slices.Contains([]string{"the", "of", "and", "for", "with", "a", "my", "your", "to", "in", "on", "about"}, w):
			en++
		}
		if strings.ContainsAny(w, "áéíóúñü¿¡") {
			es++
		}
		for _, suf := range []string{"ción", "cion", "ciones", "dad", "dades", "ito", "ita", "itos", "itas", "illo", "illa", "ero", "era", "eros", "eras", "os", "as"} {
			if strings.HasSuffix(w, suf) {
				es++
				break
			}
		}
		for _, suf := range []string{"ales", "ores", "ones", "iles", "eles"} {
			if strings.HasSuffix(w, suf) && len(w) >= 7 {
				es++
				break
			}
		}
		if strings.ContainsAny(w, "kw") {
			en++
		}
		for _, pair := range []string{"sh", "th", "ph", "ck", "gh", "oo", "ee", "ea", "ou", "oa", "ies"} {
			if strings.Contains(w, pair) {
				en++
				break
			}
		}
		for _, suf := range []string{"ing", "ed", "y"} {
			if strings.HasSuffix(w, suf) && len(w) > 3 {
				en++
				break
			}
		}
	}
	switch {
	case es > 0 && en == 0:
		return "es"
	case en > 0 && es == 0:
		return "en"
	}
	return ""
}
