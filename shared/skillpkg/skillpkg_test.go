package skillpkg

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jokebox/jokebox/shared/skill"
)

const realDir = "../../skill-package"

// handledIntents is the set of intents functions/skill handles: the
// models must declare exactly these.
var handledIntents = skill.Intents()

var locales = []string{"en-GB", "en-US", "es-ES", "es-MX", "es-US"}

// realPackage loads a fresh copy of the repository's skill package, so each
// test case can break its own copy.
func realPackage(t *testing.T) *Package {
	t.Helper()
	pkg, err := Load(realDir)
	if err != nil {
		t.Fatal(err)
	}
	return pkg
}

func TestRealPackage(t *testing.T) {
	pkg := realPackage(t)
	if diff := cmp.Diff(locales, pkg.Locales()); diff != "" {
		t.Errorf("Locales() (-want +got):\n%s", diff)
	}
	for _, p := range Validate(pkg, handledIntents) {
		t.Errorf("real skill package: %s", p)
	}
	invocation := map[string]string{"en": "joke box", "es": "caja de chistes"}
	for l, m := range pkg.Models {
		lang, _, _ := strings.Cut(l, "-")
		if got := m.InteractionModel.LanguageModel.InvocationName; got != invocation[lang] {
			t.Errorf("%s invocation name = %q; want %q", l, got, invocation[lang])
		}
	}
}

// key is what a test compares of a Problem: where and which rule.
type key struct{ Locale, Rule string }

func keys(ps []Problem) []key {
	var ks []key
	for _, p := range ps {
		ks = append(ks, key{p.Locale, p.Rule})
	}
	slices.SortFunc(ks, func(a, b key) int { return strings.Compare(a.Locale+a.Rule, b.Locale+b.Rule) })
	return slices.Compact(ks)
}

// edit changes locale's language model in place.
func edit(p *Package, locale string, f func(*LanguageModel)) {
	m := p.Models[locale]
	f(&m.InteractionModel.LanguageModel)
	p.Models[locale] = m
}

