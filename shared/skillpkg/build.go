package skillpkg

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode"

	"github.com/jokebox/jokebox/shared/spoken"
)

// PlaylistType is the custom slot type of the playlist slot; Build fills
// it from the bucket's folders.
const PlaylistType = "PlaylistName"

// Alexa's limits on custom slot values, from the Alexa Skills Kit's
// interaction model limits.
const (
	// MaxSlotValueLen is the longest slot value or synonym, in characters.
	MaxSlotValueLen = 140
	// MaxSlotValues bounds the values and synonyms of all custom slot
	// types of one locale's model.
	MaxSlotValues = 50000
)

// Skipped is a folder that could not become a slot value in a locale.
type Skipped struct {
	Locale, Folder, Reason string
}

func (s Skipped) String() string {
	return fmt.Sprintf("%s: folder %q left out of the model: %s", s.Locale, s.Folder, s.Reason)
}

// Build returns a copy of pkg whose models' playlist slot type holds one
// value per folder: id the folder name exactly, value its spoken name in
// the locale, synonyms the accent-free, singular and plural forms and the
// owner's synonyms (see package spoken). Folders Alexa cannot take are
// reported, never dropped silently; a synonym two folders share is given
// to neither, so that it cannot pick the wrong one. pkg is not changed.
//
// The manifest's example phrases are fitted to the built models: a phrase
// naming a playlist the model lacks names a folder of the bucket instead,
// or is left out when there is none (see SkillJSON).
func Build(pkg *Package, folders []string, o *spoken.Overrides) (*Package, []Skipped) {
	out := &Package{Skill: cloneSkill(pkg.Skill), Models: make(map[string]Model, len(pkg.Models)), Overrides: pkg.Overrides}
	var skipped []Skipped
	folders = slices.Sorted(slices.Values(folders))
	for _, locale := range slices.Sorted(maps.Keys(pkg.Models)) {
		m := pkg.Models[locale]
		lm := m.InteractionModel.LanguageModel
		values, sk := playlistValues(locale, folders, o, otherValues(lm))
		skipped = append(skipped, sk...)
		types := slices.DeleteFunc(slices.Clone(lm.Types), func(t SlotType) bool { return t.Name == PlaylistType })
		lm.Types = append(types, SlotType{Name: PlaylistType, Values: values})
		lm.Intents = withoutPlaylistNames(lm.Intents, values)
		m.InteractionModel.LanguageModel = lm
		out.Models[locale] = m
		if info, ok := out.Skill.Manifest.PublishingInformation.Locales[locale]; ok {
			info.ExamplePhrases = examplePhrases(locale, lm, info.ExamplePhrases, o)
			out.Skill.Manifest.PublishingInformation.Locales[locale] = info
		}
	}
	return out, skipped
}

// cloneSkill copies the parts of a manifest Build changes.
func cloneSkill(s Skill) Skill {
	locales := make(map[string]LocaleInfo, len(s.Manifest.PublishingInformation.Locales))
	for l, info := range s.Manifest.PublishingInformation.Locales {
		info.ExamplePhrases = slices.Clone(info.ExamplePhrases)
		locales[l] = info
	}
	s.Manifest.PublishingInformation.Locales = locales
	return s
}

// withoutPlaylistNames drops the sample utterances without slots that are
// exactly a playlist's name or synonym ("chistes" meaning "any joke" when
// a folder is called chistes): with a folder of that name, saying it must
// play the folder, which the "{playlist}" sample gives.
func withoutPlaylistNames(intents []Intent, values []SlotValue) []Intent {
	names := map[string]bool{}
	for _, v := range values {
		names[normalizeUtterance(v.Name.Value)] = true
		for _, s := range v.Name.Synonyms {
			names[normalizeUtterance(s)] = true
		}
	}
	out := make([]Intent, len(intents))
	for i, in := range intents {
		in.Samples = slices.DeleteFunc(slices.Clone(in.Samples), func(s string) bool {
			return !strings.Contains(s, "{") && names[normalizeUtterance(s)]
		})
		out[i] = in
	}
	return out
}

// otherValues counts the values and synonyms of the model's other custom
// slot types, which share Alexa's limit.
func otherValues(lm LanguageModel) int {
	n := 0
	for _, t := range lm.Types {
		if t.Name == PlaylistType {
			continue
		}
		for _, v := range t.Values {
			n += 1 + len(v.Name.Synonyms)
		}
	}
	return n
}

