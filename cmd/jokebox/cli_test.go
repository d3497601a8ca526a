package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"os/exec"
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

// everyCommand returns the path of every command and subcommand, the root
// ("") first.
func everyCommand() map[string]*command {
	all := map[string]*command{}
	var walk func(path string, cmd *command)
	walk = func(path string, cmd *command) {
		all[path] = cmd
		for _, s := range cmd.subs {
			walk(strings.TrimSpace(path+" "+s.name), s)
		}
	}
	walk("", &command{subs: commands})
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
	fs := newFlags(c, "invoke")
	x := fs.Bool("x", false, "")
	s := fs.String("s", "", "")
	if err := parseFlags(fs, []string{"a", "-x", "-", "--s", "v", "b", "--", "-c", "--s=w"}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"a", "-", "b", "-c", "--s=w"}; !slices.Equal(fs.Args(), want) || !*x || *s != "v" {
		t.Errorf("args %q, x %v, s %q; want %q, true, \"v\"", fs.Args(), *x, *s, want)
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

// TestUsageLineNamesEveryFlag: the usage line of every command that runs
// names each of its flags, so the line -h prints first cannot drift from
// the flags the command defines.
func TestUsageLineNamesEveryFlag(t *testing.T) {
	t.Parallel()
	for path, cmd := range everyCommand() {
		if cmd.run == nil {
			continue
		}
		var sets []*flag.FlagSet
		c, _ := testCLI(nil)
		c.newFlagSet = func(fs *flag.FlagSet) { sets = append(sets, fs) }
		_ = cmd.run(context.Background(), c, []string{"-h"})
		if len(sets) == 0 {
			t.Errorf("jokebox %s -h made no flag set", path)
		}
		for _, fs := range sets {
			fs.VisitAll(func(f *flag.Flag) {
				if !strings.Contains(cmd.args+" ", "--"+f.Name+" ") && !strings.Contains(cmd.args, "--"+f.Name+"]") && !strings.Contains(cmd.args, "--"+f.Name+"=") {
					t.Errorf("usage line of jokebox %s (%q) does not name --%s", path, cmd.args, f.Name)
				}
			})
		}
	}
}
