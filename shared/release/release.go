// Package release moves the skill's Lambda function between versions with
// two aliases, blue/green style: `next` is what the development stage of the
// skill talks to, `live` is what the certified skill talks to.
//
//   - Release publishes a version, points `next` at it, lets Alexa invoke
//     `next` for this skill only, and points the development stage's endpoint
//     at `next`. With Submit it also validates the skill and submits it for
//     certification, with the endpoint on `live` (which must already run the
//     released version: promote first).
//   - Promote points `live` at `next`'s version, recording the version it
//     replaces in `live`'s description; Rollback moves `live` back to it.
//   - Hotfix publishes and moves `live` (and `next`) at once: code only, no
//     certification.
//
// Every step checks before it acts, so running a command again after a
// failure finishes the job; the error of a failed run says which steps
// completed and the command that resumes. With DryRun the steps are printed
// and nothing is called.
package release

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/jokebox/jokebox/shared/apierr"
	"github.com/jokebox/jokebox/shared/smapi"
)

// Alias names.
const (
	AliasLive = "live"
	AliasNext = "next"
)

// AlexaPrincipal is the service principal Alexa invokes Lambda functions as.
const AlexaPrincipal = "alexa-appkit.amazon.com"

// LambdaAPI is the part of *lambda.Client a release uses.
type LambdaAPI interface {
	PublishVersion(ctx context.Context, in *lambda.PublishVersionInput, optFns ...func(*lambda.Options)) (*lambda.PublishVersionOutput, error)
	GetAlias(ctx context.Context, in *lambda.GetAliasInput, optFns ...func(*lambda.Options)) (*lambda.GetAliasOutput, error)
	CreateAlias(ctx context.Context, in *lambda.CreateAliasInput, optFns ...func(*lambda.Options)) (*lambda.CreateAliasOutput, error)
	UpdateAlias(ctx context.Context, in *lambda.UpdateAliasInput, optFns ...func(*lambda.Options)) (*lambda.UpdateAliasOutput, error)
	AddPermission(ctx context.Context, in *lambda.AddPermissionInput, optFns ...func(*lambda.Options)) (*lambda.AddPermissionOutput, error)
	GetPolicy(ctx context.Context, in *lambda.GetPolicyInput, optFns ...func(*lambda.Options)) (*lambda.GetPolicyOutput, error)
}

// SkillAPI is the part of the Skill Management API a release uses;
// *smapi.Client implements it.
type SkillAPI interface {
	GetManifest(ctx context.Context, skillID, stage string) ([]byte, error)
	PutManifest(ctx context.Context, skillID, stage string, manifest []byte) error
	Validate(ctx context.Context, skillID, stage string, locales []string) (*smapi.Validation, error)
	Submit(ctx context.Context, skillID, method string) (*smapi.Certification, error)
}

// Releaser runs releases of one skill function. Set the fields before use.
type Releaser struct {
	// Lambda manages the function's versions, aliases and permissions.
	Lambda LambdaAPI
	// Skill updates the skill's manifest; only Release needs it.
	Skill SkillAPI
	// Function is the skill function's name or ARN.
	Function string
	// SkillID is the Alexa skill ID ("amzn1.ask.skill.…").
	SkillID string
	// Locales are validated before a submission.
	Locales []string
	// Out receives one line per step.
	Out io.Writer
	// DryRun prints the steps without calling anything.
	DryRun bool
	// Resume is the command line that reruns this command, quoted in errors.
	Resume string
}

// StepError reports a release that stopped at a failed step.
type StepError struct {
	// Completed are the descriptions of the steps that finished.
	Completed []string
	// Step is the failed step's description.
	Step string
	// Resume is the command that resumes; every step is idempotent.
	Resume string
	// Err is the cause.
	Err error
}

func (e *StepError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "step %q failed: %v", e.Step, e.Err)
	if len(e.Completed) == 0 {
		b.WriteString("; no step completed")
	} else {
		b.WriteString("; completed: " + strings.Join(e.Completed, "; "))
	}
	if e.Resume != "" {
		b.WriteString("; resume with: " + e.Resume)
	}
	return b.String()
}

func (e *StepError) Unwrap() error { return e.Err }

// Step is one idempotent action: Run checks before it acts and returns
// what it did, for the log.
type Step struct {
	// Name says what the step does ("publish a new version of f").
	Name string
	// Run performs the step, or finds it done, and says which.
	Run func(ctx context.Context) (string, error)
}

