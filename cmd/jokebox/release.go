package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/jokebox/jokebox/shared/config"
	"github.com/jokebox/jokebox/shared/release"
	"github.com/jokebox/jokebox/shared/smapi"
)

// releaseAction is the run function of `jokebox release [ACTION]`.
func releaseAction(action string) func(context.Context, *cli, []string) error {
	return func(ctx context.Context, c *cli, args []string) error { return runRelease(ctx, c, action, args) }
}

// runRelease publishes the skill function and moves its aliases:
// release (default), promote, rollback or hotfix.
func runRelease(ctx context.Context, c *cli, action string, args []string) error {
	path := "release"
	if action != "release" {
		path += " " + action
	}
	cfg, _ := config.Load(c.getenv, 0) // flag defaults; a malformed variable is reported below, after -h
	fs := newFlags(c, path)
	dryRun := fs.Bool("dry-run", false, "print every step without calling anything")
	function := fs.String("function", cfg.SkillFunction, "skill Lambda `NAME` or ARN (default $JOKEBOX_SKILL_FUNCTION)")
	skillID := fs.String("skill-id", cfg.SkillID, "Alexa skill `ID` (default $JOKEBOX_SKILL_ID)")
	submit, manual, dir := new(bool), new(bool), new(string)
	if action == "release" { // certification follows a release only
		submit = fs.Bool("submit", false, "also validate the skill and submit it for certification")
		manual = fs.Bool("manual-publishing", false, "with --submit: publish by hand after certification instead of automatically")
		dir = fs.String("dir", "skill-package", "skill package `DIR`, for the locales to validate (with --submit)")
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("release: unknown action %q (want promote, rollback or hotfix, or none to release)", fs.Arg(0))
	}
	needSkill := action == "release"

	var missing []string
	if *function == "" {
		missing = append(missing, "JOKEBOX_SKILL_FUNCTION (or --function)")
	}
	if *skillID == "" {
		missing = append(missing, "JOKEBOX_SKILL_ID (or --skill-id)")
	}
	var creds smapi.Credentials
	var credErr error
	if needSkill && !*dryRun {
		creds, credErr = smapi.CredentialsFromEnv(c.getenv)
	}
	if err := configError(missing, credErr); err != nil {
		return err
	}

	r := &release.Releaser{
		Function: *function,
		SkillID:  *skillID,
		Out:      c.stdout,
		DryRun:   *dryRun,
		Resume:   resumeCommand(path, fs),
	}
	if !*dryRun {
		cfg, err := config.Load(c.getenv, 0)
		if err != nil {
			return err
		}
		awsCfg, err := config.AWS(ctx, cfg)
		if err != nil {
			return err
		}
		r.Lambda = lambda.NewFromConfig(awsCfg)
		if needSkill {
			r.Skill = newSMAPIClient(c, creds)
		}
	}
	switch action {
	case "promote":
		return r.Promote(ctx)
	case "rollback":
		return r.Rollback(ctx)
	case "hotfix":
		return r.Hotfix(ctx)
	}
	opts := release.Options{Submit: *submit}
	if *manual {
		opts.PublicationMethod = smapi.ManualPublishing
	}
	if *submit && !*dryRun {
		pkg, err := checkedPackage(c, *dir)
		if err != nil {
			return err
		}
		r.Locales = pkg.Locales()
	}
	return r.Release(ctx, opts)
}

// resumeCommand is the command line that reruns this one. Flags that came
// from the environment are spelled out, so it works in another shell too.
func resumeCommand(path string, fs *flag.FlagSet) string {
	parts := append([]string{"jokebox"}, strings.Fields(path)...)
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	fs.VisitAll(func(f *flag.Flag) {
		switch {
		case f.Name == "dry-run":
		case set[f.Name] || (f.Name == "function" || f.Name == "skill-id") && f.Value.String() != "":
			if f.Value.String() == "true" {
				parts = append(parts, "--"+f.Name)
			} else if f.Value.String() != "false" {
				parts = append(parts, "--"+f.Name, shellQuote(f.Value.String()))
			}
		}
	})
	return strings.Join(parts, " ")
}

func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:/=@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
