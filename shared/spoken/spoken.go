// Package spoken turns folder names into what people say and what Alexa
// hears: a folder's spoken form ("Cuentos_de-Miedo" → "cuentos de miedo"),
// its synonyms (accent-free, singular and plural in Spanish and English),
// the owner's overrides file, and the normalized form used to match what
// was said against the folders.
//
// The package is pure: standard library only, no I/O.
package spoken

import (
	"slices"
	"strings"
	"unicode"
)

// accents maps accented Latin letters to their base letter. It covers
// Spanish, Portuguese, French, German and Catalan, which is what spoken
// playlist names need; other letters pass through unchanged.
var accents = strings.NewReplacer(
	"á", "a", "à", "a", "â", "a", "ä", "a", "ã", "a", "å", "a",
	"é", "e", "è", "e", "ê", "e", "ë", "e",
	"í", "i", "ì", "i", "î", "i", "ï", "i",
	"ó", "o", "ò", "o", "ô", "o", "ö", "o", "õ", "o",
	"ú", "u", "ù", "u", "û", "u", "ü", "u",
	"ñ", "n", "ç", "c", "ß", "ss", "ý", "y", "ÿ", "y",
)

// Form is a folder's spoken form: lower case, every run of characters other
// than letters, digits and apostrophes one space; accents and digits kept.
// "Cuentos de Miedo" → "cuentos de miedo", "knock-knock" → "knock knock".
func Form(folder string) string {
	var b strings.Builder
	space := false
	for _, r := range strings.ToLower(folder) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '\'' {
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
			continue
		}
		space = true
	}
	return b.String()
}

// Plain is the spoken form of s without accents: "Canción" → "cancion",
// "Straße" → "strasse".
func Plain(s string) string { return accents.Replace(Form(s)) }

// Language is the language part of a locale: "es-MX" → "es".
func Language(locale string) string {
	l, _, _ := strings.Cut(locale, "-")
	return strings.ToLower(l)
}

// articles are dropped when matching what was said.
var articles = map[string][]string{
	"es": {"el", "la", "los", "las", "lo", "un", "una", "unos", "unas"},
	"en": {"the", "a", "an", "some"},
}

// Normalize is the form two names are compared in: accent-free, lower
// case, without articles, every word singular. "Los Cuentos" and "cuento"
// both become "cuento"; "the jokes" becomes "joke".
func Normalize(lang, s string) string {
	words := strings.Fields(Plain(s))
	out := words[:0]
	for _, w := range words {
		if slices.Contains(articles[lang], w) && len(words) > 1 {
			continue
		}
		out = append(out, singular(lang, w))
	}
	return strings.Join(out, " ")
}

// Variants returns the singular and plural forms of a spoken name in a
// language: Spanish inflects the first word ("cuentos de miedo" → "cuento
// de miedo"), English the last ("knock knock" → "knock knocks").
func Variants(lang, s string) []string {
	words := strings.Fields(s)
	if len(words) == 0 {
		return nil
	}
	i := len(words) - 1
	if lang == "es" {
		i = 0
	}
	w := words[i]
	var out []string
	for _, v := range []string{singular(lang, w), plural(lang, w)} {
		if v != w && v != "" {
			c := slices.Clone(words)
			c[i] = v
			out = append(out, strings.Join(c, " "))
		}
	}
	return out
}

func isVowel(b byte) bool { return strings.IndexByte("aeiou", b) >= 0 }

// singular guesses the singular of a plural word; other words are returned
// as they are. Accents are expected to be folded already where it matters.
func singular(lang, w string) string {
	n := len(w)
	switch lang {
	case "es":
		switch {
		case n > 4 && strings.HasSuffix(w, "ces"):
			return w[:n-3] + "z" // peces → pez
		case n > 4 && strings.HasSuffix(w, "es") && !isVowel(w[n-3]) && strings.IndexByte("lrndjsy", w[n-3]) >= 0:
			return w[:n-2] // animales → animal, canciones → cancion
		case n > 3 && strings.HasSuffix(w, "s") && isVowel(w[n-2]):
			return w[:n-1] // chistes → chiste
		}
	case "en":
		switch {
		case n > 4 && strings.HasSuffix(w, "ies"):
			return w[:n-3] + "y" // stories → story
		case n > 4 && (strings.HasSuffix(w, "ches") || strings.HasSuffix(w, "shes") || strings.HasSuffix(w, "sses") || strings.HasSuffix(w, "xes")):
			return w[:n-2]
		case n > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us"):
			return w[:n-1] // jokes → joke
		}
	}
	return w
}

// plural guesses the plural of a singular word; a word that already looks
// plural is returned as it is.
func plural(lang, w string) string {
	if singular(lang, w) != w || len(w) < 3 {
		return w
	}
	last := w[len(w)-1]
	switch lang {
	case "es":
		switch {
		case last == 'z':
			return w[:len(w)-1] + "ces"
		case strings.IndexByte("lrndjy", last) >= 0:
			return unaccentLast(w) + "es" // canción → canciones, animal → animales
		case last == 's' || last == 'x':
			return w
		default:
			return w + "s" // chiste → chistes, toc → tocs
		}
	case "en":
		switch {
		case last == 'y' && !isVowel(w[len(w)-2]):
			return w[:len(w)-1] + "ies"
		case last == 's' || last == 'x' || last == 'z' || strings.HasSuffix(w, "ch") || strings.HasSuffix(w, "sh"):
			return w + "es"
		default:
			return w + "s"
		}
	}
	return w
}

// unaccentLast drops the written accent of a word's last syllable, which
// Spanish loses when the plural adds one: "canción" → "cancion".
func unaccentLast(w string) string {
	r := []rune(w)
	for i := len(r) - 1; i >= 0 && i >= len(r)-3; i-- {
		if a := Plain(string(r[i])); a != string(r[i]) && len(a) == 1 {
			r[i] = rune(a[0])
			break
		}
	}
	return string(r)
}
