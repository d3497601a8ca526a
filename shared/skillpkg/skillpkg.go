// Package skillpkg reads an Alexa skill package in the ask CLI v2 layout
// (skill.json plus interactionModels/custom/<locale>.json) and checks it
// against the rules Alexa's certification applies and against the intents
// the skill's code handles.
//
// The package is pure: standard library only, no network. The files are
// decoded strictly (unknown fields are errors), so a misspelt key shows up
// here rather than as a rejected upload.
package skillpkg

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/jokebox/jokebox/shared/spoken"
)

// SkillFile is the name of the manifest inside a skill package directory.
const SkillFile = "skill.json"

// ModelDir is where the custom interaction models live, one file per locale.
const ModelDir = "interactionModels/custom"

// Package is a loaded skill package.
type Package struct {
	// Skill is skill.json.
	Skill Skill
	// Models holds the interaction model of each locale that has a file in
	// ModelDir, keyed by locale ("es-ES").
	Models map[string]Model
	// Overrides is the owner's overrides file (spoken.OverridesFile) as
	// read, or nil when the package has none.
	Overrides []byte
	// skillJSON is skill.json as read, written back unchanged by Write.
	skillJSON []byte
}

// Skill is the content of skill.json.
type Skill struct {
	Manifest Manifest `json:"manifest"`
}

// Manifest is the skill manifest.
type Manifest struct {
	ManifestVersion       string                `json:"manifestVersion"`
	PublishingInformation PublishingInformation `json:"publishingInformation"`
	APIs                  APIs                  `json:"apis"`
	Events                *Events               `json:"events,omitempty"`
	PrivacyAndCompliance  PrivacyAndCompliance  `json:"privacyAndCompliance"`
}

// Events subscribes the skill to skill events, sent to their own endpoint
// (jokebox's is the same function as the custom endpoint).
type Events struct {
	Endpoint      Endpoint       `json:"endpoint"`
	Subscriptions []Subscription `json:"subscriptions"`
}

// Subscription names one skill event, such as SKILL_DISABLED.
type Subscription struct {
	EventName string `json:"eventName"`
}

// PublishingInformation is what the skill store shows and where the skill
// is distributed.
type PublishingInformation struct {
	Locales               map[string]LocaleInfo `json:"locales"`
	IsAvailableWorldwide  bool                  `json:"isAvailableWorldwide"`
	DistributionCountries []string              `json:"distributionCountries,omitempty"`
	DistributionMode      string                `json:"distributionMode,omitempty"`
	Category              string                `json:"category"`
	TestingInstructions   string                `json:"testingInstructions,omitempty"`
}

// LocaleInfo is the store listing of one locale.
type LocaleInfo struct {
	Name           string   `json:"name"`
	Summary        string   `json:"summary"`
	Description    string   `json:"description"`
	ExamplePhrases []string `json:"examplePhrases"`
	Keywords       []string `json:"keywords"`
	SmallIconURI   string   `json:"smallIconUri,omitempty"`
	LargeIconURI   string   `json:"largeIconUri,omitempty"`
	UpdatesDesc    string   `json:"updatesDescription,omitempty"`
}

// APIs lists the skill's interfaces; jokebox has only a custom one.
type APIs struct {
	Custom CustomAPI `json:"custom"`
}

// CustomAPI is the custom skill's endpoint and the interfaces it uses.
type CustomAPI struct {
	Endpoint   Endpoint    `json:"endpoint"`
	Interfaces []Interface `json:"interfaces"`
}

// Endpoint is where Alexa sends requests: a Lambda ARN (optionally with an
// alias qualifier) or an HTTPS URL.
type Endpoint struct {
	URI                string `json:"uri"`
	SSLCertificateType string `json:"sslCertificateType,omitempty"`
}

// Interface is one Alexa interface the skill uses, such as AUDIO_PLAYER.
type Interface struct {
	Type string `json:"type"`
}

// PrivacyAndCompliance holds the certification questionnaire's answers.
type PrivacyAndCompliance struct {
	AllowsPurchases   bool                     `json:"allowsPurchases"`
	UsesPersonalInfo  bool                     `json:"usesPersonalInfo"`
	IsChildDirected   bool                     `json:"isChildDirected"`
	IsExportCompliant bool                     `json:"isExportCompliant"`
	ContainsAds       bool                     `json:"containsAds"`
	Locales           map[string]PrivacyLocale `json:"locales,omitempty"`
}

// PrivacyLocale holds a locale's privacy policy and terms links.
type PrivacyLocale struct {
	PrivacyPolicyURL string `json:"privacyPolicyUrl,omitempty"`
	TermsOfUseURL    string `json:"termsOfUseUrl,omitempty"`
}

