package spoken

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// Word lists from Debian's wamerican, wbritish and wspanish packages
// (scripts/setup.sh installs them).
var wordLists = map[string][]string{
	"en": {"/usr/share/dict/american-english", "/usr/share/dict/british-english"},
	"es": {"/usr/share/dict/spanish"},
}

// readWords reads the word lists of a language into a set of accent-free,
// lower-case words.
func readWords(t *testing.T, lang string) map[string]bool {
	t.Helper()
	words := map[string]bool{}
	for _, path := range wordLists[lang] {
		f, err := os.Open(path)
		if err != nil {
			t.Fatalf("word list %s: %v (install Debian's wamerican, wbritish and wspanish: scripts/setup.sh)", path, err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			words[accents.Replace(strings.ToLower(sc.Text()))] = true
		}
		f.Close()
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return words
}

func testNames(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("testdata/names.txt")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			names = append(names, l)
		}
	}
	return names
}

// TestFormsAreWords: every word of every name and synonym generated for
// the names of testdata/names.txt, in Spanish and English locales, is a
// word of the language's list, or a word of the folder name itself (a
// proper name such as "jaimito"), or a number read out. wspanish lists no
// plurals, so a Spanish word the list lacks passes when it is the plural
// of a listed word: its singular by the rules is listed and the plural
// rule gives it back. A singular is never taken on trust.
func TestFormsAreWords(t *testing.T) {
	lists := map[string]map[string]bool{"en": readWords(t, "en"), "es": readWords(t, "es")}
	checked := 0
	for _, name := range testNames(t) {
		own := map[string]bool{}
		for _, w := range strings.Fields(Plain(name)) {
			own[w] = true
		}
		for _, locale := range []string{"es-ES", "en-US"} {
			var o *Overrides
			forms := append([]string{o.Name(name, locale)}, o.Synonyms(name, locale)...)
			for _, f := range forms {
				for _, w := range strings.Fields(f) {
					checked++
					p := accents.Replace(strings.TrimSuffix(w, "."))
					switch {
					case own[p], lists["es"][p], lists["en"][p], isNumberWord("es", w), isNumberWord("en", w), len([]rune(p)) == 1:
					case spanishPlural(lists["es"], w):
					default:
						t.Errorf("%s: %q gives %q, whose word %q is in no word list", locale, name, f, w)
					}
				}
			}
		}
	}
	t.Logf("%d words of generated forms checked", checked)
}

func spanishPlural(list map[string]bool, w string) bool {
	s, ok := esSingular(w)
	if !ok || !list[accents.Replace(s)] {
		return false
	}
	p, ok := esPlural(s)
	return ok && accents.Replace(p) == accents.Replace(w)
}
