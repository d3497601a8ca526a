// Package deploy takes a stage of jokebox from nothing to a skill that
// plays on the owner's devices, and back (Destroy). Deploy runs, in order:
//
//  1. skill: the ID the deployed stack already has, else the configured
//     one (JOKEBOX_SKILL_ID), else the one a previous run recorded, else a
//     new skill created with SMAPI from skill.json (no endpoint yet); the
//     new ID is recorded (Record) before anything else happens, so that a
//     run that dies later never creates a second skill;
//  2. stack: the real osls `serverless deploy` with that skill ID, which
//     adds the Lambda permission for the skill (osls itself skips an
//     unchanged stack);
//  3. the alias `next`: release's steps (publish a version, point `next`
//     at it, let Alexa invoke it for this skill only), since the
//     development stage's endpoint is `next` (see package release);
//  4. manifest: the whole built skill.json with the endpoint set to
//     `next`, uploaded unless SMAPI's current manifest already equals it;
//  5. models: each locale's interaction model built from the bucket's
//     folders, uploaded unless unchanged, and their builds waited for;
//  6. testing: the skill enabled for testing in the development stage,
//     unless it already is.
//
// Every step checks before it acts, so a second run changes nothing and a
// run that failed or was killed is finished by the next. A failure stops
// with a *release.StepError that names the completed steps and the command
// that resumes.
package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"

	"github.com/jokebox/jokebox/shared/release"
	"github.com/jokebox/jokebox/shared/skillpkg"
	"github.com/jokebox/jokebox/shared/smapi"
)

// Stage is the skill stage a deploy configures: the development stage,
// which the owner's devices use for testing.
const Stage = smapi.StageDevelopment

// SkillAPI is what a deploy needs of the Skill Management API;
// *smapi.Client implements it.
type SkillAPI interface {
	CreateSkill(ctx context.Context, vendorID string, manifest []byte) (string, error)
	WaitSkill(ctx context.Context, skillID string, progress func(status string)) error
	GetManifest(ctx context.Context, skillID, stage string) ([]byte, error)
	PutManifest(ctx context.Context, skillID, stage string, manifest []byte) error
	ModelAPI
	TestingEnabled(ctx context.Context, skillID, stage string) (bool, error)
	SetTestingEnabled(ctx context.Context, skillID, stage string) error
}

// ModelAPI is what uploading interaction models needs of SMAPI;
// *smapi.Client implements it.
type ModelAPI interface {
	GetInteractionModel(ctx context.Context, skillID, stage, locale string) ([]byte, error)
	PutInteractionModel(ctx context.Context, skillID, stage, locale string, model []byte) error
	WaitModelBuild(ctx context.Context, skillID string, locales []string, progress smapi.Progress) error
}

// StackInfo is what a deploy reads of a deployed stack.
type StackInfo struct {
	// SkillID is the skill the stack's function answers.
	SkillID string
	// Function is the skill function's name.
	Function string
	// Bucket is the audio bucket.
	Bucket string
	// ManifestParam is the SSM parameter holding the manifest pointer.
	ManifestParam string
}

// Stack is a stage's CloudFormation stack; *OSLS implements it.
type Stack interface {
	// Info reads the deployed stack; ok is false when there is none.
	Info(ctx context.Context) (info StackInfo, ok bool, err error)
	// Deploy creates or updates the stack for skillID and says what it did.
	Deploy(ctx context.Context, skillID string) (string, error)
}

// Record keeps a created skill's ID where the next run finds it even if
// the stack never got it; *SSMRecord implements it.
type Record interface {
	// SkillID returns the recorded ID, or "" when there is none.
	SkillID(ctx context.Context) (string, error)
	// SetSkillID records id.
	SetSkillID(ctx context.Context, id string) error
}

