// Package spoken turns folder names into what people say and what Alexa
// hears: a folder's spoken form ("Cuentos_de-Miedo" → "cuentos de miedo"),
// how it is read aloud in a language (digits as words, "&" as "y" or
// "and", initialisms as "a. b. c."), its synonyms (accent-free, singular
// and plural over the whole noun phrase), the owner's overrides file, and
// the normalized form used to match what was said against the folders.
//
// The plural and singular rules are conservative: a word is inflected
// only when it looks like a word of the language and a rule of that
// language covers it, and an exception list holds what the rules get
// wrong. A test checks every form generated for a large set of names
// against Debian's word lists (wamerican, wbritish, wspanish).
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

// isApostrophe reports the characters people and keyboards write as an
// apostrophe: ' ’ ‘ ʼ ` ´ ′.
func isApostrophe(r rune) bool {
	switch r {
	case '\'', '’', '‘', 'ʼ', '`', '´', '′':
		return true
	}
	return false
}

// token is one word of a name as written, before lower-casing.
type token struct {
	text string
	dot  bool // directly followed by a period
}

// tokens splits a name into words (letters, digits and apostrophes), "&"
// and nothing else; apostrophes of every kind become "'".
func tokens(s string) []token {
	var out []token
	var cur strings.Builder
	flush := func(dot bool) {
		if w := strings.Trim(cur.String(), "'"); w != "" {
			out = append(out, token{text: w, dot: dot})
		}
		cur.Reset()
	}
	for _, r := range s {
		switch {
		case isApostrophe(r): // before letters: ʼ is a letter to Unicode
			cur.WriteByte('\'')
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			cur.WriteRune(r)
		case r == '.':
			flush(true)
		case r == '&':
			flush(false)
			out = append(out, token{text: "&"})
		default:
			flush(false)
		}
	}
	flush(false)
	return out
}

// initialism reports a word written in capitals without a vowel ("BBC",
// "TV"), which is said letter by letter.
func initialism(w string) bool {
	n := 0
	for _, r := range w {
		if !unicode.IsUpper(r) || strings.ContainsRune("AEIOUYÁÉÍÓÚ", r) {
			return false
		}
		n++
	}
	return n >= 2 && n <= 4
}

// Form is a folder's spoken form, the same in every language: lower case,
// words of letters, digits and apostrophes (of every kind, written "'")
// separated by one space, "&" kept as a word, and initialisms written as
// Amazon's custom slot guidance writes them, a letter and a period each:
// "A.B.C." and "BBC" → "a. b. c." and "b. b. c.". "Cuentos de Miedo" →
// "cuentos de miedo", "knock-knock" → "knock knock".
func Form(folder string) string {
	ts := tokens(folder)
	var words []string
	for i := 0; i < len(ts); i++ {
		t := ts[i]
		// A run of two or more single letters each followed by a period.
		if j := i; t.dot && len([]rune(t.text)) == 1 && unicode.IsLetter([]rune(t.text)[0]) {
			for j < len(ts) && ts[j].dot && len([]rune(ts[j].text)) == 1 && unicode.IsLetter([]rune(ts[j].text)[0]) {
				j++
			}
			if j-i >= 2 {
				for _, u := range ts[i:j] {
					words = append(words, strings.ToLower(u.text)+".")
				}
				i = j - 1
				continue
			}
		}
		if initialism(t.text) {
			for _, r := range strings.ToLower(t.text) {
				words = append(words, string(r)+".")
			}
			continue
		}
		words = append(words, strings.ToLower(t.text))
	}
	return strings.Join(words, " ")
}

// Say is how a name is read aloud in a language ("es", "en"): its Form
// with numbers as words and "&" as "y" (or "e" before an "i" sound) or
// "and". "3 Cerditos" → "tres cerditos", "Top 10" → "top ten", "Rock &
// Roll" → "rock y roll". A number with a leading zero is read digit by
// digit; one over 999 999 stays in digits.
func Say(lang, name string) string { return say(lang, name, true) }

// say is Say, with numbers read out or left in digits.
func say(lang, name string, numbers bool) string {
	words := strings.Fields(Form(name))
	out := make([]string, 0, len(words))
	for i, w := range words {
		switch {
		case w == "&":
			switch {
			case lang != "es":
				out = append(out, "and")
			case i+1 < len(words) && (strings.HasPrefix(words[i+1], "i") || strings.HasPrefix(words[i+1], "hi")) && !strings.HasPrefix(words[i+1], "hie"):
				out = append(out, "e")
			default:
				out = append(out, "y")
			}
		case numbers && allDigits(w):
			out = append(out, numberWords(lang, w))
		default:
			out = append(out, w)
		}
	}
	return strings.Join(out, " ")
}

func allDigits(w string) bool {
	for _, r := range w {
		if r < '0' || r > '9' {
			return false
		}
	}
	return w != ""
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

// Normalize is the form two names are compared in: "&" read in lang,
// accent-free, lower case, without articles, every word singular, and an
// initialism one word. "Los Cuentos" and "cuento" both become "cuento";
// "the jokes" becomes "joke"; "A.B.C.", "a. b. c." and "a b c" become
// "abc". Numbers stay as they are: a folder's forms hold both its digits
// and its words ("3 cerditos", "tres cerditos"), so that what was said
// matches one of them exactly and "carpeta 17s" stays near "carpeta 17".
func Normalize(lang, s string) string {
	words := strings.Fields(say(lang, s, false))
	// Initialisms: runs of two or more single letters become one word.
	var merged []string
	for i := 0; i < len(words); i++ {
		j := i
		for j < len(words) && len([]rune(strings.TrimSuffix(words[j], "."))) == 1 {
			j++
		}
		if j-i >= 2 {
			var b strings.Builder
			for _, w := range words[i:j] {
				b.WriteString(strings.TrimSuffix(w, "."))
			}
			merged = append(merged, b.String())
			i = j - 1
			continue
		}
		merged = append(merged, strings.TrimSuffix(words[i], "."))
	}
	out := merged[:0]
	for _, w := range merged {
		if slices.Contains(articles[lang], accents.Replace(w)) && len(merged) > 1 {
			continue
		}
		if s, ok := singularWord(lang, w); ok {
			w = s
		}
		out = append(out, accents.Replace(w))
	}
	return strings.Join(out, " ")
}
