package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/jokebox/jokebox/internal/motoserver"
	"github.com/jokebox/jokebox/shared/deploy"
	"github.com/jokebox/jokebox/shared/release"
	"github.com/jokebox/jokebox/shared/skill"
	"github.com/jokebox/jokebox/shared/skillpkg"
	"github.com/jokebox/jokebox/shared/smapi"
	"github.com/jokebox/jokebox/shared/smapi/smapitest"
)

// deployRegion is where the e2e deploys go: not us-east-1, so that a
// forgotten region shows.
const deployRegion = "eu-west-1"

// deployWorld is a moto_server, a fake SMAPI and LWA, and the built
// jokebox binary, for running `jokebox deploy` as an owner would.
type deployWorld struct {
	bin, zips, endpoint string
	// dir is a copy of the service (serverless.yml, deploy/,
	// skill-package/, node_modules linked): osls keeps its package in the
	// service's .serverless, which no two tests may share.
	dir    string
	smapi  *smapitest.Server
	lambda *lambda.Client
}

func newDeployWorld(t *testing.T) *deployWorld {
	t.Helper()
	if testing.Short() {
		t.Skip("skipping jokebox deploy into moto_server with -short")
	}
	serverlessBin(t)
	w := &deployWorld{zips: lambdaZips(t), endpoint: motoserver.Start(t), smapi: smapitest.New(t)}
	w.bin = filepath.Join(t.TempDir(), "jokebox")
	build := exec.Command("go", "build", "-o", w.bin, "./cmd/jokebox")
	build.Dir = repoRoot(t)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/jokebox: %v\n%s", err, out)
	}
	w.dir = serviceCopy(t)
	cfg := motoserver.Config(w.endpoint)
	cfg.Region = deployRegion
	w.lambda = lambda.NewFromConfig(cfg)
	// As SMAPI: an endpoint whose function does not let this skill invoke
	// it is refused, so the alias and its permission must come first.
	w.smapi.SetEndpointCheck(func(skillID, uri string) error {
		i := strings.LastIndex(uri, ":")
		if i < 0 {
			return fmt.Errorf("endpoint %q is not an alias ARN", uri)
		}
		pol, err := w.lambda.GetPolicy(context.Background(), &lambda.GetPolicyInput{FunctionName: aws.String(uri[:i]), Qualifier: aws.String(uri[i+1:])})
		if err != nil {
			return fmt.Errorf("the skill %s is not allowed to invoke %s: %v", skillID, uri, err)
		}
		p, err := release.DecodePolicy([]byte(aws.ToString(pol.Policy)))
		if err != nil || !p.Has(release.StatementID(skillID)) {
			return fmt.Errorf("the skill %s is not allowed to invoke %s", skillID, uri)
		}
		return nil
	})
	return w
}