func (r *Releaser) out() io.Writer {
	if r.Out == nil {
		return io.Discard
	}
	return r.Out
}

func (r *Releaser) runSteps(ctx context.Context, title string, steps []Step) error {
	return RunSteps(ctx, r.out(), title, steps, r.DryRun, r.Resume)
}

// RunSteps runs steps in order, printing one line per step to w, and stops
// at the first failure with a *StepError naming the completed steps and
// resume, the command that runs them again. With dryRun it prints the steps
// and runs none.
func RunSteps(ctx context.Context, w io.Writer, title string, steps []Step, dryRun bool, resume string) error {
	if w == nil {
		w = io.Discard
	}
	if dryRun {
		fmt.Fprintf(w, "%s (dry run: nothing is called)\n", title)
		for i, s := range steps {
			fmt.Fprintf(w, "  %d/%d would %s\n", i+1, len(steps), s.Name)
		}
		return nil
	}
	fmt.Fprintln(w, title)
	var done []string
	for i, s := range steps {
		fmt.Fprintf(w, "  %d/%d %s ...\n", i+1, len(steps), s.Name)
		note, err := s.Run(ctx)
		if err != nil {
			fmt.Fprintf(w, "  %d/%d failed: %v\n", i+1, len(steps), err)
			return &StepError{Completed: done, Step: s.Name, Resume: resume, Err: err}
		}
		fmt.Fprintf(w, "  %d/%d done: %s\n", i+1, len(steps), note)
		done = append(done, s.Name+" ("+note+")")
	}
	return nil
}

func (r *Releaser) check(needSkill bool) error {
	var missing []string
	if r.Lambda == nil && !r.DryRun {
		missing = append(missing, "Lambda client")
	}
	if r.Function == "" {
		missing = append(missing, "function name")
	}
	if r.SkillID == "" {
		missing = append(missing, "skill ID")
	}
	if needSkill && r.Skill == nil && !r.DryRun {
		missing = append(missing, "SMAPI client")
	}
	if len(missing) > 0 {
		return fmt.Errorf("release: missing %s", strings.Join(missing, ", "))
	}
	return nil
}

// Options select what Release does beyond the default steps.
type Options struct {
	// Submit validates the skill and submits it for certification.
	Submit bool
	// PublicationMethod is passed to SMAPI's submit (smapi.AutoPublishing,
	// smapi.ManualPublishing or empty).
	PublicationMethod string
}

// Release publishes a version of the function and makes it the development
// stage's endpoint through the `next` alias; see the package documentation.
func (r *Releaser) Release(ctx context.Context, opts Options) error {
	if err := r.check(true); err != nil {
		return err
	}
	var version, nextARN, liveARN string
	steps := r.nextSteps(&version, &nextARN)
	if !opts.Submit {
		steps = append(steps, Step{"set the development stage's endpoint to alias " + AliasNext, func(ctx context.Context) (string, error) {
			return r.setEndpoint(ctx, nextARN)
		}})
		return r.runSteps(ctx, "release "+r.Function, steps)
	}
	steps = append(steps,
		Step{"check that alias " + AliasLive + " runs the new version", func(ctx context.Context) (string, error) {
			a, err := r.getAlias(ctx, AliasLive)
			if err != nil {
				return "", err
			}
			if a == nil || aws.ToString(a.FunctionVersion) != version {
				have := "missing"
				if a != nil {
					have = "at version " + aws.ToString(a.FunctionVersion)
				}
				return "", fmt.Errorf("alias %s is %s, not at version %s: the certified skill will call %s, so run the promote command first", AliasLive, have, version, AliasLive)
			}
			liveARN = aws.ToString(a.AliasArn)
			return "live is at version " + version, nil
		}},
		Step{"let Alexa invoke alias " + AliasLive + " for skill " + r.SkillID, func(ctx context.Context) (string, error) {
			return r.grant(ctx, AliasLive)
		}},
		Step{"set the development stage's endpoint to alias " + AliasLive + " for certification", func(ctx context.Context) (string, error) {
			return r.setEndpoint(ctx, liveARN)
		}},
		Step{"validate the development stage", func(ctx context.Context) (string, error) {
			v, err := r.Skill.Validate(ctx, r.SkillID, smapi.StageDevelopment, r.Locales)
			if err != nil {
				return "", err
			}
			return "validation " + v.ID + " " + v.Status, nil
		}},
		Step{"submit the skill for certification", func(ctx context.Context) (string, error) {
			cert, err := r.Skill.Submit(ctx, r.SkillID, opts.PublicationMethod)
			if err != nil {
				return "", err
			}
			return "submitted, certification " + cert.ID + " " + cert.Status, nil
		}},
	)
	return r.runSteps(ctx, "release "+r.Function+" for certification", steps)
}

