package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestMain lets tests run the real main in a child process (see
// runMain), to see its exit status.
func TestMain(m *testing.M) {
	if os.Getenv("JOKEBOX_TEST_RUN_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// runMain runs `jokebox args...` in a child process and returns its
// stdout, stderr and exit status.
func runMain(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	return runMainEnv(t, os.Environ(), args...)
}

// runMainEnv is runMain with the environment env.
func runMainEnv(t *testing.T, env []string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(slices.Clone(env), "JOKEBOX_TEST_RUN_MAIN=1")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return out.String(), errOut.String(), cmd.ProcessState.ExitCode()
}

// everyCommand returns every command and subcommand of a new tree by its
// path, the root's being "".
func everyCommand() map[string]*command {
	all := map[string]*command{}
	var walk func(cmd *command)
	walk = func(cmd *command) {
		all[cmd.path] = cmd
		for _, s := range cmd.subs {
			walk(s)
		}
	}
	walk(newTree())
	return all
}

func TestHelpEveryCommand(t *testing.T) {
	t.Parallel()
	all := everyCommand()
	if len(all) < 15 {
		t.Fatalf("only %d commands in the tree", len(all))
	}
	for path, cmd := range all {
		for _, help := range []string{"-h", "--help"} {
			args := append(strings.Fields(path), help)
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				t.Parallel()
				stdout, stderr, code := runMain(t, args...)
				if code != 0 {
					t.Fatalf("exit status %d; want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
				}
				checkHelp(t, path, cmd, stdout)
			})
		}
		if path != "" {
			t.Run("help "+path, func(t *testing.T) {
				t.Parallel()
				c, out := testCLI(nil)
				err := run(context.Background(), c, append([]string{"help"}, strings.Fields(path)...))
				if code := exitCode(&bytes.Buffer{}, err); code != 0 {
					t.Fatalf("exit status %d (%v); want 0", code, err)
				}
				checkHelp(t, path, cmd, out.String())
			})
		}
	}
}

// checkHelp checks the help of the command at path: its usage line, its
// subcommands, an example, and no default printed twice.
func checkHelp(t *testing.T, path string, cmd *command, help string) {
	t.Helper()
	first, _, _ := strings.Cut(help, "\n")
	want := strings.TrimSpace("Usage: jokebox " + path)
	if path == "" {
		want = "Usage: jokebox COMMAND"
	}
	if !strings.HasPrefix(first, want) {
		t.Errorf("usage line %q; want it to start with %q", first, want)
	}
	for _, s := range cmd.subs {
		if !strings.Contains(help, "\n  "+s.name+" ") {
			t.Errorf("help does not list the subcommand %q:\n%s", s.name, help)
		}
		if len(cmd.subs) > 0 && path != "" && !strings.Contains(first, s.name) {
			t.Errorf("usage line %q does not name the subcommand %q", first, s.name)
		}
	}
	_, example, _ := strings.Cut(help, "\nExample:\n  ")
	if example, _, _ = strings.Cut(example, "\n"); !strings.Contains(example, strings.TrimSpace("jokebox "+path)) {
		t.Errorf("help has no example of jokebox %s:\n%s", path, help)
	}
	for _, line := range strings.Split(help, "\n") {
		if strings.Count(line, "(default") > 1 {
			t.Errorf("a default printed twice: %q", line)
		}
	}
}

func TestEnvDefaultPrintedOnce(t *testing.T) {
	t.Parallel()
	c, out := testCLI(map[string]string{"JOKEBOX_SKILL_FUNCTION": "jokebox-prod-skill"})
	err := run(context.Background(), c, []string{"release", "-h"})
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("release -h: %v", err)
	}
	if !strings.Contains(out.String(), "(default $JOKEBOX_SKILL_FUNCTION)\n") {
		t.Errorf("release -h does not name the variable once:\n%s", out)
	}
}

func TestUnknownCommands(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string
	}{
		{nil, "want a command: dev, serve"},
		{[]string{"jump"}, `unknown command "jump"`},
		{[]string{"skill"}, "jokebox skill: want a subcommand: validate, build, deploy-model"},
		{[]string{"skill", "nope"}, `jokebox skill: unknown subcommand "nope" (want validate or build or deploy-model)`},
		{[]string{"dev", "--no-such-flag"}, "dev: flag provided but not defined: -no-such-flag (see 'jokebox dev -h')"},
		{[]string{"help", "jump"}, `help: unknown command "jump"`},
	}
	for _, tt := range tests {
		c, _ := testCLI(nil)
		err := run(context.Background(), c, tt.args)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("jokebox %q: error %v; want it to contain %q", tt.args, err, tt.want)
		}
		if code := exitCode(&bytes.Buffer{}, err); code != 1 {
			t.Errorf("jokebox %q: exit status %d; want 1", tt.args, code)
		}
	}
}

