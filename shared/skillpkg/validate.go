package skillpkg

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"
)

// Problem is one rule a skill package breaks.
type Problem struct {
	// Locale is the locale the problem is in; empty for the manifest as a whole.
	Locale string
	// Rule names the broken rule, such as "intent-unhandled".
	Rule string
	// Message says what is wrong, naming the offending value.
	Message string
}

func (p Problem) String() string {
	if p.Locale == "" {
		return p.Rule + ": " + p.Message
	}
	return p.Locale + ": " + p.Rule + ": " + p.Message
}

// Rules checked by Validate.
const (
	RuleModelMissing       = "model-missing"
	RuleModelExtra         = "model-extra"
	RuleIntentUnhandled    = "intent-unhandled"
	RuleIntentMissing      = "intent-missing"
	RuleIntentDuplicate    = "intent-duplicate"
	RuleUtteranceDuplicate = "utterance-duplicate"
	RuleUtteranceSlot      = "utterance-slot"
	RuleSlotType           = "slot-type"
	RuleInvocationName     = "invocation-name"
	RuleExamplePhrase      = "example-phrase"
	RuleListing            = "listing"
	RuleManifest           = "manifest"
	RuleOverrides          = "overrides"
)

// Validate checks pkg and returns every problem found, in a stable order;
// none means the package passes. handled lists the intents the skill's code
// handles: every model must contain exactly those intents.
func Validate(pkg *Package, handled []string) []Problem {
	var ps []Problem
	add := func(locale, rule, format string, args ...any) {
		ps = append(ps, Problem{Locale: locale, Rule: rule, Message: fmt.Sprintf(format, args...)})
	}

	m := pkg.Skill.Manifest
	if m.ManifestVersion != "1.0" {
		add("", RuleManifest, "manifestVersion is %q, want \"1.0\"", m.ManifestVersion)
	}
	if m.APIs.Custom.Endpoint.URI == "" {
		add("", RuleManifest, "apis.custom.endpoint.uri is empty")
	}
	// The skill forgets a listener on SKILL_DISABLED, sent to the events
	// endpoint: the same function as the custom endpoint.
	switch ev := m.Events; {
	case ev == nil || !slices.Contains(ev.Subscriptions, Subscription{EventName: "SKILL_DISABLED"}):
		add("", RuleManifest, "events.subscriptions lacks SKILL_DISABLED (the skill deletes a listener's place on it)")
	case ev.Endpoint.URI != m.APIs.Custom.Endpoint.URI:
		add("", RuleManifest, "events.endpoint.uri %q is not apis.custom.endpoint.uri %q", ev.Endpoint.URI, m.APIs.Custom.Endpoint.URI)
	}
	if !slices.Contains(m.APIs.Custom.Interfaces, Interface{Type: "AUDIO_PLAYER"}) {
		add("", RuleManifest, "apis.custom.interfaces lacks AUDIO_PLAYER")
	}
	if m.PublishingInformation.Category == "" {
		add("", RuleManifest, "publishingInformation.category is empty")
	}
	if len(m.PublishingInformation.Locales) == 0 {
		add("", RuleManifest, "publishingInformation.locales is empty")
	}
	if _, err := pkg.ParseOverrides(); err != nil {
		add("", RuleOverrides, "%v", err)
	}

	for _, locale := range pkg.Locales() {
		info := m.PublishingInformation.Locales[locale]
		for _, f := range [][2]string{{"name", info.Name}, {"summary", info.Summary}, {"description", info.Description}} {
			if strings.TrimSpace(f[1]) == "" {
				add(locale, RuleListing, "%s is empty", f[0])
			}
		}
		if len(info.Keywords) == 0 {
			add(locale, RuleListing, "keywords is empty")
		}
		model, ok := pkg.Models[locale]
		if !ok {
			add(locale, RuleModelMissing, "no %s/%s.json for a locale of %s", ModelDir, locale, SkillFile)
			continue
		}
		ps = append(ps, checkExamplePhrases(locale, info.ExamplePhrases, model.InteractionModel.LanguageModel.InvocationName)...)
		ps = append(ps, checkExamplesMatch(locale, model.InteractionModel.LanguageModel, info.ExamplePhrases)...)
	}
	var modelLocales []string
	for l := range pkg.Models {
		modelLocales = append(modelLocales, l)
	}
	slices.Sort(modelLocales)
	for _, locale := range modelLocales {
		if _, ok := m.PublishingInformation.Locales[locale]; !ok {
			add(locale, RuleModelExtra, "model file for a locale %s does not list", SkillFile)
		}
		ps = append(ps, checkModel(locale, pkg.Models[locale].InteractionModel.LanguageModel, handled)...)
	}
	return ps
}

