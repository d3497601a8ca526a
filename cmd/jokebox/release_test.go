package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// noConfigDir is a configuration directory without a login file.
const noConfigDir = "/nonexistent-jokebox-test-config"

func testCLI(env map[string]string) (*cli, *bytes.Buffer) {
	var out bytes.Buffer
	return &cli{stdin: strings.NewReader(""), stdout: &out, stderr: io.Discard, getenv: func(k string) string { return env[k] },
		configDir: func() (string, error) { return noConfigDir, nil }}, &out
}

func TestSkillValidate(t *testing.T) {
	t.Parallel()
	c, out := testCLI(nil)
	if err := run(context.Background(), c, []string{"skill", "validate", "--dir", "../../skill-package"}); err != nil {
		t.Fatalf("skill validate: %v\n%s", err, out)
	}
	if !strings.Contains(out.String(), "ok (5 locales: en-GB, en-US, es-ES, es-MX, es-US; 17 intents)") {
		t.Errorf("skill validate output: %s", out)
	}

	// A broken copy: one model file missing.
	dir := t.TempDir()
	copyTree(t, "../../skill-package", dir)
	if err := os.Remove(filepath.Join(dir, "interactionModels", "custom", "es-MX.json")); err != nil {
		t.Fatal(err)
	}
	c, out = testCLI(nil)
	err := run(context.Background(), c, []string{"skill", "validate", "--dir", dir})
	if err == nil || !strings.Contains(err.Error(), "1 problems") || !strings.Contains(out.String(), "es-MX: model-missing") {
		t.Errorf("skill validate on a broken copy = %v\n%s", err, out)
	}
}

func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestConfigErrorsNameEveryVariable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		run  func(c *cli) error
		want string
	}{
		{"skill deploy-model", func(c *cli) error { return run(context.Background(), c, []string{"skill", "deploy-model"}) },
			"configuration: missing JOKEBOX_BUCKET, JOKEBOX_SKILL_ID, SMAPI credentials (run jokebox login, which stores them in " + noConfigDir + "/jokebox/login.json, or set ASK_LWA_CLIENT_ID, ASK_LWA_CLIENT_SECRET (or ASK_LWA_CLIENT_CONFIRMATION), ASK_REFRESH_TOKEN)"},
		{"skill build", func(c *cli) error { return run(context.Background(), c, []string{"skill", "build", "--in-place"}) }, "JOKEBOX_BUCKET"},
		{"skill build needs a target", func(c *cli) error { return run(context.Background(), c, []string{"skill", "build"}) },
			"skill build: say where to write: --out DIR, or --in-place to overwrite skill-package"},
		{"skill build with two targets", func(c *cli) error {
			return run(context.Background(), c, []string{"skill", "build", "--out", "x", "--in-place"})
		}, "--out x and --in-place contradict each other"},
		{"release", func(c *cli) error { return run(context.Background(), c, []string{"release"}) },
			"configuration: missing JOKEBOX_SKILL_FUNCTION (or --function), JOKEBOX_SKILL_ID (or --skill-id), SMAPI credentials (run jokebox login, which stores them in " + noConfigDir + "/jokebox/login.json, or set ASK_LWA_CLIENT_ID, ASK_LWA_CLIENT_SECRET (or ASK_LWA_CLIENT_CONFIRMATION), ASK_REFRESH_TOKEN)"},
		{"promote needs no SMAPI credentials", func(c *cli) error { return run(context.Background(), c, []string{"release", "promote"}) },
			"configuration: missing JOKEBOX_SKILL_FUNCTION (or --function), JOKEBOX_SKILL_ID (or --skill-id)"},
		{"dry run needs no credentials", func(c *cli) error {
			return run(context.Background(), c, []string{"release", "--dry-run", "--function", "f"})
		},
			"configuration: missing JOKEBOX_SKILL_ID (or --skill-id)"},
		{"index", func(c *cli) error { return run(context.Background(), c, []string{"index", "--once"}) },
			"configuration: missing JOKEBOX_BUCKET, JOKEBOX_QUEUE_URL (or --queue-url)"},
		{"malformed and missing at once", func(c *cli) error {
			c.getenv = func(k string) string { return map[string]string{"JOKEBOX_DEBUG": "loud"}[k] }
			return run(context.Background(), c, []string{"release", "promote", "--function", "f"})
		}, `configuration: missing JOKEBOX_SKILL_ID (or --skill-id); JOKEBOX_DEBUG="loud" is not true or false`},
		{"unknown action", func(c *cli) error { return run(context.Background(), c, []string{"release", "deploy"}) }, `unknown action "deploy"`},
		{"submit with promote", func(c *cli) error { return run(context.Background(), c, []string{"release", "promote", "--submit"}) }, "release promote: flag provided but not defined: -submit"},
		{"unknown skill subcommand", func(c *cli) error { return run(context.Background(), c, []string{"skill", "nope"}) }, `unknown subcommand "nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := testCLI(nil)
			err := tt.run(c)
			if err == nil || err.Error() != tt.want && !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v; want %q", err, tt.want)
			}
			if err != nil && strings.HasPrefix(tt.want, "configuration") && err.Error() != tt.want {
				t.Errorf("error = %q; want exactly %q", err, tt.want)
			}
		})
	}
}

func TestReleaseDryRun(t *testing.T) {
	t.Parallel()
	c, out := testCLI(map[string]string{"JOKEBOX_SKILL_FUNCTION": "jokebox-skill", "JOKEBOX_SKILL_ID": "amzn1.ask.skill.x"})
	if err := run(context.Background(), c, []string{"release", "hotfix", "--dry-run"}); err != nil {
		t.Fatal(err)
	}
	want := "hotfix jokebox-skill (dry run: nothing is called)\n  1/4 would publish a new version of jokebox-skill\n"
	if !strings.HasPrefix(out.String(), want) {
		t.Errorf("dry run output:\n%s\nwant it to start with:\n%s", out, want)
	}
}

func TestResumeCommand(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		env  map[string]string
		want string
	}{
		{nil, map[string]string{"JOKEBOX_SKILL_FUNCTION": "fn", "JOKEBOX_SKILL_ID": "amzn1.ask.skill.x"},
			"jokebox release --function fn --skill-id amzn1.ask.skill.x"},
		{[]string{"--submit", "--function", "my fn", "--skill-id", "s"}, nil,
			"jokebox release --function 'my fn' --skill-id s --submit"},
		{[]string{"promote", "--dry-run", "--function", "f", "--skill-id", "s"}, nil,
			"jokebox release promote --function f --skill-id s"},
	}
	for _, tt := range tests {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.Bool("dry-run", false, "")
		fs.Bool("submit", false, "")
		fs.String("function", tt.env["JOKEBOX_SKILL_FUNCTION"], "")
		fs.String("skill-id", tt.env["JOKEBOX_SKILL_ID"], "")
		rest, path := tt.args, "release"
		if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
			rest, path = rest[1:], path+" "+rest[0]
		}
		if err := fs.Parse(rest); err != nil {
			t.Fatal(err)
		}
		if got := resumeCommand(path, fs); got != tt.want {
			t.Errorf("resumeCommand(%q) = %q; want %q", tt.args, got, tt.want)
		}
	}
}