func TestValidateBroken(t *testing.T) {
	tests := []struct {
		name    string
		handled []string
		breakIt func(p *Package)
		want    []key
	}{
		{
			name: "model file missing",
			breakIt: func(p *Package) {
				delete(p.Models, "es-MX")
			},
			want: []key{{"es-MX", RuleModelMissing}},
		},
		{
			name: "model for a locale skill.json lacks",
			breakIt: func(p *Package) {
				p.Models["fr-FR"] = p.Models["en-US"]
			},
			want: []key{{"fr-FR", RuleModelExtra}},
		},
		{
			name: "intent in model not handled",
			breakIt: func(p *Package) {
				edit(p, "en-GB", func(l *LanguageModel) {
					l.Intents = append(l.Intents, Intent{Name: "AMAZON.YesIntent"})
				})
			},
			want: []key{{"en-GB", RuleIntentUnhandled}},
		},
		{
			name: "handled intent missing from one model",
			breakIt: func(p *Package) {
				edit(p, "es-US", func(l *LanguageModel) {
					l.Intents = slices.DeleteFunc(l.Intents, func(i Intent) bool { return i.Name == "AMAZON.LoopOnIntent" })
				})
			},
			want: []key{{"es-US", RuleIntentMissing}},
		},
		{
			name:    "handled list has an intent no model has",
			handled: append(slices.Clone(handledIntents), "AMAZON.YesIntent"),
			breakIt: func(p *Package) {},
			want: []key{
				{"en-GB", RuleIntentMissing}, {"en-US", RuleIntentMissing},
				{"es-ES", RuleIntentMissing}, {"es-MX", RuleIntentMissing}, {"es-US", RuleIntentMissing},
			},
		},
		{
			name: "intent declared twice",
			breakIt: func(p *Package) {
				edit(p, "en-US", func(l *LanguageModel) {
					l.Intents = append(l.Intents, Intent{Name: "AMAZON.HelpIntent"})
				})
			},
			want: []key{{"en-US", RuleIntentDuplicate}},
		},
		{
			name: "utterance repeated with other case and spacing",
			breakIt: func(p *Package) {
				edit(p, "es-ES", func(l *LanguageModel) {
					l.Intents[0].Samples = append(l.Intents[0].Samples, "  Cuéntame   UN chiste ")
				})
			},
			want: []key{{"es-ES", RuleUtteranceDuplicate}},
		},
		{
			name: "utterance repeated across intents",
			breakIt: func(p *Package) {
				edit(p, "en-US", func(l *LanguageModel) {
					for i := range l.Intents {
						if l.Intents[i].Name == "AMAZON.HelpIntent" {
							l.Intents[i].Samples = []string{"tell me a joke"}
						}
					}
				})
			},
			want: []key{{"en-US", RuleUtteranceDuplicate}},
		},
		{
			name: "utterance uses undeclared slot",
			breakIt: func(p *Package) {
				edit(p, "en-GB", func(l *LanguageModel) {
					l.Intents[0].Samples = append(l.Intents[0].Samples, "play {genre}")
				})
			},
			want: []key{{"en-GB", RuleUtteranceSlot}},
		},
		{
			name: "slot type undefined",
			breakIt: func(p *Package) {
				edit(p, "en-GB", func(l *LanguageModel) { l.Types = nil })
			},
			// and the example phrase naming a playlist names nothing now
			want: []key{{"en-GB", RuleExamplePhrase}, {"en-GB", RuleSlotType}},
		},
		{
			name: "example phrase names a folder the model lacks",
			breakIt: func(p *Package) {
				info := p.Skill.Manifest.PublishingInformation.Locales["es-MX"]
				info.ExamplePhrases = []string{"Alexa, abre caja de chistes", "Alexa, pide a caja de chistes que ponga dinosaurios"}
				p.Skill.Manifest.PublishingInformation.Locales["es-MX"] = info
			},
			want: []key{{"es-MX", RuleExamplePhrase}},
		},
		{
			name: "example phrase matches no sample",
			breakIt: func(p *Package) {
				info := p.Skill.Manifest.PublishingInformation.Locales["en-US"]
				info.ExamplePhrases = []string{"Alexa, open joke box", "Alexa, ask joke box to sing a lullaby in french"}
				p.Skill.Manifest.PublishingInformation.Locales["en-US"] = info
			},
			want: []key{{"en-US", RuleExamplePhrase}},
		},
		{
			name: "invocation name upper case",
			breakIt: func(p *Package) {
				edit(p, "en-US", func(l *LanguageModel) { l.InvocationName = "Joke Box" })
			},
			// the example phrases still match: they compare case-insensitively
			want: []key{{"en-US", RuleInvocationName}},
		},
		{
			name: "invocation name with a launch phrase",
			breakIt: func(p *Package) {
				edit(p, "es-MX", func(l *LanguageModel) { l.InvocationName = "abre caja de chistes" })
			},
			// the example phrases contain the new name ("abre caja de chistes") only in the first
			want: []key{{"es-MX", RuleExamplePhrase}, {"es-MX", RuleInvocationName}},
		},
		{
			name: "example phrase uses another locale's invocation name",
			breakIt: func(p *Package) {
				info := p.Skill.Manifest.PublishingInformation.Locales["es-ES"]
				info.ExamplePhrases = []string{"Alexa, open joke box"}
				p.Skill.Manifest.PublishingInformation.Locales["es-ES"] = info
			},
			want: []key{{"es-ES", RuleExamplePhrase}},
		},
		{
			name: "first example phrase without wake word",
			breakIt: func(p *Package) {
				info := p.Skill.Manifest.PublishingInformation.Locales["en-GB"]
				info.ExamplePhrases = []string{"open joke box"}
				p.Skill.Manifest.PublishingInformation.Locales["en-GB"] = info
			},
			want: []key{{"en-GB", RuleExamplePhrase}},
		},
		{
			name: "no audio player interface and empty endpoint",
			breakIt: func(p *Package) {
				p.Skill.Manifest.APIs.Custom.Interfaces = nil
				p.Skill.Manifest.APIs.Custom.Endpoint.URI = ""
			},
			want: []key{{"", RuleManifest}},
		},
		{
			name: "no skill-disabled subscription",
			breakIt: func(p *Package) {
				p.Skill.Manifest.Events = nil
			},
			want: []key{{"", RuleManifest}},
		},
		{
			name: "events sent elsewhere than the skill",
			breakIt: func(p *Package) {
				p.Skill.Manifest.Events = &Events{Endpoint: Endpoint{URI: "arn:aws:lambda:us-east-1:000000000000:function:other"},
					Subscriptions: []Subscription{{EventName: "SKILL_DISABLED"}}}
			},
			want: []key{{"", RuleManifest}},
		},
		{
			name: "empty summary",
			breakIt: func(p *Package) {
				info := p.Skill.Manifest.PublishingInformation.Locales["en-US"]
				info.Summary = " "
				p.Skill.Manifest.PublishingInformation.Locales["en-US"] = info
			},
			want: []key{{"en-US", RuleListing}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := realPackage(t)
			tt.breakIt(p)
			handled := tt.handled
			if handled == nil {
				handled = handledIntents
			}
			got := Validate(p, handled)
			if diff := cmp.Diff(tt.want, keys(got)); diff != "" {
				t.Errorf("Validate problems (-want +got):\n%s\nall: %v", diff, got)
			}
		})
	}
}

