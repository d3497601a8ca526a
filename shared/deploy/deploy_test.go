package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/smithy-go"

	"github.com/jokebox/jokebox/shared/release"
	"github.com/jokebox/jokebox/shared/skillpkg"
	"github.com/jokebox/jokebox/shared/smapi"
)

// fakeSMAPI is an in-memory SMAPI for the orchestration's unit tests: one
// vendor's skills, each with a development manifest, models and an
// enablement, and a count of writes. Field funcs, when set, replace a
// method's answer (to inject failures).
type fakeSMAPI struct {
	mu      sync.Mutex
	vendor  string
	skills  map[string]*fakeSkill
	writes  int
	created int
	// fail, when set, is asked before each call; a non-nil error is returned.
	fail func(op string) error
}

type fakeSkill struct {
	manifest []byte
	models   map[string][]byte
	enabled  bool
}

func newFakeSMAPI() *fakeSMAPI {
	return &fakeSMAPI{vendor: "M1VENDOR", skills: map[string]*fakeSkill{}}
}

var _ SkillAPI = (*fakeSMAPI)(nil)

func (f *fakeSMAPI) get(op, id string) (*fakeSkill, error) {
	if f.fail != nil {
		if err := f.fail(op); err != nil {
			return nil, err
		}
	}
	s, ok := f.skills[id]
	if !ok && op != "CreateSkill" {
		return nil, &smapi.Error{Method: "GET", Path: "/v1/skills/" + id, StatusCode: http.StatusNotFound, Message: "skill not found"}
	}
	return s, nil
}

func (f *fakeSMAPI) CreateSkill(ctx context.Context, vendorID string, manifest []byte) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.get("CreateSkill", ""); err != nil {
		return "", err
	}
	if vendorID != f.vendor {
		return "", &smapi.Error{StatusCode: http.StatusForbidden, Message: "vendor"}
	}
	f.created++
	f.writes++
	id := fmt.Sprintf("amzn1.ask.skill.%08d-0000-4000-8000-000000000000", f.created)
	f.skills[id] = &fakeSkill{manifest: manifest, models: map[string][]byte{}}
	return id, nil
}

func (f *fakeSMAPI) WaitSkill(ctx context.Context, id string, progress func(string)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, err := f.get("WaitSkill", id)
	return err
}

func (f *fakeSMAPI) GetManifest(ctx context.Context, id, stage string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := f.get("GetManifest", id)
	if err != nil {
		return nil, err
	}
	return s.manifest, nil
}

func (f *fakeSMAPI) PutManifest(ctx context.Context, id, stage string, m []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := f.get("PutManifest", id)
	if err != nil {
		return err
	}
	f.writes++
	s.manifest = m
	return nil
}

func (f *fakeSMAPI) GetInteractionModel(ctx context.Context, id, stage, locale string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := f.get("GetInteractionModel", id)
	if err != nil {
		return nil, err
	}
	m, ok := s.models[locale]
	if !ok {
		return nil, &smapi.Error{StatusCode: http.StatusNotFound, Message: "no model"}
	}
	return m, nil
}

func (f *fakeSMAPI) PutInteractionModel(ctx context.Context, id, stage, locale string, m []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := f.get("PutInteractionModel", id)
	if err != nil {
		return err
	}
	f.writes++
	s.models[locale] = m
	return nil
}

func (f *fakeSMAPI) WaitModelBuild(ctx context.Context, id string, locales []string, p smapi.Progress) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, err := f.get("WaitModelBuild", id)
	return err
}

func (f *fakeSMAPI) TestingEnabled(ctx context.Context, id, stage string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := f.get("TestingEnabled", id)
	if err != nil {
		return false, err
	}
	return s.enabled, nil
}

func (f *fakeSMAPI) SetTestingEnabled(ctx context.Context, id, stage string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := f.get("SetTestingEnabled", id)
	if err != nil {
		return err
	}
	f.writes++
	s.enabled = true
	return nil
}

func (f *fakeSMAPI) DeleteSkill(ctx context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.get("DeleteSkill", id); err != nil {
		return err
	}
	f.writes++
	delete(f.skills, id)
	return nil
}

// fakeStack is a stack as a struct of funcs over a tiny state: the skill
// ID the function has, and the number of deploys that changed something.
type fakeStack struct {
	skillID string
	exists  bool
	changes int
	removed int
	fail    error
}