func TestFlagsBeforeOrAfterSubcommand(t *testing.T) {
	t.Parallel()
	env := map[string]string{"JOKEBOX_SKILL_FUNCTION": "fn", "JOKEBOX_SKILL_ID": "amzn1.ask.skill.x"}
	var outs []string
	for _, args := range [][]string{
		{"release", "--dry-run", "promote"},
		{"release", "promote", "--dry-run"},
		{"release", "--dry-run", "promote", "--function=fn"},
	} {
		c, out := testCLI(env)
		if err := run(context.Background(), c, args); err != nil {
			t.Fatalf("jokebox %q: %v", args, err)
		}
		if !strings.HasPrefix(out.String(), "promote fn (dry run") {
			t.Errorf("jokebox %q printed:\n%s", args, out)
		}
		outs = append(outs, out.String())
	}
	if outs[0] != outs[1] {
		t.Errorf("flag before and after the subcommand differ:\n%s\n---\n%s", outs[0], outs[1])
	}
	c, out := testCLI(nil)
	if err := run(context.Background(), c, []string{"skill", "--dir", "../../skill-package", "validate"}); err != nil {
		t.Fatalf("skill --dir DIR validate: %v\n%s", err, out)
	}
}

// TestFlagValueNamedLikeASubcommand: a flag's value is never taken for the
// subcommand, whether the subcommand comes before or after it, in either
// flag syntax.
func TestFlagValueNamedLikeASubcommand(t *testing.T) {
	t.Parallel()
	env := map[string]string{"JOKEBOX_SKILL_ID": "amzn1.ask.skill.x"}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"release", "--function", "promote", "--dry-run"}, "release promote (dry run"},
		{[]string{"release", "--dry-run", "-function", "rollback"}, "release rollback (dry run"},
		{[]string{"release", "--function", "hotfix", "--dry-run", "promote"}, "promote hotfix (dry run"},
		{[]string{"release", "--dry-run", "rollback", "--function", "promote"}, "rollback promote (dry run"},
		{[]string{"release", "--function=promote", "--dry-run"}, "release promote (dry run"},
		{[]string{"release", "--dry-run=true", "--skill-id", "amzn1.ask.skill.y", "--function", "f", "promote"}, "promote f (dry run"},
	} {
		c, out := testCLI(env)
		if err := run(context.Background(), c, tt.args); err != nil {
			t.Errorf("jokebox %q: %v", tt.args, err)
			continue
		}
		if !strings.HasPrefix(out.String(), tt.want) {
			t.Errorf("jokebox %q printed:\n%s\nwant it to start with %q", tt.args, out, tt.want)
		}
	}
	// A value that names a subcommand of another command is no command
	// either: skill's flags are its subcommands' flags.
	c, _ := testCLI(nil)
	err := run(context.Background(), c, []string{"skill", "--dir", "build"})
	if err == nil || !strings.Contains(err.Error(), "want a subcommand") {
		t.Errorf("jokebox skill --dir build: %v; want the missing subcommand", err)
	}
}

func TestParseFlagsInterspersed(t *testing.T) {
	t.Parallel()
	c, _ := testCLI(nil)
	cmd := &command{name: "t", maxArgs: unlimited}
	cmd.link("t")
	x := cmd.flags.Bool("x", false, "")
	s := cmd.flags.String("s", "", "")
	if err := cmd.parse(c, []string{"a", "-x", "-", "--s", "v", "b", "--", "-c", "--s=w"}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"a", "-", "b", "-c", "--s=w"}; !slices.Equal(cmd.flags.Args(), want) || !*x || *s != "v" {
		t.Errorf("args %q, x %v, s %q; want %q, true, \"v\"", cmd.flags.Args(), *x, *s, want)
	}
}

