// Package scripts holds the tests of the repository's shell scripts.
package scripts

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// pathWithout returns a PATH of one folder holding links to every program
// on this PATH except those named.
func pathWithout(t *testing.T, names ...string) string {
	t.Helper()
	skip := map[string]bool{}
	for _, n := range names {
		skip[n] = true
	}
	dir := t.TempDir()
	for _, d := range filepath.SplitList(os.Getenv("PATH")) {
		entries, err := os.ReadDir(d)
		if err != nil {
			continue
		}
		for _, e := range entries {
			if skip[e.Name()] {
				continue
			}
			link := filepath.Join(dir, e.Name())
			if _, err := os.Lstat(link); err == nil {
				continue // the first on PATH wins
			}
			if err := os.Symlink(filepath.Join(d, e.Name()), link); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}

// freshClone copies what setup.sh reads into an empty folder: no
// node_modules, as in a fresh clone.
func freshClone(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, "scripts"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"scripts/setup.sh", "package.json", "package-lock.json", "Makefile", "deploy.mk"} {
		b, err := os.ReadFile(filepath.Join("..", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, f), b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// runSetup runs `scripts/setup.sh args...` of root, or `make test` when
// args is "make", with PATH path, and returns its output, exit status and
// how long it took.
func runSetup(t *testing.T, root, path string, args ...string) (string, int, time.Duration) {
	t.Helper()
	cmd := exec.Command(filepath.Join(root, "scripts", "setup.sh"), args...)
	if len(args) == 1 && args[0] == "make" {
		cmd = exec.Command("make", "-C", root, "test")
	}
	cmd.Env = []string{"PATH=" + path, "HOME=" + os.Getenv("HOME"), "GOBIN=" + t.TempDir()}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return out.String(), cmd.ProcessState.ExitCode(), took
}

// TestSetupStopsAtOnce is the first run on a fresh clone of a machine
// without Chromium, where packages cannot be installed: `make test` (and
// scripts/setup.sh, with or without --check) must stop at once with one
// message naming what is missing and the command that installs it, without
// starting npm ci, go install or any test.
func TestSetupStopsAtOnce(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	t.Parallel()
	path := pathWithout(t, "chromium", "chromedriver", "apt-get")
	for _, mode := range [][]string{{"--check"}, nil, {"make"}} {
		name := strings.Join(append([]string{"setup.sh"}, mode...), " ")
		if mode != nil && mode[0] == "make" {
			name = "make test"
		}
		t.Run(name, func(t *testing.T) {
			root := freshClone(t)
			out, code, took := runSetup(t, root, path, mode...)
			t.Logf("exit %d after %v:\n%s", code, took.Round(time.Millisecond), out)
			if code == 0 || name != "make test" && code != 1 {
				t.Errorf("exit status %d; want 1 (make: non-zero)", code)
			}
			if strings.Contains(out, "go vet") || strings.Contains(out, "go test") {
				t.Errorf("make test went on past the setup:\n%s", out)
			}
			if took > 30*time.Second {
				t.Errorf("took %v; want it to stop within 30 s", took)
			}
			if n := strings.Count(out, "setup: missing "); n != 1 {
				t.Errorf("%d 'setup: missing' lines; want one message", n)
			}
			_, missing, _ := strings.Cut(out, "setup: missing ")
			missing, _, _ = strings.Cut(missing, "\n")
			for _, want := range []string{"chromium", "chromedriver"} {
				if !strings.Contains(missing, want) {
					t.Errorf("message does not name %s: %q", want, missing)
				}
			}
			if !strings.Contains(out, "Install with:\n  ") || !strings.Contains(out, "apt-get install -y chromium chromium-driver") {
				t.Errorf("message has no install command:\n%s", out)
			}
			if !strings.Contains(missing, "node_modules (npm ci)") {
				t.Errorf("check mode does not name node_modules: %q", missing)
			}
			if _, err := os.Stat(filepath.Join(root, "node_modules")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("node_modules was created (%v): setup went on after finding a missing package", err)
			}
		})
	}
}

// TestMakePackageNeedsSkillID: make package stops before building anything
// when no skill ID is given, and says how to give one. make deploy needs
// none: it is jokebox deploy, which finds or creates the skill.
func TestMakePackageNeedsSkillID(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make")
	}
	t.Parallel()
	tests := []struct {
		args    []string
		env     string
		refused bool
	}{
		{[]string{"package"}, "", true},
		{[]string{"package", "STAGE=prod"}, "", true},
		{[]string{"package"}, "JOKEBOX_SKILL_ID=amzn1.ask.skill.x", false},
		{[]string{"package", "SLS_FLAGS=--param skillId=amzn1.ask.skill.x"}, "", false},
		{[]string{"package", "STAGE=test"}, "", false},
		{[]string{"build"}, "", false},
	}
	for _, tt := range tests {
		cmd := exec.Command("make", append([]string{"-n", "-C", ".."}, tt.args...)...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
		if tt.env != "" {
			cmd.Env = append(cmd.Env, tt.env)
		}
		out, err := cmd.CombinedOutput()
		built := strings.Contains(string(out), "go build")
		if !tt.refused {
			if err != nil || !built {
				t.Errorf("make -n %q (%s): %v, want the build planned:\n%s", tt.args, tt.env, err, out)
			}
			continue
		}
		if err == nil || built {
			t.Errorf("make -n %q: err %v, want a refusal before any build:\n%s", tt.args, err, out)
		}
		for _, want := range []string{"JOKEBOX_SKILL_ID=amzn1.ask.skill.… make " + tt.args[0], "--param skillId="} {
			if !strings.Contains(string(out), want) {
				t.Errorf("make -n %q says\n%s\nwant it to contain %q", tt.args, out, want)
			}
		}
	}
}

// TestMakeDeployIsJokeboxDeploy: make deploy runs jokebox deploy with the
// stage and region it is given, and asks for no skill ID first.
func TestMakeDeployIsJokeboxDeploy(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make")
	}
	t.Parallel()
	cmd := exec.Command("make", "-n", "-C", "..", "deploy", "STAGE=prod", "REGION=eu-west-1")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "./cmd/jokebox deploy --stage prod --region eu-west-1") {
		t.Errorf("make -n deploy STAGE=prod REGION=eu-west-1: %v, want jokebox deploy --stage prod --region eu-west-1:\n%s", err, out)
	}
}

// TestMakeDevSaysFirstBuildIsSlow: make dev says the first build takes a
// while before starting it.
func TestMakeDevSaysFirstBuildIsSlow(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make")
	}
	t.Parallel()
	out, err := exec.Command("make", "-n", "-C", "..", "dev").CombinedOutput()
	if err != nil {
		t.Fatalf("make -n dev: %v\n%s", err, out)
	}
	s := string(out)
	say, build := strings.Index(s, "first build takes about a minute"), strings.Index(s, "go build -o bin/jokebox ./cmd/jokebox")
	if say < 0 || build < 0 || say > build || !strings.Contains(s, "exec bin/jokebox dev") {
		t.Errorf("make -n dev:\n%s\nwant the first-build notice, then the build, then exec bin/jokebox dev (so Ctrl-C reaches jokebox, not make)", s)
	}
}

// TestSetupWithoutGo: without go on PATH, setup says so instead of dying
// silently.
func TestSetupWithoutGo(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	t.Parallel()
	out, code, _ := runSetup(t, freshClone(t), pathWithout(t, "go"), "--check")
	if code != 1 || !strings.Contains(out, "setup: missing go. Install Go 1.") {
		t.Errorf("exit %d, output %q; want 1 and a message naming go", code, out)
	}
}

// TestMakeTestLintsWorkflows: make test runs actionlint on the workflows and
// staticcheck on the code, each the pinned binary setup.sh installs into
// GOBIN, not another version found on PATH.
func TestMakeTestLintsWorkflows(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make")
	}
	t.Parallel()
	gobin := t.TempDir()
	cmd := exec.Command("make", "-n", "-C", "..", "test")
	cmd.Env = append(os.Environ(), "GOBIN="+gobin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make -n test: %v\n%s", err, out)
	}
	for _, want := range []string{
		"\n" + filepath.Join(gobin, "actionlint") + " .github/workflows/*.yml\n",
		"\n" + filepath.Join(gobin, "staticcheck") + " ./...\n",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("make -n test:\n%s\nwant the line %q", out, strings.TrimSpace(want))
		}
	}
}