func (s *fakeStack) Info(ctx context.Context) (StackInfo, bool, error) {
	if !s.exists {
		return StackInfo{}, false, nil
	}
	return StackInfo{SkillID: s.skillID, Function: FunctionName("dev"), Bucket: "jokebox-dev-bucket"}, true, nil
}

func (s *fakeStack) Deploy(ctx context.Context, skillID string) (string, error) {
	if s.fail != nil {
		return "", s.fail
	}
	if s.exists && s.skillID == skillID {
		return "stack unchanged", nil
	}
	s.exists, s.skillID = true, skillID
	s.changes++
	return "deployed", nil
}

func (s *fakeStack) Remove(ctx context.Context, skillID string) error {
	s.exists, s.skillID = false, ""
	s.removed++
	return nil
}

type memRecord struct{ id string }

func (r *memRecord) SkillID(context.Context) (string, error)       { return r.id, nil }
func (r *memRecord) SetSkillID(_ context.Context, id string) error { r.id = id; return nil }
func (r *memRecord) Delete(context.Context) error                  { r.id = ""; return nil }

// fakeLambda is the skill function's versions, aliases and alias policies.
type fakeLambda struct {
	versions int
	aliases  map[string]string   // alias → version
	policy   map[string][]string // alias → statement IDs
	writes   int
}

var _ release.LambdaAPI = (*fakeLambda)(nil)

func newFakeLambda() *fakeLambda {
	return &fakeLambda{aliases: map[string]string{}, policy: map[string][]string{}}
}

type apiErr string

func (e apiErr) Error() string                 { return string(e) }
func (e apiErr) ErrorCode() string             { return string(e) }
func (e apiErr) ErrorMessage() string          { return string(e) }
func (e apiErr) ErrorFault() smithy.ErrorFault { return smithy.FaultClient }

func (l *fakeLambda) PublishVersion(ctx context.Context, in *lambda.PublishVersionInput, _ ...func(*lambda.Options)) (*lambda.PublishVersionOutput, error) {
	if l.versions == 0 { // as Lambda: an unchanged function keeps its last version
		l.versions++
		l.writes++
	}
	return &lambda.PublishVersionOutput{Version: aws.String(fmt.Sprint(l.versions))}, nil
}

func (l *fakeLambda) arn(fn, alias string) *string {
	return aws.String("arn:aws:lambda:eu-west-1:123456789012:function:" + fn + ":" + alias)
}

func (l *fakeLambda) GetAlias(ctx context.Context, in *lambda.GetAliasInput, _ ...func(*lambda.Options)) (*lambda.GetAliasOutput, error) {
	v, ok := l.aliases[*in.Name]
	if !ok {
		return nil, apiErr("ResourceNotFoundException")
	}
	return &lambda.GetAliasOutput{Name: in.Name, FunctionVersion: aws.String(v), AliasArn: l.arn(*in.FunctionName, *in.Name)}, nil
}

func (l *fakeLambda) CreateAlias(ctx context.Context, in *lambda.CreateAliasInput, _ ...func(*lambda.Options)) (*lambda.CreateAliasOutput, error) {
	l.aliases[*in.Name] = *in.FunctionVersion
	l.writes++
	return &lambda.CreateAliasOutput{AliasArn: l.arn(*in.FunctionName, *in.Name)}, nil
}

func (l *fakeLambda) UpdateAlias(ctx context.Context, in *lambda.UpdateAliasInput, _ ...func(*lambda.Options)) (*lambda.UpdateAliasOutput, error) {
	l.aliases[*in.Name] = *in.FunctionVersion
	l.writes++
	return &lambda.UpdateAliasOutput{AliasArn: l.arn(*in.FunctionName, *in.Name)}, nil
}

func (l *fakeLambda) AddPermission(ctx context.Context, in *lambda.AddPermissionInput, _ ...func(*lambda.Options)) (*lambda.AddPermissionOutput, error) {
	l.policy[*in.Qualifier] = append(l.policy[*in.Qualifier], *in.StatementId)
	l.writes++
	return &lambda.AddPermissionOutput{}, nil
}

func (l *fakeLambda) GetPolicy(ctx context.Context, in *lambda.GetPolicyInput, _ ...func(*lambda.Options)) (*lambda.GetPolicyOutput, error) {
	sids := l.policy[*in.Qualifier]
	if len(sids) == 0 {
		return nil, apiErr("ResourceNotFoundException")
	}
	var p release.Policy
	for _, s := range sids {
		p.Statement = append(p.Statement, release.Statement{Sid: s, Effect: "Allow"})
	}
	b, _ := json.Marshal(p)
	return &lambda.GetPolicyOutput{Policy: aws.String(string(b))}, nil
}