// Deployer deploys one stage. Set the fields before use.
type Deployer struct {
	// Skill is SMAPI.
	Skill SkillAPI
	// Stack is the stage's stack.
	Stack Stack
	// Record keeps the ID of a skill this deployer created.
	Record Record
	// Release makes the `next` alias for a function and skill: a
	// release.Releaser with Lambda, Out and Resume set; Deploy fills in
	// Function and SkillID.
	Release *release.Releaser
	// Package builds the skill package for the bucket's folders (skill.json
	// with its example phrases, and the models); see skillpkg.Build.
	Package func(ctx context.Context, stack StackInfo) (*skillpkg.Package, error)
	// Source is the unbuilt package, whose skill.json creates the skill.
	Source *skillpkg.Package
	// VendorID is the Amazon developer account's vendor, for a new skill.
	VendorID string
	// Region is the stack's region, for the command printed at the end.
	Region string
	// SkillID is the configured skill (JOKEBOX_SKILL_ID), or "".
	SkillID string
	// Out receives one line per step and the closing instructions.
	Out io.Writer
	// DryRun prints the steps without calling anything.
	DryRun bool
	// Resume is the command line that reruns the deploy, quoted in errors.
	Resume string
	// AfterStep, when set, is called after each step that completed, with
	// its number from 1 (tests stop a run there).
	AfterStep func(n int) error
}

// Result is what a completed deploy set up.
type Result struct {
	SkillID string
	// Endpoint is the development stage's endpoint, the `next` alias's ARN.
	Endpoint string
	// Created is true when this run created the skill.
	Created bool
	// Say maps each locale to what to say to a device.
	Say map[string]string
	// Writes counts the SMAPI writes this run made (skill, manifest,
	// models, enablement).
	Writes int
	// Next is the command that uploads audio to the stage's bucket.
	Next string
}

func (d *Deployer) out() io.Writer {
	if d.Out == nil {
		return io.Discard
	}
	return d.Out
}

// Deploy runs the steps of the package documentation.
func (d *Deployer) Deploy(ctx context.Context) (*Result, error) {
	if err := d.check(); err != nil {
		return nil, err
	}
	res := &Result{Say: map[string]string{}}
	var info StackInfo
	var built *skillpkg.Package
	var nextARN string
	// The alias steps are release's (see release.Releaser.NextSteps); they
	// name the function, which is known once the stack is read.
	rel := *d.Release
	rel.Function, rel.SkillID = "the skill function", "(the stage's)"
	var next []release.Step
	steps := []release.Step{
		{Name: "find or create the skill", Run: func(ctx context.Context) (string, error) {
			return d.skill(ctx, res)
		}},
		{Name: "deploy the stack with the skill's ID", Run: func(ctx context.Context) (string, error) {
			note, err := d.Stack.Deploy(ctx, res.SkillID)
			if err != nil {
				return "", err
			}
			i, ok, err := d.Stack.Info(ctx)
			if err != nil {
				return "", fmt.Errorf("read the deployed stack: %w", err)
			}
			if !ok || i.SkillID != res.SkillID {
				return "", fmt.Errorf("the deployed stack answers skill %q, not %s", i.SkillID, res.SkillID)
			}
			info = i
			rel.Function, rel.SkillID = i.Function, res.SkillID
			next = rel.NextSteps(&nextARN)
			return note, nil
		}},
	}
	for i, s := range rel.NextSteps(new(string)) {
		steps = append(steps, release.Step{Name: s.Name, Run: func(ctx context.Context) (string, error) {
			return next[i].Run(ctx)
		}})
	}
	steps = append(steps,
		release.Step{Name: "upload the built skill.json with the endpoint on alias " + release.AliasNext, Run: func(ctx context.Context) (string, error) {
			p, err := d.Package(ctx, info)
			if err != nil {
				return "", fmt.Errorf("build the skill package for bucket %s: %w", info.Bucket, err)
			}
			built = p
			res.Endpoint = nextARN
			return d.manifest(ctx, res, built, nextARN)
		}},
		release.Step{Name: "upload the interaction models built from the bucket's folders", Run: func(ctx context.Context) (string, error) {
			bodies, err := ModelBodies(built, built.Locales())
			if err != nil {
				return "", err
			}
			n, note, err := UploadModels(ctx, d.Skill, res.SkillID, Stage, bodies, d.out())
			res.Writes += n
			return note, err
		}},
		release.Step{Name: "enable the skill for testing in the " + Stage + " stage", Run: func(ctx context.Context) (string, error) {
			on, err := d.Skill.TestingEnabled(ctx, res.SkillID, Stage)
			if err != nil {
				return "", err
			}
			if on {
				return "already enabled", nil
			}
			if err := d.Skill.SetTestingEnabled(ctx, res.SkillID, Stage); err != nil {
				return "", err
			}
			res.Writes++
			return "enabled", nil
		}},
	)
	for i := range steps {
		run := steps[i].Run
		steps[i].Run = func(ctx context.Context) (string, error) {
			note, err := run(ctx)
			if err == nil && d.AfterStep != nil {
				err = d.AfterStep(i + 1)
			}
			return note, Explain(err)
		}
	}
	if err := release.RunSteps(ctx, d.out(), "deploy", steps, d.DryRun, d.Resume); err != nil {
		return res, err
	}
	if d.DryRun {
		return res, nil
	}
	for _, l := range built.Locales() {
		res.Say[l] = LaunchPhrase(l, built.Models[l].InteractionModel.LanguageModel.InvocationName)
	}
	res.Next = AddCommand(info, d.Region)
	d.whatNext(res, built)
	return res, nil
}

