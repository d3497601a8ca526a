package spoken

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// OverridesFile is the name of the owner's overrides file inside the skill
// package directory.
const OverridesFile = "playlists.json"

// Overrides is the owner's overrides file: per folder, the language of its
// audio, spoken names and extra synonyms. Folders it does not name get
// their spoken form and generated synonyms only.
//
//	{
//	  "folders": {
//	    "animales": {
//	      "language": "es",
//	      "names":    {"en": "animals"},
//	      "synonyms": {"es": ["sonidos de animales"], "en": ["animal sounds"]}
//	    }
//	  }
//	}
//
// Keys of names and synonyms are a language ("es") or a locale ("es-MX");
// a locale's entry wins over its language's.
type Overrides struct {
	// Comment is free text for the people editing the file.
	Comment string `json:"comment,omitempty"`
	// Folders is keyed by the folder name exactly as in the bucket.
	Folders map[string]Folder `json:"folders"`
}

// Folder is what the owner says about one folder.
type Folder struct {
	// Language is the language of the folder's audio ("es", "en"); empty
	// means unmarked, which plays on every device.
	Language string `json:"language,omitempty"`
	// Names is the spoken name by language or locale, replacing the
	// folder's spoken form there.
	Names map[string]string `json:"names,omitempty"`
	// Synonyms are more ways to say the folder, by language or locale.
	Synonyms map[string][]string `json:"synonyms,omitempty"`
}

// maxOverrides bounds the overrides file; a real one is a few kilobytes.
const maxOverrides = 1 << 20

// ParseOverrides decodes an overrides file strictly: unknown fields, a
// language that is not two or three letters, and empty names are errors.
func ParseOverrides(b []byte) (*Overrides, error) {
	if len(b) > maxOverrides {
		return nil, fmt.Errorf("overrides: %d bytes, over %d", len(b), maxOverrides)
	}
	var o Overrides
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&o); err != nil {
		return nil, fmt.Errorf("overrides: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("overrides: trailing data after JSON value")
	}
	var problems []string
	for name, f := range o.Folders {
		if strings.TrimSpace(name) == "" {
			problems = append(problems, "a folder with an empty name")
		}
		if f.Language != "" && !isLanguage(f.Language) {
			problems = append(problems, fmt.Sprintf("folder %q: language %q is not a language code such as \"es\" or \"en\"", name, f.Language))
		}
		for k, v := range f.Names {
			if !isLanguage(Language(k)) {
				problems = append(problems, fmt.Sprintf("folder %q: names key %q is not a language or locale", name, k))
			}
			if Form(v) == "" {
				problems = append(problems, fmt.Sprintf("folder %q: name for %q has nothing to say", name, k))
			}
		}
		for k := range f.Synonyms {
			if !isLanguage(Language(k)) {
				problems = append(problems, fmt.Sprintf("folder %q: synonyms key %q is not a language or locale", name, k))
			}
		}
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return nil, fmt.Errorf("overrides: %s", strings.Join(problems, "; "))
	}
	return &o, nil
}

func isLanguage(s string) bool {
	if len(s) < 2 || len(s) > 3 {
		return false
	}
	for _, r := range s {
		if r < 'a' || r > 'z' {
			return false
		}
	}
	return true
}

// FolderLanguage is the language of a folder's audio, "" when unmarked.
// o may be nil.
func (o *Overrides) FolderLanguage(folder string) string {
	if o == nil {
		return ""
	}
	return o.Folders[folder].Language
}

// byLocale picks a locale's entry, else its language's.
func byLocale[V any](m map[string]V, locale string) (V, bool) {
	if v, ok := m[locale]; ok {
		return v, true
	}
	v, ok := m[Language(locale)]
	return v, ok
}

// Name is how a folder is said in a locale: the owner's name for the
// locale or its language, else the folder's spoken form, read aloud in the
// locale's language (see Say). o may be nil.
func (o *Overrides) Name(folder, locale string) string {
	lang := Language(locale)
	if o != nil {
		if n, ok := byLocale(o.Folders[folder].Names, locale); ok && Form(n) != "" {
			return Say(lang, n)
		}
	}
	if l := o.readIn(folder, locale); l != "" {
		lang = l
	}
	return Say(lang, folder)
}

// readIn is the language a folder's own name is read in: the folder's
// language when the owner gave one, else the language its name looks
// written in (see guessLanguage), else "" for unsure, which reads numbers
// in the locale's language and keeps only the plurals and singulars that
// Spanish and English rules agree on ("piratas" → "pirata", but neither
// "luz" nor "luce" for "luces").
func (o *Overrides) readIn(folder, locale string) string {
	if l := o.FolderLanguage(folder); l != "" {
		return l
	}
	if l := guessLanguage(Form(folder)); l != "" {
		return l
	}
	return ""
}

// variants are Variants in lang, or, for "" (unsure), those that Spanish
// and English rules agree on.
func variants(lang, s string) []string {
	if lang != "" {
		return Variants(lang, s)
	}
	en := Variants("en", s)
	return slices.DeleteFunc(Variants("es", s), func(v string) bool { return !slices.Contains(en, v) })
}

// Synonyms are the other ways to say a folder in a locale: the owner's
// synonyms, the folder's spoken form when the owner renamed it (read in
// the folder's language when it has one), the written digits of a number
// read out, the accent-free forms, and the singular or plural of each (see
// Variants). Name itself is not included; the list is sorted, has no
// repeats and is never nil. o may be nil.
func (o *Overrides) Synonyms(folder, locale string) []string {
	type said struct{ lang, text string }
	lang := Language(locale)
	name := o.Name(folder, locale)
	// The folder name is read in the folder's language when known, else
	// in the language it looks written in, else in the locale's.
	flang := o.readIn(folder, locale)
	nameLang := flang // the name is the folder's own, unless the owner named it here
	if o != nil {
		if _, ok := byLocale(o.Folders[folder].Names, locale); ok {
			nameLang = lang
		}
	}
	sayIn := flang
	if sayIn == "" {
		sayIn = lang
	}
	base := []said{{nameLang, name}, {flang, Say(sayIn, folder)}, {flang, Form(folder)}, {flang, Say(lang, folder)}}
	if o != nil {
		if s, ok := byLocale(o.Folders[folder].Synonyms, locale); ok {
			for _, v := range s {
				base = append(base, said{lang, Say(lang, v)}, said{lang, Form(v)})
			}
		}
	}
	all := []string{}
	for _, b := range base {
		if b.text == "" {
			continue
		}
		all = append(all, b.text, accents.Replace(b.text))
		if strings.Contains(b.text, ".") {
			// "a. b. c." as typed or heard without the periods
			all = append(all, strings.Join(strings.Fields(strings.ReplaceAll(b.text, ".", " ")), " "))
		}
		for _, v := range variants(b.lang, b.text) {
			all = append(all, v, accents.Replace(v))
		}
	}
	slices.Sort(all)
	all = slices.Compact(all)
	return slices.DeleteFunc(all, func(s string) bool { return s == name || s == "" })
}

// Said lists every way a folder may be said in a locale, for matching:
// the folder name, its spoken name and its synonyms.
func (o *Overrides) Said(folder, locale string) []string {
	return append([]string{folder, o.Name(folder, locale)}, o.Synonyms(folder, locale)...)
}