// world is everything one deploy talks to, shared by successive runs.
type world struct {
	smapi  *fakeSMAPI
	stack  *fakeStack
	record *memRecord
	lambda *fakeLambda
}

func newWorld() *world {
	return &world{smapi: newFakeSMAPI(), stack: &fakeStack{}, record: &memRecord{}, lambda: newFakeLambda()}
}

// folders is what the bucket holds in these tests.
var folders = []string{"chistes", "cuentos"}

func loadSource(t *testing.T) *skillpkg.Package {
	t.Helper()
	pkg, err := skillpkg.Load("../../skill-package")
	if err != nil {
		t.Fatal(err)
	}
	return pkg
}

func (w *world) deployer(t *testing.T, out *strings.Builder) *Deployer {
	src := loadSource(t)
	over, err := src.ParseOverrides()
	if err != nil {
		t.Fatal(err)
	}
	d := &Deployer{
		Skill:   w.smapi,
		Stack:   w.stack,
		Record:  w.record,
		Release: &release.Releaser{Lambda: w.lambda},
		Package: func(ctx context.Context, stack StackInfo) (*skillpkg.Package, error) {
			built, _ := skillpkg.Build(src, folders, over)
			return built, nil
		},
		Source:   src,
		VendorID: "M1VENDOR",
		Resume:   "jokebox deploy --stage dev",
	}
	if out != nil {
		d.Out = out
	}
	return d
}

// writes is every write the world has seen.
func (w *world) writes() int { return w.smapi.writes + w.stack.changes + w.lambda.writes }

func TestDeployFromNothingThenAgain(t *testing.T) {
	w := newWorld()
	var out strings.Builder
	res, err := w.deployer(t, &out).Deploy(t.Context())
	if err != nil {
		t.Fatalf("Deploy: %v\n%s", err, out.String())
	}
	if w.smapi.created != 1 || !res.Created {
		t.Errorf("created %d skills (Created %v); want 1", w.smapi.created, res.Created)
	}
	if w.record.id != res.SkillID || w.stack.skillID != res.SkillID {
		t.Errorf("record %q, stack %q; want both %q", w.record.id, w.stack.skillID, res.SkillID)
	}
	s := w.smapi.skills[res.SkillID]
	if !s.enabled {
		t.Error("skill not enabled for testing")
	}
	var m skillpkg.Skill
	if err := json.Unmarshal(s.manifest, &m); err != nil {
		t.Fatal(err)
	}
	wantEP := "arn:aws:lambda:eu-west-1:123456789012:function:jokebox-dev-skill:next"
	if got := m.Manifest.APIs.Custom.Endpoint.URI; got != wantEP || res.Endpoint != wantEP {
		t.Errorf("endpoint %q (result %q); want %q", got, res.Endpoint, wantEP)
	}
	if len(m.Manifest.PublishingInformation.Locales) != 5 {
		t.Errorf("manifest has %d locales; want 5", len(m.Manifest.PublishingInformation.Locales))
	}
	if !slices.ContainsFunc(m.Manifest.APIs.Custom.Interfaces, func(i skillpkg.Interface) bool { return i.Type == "AUDIO_PLAYER" }) {
		t.Error("manifest lacks the AUDIO_PLAYER interface")
	}
	if len(s.models) != 5 {
		t.Errorf("%d models uploaded; want 5", len(s.models))
	}
	if got, want := res.Say["es-ES"], "Alexa, abre caja de chistes"; got != want {
		t.Errorf("say in es-ES %q; want %q", got, want)
	}
	if !strings.Contains(out.String(), "JOKEBOX_BUCKET=jokebox-dev-bucket ") || !strings.Contains(out.String(), "jokebox add DIR") || !strings.Contains(out.String(), "Alexa, abre caja de chistes") {
		t.Errorf("output lacks what to say and the next command:\n%s", out.String())
	}

	before := w.writes()
	out.Reset()
	res2, err := w.deployer(t, &out).Deploy(t.Context())
	if err != nil {
		t.Fatalf("second Deploy: %v\n%s", err, out.String())
	}
	if got := w.writes() - before; got != 0 || res2.Writes != 0 || res2.Created {
		t.Errorf("second run: %d writes (result %d, created %v); want none\n%s", got, res2.Writes, res2.Created, out.String())
	}
	if res2.SkillID != res.SkillID {
		t.Errorf("second run used skill %s; want %s", res2.SkillID, res.SkillID)
	}
}