func (d *Deployer) check() error {
	var missing []string
	if d.Release == nil {
		missing = append(missing, "release")
	}
	if d.Package == nil || d.Source == nil {
		missing = append(missing, "skill package")
	}
	if !d.DryRun {
		if d.Skill == nil {
			missing = append(missing, "SMAPI client")
		}
		if d.Stack == nil {
			missing = append(missing, "stack")
		}
		if d.Record == nil {
			missing = append(missing, "skill ID record")
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("deploy: missing %s", strings.Join(missing, ", "))
	}
	return nil
}

// skill finds the stage's skill or creates it; see the package doc.
func (d *Deployer) skill(ctx context.Context, res *Result) (string, error) {
	info, ok, err := d.Stack.Info(ctx)
	if err != nil {
		return "", fmt.Errorf("read the deployed stack: %w", err)
	}
	if ok && info.SkillID != "" {
		res.SkillID = info.SkillID
		if d.SkillID != "" && d.SkillID != info.SkillID {
			return "", fmt.Errorf("the deployed stack answers skill %s but JOKEBOX_SKILL_ID is %s: unset JOKEBOX_SKILL_ID to keep the stack's, or run jokebox destroy first to move the stage to another skill", info.SkillID, d.SkillID)
		}
		return "skill " + info.SkillID + ", from the deployed stack", nil
	}
	if d.SkillID != "" {
		// Before any stack answers it: a skill of another vendor, or a
		// mistyped ID, is refused here.
		if _, err := d.Skill.GetManifest(ctx, d.SkillID, Stage); err != nil {
			return "", fmt.Errorf("read skill %s (JOKEBOX_SKILL_ID): %w", d.SkillID, err)
		}
		res.SkillID = d.SkillID
		return "skill " + d.SkillID + ", from JOKEBOX_SKILL_ID", nil
	}
	id, err := d.Record.SkillID(ctx)
	if err != nil {
		return "", fmt.Errorf("read the recorded skill ID: %w", err)
	}
	if id == "" {
		if d.VendorID == "" {
			return "", errors.New("no skill yet and no vendor ID to create one for: run jokebox login (or set ASK_VENDOR_ID), or set JOKEBOX_SKILL_ID to an existing skill")
		}
		doc, err := CreationManifest(d.Source)
		if err != nil {
			return "", err
		}
		if id, err = d.Skill.CreateSkill(ctx, d.VendorID, doc); err != nil {
			return "", fmt.Errorf("create the skill: %w", err)
		}
		res.Writes++
		res.Created = true
		// Recorded before waiting or anything else, so that no later
		// failure leads to a second skill.
		if err := d.Record.SetSkillID(ctx, id); err != nil {
			return "", fmt.Errorf("skill %s created but its ID could not be recorded (set JOKEBOX_SKILL_ID=%s before running again): %w", id, id, err)
		}
	}
	res.SkillID = id
	if err := d.Skill.WaitSkill(ctx, id, func(status string) {
		fmt.Fprintf(d.out(), "    skill %s: %s\n", id, status)
	}); err != nil {
		return "", fmt.Errorf("wait for skill %s: %w", id, err)
	}
	if res.Created {
		return "skill " + id + " created", nil
	}
	return "skill " + id + ", created by an earlier run", nil
}

// manifest uploads the built skill.json with the endpoint set, unless the
// stage's manifest already equals it.
func (d *Deployer) manifest(ctx context.Context, res *Result, built *skillpkg.Package, endpoint string) (string, error) {
	if endpoint == "" {
		return "", errors.New("no alias ARN for the endpoint")
	}
	doc, err := ManifestWithEndpoint(built, endpoint)
	if err != nil {
		return "", err
	}
	cur, err := d.Skill.GetManifest(ctx, res.SkillID, Stage)
	if err != nil {
		return "", err
	}
	if SameJSON(cur, doc) {
		return "manifest already up to date", nil
	}
	if err := d.Skill.PutManifest(ctx, res.SkillID, Stage, doc); err != nil {
		return "", err
	}
	res.Writes++
	return fmt.Sprintf("manifest uploaded (%d locales, endpoint %s)", len(built.Locales()), endpoint), nil
}

// whatNext prints what to say in each locale and the next command.
func (d *Deployer) whatNext(res *Result, built *skillpkg.Package) {
	w := d.out()
	fmt.Fprintf(w, "\nskill %s is enabled for testing on the devices of the developer account.\n", res.SkillID)
	fmt.Fprintln(w, "Say, on a device set to one of its languages:")
	for _, l := range built.Locales() {
		fmt.Fprintf(w, "  %-6s %q\n", l, res.Say[l])
	}
	fmt.Fprintln(w, "Next: upload audio, one folder per playlist (jokebox add DIR, with the stage's bucket):")
	fmt.Fprintln(w, "  "+res.Next)
}

// AddCommand is the `jokebox add DIR` command line for a deployed stack:
// with the variables that name its bucket, manifest pointer and region.
func AddCommand(info StackInfo, region string) string {
	var b strings.Builder
	b.WriteString("JOKEBOX_BUCKET=" + info.Bucket)
	if info.ManifestParam != "" {
		b.WriteString(" JOKEBOX_MANIFEST_PARAM=" + info.ManifestParam)
	}
	if region != "" {
		b.WriteString(" AWS_REGION=" + region)
	}
	b.WriteString(" jokebox add DIR")
	return b.String()
}

// LaunchPhrase is what to say to open the skill in locale: "Alexa, abre
// caja de chistes" in Spanish, "Alexa, open joke box" otherwise.
func LaunchPhrase(locale, invocation string) string {
	if strings.HasPrefix(locale, "es") {
		return "Alexa, abre " + invocation
	}
	return "Alexa, open " + invocation
}

// CreationManifest is the source package's skill.json without endpoints:
// a skill is created before the function that allows it exists, and SMAPI
// refuses an endpoint whose function does not allow the skill.
func CreationManifest(src *skillpkg.Package) ([]byte, error) {
	doc, err := skillDoc(src)
	if err != nil {
		return nil, err
	}
	m := doc["manifest"].(map[string]any)
	for _, p := range endpointPaths {
		obj := dig(m, p[:len(p)-1]...)
		if obj != nil {
			delete(obj, p[len(p)-1])
		}
	}
	return json.Marshal(doc)
}

// ManifestWithEndpoint is the built package's skill.json with its
// endpoint (and the events' endpoint, when it subscribes to events) set
// to endpoint, as smapi.SetEndpointURI sets them.
func ManifestWithEndpoint(built *skillpkg.Package, endpoint string) ([]byte, error) {
	b, err := json.Marshal(built.Skill)
	if err != nil {
		return nil, fmt.Errorf("encode skill.json: %w", err)
	}
	return smapi.SetEndpointURI(b, endpoint)
}

// endpointPaths are the manifest's endpoint objects, by path under
// "manifest": the custom skill's, then the skill events'.
var endpointPaths = [][]string{{"apis", "custom", "endpoint"}, {"events", "endpoint"}}

// skillDoc is the package's skill.json as generic JSON.
func skillDoc(p *skillpkg.Package) (map[string]any, error) {
	b, err := json.Marshal(p.Skill)
	if err != nil {
		return nil, fmt.Errorf("encode skill.json: %w", err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("encode skill.json: %w", err)
	}
	if _, ok := doc["manifest"].(map[string]any); !ok {
		return nil, errors.New("skill.json has no manifest")
	}
	return doc, nil
}

// dig returns the object at path under m, or nil.
func dig(m map[string]any, path ...string) map[string]any {
	for _, k := range path {
		next, ok := m[k].(map[string]any)
		if !ok {
			return nil
		}
		m = next
	}
	return m
}

// SameJSON reports whether a and b are the same JSON value, ignoring key
// order, white space and members whose value is empty ("", [], {}, null,
// false), which SMAPI may add or leave out.
func SameJSON(a, b []byte) bool {
	var va, vb any
	if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
		return false
	}
	return reflect.DeepEqual(prune(va), prune(vb))
}

func prune(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			if e = prune(e); !empty(e) {
				out[k] = e
			}
		}
		return out
	case []any:
		out := make([]any, 0, len(x))
		for _, e := range x {
			out = append(out, prune(e))
		}
		return out
	}
	return v
}

