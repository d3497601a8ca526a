package skillpkg

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/jokebox/jokebox/shared/spoken"
)

// How an owner opens a skill or asks it in one breath, by language, as
// Alexa's documentation for example phrases writes them. One-shot phrases
// leave the words after the invocation name to the model's samples.
var (
	launchPhrases = map[string][]string{
		"en": {"open", "start", "launch", "begin"},
		"es": {"abre", "inicia", "empieza", "lanza", "comienza"},
	}
	oneShotPhrases = map[string][]string{
		"en": {"ask", "tell"},
		"es": {"pide a", "pídele a", "dile a", "pregunta a", "pregúntale a"},
	}
	// connectors Alexa drops between the invocation name and the request
	// ("ask joke box to play animals").
	oneShotConnectors = map[string][]string{
		"en": {"to", "for", "about", "that", "if", "whether"},
		"es": {},
	}
)

// phraseMatch is what an example phrase means to a model.
type phraseMatch struct {
	launch bool
	intent string
	// slots are the slot values the phrase fills, by slot name.
	slots map[string]string
}

// matchExamplePhrase finds what an example phrase asks of a model: a
// launch ("Alexa, open joke box"), or a one-shot request whose words after
// the invocation name are a sample of some intent, every custom slot value
// a value or synonym of its type. It returns why not when nothing matches.
func matchExamplePhrase(locale string, lm LanguageModel, phrase string) (phraseMatch, error) {
	lang := spoken.Language(locale)
	n := strings.TrimPrefix(normalizePhrase(phrase), "alexa ")
	inv := normalizePhrase(lm.InvocationName)
	if inv == "" {
		return phraseMatch{}, fmt.Errorf("the model has no invocation name")
	}
	for _, w := range launchPhrases[lang] {
		if n == w+" "+inv {
			return phraseMatch{launch: true}, nil
		}
	}
	rest := ""
	for _, w := range oneShotPhrases[lang] {
		if r, ok := strings.CutPrefix(n, w+" "+inv+" "); ok {
			rest = r
			break
		}
	}
	if rest == "" {
		return phraseMatch{}, fmt.Errorf("it neither opens %q nor asks it something (%s … %s …)", lm.InvocationName,
			strings.Join(launchPhrases[lang], "/"), strings.Join(oneShotPhrases[lang], "/"))
	}
	candidates := []string{rest}
	for _, c := range oneShotConnectors[lang] {
		if r, ok := strings.CutPrefix(rest, c+" "); ok {
			candidates = append(candidates, r)
		}
	}
	var why []string
	for _, text := range candidates {
		for _, in := range lm.Intents {
			for _, s := range in.Samples {
				slots, ok := matchSample(s, text)
				if !ok {
					continue
				}
				if bad := unknownSlotValue(lm, in, slots); bad != "" {
					why = append(why, bad)
					continue
				}
				return phraseMatch{intent: in.Name, slots: slots}, nil
			}
		}
	}
	if len(why) > 0 {
		slices.Sort(why)
		return phraseMatch{}, fmt.Errorf("%s", slices.Compact(why)[0])
	}
	return phraseMatch{}, fmt.Errorf("%q after the invocation name is no sample of any intent", rest)
}

// matchSample matches normalized text against a sample utterance, giving
// the text of each slot.
func matchSample(sample, text string) (map[string]string, bool) {
	var names []string
	parts := slotRef.Split(sample, -1)
	for _, m := range slotRef.FindAllStringSubmatch(sample, -1) {
		names = append(names, m[1])
	}
	var re strings.Builder
	re.WriteString("^")
	for i, p := range parts {
		if p = normalizePhrase(p); p != "" {
			if i > 0 {
				re.WriteString(" ")
			}
			re.WriteString(regexp.QuoteMeta(p))
			if i < len(names) {
				re.WriteString(" ")
			}
		}
		if i < len(names) {
			re.WriteString("(.+?)")
		}
	}
	re.WriteString("$")
	rx, err := regexp.Compile(strings.ReplaceAll(re.String(), "  ", " "))
	if err != nil {
		return nil, false
	}
	m := rx.FindStringSubmatch(text)
	if m == nil {
		return nil, false
	}
	slots := map[string]string{}
	for i, n := range names {
		slots[n] = m[i+1]
	}
	return slots, true
}