// TestDeployResumesAfterEachStep stops a run after each step in turn; the
// next run must finish the job with the one skill.
func TestDeployResumesAfterEachStep(t *testing.T) {
	n := len(newWorld().deployer(t, nil).steps())
	if n < 6 {
		t.Fatalf("%d steps; want at least 6", n)
	}
	for stop := 1; stop <= n; stop++ {
		t.Run(fmt.Sprint("after step ", stop), func(t *testing.T) {
			w := newWorld()
			d := w.deployer(t, nil)
			killed := errors.New("killed")
			d.AfterStep = func(i int) error {
				if i == stop {
					return killed
				}
				return nil
			}
			_, err := d.Deploy(t.Context())
			var se *release.StepError
			if !errors.As(err, &se) || !errors.Is(err, killed) || len(se.Completed) != stop-1 || se.Resume != "jokebox deploy --stage dev" {
				t.Fatalf("stopped run: %v; want a StepError after %d completed steps with the resume command", err, stop-1)
			}
			res, err := w.deployer(t, nil).Deploy(t.Context())
			if err != nil {
				t.Fatalf("resumed run: %v", err)
			}
			s := w.smapi.skills[res.SkillID]
			if w.smapi.created != 1 || s == nil || !s.enabled || len(s.models) != 5 {
				t.Errorf("after resuming: %d skills created, skill %+v; want 1, enabled, 5 models", w.smapi.created, s)
			}
		})
	}
}

// steps lists the step names (a dry run's).
func (d *Deployer) steps() []string {
	var out strings.Builder
	dd := *d
	dd.Out, dd.DryRun = &out, true
	if _, err := dd.Deploy(context.Background()); err != nil {
		return nil
	}
	var names []string
	for _, l := range strings.Split(out.String(), "\n") {
		if _, name, ok := strings.Cut(l, " would "); ok {
			names = append(names, name)
		}
	}
	return names
}

func TestDeployDryRunCallsNothing(t *testing.T) {
	w := newWorld()
	w.smapi.fail = func(op string) error { t.Errorf("dry run called %s", op); return errors.New("no") }
	d := w.deployer(t, nil)
	names := d.steps()
	for _, want := range []string{"find or create the skill", "deploy the stack", "publish", "alias next", "skill.json", "interaction models", "testing"} {
		if !slices.ContainsFunc(names, func(n string) bool { return strings.Contains(n, want) }) {
			t.Errorf("dry run steps %q lack %q", names, want)
		}
	}
	if w.writes() != 0 || w.stack.exists {
		t.Errorf("dry run wrote %d times", w.writes())
	}
}