func empty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case bool:
		return !x
	case map[string]any:
		return len(x) == 0
	case []any:
		return len(x) == 0
	}
	return false
}

// ModelBodies are the bodies uploaded for locales: the bytes `skill build`
// writes to each model file.
func ModelBodies(pkg *skillpkg.Package, locales []string) (map[string][]byte, error) {
	bodies := make(map[string][]byte, len(locales))
	for _, l := range locales {
		m, ok := pkg.Models[l]
		if !ok {
			return nil, fmt.Errorf("no interaction model for locale %s", l)
		}
		b, err := skillpkg.EncodeModel(m)
		if err != nil {
			return nil, err
		}
		bodies[l] = b
	}
	return bodies, nil
}

// UploadModels uploads each locale's model whose stage copy differs from
// bodies[locale], then waits for those builds, printing progress to w. It
// is `skill deploy-model` and a deploy's models step. It returns the number
// of uploads and a note for the log.
func UploadModels(ctx context.Context, api ModelAPI, skillID, stage string, bodies map[string][]byte, w io.Writer) (int, string, error) {
	var changed, same []string
	for _, l := range slices.Sorted(maps.Keys(bodies)) {
		cur, err := api.GetInteractionModel(ctx, skillID, stage, l)
		if err != nil && !IsNotFound(err) {
			return 0, "", fmt.Errorf("read the %s interaction model: %w", l, err)
		}
		if err == nil && SameJSON(cur, bodies[l]) {
			same = append(same, l)
			continue
		}
		fmt.Fprintf(w, "    %s: uploading interaction model to %s\n", l, stage)
		if err := api.PutInteractionModel(ctx, skillID, stage, l, bodies[l]); err != nil {
			return len(changed), "", err
		}
		changed = append(changed, l)
	}
	if len(changed) == 0 {
		return 0, "every model already up to date (" + strings.Join(same, ", ") + ")", nil
	}
	err := api.WaitModelBuild(ctx, skillID, changed, func(l, status string) {
		fmt.Fprintf(w, "    %s: %s\n", l, status)
	})
	if err != nil {
		return len(changed), "", err
	}
	note := "built " + strings.Join(changed, ", ")
	if len(same) > 0 {
		note += "; unchanged " + strings.Join(same, ", ")
	}
	return len(changed), note, nil
}

// IsNotFound reports whether err is SMAPI's 404.
func IsNotFound(err error) bool {
	var e *smapi.Error
	return errors.As(err, &e) && e.StatusCode == http.StatusNotFound
}