// NextSteps are the steps that make alias `next` the development stage's
// endpoint on the Lambda side: publish a version, point `next` at it, and let
// Alexa invoke `next` for this skill only. Running them sets *nextARN to
// the alias's ARN. Release runs them before setting the skill's endpoint;
// a deploy runs them before uploading the manifest that names `next`.
func (r *Releaser) NextSteps(nextARN *string) []Step {
	return r.nextSteps(new(string), nextARN)
}

func (r *Releaser) nextSteps(version, nextARN *string) []Step {
	return []Step{
		{"publish a new version of " + r.Function, func(ctx context.Context) (string, error) {
			v, err := r.publish(ctx)
			*version = v
			return "version " + v, err
		}},
		{"point alias " + AliasNext + " at the new version", func(ctx context.Context) (string, error) {
			arn, note, err := r.pointAlias(ctx, AliasNext, *version, "jokebox next")
			*nextARN = arn
			return note, err
		}},
		{"let Alexa invoke alias " + AliasNext + " for skill " + r.SkillID, func(ctx context.Context) (string, error) {
			return r.grant(ctx, AliasNext)
		}},
	}
}

// Promote points `live` at the version `next` runs, recording the version
// `live` ran before so that Rollback can return to it.
func (r *Releaser) Promote(ctx context.Context) error {
	if err := r.check(false); err != nil {
		return err
	}
	var version string
	steps := []Step{
		{"read alias " + AliasNext, func(ctx context.Context) (string, error) {
			a, err := r.getAlias(ctx, AliasNext)
			if err != nil {
				return "", err
			}
			if a == nil {
				return "", fmt.Errorf("alias %s does not exist: release first", AliasNext)
			}
			version = aws.ToString(a.FunctionVersion)
			return "next is at version " + version, nil
		}},
		{"point alias " + AliasLive + " at next's version", func(ctx context.Context) (string, error) {
			return r.moveLive(ctx, version)
		}},
		{"let Alexa invoke alias " + AliasLive + " for skill " + r.SkillID, func(ctx context.Context) (string, error) {
			return r.grant(ctx, AliasLive)
		}},
	}
	return r.runSteps(ctx, "promote "+r.Function, steps)
}

// Rollback points `live` back at the version it ran before the last
// Promote or Hotfix. A second Rollback does nothing.
func (r *Releaser) Rollback(ctx context.Context) error {
	if err := r.check(false); err != nil {
		return err
	}
	steps := []Step{
		{"point alias " + AliasLive + " back at its previous version", func(ctx context.Context) (string, error) {
			a, err := r.getAlias(ctx, AliasLive)
			if err != nil {
				return "", err
			}
			if a == nil {
				return "", fmt.Errorf("alias %s does not exist", AliasLive)
			}
			cur := aws.ToString(a.FunctionVersion)
			d := parseDescription(aws.ToString(a.Description))
			if d.previous == "" {
				if d.rolledBackFrom != "" {
					return "already rolled back to version " + cur + " from " + d.rolledBackFrom, nil
				}
				return "", fmt.Errorf("alias %s (version %s) records no previous version", AliasLive, cur)
			}
			_, err = r.Lambda.UpdateAlias(ctx, &lambda.UpdateAliasInput{
				FunctionName:    aws.String(r.Function),
				Name:            aws.String(AliasLive),
				FunctionVersion: aws.String(d.previous),
				Description:     aws.String(description{rolledBackFrom: cur}.String()),
			})
			if err != nil {
				return "", fmt.Errorf("update alias %s: %w", AliasLive, err)
			}
			return "live moved from version " + cur + " back to " + d.previous, nil
		}},
	}
	return r.runSteps(ctx, "rollback "+r.Function, steps)
}

