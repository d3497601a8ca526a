package scripts

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var (
	usesLine      = regexp.MustCompile(`^(\s*)(?:-\s+)?uses:\s*(\S+)(.*)$`)
	pinnedAction  = regexp.MustCompile(`^[\w.-]+/[\w./-]+@[0-9a-f]{40}$`)
	tagComment    = regexp.MustCompile(`^\s*#\s*v\d+(\.\d+)*\s*$`)
	imageLine     = regexp.MustCompile(`^\s*(?:container|image):\s*(\S+)`)
	pinnedImage   = regexp.MustCompile(`@sha256:[0-9a-f]{64}$`)
	goInstallLine = regexp.MustCompile(`go install\s+(\S+)`)
	toolVersion   = regexp.MustCompile(`(?m)^([A-Z]+_VERSION)=(\S*)$`)
)

// TestWorkflowsArePinned reads every workflow: each third-party action is
// pinned to a full commit SHA with its tag in a comment, each container by
// digest, and each checkout drops its token from .git/config.
func TestWorkflowsArePinned(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("../.github/workflows/*.y*ml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no workflows found (%v)", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(b), "\n")
		for i, line := range lines {
			where := fmt.Sprintf("%s:%d", filepath.Base(f), i+1)
			if m := imageLine.FindStringSubmatch(line); m != nil && !pinnedImage.MatchString(m[1]) {
				t.Errorf("%s: container %s is not pinned by digest (@sha256:…)", where, m[1])
			}
			m := usesLine.FindStringSubmatch(line)
			if m == nil || strings.HasPrefix(m[2], "./") {
				continue
			}
			if !pinnedAction.MatchString(m[2]) {
				t.Errorf("%s: action %s is not pinned to a full commit SHA", where, m[2])
			}
			if !tagComment.MatchString(m[3]) {
				t.Errorf("%s: action %s has no tag comment (# vX.Y.Z)", where, m[2])
			}
			if strings.HasPrefix(m[2], "actions/checkout@") && !stepHas(lines[i+1:], len(m[1]), "persist-credentials: false") {
				t.Errorf("%s: checkout without persist-credentials: false keeps the token in .git/config", where)
			}
		}
	}
}

// stepHas reports whether the rest of a step (the lines indented deeper
// than its "- uses:" at indent) holds want.
func stepHas(lines []string, indent int, want string) bool {
	for _, l := range lines {
		trimmed := strings.TrimLeft(l, " ")
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		if len(l)-len(trimmed) <= indent {
			return false
		}
		if trimmed == want {
			return true
		}
	}
	return false
}

// TestDependabotCoversEveryEcosystem checks that Dependabot proposes updates
// for the Go modules, the npm packages and the pinned actions.
func TestDependabotCoversEveryEcosystem(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../.github/dependabot.yml")
	if err != nil {
		t.Fatal(err)
	}
	for _, eco := range []string{"gomod", "npm", "github-actions"} {
		if !regexp.MustCompile(`(?m)^\s*-\s*package-ecosystem:\s*"?` + eco + `"?\s*$`).Match(b) {
			t.Errorf("dependabot.yml has no package-ecosystem %s", eco)
		}
	}
}

// TestGoInstallsArePinned checks that every `go install` CI runs (.ci/run
// and what it calls: the Makefiles and scripts/setup.sh) names a version,
// never @latest, and that the versions setup.sh installs are exact.
func TestGoInstallsArePinned(t *testing.T) {
	t.Parallel()
	files := []string{"../.ci/run", "../Makefile", "../deploy.mk", "setup.sh", "make-audio.sh"}
	installs := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "#") {
				continue
			}
			if strings.Contains(line, "@latest") {
				t.Errorf("%s:%d: @latest: %s", f, i+1, strings.TrimSpace(line))
			}
			for _, m := range goInstallLine.FindAllStringSubmatch(line, -1) {
				installs++
				if arg := m[1]; !strings.HasPrefix(arg, "\"$") && !strings.HasPrefix(arg, "$") && !strings.Contains(arg, "@") {
					t.Errorf("%s:%d: go install %s without a version", f, i+1, arg)
				}
			}
		}
		for _, m := range toolVersion.FindAllStringSubmatch(string(b), -1) {
			if !regexp.MustCompile(`^v\d+\.\d+\.\d+$`).MatchString(m[2]) {
				t.Errorf("%s: %s=%q is not an exact version", f, m[1], m[2])
			}
		}
	}
	if installs == 0 {
		t.Fatal("found no go install at all: has the installer moved?")
	}
}