// serviceCopy copies what osls and jokebox deploy read of the repository
// into a temporary folder, linking node_modules.
func serviceCopy(t *testing.T) string {
	t.Helper()
	root, dir := repoRoot(t), t.TempDir()
	for _, p := range []string{"serverless.yml", "deploy", "skill-package"} {
		sub, err := fs.Sub(os.DirFS(root), p)
		if err != nil {
			t.Fatal(err)
		}
		if p == "serverless.yml" {
			b, err := os.ReadFile(filepath.Join(root, p))
			if err == nil {
				err = os.WriteFile(filepath.Join(dir, p), b, 0o644)
			}
			if err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.CopyFS(filepath.Join(dir, p), sub); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(root, "node_modules"), filepath.Join(dir, "node_modules")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// env is the environment of a jokebox run: none of the caller's AWS,
// JOKEBOX or ASK settings, moto's endpoint and test credentials, the fake
// SMAPI's, and extra ("K=V"; "K=" unsets K).
func (w *deployWorld) env(t *testing.T, extra ...string) []string {
	set := map[string]string{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AWS_") || strings.HasPrefix(k, "JOKEBOX_") || strings.HasPrefix(k, "ASK_") || strings.HasPrefix(k, "XDG_") || k == "HOME" {
			continue
		}
		set[k] = v
	}
	for k, v := range motoserver.Env(w.endpoint) {
		set[k] = v
	}
	for k, v := range w.smapi.Env() {
		set[k] = v
	}
	set["AWS_REGION"] = ""
	set["HOME"] = t.TempDir()
	set["JOKEBOX_BUILD_DIR"] = w.zips
	set["SLS_AWS_MONITORING_FREQUENCY"] = "250"
	set["npm_config_update_notifier"] = "false"
	set["NODE_NO_WARNINGS"] = "1"
	for _, kv := range extra {
		k, v, _ := strings.Cut(kv, "=")
		set[k] = v
	}
	var env []string
	for k, v := range set {
		if v != "" {
			env = append(env, k+"="+v)
		}
	}
	slices.Sort(env)
	return env
}

// jokebox runs the binary in the repository root and returns its output.
// With killAfter > 0 it kills the process group (SIGKILL: the process,
// osls and whatever they run) as soon as step killAfter reports done.
func (w *deployWorld) jokebox(t *testing.T, env []string, killAfter int, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(w.bin, args...)
	cmd.Dir = w.dir
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	var wg sync.WaitGroup
	wg.Add(1)
	done := regexp.MustCompile(fmt.Sprintf(`^\s+%d/\d+ done: `, killAfter))
	killed := false
	go func() {
		defer wg.Done()
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			out.WriteString(sc.Text() + "\n")
			if killAfter > 0 && !killed && done.MatchString(sc.Text()) {
				killed = true
				_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	timer := time.AfterFunc(10*time.Minute, func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	err := cmd.Wait()
	timer.Stop()
	pw.Close()
	wg.Wait()
	if killAfter > 0 && !killed {
		t.Fatalf("jokebox %s never reported step %d done:\n%s", strings.Join(args, " "), killAfter, out.String())
	}
	return out.String(), err
}

// checkDeployed checks that skill id is what a deploy of stage promises:
// enabled for testing, its manifest with the AudioPlayer interface, five
// locales and example phrases that match its models (skillpkg.Validate),
// and the endpoint, for requests and events, on the stage's `next` alias.
func (w *deployWorld) checkDeployed(t *testing.T, id, stage string) {
	t.Helper()
	k, ok := w.smapi.Skill(id)
	if !ok {
		t.Fatalf("the fake SMAPI has no skill %s", id)
	}
	if !k.Enabled[smapi.StageDevelopment] {
		t.Errorf("skill %s is not enabled for testing", id)
	}
	sk, err := skillpkg.DecodeSkill(k.Manifest)
	if err != nil {
		t.Fatalf("uploaded manifest: %v\n%s", err, k.Manifest)
	}
	pkg := &skillpkg.Package{Skill: sk, Models: map[string]skillpkg.Model{}}
	for l, b := range k.Models {
		if pkg.Models[l], err = skillpkg.DecodeModel(b); err != nil {
			t.Fatalf("uploaded %s model: %v", l, err)
		}
	}
	if got := pkg.Locales(); len(got) != 5 || len(pkg.Models) != 5 {
		t.Errorf("manifest locales %v, %d models; want 5 and 5", got, len(pkg.Models))
	}
	if !slices.ContainsFunc(sk.Manifest.APIs.Custom.Interfaces, func(i skillpkg.Interface) bool { return i.Type == "AUDIO_PLAYER" }) {
		t.Errorf("manifest interfaces %v lack AUDIO_PLAYER", sk.Manifest.APIs.Custom.Interfaces)
	}
	for _, p := range skillpkg.Validate(pkg, skill.Intents()) {
		t.Errorf("uploaded package: %s", p)
	}
	want := "arn:aws:lambda:" + deployRegion + ":123456789012:function:" + deploy.FunctionName(stage) + ":" + release.AliasNext
	var doc struct {
		Manifest struct {
			APIs struct {
				Custom struct{ Endpoint struct{ URI string } } `json:"custom"`
			} `json:"apis"`
			Events *struct{ Endpoint struct{ URI string } } `json:"events"`
		} `json:"manifest"`
	}
	if err := json.Unmarshal(k.Manifest, &doc); err != nil {
		t.Fatal(err)
	}
	if got := doc.Manifest.APIs.Custom.Endpoint.URI; got != want {
		t.Errorf("endpoint %q; want %q", got, want)
	}
	if doc.Manifest.Events != nil && doc.Manifest.Events.Endpoint.URI != want {
		t.Errorf("events endpoint %q; want %q", doc.Manifest.Events.Endpoint.URI, want)
	}
}

// stageSkill returns the skill ID the stage's function answers.
func (w *deployWorld) stageSkill(t *testing.T, stage string) string {
	t.Helper()
	out, err := w.lambda.GetFunctionConfiguration(t.Context(), &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(deploy.FunctionName(stage))})
	if err != nil {
		t.Fatalf("the %s stack's function in %s: %v", stage, deployRegion, err)
	}
	return out.Environment.Variables["JOKEBOX_SKILL_ID"]
}

// TestDeployEndToEnd runs `jokebox deploy` as an owner would, against
// moto_server with the real osls CLI and the fake SMAPI: from nothing to an
// enabled skill (checkDeployed) in eu-west-1 (AWS_REGION), then again
// (--region): no new skill, no SMAPI write, no stack change.
func TestDeployEndToEnd(t *testing.T) {
	w := newDeployWorld(t)
	const stage = "e2e"
	start := time.Now()
	out, err := w.jokebox(t, w.env(t, "AWS_REGION="+deployRegion), 0, "deploy", "--stage", stage)
	if err != nil {
		t.Fatalf("jokebox deploy: %v\n%s", err, out)
	}
	t.Logf("jokebox deploy from nothing: %v", time.Since(start).Round(time.Millisecond))
	skills := w.smapi.Skills()
	if len(skills) != 1 {
		t.Fatalf("%d skills after the first deploy; want 1\n%s", len(skills), out)
	}
	id := skills[0].ID
	if got := w.stageSkill(t, stage); got != id {
		t.Errorf("the stack answers skill %q; want %q", got, id)
	}
	w.checkDeployed(t, id, stage)
	add := "JOKEBOX_BUCKET=jokebox-" + stage + "-123456789012-" + deployRegion + " JOKEBOX_MANIFEST_PARAM=/jokebox/" + stage + "/manifest AWS_REGION=" + deployRegion + " jokebox add DIR"
	for _, want := range []string{`"Alexa, abre caja de chistes"`, `"Alexa, open joke box"`, add} {
		if !strings.Contains(out, want) {
			t.Errorf("the output lacks %s:\n%s", want, out)
		}
	}
	east := motoserver.Config(w.endpoint) // us-east-1
	if _, err := lambda.NewFromConfig(east).GetFunctionConfiguration(t.Context(), &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(deploy.FunctionName(stage))}); err == nil {
		t.Error("the stack's function is in us-east-1 too")
	}

	alias, err := w.lambda.GetAlias(t.Context(), &lambda.GetAliasInput{FunctionName: aws.String(deploy.FunctionName(stage)), Name: aws.String(release.AliasNext)})
	if err != nil {
		t.Fatal(err)
	}
	w.smapi.ResetCounts()
	start = time.Now()
	out, err = w.jokebox(t, w.env(t), 0, "deploy", "--stage", stage, "--region", deployRegion)
	if err != nil {
		t.Fatalf("second jokebox deploy: %v\n%s", err, out)
	}
	t.Logf("jokebox deploy again: %v", time.Since(start).Round(time.Millisecond))
	if n := w.smapi.TotalWrites(); n != 0 || len(w.smapi.Skills()) != 1 {
		t.Errorf("second deploy: %d SMAPI writes (%v), %d skills; want 0 writes, 1 skill\n%s", n, w.smapi.Writes(), len(w.smapi.Skills()), out)
	}
	if !strings.Contains(out, "No changes to deploy") {
		t.Errorf("second deploy: osls changed the stack:\n%s", out)
	}
	again, err := w.lambda.GetAlias(t.Context(), &lambda.GetAliasInput{FunctionName: aws.String(deploy.FunctionName(stage)), Name: aws.String(release.AliasNext)})
	if err != nil || aws.ToString(again.FunctionVersion) != aws.ToString(alias.FunctionVersion) {
		t.Errorf("second deploy moved alias next from version %s to %v (%v)", aws.ToString(alias.FunctionVersion), aws.ToString(again.FunctionVersion), err)
	}

	t.Run("bad input", func(t *testing.T) { deployBadInput(t, w, stage, id) })
}

// deployBadInput: each failure an owner can meet gets one message saying
// what to do, and no second skill.
func deployBadInput(t *testing.T, w *deployWorld, stage, id string) {
	region := "--region=" + deployRegion
	for _, c := range []struct {
		name, stage string
		env         []string
		setup       func()
		want        []string
	}{
		{name: "no AWS credentials",
			env:  []string{"AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY=", "AWS_EC2_METADATA_DISABLED=true"},
			want: []string{"no AWS credentials", "aws configure"}},
		{name: "no Login with Amazon credentials",
			env:  []string{"ASK_REFRESH_TOKEN=", "ASK_LWA_CLIENT_ID=", "ASK_LWA_CLIENT_SECRET=", "ASK_LWA_CLIENT_CONFIRMATION="},
			want: []string{"no SMAPI credentials", "ASK_REFRESH_TOKEN", "run jokebox login"}},
		{name: "revoked refresh token",
			setup: w.smapi.RevokeRefreshTokens,
			want:  []string{"run jokebox login again", "resume with: jokebox deploy"}},
		{name: "a skill of another vendor", stage: "other",
			env:  []string{"JOKEBOX_SKILL_ID=" + w.smapi.AddSkill("M1SOMEONEELSE", []byte(`{"manifest":{"manifestVersion":"1.0"}}`))},
			want: []string{"403", "belongs to another vendor", "resume with: jokebox deploy"}},
		{name: "SMAPI keeps failing",
			setup: func() {
				w.smapi.Fail(smapitest.Fault{Operation: "getSkillManifestV1", Status: 503, Times: 5}) // every attempt of one call
			},
			want: []string{"503", "run the same command again later", "resume with: jokebox deploy"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := len(w.smapi.Skills())
			env := w.env(t, c.env...)
			if c.setup != nil {
				c.setup()
			}
			st := stage
			if c.stage != "" {
				st = c.stage
			}
			out, err := w.jokebox(t, env, 0, "deploy", "--stage", st, region)
			if err == nil {
				t.Fatalf("jokebox deploy succeeded:\n%s", out)
			}
			last := out[strings.LastIndex(strings.TrimRight(out, "\n"), "\n")+1:]
			for _, want := range c.want {
				if !strings.Contains(last, want) {
					t.Errorf("the error lacks %q:\n%s", want, last)
				}
			}
			if strings.Contains(out, "panic") || len(w.smapi.Skills()) != before {
				t.Errorf("a panic or a new skill:\n%s", out)
			}
		})
	}
	// Still deployed, with the same skill.
	out, err := w.jokebox(t, w.env(t), 0, "deploy", "--stage", stage, region)
	if err != nil {
		t.Fatalf("deploy after the failures: %v\n%s", err, out)
	}
	w.checkDeployed(t, id, stage)
}