func TestDeploySkillSources(t *testing.T) {
	const configured = "amzn1.ask.skill.11111111-0000-4000-8000-000000000000"
	t.Run("recorded skill, no stack: no second skill", func(t *testing.T) {
		w := newWorld()
		id, _ := w.smapi.CreateSkill(t.Context(), "M1VENDOR", []byte(`{"manifest":{}}`))
		w.record.id = id
		res, err := w.deployer(t, nil).Deploy(t.Context())
		if err != nil || res.SkillID != id || w.smapi.created != 1 {
			t.Errorf("Deploy = %v, skill %s, %d created; want skill %s, 1 created", err, res.SkillID, w.smapi.created, id)
		}
	})
	t.Run("JOKEBOX_SKILL_ID", func(t *testing.T) {
		w := newWorld()
		w.smapi.skills[configured] = &fakeSkill{manifest: []byte(`{}`), models: map[string][]byte{}}
		d := w.deployer(t, nil)
		d.SkillID = configured
		res, err := d.Deploy(t.Context())
		if err != nil || res.SkillID != configured || w.smapi.created != 0 || w.record.id != "" {
			t.Errorf("Deploy = %v, skill %s, %d created, record %q; want %s, none created, no record", err, res.SkillID, w.smapi.created, w.record.id, configured)
		}
	})
	t.Run("stack and JOKEBOX_SKILL_ID disagree", func(t *testing.T) {
		w := newWorld()
		w.stack.exists, w.stack.skillID = true, "amzn1.ask.skill.22222222-0000-4000-8000-000000000000"
		d := w.deployer(t, nil)
		d.SkillID = configured
		_, err := d.Deploy(t.Context())
		if err == nil || !strings.Contains(err.Error(), "unset JOKEBOX_SKILL_ID") {
			t.Errorf("Deploy = %v; want an error saying what to do", err)
		}
	})
	t.Run("no vendor", func(t *testing.T) {
		w := newWorld()
		d := w.deployer(t, nil)
		d.VendorID = ""
		_, err := d.Deploy(t.Context())
		if err == nil || !strings.Contains(err.Error(), "jokebox login") || w.stack.exists {
			t.Errorf("Deploy = %v; want an error naming jokebox login, before any stack", err)
		}
	})
	t.Run("skill of another vendor", func(t *testing.T) {
		w := newWorld()
		w.smapi.fail = func(op string) error {
			return &smapi.Error{Method: "GET", Path: "/v1/skills/x/stages/development/manifest", StatusCode: http.StatusForbidden, Message: "access denied"}
		}
		d := w.deployer(t, nil)
		d.SkillID = configured
		_, err := d.Deploy(t.Context())
		var se *release.StepError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), "resume with: jokebox deploy") || !strings.Contains(err.Error(), "belongs to another vendor") {
			t.Errorf("Deploy = %v; want a StepError naming the other vendor, with the resume command", err)
		}
		if w.stack.exists {
			t.Error("a stack was deployed for a skill SMAPI refused")
		}
	})
}

func TestManifestEndpoints(t *testing.T) {
	src := loadSource(t)
	doc, err := ManifestWithEndpoint(src, "arn:x:next")
	if err != nil {
		t.Fatal(err)
	}
	if uri, _ := smapi.EndpointURI(doc); uri != "arn:x:next" {
		t.Errorf("endpoint %q; want arn:x:next", uri)
	}
	var m map[string]any
	_ = json.Unmarshal(doc, &m)
	if ev := dig(m["manifest"].(map[string]any), "events"); ev != nil {
		if got := dig(ev, "endpoint")["uri"]; got != "arn:x:next" {
			t.Errorf("events endpoint %v; want arn:x:next", got)
		}
	} else if strings.Contains(string(doc), `"events"`) {
		t.Error("events added to a manifest that had none")
	}
	create, err := CreationManifest(src)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := smapi.EndpointURI(create); !errors.Is(err, smapi.ErrNoEndpoint) {
		t.Errorf("creation manifest endpoint: %v; want none", err)
	}
	if !strings.Contains(string(create), "AUDIO_PLAYER") {
		t.Error("creation manifest lost the AUDIO_PLAYER interface")
	}
}

func TestSameJSON(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{`{"a":1,"b":[1,2]}`, `{"b":[1,2],"a":1}`, true},
		{`{"a":1,"c":""}`, `{"a":1}`, true},
		{`{"a":1,"c":[]}`, `{"a":1,"d":{}}`, true},
		{`{"a":1}`, `{"a":2}`, false},
		{`{"b":[1,2]}`, `{"b":[2,1]}`, false},
		{`{`, `{}`, false},
	} {
		if got := SameJSON([]byte(c.a), []byte(c.b)); got != c.want {
			t.Errorf("SameJSON(%s, %s) = %v; want %v", c.a, c.b, got, c.want)
		}
	}
}

func TestDestroy(t *testing.T) {
	w := newWorld()
	res, err := w.deployer(t, nil).Deploy(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	d := &Destroyer{Stack: w.stack, Record: w.record, Skill: w.smapi}
	if err := d.Destroy(t.Context()); err != nil {
		t.Fatal(err)
	}
	if w.stack.exists || w.smapi.skills[res.SkillID] == nil || w.record.id == "" {
		t.Errorf("destroy without --skill: stack %v, skill kept %v, record %q; want no stack, skill and record kept", w.stack.exists, w.smapi.skills[res.SkillID] != nil, w.record.id)
	}
	d.DeleteSkill = true
	for range 2 { // the second finds nothing left
		if err := d.Destroy(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if w.smapi.skills[res.SkillID] != nil || w.record.id != "" || w.stack.removed != 1 {
		t.Errorf("destroy --skill: skill kept %v, record %q, %d removes; want gone, gone, 1", w.smapi.skills[res.SkillID] != nil, w.record.id, w.stack.removed)
	}
}