// Model is the content of one interactionModels/custom/<locale>.json file,
// the body SMAPI takes for that locale.
type Model struct {
	InteractionModel InteractionModel `json:"interactionModel"`
}

// InteractionModel wraps the language model.
type InteractionModel struct {
	LanguageModel LanguageModel `json:"languageModel"`
}

// LanguageModel is a locale's invocation name, intents and slot types.
type LanguageModel struct {
	InvocationName string     `json:"invocationName"`
	Intents        []Intent   `json:"intents"`
	Types          []SlotType `json:"types,omitempty"`
}

// Intent is one intent with its slots and sample utterances.
type Intent struct {
	Name    string   `json:"name"`
	Slots   []Slot   `json:"slots,omitempty"`
	Samples []string `json:"samples"`
}

// Slot is one slot of an intent.
type Slot struct {
	Name    string   `json:"name"`
	Type    string   `json:"type"`
	Samples []string `json:"samples,omitempty"`
}

// SlotType is a custom slot type and its values.
type SlotType struct {
	Name   string      `json:"name"`
	Values []SlotValue `json:"values"`
}

// SlotValue is one value of a custom slot type.
type SlotValue struct {
	ID   string        `json:"id,omitempty"`
	Name SlotValueName `json:"name"`
}

// SlotValueName is a slot value's canonical text and synonyms.
type SlotValueName struct {
	Value string `json:"value"`
	// Synonyms is written even when empty: ask-smapi-model's
	// TypeValueObject declares it required.
	Synonyms []string `json:"synonyms"`
}

// MarshalJSON writes Synonyms as [] when there are none, never null.
func (n SlotValueName) MarshalJSON() ([]byte, error) {
	type plain SlotValueName
	if n.Synonyms == nil {
		n.Synonyms = []string{}
	}
	return json.Marshal(plain(n))
}

// Load reads the skill package in dir. A model file whose name is not a
// locale of skill.json is still loaded, so Validate can report it.
func Load(dir string) (*Package, error) { return LoadFS(os.DirFS(dir)) }

// LoadFS reads a skill package from the root of fsys, such as the one
// embedded in the binaries (package skillpackage).
func LoadFS(fsys fs.FS) (*Package, error) {
	b, err := fs.ReadFile(fsys, SkillFile)
	if err != nil {
		return nil, fmt.Errorf("load skill package: %w", err)
	}
	skill, err := DecodeSkill(b)
	if err != nil {
		return nil, fmt.Errorf("load skill package: %s: %w", SkillFile, err)
	}
	pkg := &Package{Skill: skill, Models: map[string]Model{}, skillJSON: b}
	files, err := fs.Glob(fsys, ModelDir+"/*.json")
	if err != nil {
		return nil, fmt.Errorf("load skill package: %w", err)
	}
	for _, f := range files {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, fmt.Errorf("load skill package: %w", err)
		}
		m, err := DecodeModel(b)
		if err != nil {
			return nil, fmt.Errorf("load skill package: %s: %w", path.Base(f), err)
		}
		pkg.Models[strings.TrimSuffix(path.Base(f), ".json")] = m
	}
	if pkg.Overrides, err = readOptional(fsys, spoken.OverridesFile); err != nil {
		return nil, fmt.Errorf("load skill package: %w", err)
	}
	return pkg, nil
}

// ModelPath returns the path of locale's model file inside the package dir.
func ModelPath(dir, locale string) string {
	return filepath.Join(dir, filepath.FromSlash(ModelDir), locale+".json")
}

// DecodeSkill decodes skill.json strictly.
func DecodeSkill(b []byte) (Skill, error) {
	var s Skill
	err := decodeStrict(b, &s)
	return s, err
}

// DecodeModel decodes an interaction model file strictly.
func DecodeModel(b []byte) (Model, error) {
	var m Model
	err := decodeStrict(b, &m)
	return m, err
}

func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("trailing data after JSON value")
	}
	return nil
}

// SkillJSON is skill.json as Write writes it and as SMAPI takes it: the
// file as read, or, for a built package, the manifest with its example
// phrases fitted to the built models.
func (p *Package) SkillJSON() ([]byte, error) {
	if p.skillJSON != nil {
		return p.skillJSON, nil
	}
	return encode(p.Skill)
}

// PlaylistValues are the values of a locale's playlist slot type.
func (p *Package) PlaylistValues(locale string) []SlotValue {
	for _, t := range p.Models[locale].InteractionModel.LanguageModel.Types {
		if t.Name == PlaylistType {
			return t.Values
		}
	}
	return nil
}

// Locales returns skill.json's locales, sorted.
func (p *Package) Locales() []string {
	var ls []string
	for l := range p.Skill.Manifest.PublishingInformation.Locales {
		ls = append(ls, l)
	}
	slices.Sort(ls)
	return ls
}