// Hotfix publishes the function's current code and points `live` and
// `next` at it without certification.
func (r *Releaser) Hotfix(ctx context.Context) error {
	if err := r.check(false); err != nil {
		return err
	}
	var version string
	steps := []Step{
		{"publish a new version of " + r.Function, func(ctx context.Context) (string, error) {
			v, err := r.publish(ctx)
			version = v
			return "version " + v, err
		}},
		{"point alias " + AliasLive + " at the new version", func(ctx context.Context) (string, error) {
			return r.moveLive(ctx, version)
		}},
		{"let Alexa invoke alias " + AliasLive + " for skill " + r.SkillID, func(ctx context.Context) (string, error) {
			return r.grant(ctx, AliasLive)
		}},
		{"point alias " + AliasNext + " at the new version too, so a later promote keeps the fix", func(ctx context.Context) (string, error) {
			_, note, err := r.pointAlias(ctx, AliasNext, version, "jokebox next")
			return note, err
		}},
	}
	return r.runSteps(ctx, "hotfix "+r.Function, steps)
}

func (r *Releaser) publish(ctx context.Context) (string, error) {
	out, err := r.Lambda.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(r.Function)})
	if err != nil {
		return "", fmt.Errorf("publish version: %w", err)
	}
	v := aws.ToString(out.Version)
	if _, err := strconv.Atoi(v); err != nil {
		return "", fmt.Errorf("publish version: got version %q", v)
	}
	return v, nil
}

// getAlias returns the alias, or nil if it does not exist.
func (r *Releaser) getAlias(ctx context.Context, name string) (*lambda.GetAliasOutput, error) {
	a, err := r.Lambda.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(r.Function), Name: aws.String(name)})
	if apierr.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get alias %s: %w", name, err)
	}
	return a, nil
}

// pointAlias makes alias name point at version, creating it if needed, and
// returns its ARN.
func (r *Releaser) pointAlias(ctx context.Context, name, version, desc string) (string, string, error) {
	a, err := r.getAlias(ctx, name)
	if err != nil {
		return "", "", err
	}
	if a != nil && aws.ToString(a.FunctionVersion) == version {
		return aws.ToString(a.AliasArn), name + " already at version " + version, nil
	}
	if a == nil {
		out, err := r.Lambda.CreateAlias(ctx, &lambda.CreateAliasInput{
			FunctionName:    aws.String(r.Function),
			Name:            aws.String(name),
			FunctionVersion: aws.String(version),
			Description:     aws.String(desc),
		})
		// Someone else created it meanwhile: update it instead.
		if !apierr.IsConflict(err) {
			if err != nil {
				return "", "", fmt.Errorf("create alias %s: %w", name, err)
			}
			return aws.ToString(out.AliasArn), name + " created at version " + version, nil
		}
	}
	out, err := r.Lambda.UpdateAlias(ctx, &lambda.UpdateAliasInput{
		FunctionName:    aws.String(r.Function),
		Name:            aws.String(name),
		FunctionVersion: aws.String(version),
		Description:     aws.String(desc),
	})
	if err != nil {
		return "", "", fmt.Errorf("update alias %s: %w", name, err)
	}
	from := "?"
	if a != nil {
		from = aws.ToString(a.FunctionVersion)
	}
	return aws.ToString(out.AliasArn), name + " moved from version " + from + " to " + version, nil
}

// moveLive points `live` at version, recording the version it leaves.
func (r *Releaser) moveLive(ctx context.Context, version string) (string, error) {
	a, err := r.getAlias(ctx, AliasLive)
	if err != nil {
		return "", err
	}
	prev := ""
	if a != nil {
		prev = aws.ToString(a.FunctionVersion)
		if prev == version {
			return "live already at version " + version, nil
		}
	}
	_, note, err := r.pointAlias(ctx, AliasLive, version, description{previous: prev}.String())
	return note, err
}

// StatementID is the ID of the permission statement that lets the skill
// invoke an alias: stable for a skill, so re-adding it is detected.
func StatementID(skillID string) string {
	suffix := skillID
	if i := strings.LastIndex(skillID, "."); i >= 0 {
		suffix = skillID[i+1:]
	}
	suffix = unsafeSid.ReplaceAllString(suffix, "-")
	return "alexa-skill-" + suffix[:min(len(suffix), 80)]
}

var unsafeSid = regexp.MustCompile(`[^A-Za-z0-9_-]`)