// unknownSlotValue names a slot value of a custom type that the type does
// not hold, "" when every one is held.
func unknownSlotValue(lm LanguageModel, in Intent, slots map[string]string) string {
	for name, v := range slots {
		typ := ""
		for _, s := range in.Slots {
			if s.Name == name {
				typ = s.Type
			}
		}
		if typ == "" || strings.HasPrefix(typ, "AMAZON.") {
			continue
		}
		if !typeHolds(lm, typ, v) {
			return fmt.Sprintf("it names %q, which is not a value or synonym of %s in the model (sample of %s)", v, typ, in.Name)
		}
	}
	return ""
}

func typeHolds(lm LanguageModel, typ, v string) bool {
	for _, t := range lm.Types {
		if t.Name != typ {
			continue
		}
		for _, val := range t.Values {
			if normalizePhrase(val.Name.Value) == v {
				return true
			}
			for _, s := range val.Name.Synonyms {
				if normalizePhrase(s) == v {
					return true
				}
			}
		}
	}
	return false
}

// examplePhrases are a locale's example phrases fitted to its built model:
// each phrase that names a playlist the model lacks is rewritten with the
// name of a folder the model has (one in the locale's language, else an
// unmarked one, else any), or left out when it has none. Phrases that
// already match stay as they are.
func examplePhrases(locale string, lm LanguageModel, phrases []string, o *spoken.Overrides) []string {
	var out []string
	for _, p := range phrases {
		if _, err := matchExamplePhrase(locale, lm, p); err == nil {
			out = append(out, p)
			continue
		}
		if q, ok := withRealPlaylist(locale, lm, p, o); ok {
			out = append(out, q)
		}
	}
	return out
}

// withRealPlaylist rewrites a one-shot phrase whose playlist the model
// lacks with the name of a folder it has.
func withRealPlaylist(locale string, lm LanguageModel, phrase string, o *spoken.Overrides) (string, bool) {
	name := examplePlaylist(locale, lm, o)
	if name == "" {
		return "", false
	}
	lang := spoken.Language(locale)
	low := strings.ToLower(phrase)
	inv := strings.ToLower(lm.InvocationName)
	at := strings.Index(low, inv)
	if at < 0 {
		return "", false
	}
	head, rest := phrase[:at+len(inv)], normalizePhrase(phrase[at+len(inv):])
	texts := []string{rest}
	prefix := []string{""}
	for _, c := range oneShotConnectors[lang] {
		if r, ok := strings.CutPrefix(rest, c+" "); ok {
			texts, prefix = append(texts, r), append(prefix, c+" ")
		}
	}
	// The sample that keeps most of the phrase: the shortest slot text.
	best, bestLen := "", -1
	for i, text := range texts {
		for _, in := range lm.Intents {
			for _, s := range in.Samples {
				slots, ok := matchSample(s, text)
				if !ok || len(slots) != 1 {
					continue
				}
				for slot, v := range slots {
					if !slices.ContainsFunc(in.Slots, func(x Slot) bool { return x.Name == slot && x.Type == PlaylistType }) {
						continue
					}
					q := head + " " + prefix[i] + strings.Replace(text, v, name, 1)
					if _, err := matchExamplePhrase(locale, lm, q); err == nil && (bestLen < 0 || len(v) < bestLen) {
						best, bestLen = q, len(v)
					}
				}
			}
		}
	}
	return best, bestLen >= 0
}

// examplePlaylist is the playlist an example phrase names: the first
// folder, by name, in the locale's language, else the first unmarked one,
// else the first; "" when the model has no playlist values.
func examplePlaylist(locale string, lm LanguageModel, o *spoken.Overrides) string {
	var values []SlotValue
	for _, t := range lm.Types {
		if t.Name == PlaylistType {
			values = t.Values
		}
	}
	lang := spoken.Language(locale)
	for _, want := range []func(string) bool{
		func(l string) bool { return l == lang },
		func(l string) bool { return l == "" },
		func(string) bool { return true },
	} {
		for _, v := range values {
			if want(o.FolderLanguage(v.ID)) {
				return v.Name.Value
			}
		}
	}
	return ""
}

func checkExamplesMatch(locale string, lm LanguageModel, phrases []string) []Problem {
	var ps []Problem
	for _, p := range phrases {
		if _, err := matchExamplePhrase(locale, lm, p); err != nil {
			ps = append(ps, Problem{Locale: locale, Rule: RuleExamplePhrase, Message: fmt.Sprintf("example phrase %q matches nothing the model understands: %v", p, err)})
		}
	}
	return ps
}