func checkModel(locale string, lm LanguageModel, handled []string) []Problem {
	var ps []Problem
	add := func(rule, format string, args ...any) {
		ps = append(ps, Problem{Locale: locale, Rule: rule, Message: fmt.Sprintf(format, args...)})
	}
	for _, msg := range CheckInvocationName(locale, lm.InvocationName) {
		add(RuleInvocationName, "%q: %s", lm.InvocationName, msg)
	}

	types := map[string]bool{}
	for _, t := range lm.Types {
		types[t.Name] = true
	}
	seenIntent := map[string]bool{}
	seenUtterance := map[string]string{} // normalized utterance -> intent
	for _, in := range lm.Intents {
		if seenIntent[in.Name] {
			add(RuleIntentDuplicate, "intent %s is declared twice", in.Name)
		}
		seenIntent[in.Name] = true
		if !slices.Contains(handled, in.Name) {
			add(RuleIntentUnhandled, "intent %s is in the model but the skill does not handle it", in.Name)
		}
		slots := map[string]bool{}
		for _, s := range in.Slots {
			slots[s.Name] = true
			if !strings.HasPrefix(s.Type, "AMAZON.") && !types[s.Type] {
				add(RuleSlotType, "slot %s of %s has type %s, which the model does not define", s.Name, in.Name, s.Type)
			}
		}
		for _, u := range in.Samples {
			n := normalizeUtterance(u)
			if prev, ok := seenUtterance[n]; ok {
				add(RuleUtteranceDuplicate, "sample %q of %s repeats one of %s", u, in.Name, prev)
			} else {
				seenUtterance[n] = in.Name
			}
			for _, ref := range slotRef.FindAllStringSubmatch(u, -1) {
				if !slots[ref[1]] {
					add(RuleUtteranceSlot, "sample %q of %s uses undeclared slot {%s}", u, in.Name, ref[1])
				}
			}
		}
	}
	for _, h := range handled {
		if !seenIntent[h] {
			add(RuleIntentMissing, "intent %s is handled by the skill but missing from the model", h)
		}
	}
	return ps
}

var slotRef = regexp.MustCompile(`\{([^{}]*)\}`)

// normalizeUtterance lowercases u and collapses runs of white space, so that
// utterances Alexa treats as equal compare equal.
func normalizeUtterance(u string) string {
	return strings.Join(strings.Fields(strings.ToLower(u)), " ")
}

// normalizePhrase lowercases s, turns punctuation other than apostrophes
// and periods into spaces and collapses spaces.
func normalizePhrase(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsPunct(r) && r != '\'' && r != '’' && r != '.' {
			return ' '
		}
		return unicode.ToLower(r)
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

func checkExamplePhrases(locale string, phrases []string, invocation string) []Problem {
	var ps []Problem
	add := func(format string, args ...any) {
		ps = append(ps, Problem{Locale: locale, Rule: RuleExamplePhrase, Message: fmt.Sprintf(format, args...)})
	}
	if len(phrases) == 0 || len(phrases) > 3 {
		add("want 1 to 3 example phrases, have %d", len(phrases))
	}
	inv := " " + normalizePhrase(invocation) + " "
	for i, p := range phrases {
		n := normalizePhrase(p)
		if i == 0 && !strings.HasPrefix(n, "alexa ") {
			add("first example phrase %q must start with the wake word \"Alexa\"", p)
		}
		if invocation != "" && !strings.Contains(" "+n+" ", inv) {
			add("example phrase %q does not use the invocation name %q", p, invocation)
		}
	}
	return ps
}

// Words an invocation name may not contain. Alexa's rules name wake words,
// launch phrases and the words "skill" and "app"; the Spanish launch words
// are those of the Spanish-language documentation.
var (
	wakeWords = []string{"alexa", "amazon", "echo", "computer", "ziggy", "skill", "app"}

	launchWords = []string{
		// English
		"open", "ask", "start", "launch", "tell", "play", "load", "begin", "enable", "run",
		// Spanish
		"abre", "abrir", "pide", "pedir", "pregunta", "preguntar", "inicia", "iniciar", "empieza", "empezar",
		"comienza", "comenzar", "lanza", "lanzar", "dile", "decir", "juega", "jugar", "activa", "activar",
		"carga", "cargar", "ejecuta", "ejecutar", "habilita", "habilitar",
	}

	// twoWordFillers may not appear in an invocation name of exactly two
	// words ("the box", "de chistes").
	twoWordFillers = map[string][]string{
		"en": {"the", "a", "an", "for", "to", "of"},
		"es": {"el", "la", "los", "las", "un", "una", "unos", "unas", "de", "del", "para", "a"},
	}
)

// CheckInvocationName returns what is wrong with name as the invocation name
// of locale; none means it is acceptable. It checks Alexa's formatting rules
// (lower case letters, spaces between words, apostrophes and periods only,
// no digits), the two-word minimum, and the wake words and launch phrases an
// invocation name may not contain. Brand-name exceptions are not modelled.
func CheckInvocationName(locale, name string) []string {
	var msgs []string
	if strings.TrimSpace(name) == "" {
		return []string{"is empty"}
	}
	if name != strings.ToLower(name) {
		msgs = append(msgs, "must be lower case")
	}
	if strings.Join(strings.Fields(name), " ") != name || strings.ContainsAny(name, "\t\n") {
		msgs = append(msgs, "must have single spaces between words and none at the ends")
	}
	for _, r := range name {
		switch {
		case unicode.IsLetter(r), r == ' ', r == '\'', r == '’', r == '.':
		case unicode.IsDigit(r):
			msgs = append(msgs, fmt.Sprintf("has digit %q; spell numbers out", r))
		default:
			msgs = append(msgs, fmt.Sprintf("has character %q; only letters, spaces, apostrophes and periods are allowed", r))
		}
	}
	words := strings.Fields(strings.ToLower(name))
	if len(words) < 2 {
		msgs = append(msgs, "must be two or more words")
	}
	for _, w := range words {
		w = strings.Trim(w, ".'’")
		switch {
		case slices.Contains(wakeWords, w):
			msgs = append(msgs, fmt.Sprintf("contains the wake word or reserved word %q", w))
		case slices.Contains(launchWords, w):
			msgs = append(msgs, fmt.Sprintf("contains the launch phrase %q", w))
		}
	}
	if len(words) == 2 {
		lang, _, _ := strings.Cut(locale, "-")
		for _, w := range words {
			if slices.Contains(twoWordFillers[lang], w) {
				msgs = append(msgs, fmt.Sprintf("a two-word name may not contain %q", w))
			}
		}
	}
	return msgs
}