// grant adds the permission for Alexa to invoke the alias on behalf of
// this skill only (EventSourceToken), unless a statement with its ID is
// already in the alias's policy.
func (r *Releaser) grant(ctx context.Context, alias string) (string, error) {
	sid := StatementID(r.SkillID)
	pol, err := r.Lambda.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String(r.Function), Qualifier: aws.String(alias)})
	switch {
	case apierr.IsNotFound(err):
		// no policy yet
	case err != nil:
		return "", fmt.Errorf("get policy of %s: %w", alias, err)
	default:
		p, err := DecodePolicy([]byte(aws.ToString(pol.Policy)))
		if err != nil {
			return "", fmt.Errorf("policy of %s: %w", alias, err)
		}
		if p.Has(sid) {
			return "statement " + sid + " already present", nil
		}
	}
	_, err = r.Lambda.AddPermission(ctx, &lambda.AddPermissionInput{
		FunctionName:     aws.String(r.Function),
		Qualifier:        aws.String(alias),
		StatementId:      aws.String(sid),
		Action:           aws.String("lambda:InvokeFunction"),
		Principal:        aws.String(AlexaPrincipal),
		EventSourceToken: aws.String(r.SkillID),
	})
	if apierr.IsConflict(err) {
		return "statement " + sid + " already present", nil
	}
	if err != nil {
		return "", fmt.Errorf("add permission to %s: %w", alias, err)
	}
	return "statement " + sid + " added", nil
}

func (r *Releaser) setEndpoint(ctx context.Context, arn string) (string, error) {
	if arn == "" {
		return "", errors.New("no alias ARN to point the endpoint at")
	}
	doc, err := r.Skill.GetManifest(ctx, r.SkillID, smapi.StageDevelopment)
	if err != nil {
		return "", err
	}
	if cur, err := smapi.EndpointURI(doc); err == nil && cur == arn {
		return "endpoint already " + arn, nil
	}
	doc, err = smapi.SetEndpointURI(doc, arn)
	if err != nil {
		return "", err
	}
	if err := r.Skill.PutManifest(ctx, r.SkillID, smapi.StageDevelopment, doc); err != nil {
		return "", err
	}
	return "endpoint set to " + arn, nil
}

// Policy is a Lambda resource policy as GetPolicy returns it.
type Policy struct {
	Statement []Statement `json:"Statement"`
}

// Statement is one statement of a resource policy.
type Statement struct {
	Sid       string          `json:"Sid"`
	Effect    string          `json:"Effect"`
	Action    json.RawMessage `json:"Action,omitempty"`
	Principal json.RawMessage `json:"Principal,omitempty"`
	Resource  json.RawMessage `json:"Resource,omitempty"`
	Condition json.RawMessage `json:"Condition,omitempty"`
}

// DecodePolicy decodes a resource policy document.
func DecodePolicy(b []byte) (*Policy, error) {
	var p Policy
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, errors.New("malformed policy JSON")
	}
	return &p, nil
}

// Has reports whether the policy has a statement with ID sid.
func (p *Policy) Has(sid string) bool {
	return p.Find(sid) != nil
}

// Find returns the statement with ID sid, or nil.
func (p *Policy) Find(sid string) *Statement {
	for i := range p.Statement {
		if p.Statement[i].Sid == sid {
			return &p.Statement[i]
		}
	}
	return nil
}

// EventSourceToken returns the statement's lambda:EventSourceToken
// condition, or "" if it has none.
func (s *Statement) EventSourceToken() string {
	var cond map[string]map[string]json.RawMessage
	if json.Unmarshal(s.Condition, &cond) != nil {
		return ""
	}
	for _, kv := range cond {
		var v string
		if json.Unmarshal(kv["lambda:EventSourceToken"], &v) == nil && v != "" {
			return v
		}
	}
	return ""
}

// description is what the live alias's description records.
type description struct {
	previous       string // the version live ran before the last move
	rolledBackFrom string // the version a rollback left
}

func (d description) String() string {
	s := "jokebox"
	if d.previous != "" {
		s += " previous=" + d.previous
	}
	if d.rolledBackFrom != "" {
		s += " rolled-back-from=" + d.rolledBackFrom
	}
	return s
}

func parseDescription(s string) description {
	var d description
	for _, f := range strings.Fields(s) {
		k, v, _ := strings.Cut(f, "=")
		if _, err := strconv.Atoi(v); err != nil {
			continue
		}
		switch k {
		case "previous":
			d.previous = v
		case "rolled-back-from":
			d.rolledBackFrom = v
		}
	}
	return d
}