func TestPrintJSONKeepsAmpersands(t *testing.T) {
	t.Parallel()
	// What the skill's handler returns: encoding/json escapes & < >.
	raw, err := json.Marshal(map[string]string{"url": "https://b.example/k.mp3?X-Amz-Date=1&X-Amz-Signature=a<b>", "path": `C:\u0026`})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := printJSON(&out, struct {
		Raw  json.RawMessage `json:"raw"`
		Text string          `json:"text"`
	}{raw, "a&b"}); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{`"https://b.example/k.mp3?X-Amz-Date=1&X-Amz-Signature=a<b>"`, `"a&b"`, `"C:\\u0026"`} {
		if !strings.Contains(got, want) {
			t.Errorf("printJSON wrote\n%s\nwant it to contain %s", got, want)
		}
	}
	var back struct {
		Raw map[string]string `json:"raw"`
	}
	if err := json.Unmarshal(out.Bytes(), &back); err != nil || back.Raw["path"] != `C:\u0026` {
		t.Errorf("printJSON output does not decode back: %v %q", err, back.Raw)
	}
}

// TestHelpMatchesFlagSet: every command's -h, as a user sees it, shows each
// flag of the command's FlagSet in the usage line (with its value's name
// for a flag that takes one) and under Flags with its usage, names no flag
// the set lacks, and lists the variables the command reads, each with its
// meaning.
func TestHelpMatchesFlagSet(t *testing.T) {
	t.Parallel()
	flagName := regexp.MustCompile(`--([a-z][a-z-]*)`)
	for path, cmd := range everyCommand() {
		c, out := testCLI(nil)
		err := run(context.Background(), c, append(strings.Fields(path), "-h"))
		if !errors.Is(err, flag.ErrHelp) {
			t.Errorf("jokebox %s -h: %v", path, err)
			continue
		}
		help := out.String()
		usage, _, _ := strings.Cut(help, "\n")
		n := 0
		cmd.flags.VisitAll(func(f *flag.Flag) {
			n++
			want := "[--" + f.Name + "]"
			if kind, _ := flag.UnquoteUsage(f); kind != "" {
				want = "[--" + f.Name + " " + kind + "]"
			} else if f.DefValue == "true" {
				want = "[--" + f.Name + "=false]"
			}
			if !strings.Contains(usage, want) {
				t.Errorf("jokebox %s: usage line %q lacks %s", path, usage, want)
			}
			if _, u := flag.UnquoteUsage(f); !strings.Contains(help, "\n  --"+f.Name) || !strings.Contains(help, u) {
				t.Errorf("jokebox %s -h does not list --%s with its usage %q:\n%s", path, f.Name, u, help)
			}
		})
		for _, m := range flagName.FindAllStringSubmatch(usage, -1) {
			if cmd.flags.Lookup(m[1]) == nil {
				t.Errorf("jokebox %s: usage line %q names --%s, which the command does not define", path, usage, m[1])
			}
		}
		if got := strings.Count(usage, "[--"); got != n {
			t.Errorf("jokebox %s: usage line %q shows %d flags; the FlagSet has %d", path, usage, got, n)
		}
		_, env, hasEnv := strings.Cut(help, "\nEnvironment:\n")
		if hasEnv != (len(cmd.env) > 0) {
			t.Errorf("jokebox %s -h: Environment section %v; the command reads %d variables", path, hasEnv, len(cmd.env))
		}
		for _, v := range cmd.env {
			if !strings.Contains(env, "  "+v.Name+" ") || !strings.Contains(env, v.Meaning) {
				t.Errorf("jokebox %s -h does not list %s with its meaning:\n%s", path, v.Name, help)
			}
		}
	}
}

// TestArgumentCounts: the number of positional arguments is checked from
// the command's data, for every command that runs.
func TestArgumentCounts(t *testing.T) {
	t.Parallel()
	for path, cmd := range everyCommand() {
		if cmd.run == nil {
			continue
		}
		if cmd.maxArgs != unlimited {
			args := append(strings.Fields(path), slices.Repeat([]string{"extra"}, cmd.maxArgs+1)...)
			c, _ := testCLI(nil)
			err := run(context.Background(), c, args)
			if err == nil || !strings.Contains(err.Error(), `"extra"`) {
				t.Errorf("jokebox %q: %v; want a refused argument", args, err)
			}
		}
		if cmd.minArgs > 0 {
			c, _ := testCLI(nil)
			err := run(context.Background(), c, strings.Fields(path))
			if err == nil || !strings.Contains(err.Error(), path+": want "+cmd.args) {
				t.Errorf("jokebox %s: %v; want it to ask for %s", path, err, cmd.args)
			}
		}
	}
}
