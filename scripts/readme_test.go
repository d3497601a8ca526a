package scripts

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeFrontDoor: a newcomer's first screen of the README (its first
// 60 lines) names the two commands, run and test, and the owner's road to a
// device: login, deploy, add.
func TestReadmeFrontDoor(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) > 60 {
		lines = lines[:60]
	}
	screen := strings.Join(lines, "\n")
	for _, want := range []string{"make dev", "make test", "## The road to your Echo", "jokebox login", "jokebox deploy", "jokebox add"} {
		if !strings.Contains(screen, want) {
			t.Errorf("the README's first 60 lines do not say %q", want)
		}
	}
	if n := strings.Count(string(b), "\n"); n > 250 {
		t.Errorf("the README has %d lines; the front door is meant to stay under 250 (depth goes in docs/)", n)
	}
}

// A jokebox command line in a doc: in a code span (spanCommand), or at the
// start of a line of a code block, after any VAR=value assignments
// (blockCommand).
var (
	spanCommand  = regexp.MustCompile("`jokebox ([a-z][a-z-]*)(?: ([a-z][a-z-]*))?")
	blockCommand = regexp.MustCompile(`^\s*(?:[A-Z_]+=\S* )*jokebox ([a-z][a-z-]*)(?: ([a-z][a-z-]*))?`)
)

// docCommands returns the command and subcommand words of every jokebox
// command line in doc.
func docCommands(doc string) [][]string {
	var out [][]string
	inBlock := false
	for _, line := range strings.Split(doc, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			inBlock = !inBlock
			continue
		}
		if inBlock {
			if m := blockCommand.FindStringSubmatch(line); m != nil {
				out = append(out, m)
			}
			continue
		}
		out = append(out, spanCommand.FindAllStringSubmatch(line, -1)...)
	}
	return out
}

// TestDocsNameRealCommands: every jokebox command the README and docs/
// name, and every subcommand named after a command that has them, is one
// the CLI knows (`jokebox help CMD [SUB]` succeeds), so the docs cannot
// keep a command that was renamed or removed.
func TestDocsNameRealCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping with -short: builds the jokebox binary")
	}
	bin := filepath.Join(t.TempDir(), "jokebox")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/jokebox").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	docs, err := filepath.Glob(filepath.Join("..", "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	help := map[string]string{}
	helpOf := func(args ...string) (string, bool) {
		key := strings.Join(args, " ")
		if out, ok := help[key]; ok {
			return out, out != "\x00"
		}
		out, err := exec.Command(bin, append([]string{"help"}, args...)...).CombinedOutput()
		if err != nil {
			help[key] = "\x00"
			return "", false
		}
		help[key] = string(out)
		return string(out), true
	}
	seen := 0
	for _, doc := range append([]string{filepath.Join("..", "README.md")}, docs...) {
		b, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range docCommands(string(b)) {
			seen++
			if m[1] == "help" {
				continue
			}
			out, ok := helpOf(m[1])
			if !ok {
				t.Errorf("%s names `jokebox %s`, which is not a command", filepath.Base(doc), m[1])
				continue
			}
			if m[2] != "" && strings.Contains(out, "Subcommands:") {
				if _, ok := helpOf(m[1], m[2]); !ok {
					t.Errorf("%s names `jokebox %s %s`, which is not a subcommand", filepath.Base(doc), m[1], m[2])
				}
			}
		}
	}
	if seen < 20 {
		t.Fatalf("found only %d jokebox commands in the docs; the pattern is broken", seen)
	}
}