func playlistValues(locale string, folders []string, o *spoken.Overrides, used int) ([]SlotValue, []Skipped) {
	var skipped []Skipped
	skip := func(folder, format string, args ...any) {
		skipped = append(skipped, Skipped{Locale: locale, Folder: folder, Reason: fmt.Sprintf(format, args...)})
	}
	values := []SlotValue{}
	owner := map[string]string{} // a value's text → the folder it names
	for _, f := range folders {
		name := o.Name(f, locale)
		switch {
		case name == "":
			skip(f, "its name has no letters or digits to say; name it in %s", spoken.OverridesFile)
			continue
		case len([]rune(name)) > MaxSlotValueLen:
			skip(f, "its spoken name has %d characters, over Alexa's %d; give it a shorter name in %s", len([]rune(name)), MaxSlotValueLen, spoken.OverridesFile)
			continue
		case !speakable(name):
			skip(f, "%q has characters outside the Latin alphabet, which a %s model cannot take; name it in %s", name, locale, spoken.OverridesFile)
			continue
		}
		if other, ok := owner[name]; ok {
			skip(f, "it sounds the same as folder %q (%q); rename one or give one another name in %s", other, name, spoken.OverridesFile)
			continue
		}
		owner[name] = f
		values = append(values, SlotValue{ID: f, Name: SlotValueName{Value: name}})
	}
	// Synonyms: drop those that are another folder's value, and those two
	// folders share.
	claims := map[string][]int{}
	syns := make([][]string, len(values))
	for i, v := range values {
		for _, s := range o.Synonyms(v.ID, locale) {
			if len([]rune(s)) > MaxSlotValueLen || !speakable(s) {
				continue
			}
			if _, isValue := owner[s]; isValue {
				continue
			}
			syns[i] = append(syns[i], s)
			claims[s] = append(claims[s], i)
		}
	}
	for i := range values {
		syns[i] = slices.DeleteFunc(syns[i], func(s string) bool { return len(claims[s]) > 1 })
	}
	// Alexa's limit on values and synonyms per model.
	kept := values[:0]
	for i, v := range values {
		n := 1 + len(syns[i])
		if used+n > MaxSlotValues {
			skip(v.ID, "the model already has %d slot values and synonyms; Alexa takes at most %d", used, MaxSlotValues)
			continue
		}
		used += n
		v.Name.Synonyms = append([]string{}, syns[i]...)
		kept = append(kept, v)
	}
	return kept, skipped
}

// speakable reports text Alexa can take as a slot value: Latin letters,
// digits, spaces, apostrophes and periods.
func speakable(s string) bool {
	for _, r := range s {
		switch {
		case unicode.IsLetter(r) && !unicode.Is(unicode.Latin, r):
			return false
		case unicode.IsLetter(r), unicode.IsDigit(r), r == ' ', r == '\'', r == '.':
		default:
			return false
		}
	}
	return true
}

// RulePlaylistMissing names a folder of the bucket that a model cannot
// resolve: a warning, since the folder still plays from the library.
const RulePlaylistMissing = "playlist-missing"

// MissingFolders warns about each locale whose playlist values lack
// folders of the bucket, naming them.
func MissingFolders(pkg *Package, folders []string) []Problem {
	var ps []Problem
	for _, locale := range slices.Sorted(maps.Keys(pkg.Models)) {
		have := map[string]bool{}
		for _, t := range pkg.Models[locale].InteractionModel.LanguageModel.Types {
			if t.Name == PlaylistType {
				for _, v := range t.Values {
					have[v.ID] = true
				}
			}
		}
		var missing []string
		for _, f := range folders {
			if !have[f] {
				missing = append(missing, fmt.Sprintf("%q", f))
			}
		}
		if len(missing) > 0 {
			ps = append(ps, Problem{Locale: locale, Rule: RulePlaylistMissing, Message: fmt.Sprintf(
				"%s values lack folders of the bucket: %s (run jokebox skill build, then skill deploy-model)", PlaylistType, strings.Join(missing, ", "))})
		}
	}
	return ps
}

// EncodeModel is the JSON of a model as written to its file and uploaded
// to Alexa: indented, without HTML escapes, with a final newline.
func EncodeModel(m Model) ([]byte, error) { return encode(m) }

func encode(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Write writes the package into dir: skill.json, every model and the
// overrides file when the package has one.
func (p *Package) Write(dir string) error {
	skill, err := p.SkillJSON()
	if err != nil {
		return err
	}
	files := map[string][]byte{SkillFile: skill}
	for l, m := range p.Models {
		if files[filepath.Join(filepath.FromSlash(ModelDir), l+".json")], err = EncodeModel(m); err != nil {
			return err
		}
	}
	if p.Overrides != nil {
		files[spoken.OverridesFile] = p.Overrides
	}
	for name, b := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			return fmt.Errorf("write skill package: %w", err)
		}
	}
	return nil
}

// ParseOverrides decodes the package's overrides file; a package without
// one has no overrides.
func (p *Package) ParseOverrides() (*spoken.Overrides, error) {
	if p.Overrides == nil {
		return nil, nil
	}
	o, err := spoken.ParseOverrides(p.Overrides)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", spoken.OverridesFile, err)
	}
	return o, nil
}

// readOptional reads name from fsys; a missing file is nil, not an error.
func readOptional(fsys fs.FS, name string) ([]byte, error) {
	b, err := fs.ReadFile(fsys, name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return b, err
}