func TestCheckInvocationName(t *testing.T) {
	tests := []struct {
		locale, name string
		wantBad      bool
		wantMsg      string // part of a message, when wantBad
	}{
		{"en-US", "joke box", false, ""},
		{"es-ES", "caja de chistes", false, ""},
		{"en-US", "sam's science trivia", false, ""},
		{"en-US", "a. b. c. facts", false, ""},
		{"es-MX", "señor búho cuentos", false, ""},
		{"en-US", "", true, "empty"},
		{"en-US", "jokebox", true, "two or more words"},
		{"en-US", "Joke Box", true, "lower case"},
		{"en-US", "joke  box", true, "single spaces"},
		{"en-US", "joke box ", true, "single spaces"},
		{"en-US", "joke box 2", true, "digit"},
		{"en-US", "joke-box fun", true, "character"},
		{"en-US", "joke box!", true, "character"},
		{"en-US", "alexa jokes", true, "wake word"},
		{"en-US", "amazon joke box", true, "wake word"},
		{"en-US", "echo jokes", true, "wake word"},
		{"en-US", "computer jokes", true, "wake word"},
		{"en-US", "ziggy jokes", true, "wake word"},
		{"en-US", "joke skill", true, "reserved word"},
		{"en-US", "open joke box", true, "launch phrase"},
		{"en-US", "ask joke box", true, "launch phrase"},
		{"en-US", "play jokes now", true, "launch phrase"},
		{"en-US", "tell jokes now", true, "launch phrase"},
		{"en-US", "the jokes", true, "two-word"},
		{"es-ES", "abre chistes ya", true, "launch phrase"},
		{"es-ES", "pide chistes ya", true, "launch phrase"},
		{"es-ES", "dile chistes ya", true, "launch phrase"},
		{"es-ES", "juega con chistes", true, "launch phrase"},
		{"es-ES", "los chistes", true, "two-word"},
	}
	for _, tt := range tests {
		t.Run(tt.locale+"/"+tt.name, func(t *testing.T) {
			got := CheckInvocationName(tt.locale, tt.name)
			if (len(got) > 0) != tt.wantBad {
				t.Fatalf("CheckInvocationName(%q, %q) = %q; want bad = %v", tt.locale, tt.name, got, tt.wantBad)
			}
			if tt.wantBad && !strings.Contains(strings.Join(got, "; "), tt.wantMsg) {
				t.Errorf("CheckInvocationName(%q, %q) = %q; want a message containing %q", tt.locale, tt.name, got, tt.wantMsg)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	write := func(t *testing.T, dir, name, body string) {
		t.Helper()
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"no skill.json", nil, "skill.json"},
		{"unknown field", map[string]string{"skill.json": `{"manifest":{"manifestVersoin":"1.0"}}`}, "manifestVersoin"},
		{"malformed model", map[string]string{
			"skill.json":                          `{"manifest":{}}`,
			"interactionModels/custom/en-US.json": `{"interactionModel":`,
		}, "en-US.json"},
		{"trailing data", map[string]string{"skill.json": `{"manifest":{}} {}`}, "trailing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for n, b := range tt.files {
				write(t, dir, n, b)
			}
			_, err := Load(dir)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load = %v; want an error mentioning %q", err, tt.want)
			}
		})
	}
}

// FuzzDecodeModel is seeded with the real models cut into one model per
// intent (with the slot types it uses): a few hundred bytes each. With the
// whole 4 KB models as seeds, the engine spent each run minimizing its
// first finding byte by byte (-fuzzminimizetime is 60 s by default), with
// no new execs: 6 in 20 s. The tests that Load the real package cover the
// whole files.
func FuzzDecodeModel(f *testing.F) {
	for _, l := range locales {
		b, err := os.ReadFile(ModelPath(realDir, l))
		if err != nil {
			f.Fatal(err)
		}
		for _, seed := range modelSeeds(f, b) {
			f.Add(seed)
		}
	}
	f.Add([]byte(`{"interactionModel":{"languageModel":{"invocationName":"x","intents":[{"name":"A","samples":["{"]}]}}}`))
	f.Add([]byte(`null`))
	real, err := Load(realDir)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeModel(b)
		if err != nil {
			return
		}
		pkg := &Package{Models: map[string]Model{"en-US": m}}
		_ = Validate(pkg, handledIntents)
		// Build fits the example phrases to whatever the model holds.
		pkg.Skill = real.Skill
		built, _ := Build(pkg, []string{"animales", "Top 10"}, nil)
		_ = Validate(built, handledIntents)
	})
}

// modelSeeds cuts a model into one small model per intent.
func modelSeeds(tb testing.TB, b []byte) [][]byte {
	tb.Helper()
	m, err := DecodeModel(b)
	if err != nil {
		tb.Fatal(err)
	}
	lm := m.InteractionModel.LanguageModel
	var seeds [][]byte
	for _, in := range lm.Intents {
		one := LanguageModel{InvocationName: lm.InvocationName, Intents: []Intent{in}}
		for _, s := range in.Slots {
			for _, t := range lm.Types {
				if t.Name == s.Type {
					t.Values = t.Values[:min(len(t.Values), 3)]
					one.Types = append(one.Types, t)
				}
			}
		}
		seed, err := json.Marshal(Model{InteractionModel: InteractionModel{LanguageModel: one}})
		if err != nil {
			tb.Fatal(err)
		}
		seeds = append(seeds, seed)
	}
	return seeds
}

func FuzzDecodeSkill(f *testing.F) {
	b, err := os.ReadFile(filepath.Join(realDir, SkillFile))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"manifest":{"publishingInformation":{"locales":{"en-US":{"examplePhrases":["Alexa"]}}}}}`))
	f.Add([]byte(`{"manifest":{"publishingInformation":{"locales":{"es-ES":{"examplePhrases":["Alexa, pide a caja de chistes que ponga (dinosaurios) [x]"]}}}}}`))
	real, err := Load(realDir)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := DecodeSkill(b)
		if err != nil {
			return
		}
		_ = Validate(&Package{Skill: s, Models: map[string]Model{}}, handledIntents)
		// Its example phrases against the real models, and fitted by Build.
		p := &Package{Skill: s, Models: real.Models}
		_ = Validate(p, handledIntents)
		built, _ := Build(p, []string{"chistes"}, nil)
		_ = Validate(built, handledIntents)
	})
}
