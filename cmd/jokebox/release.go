package main

import (
	"context"
	"flag"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/jokebox/jokebox/shared/config"
	"github.com/jokebox/jokebox/shared/release"
	"github.com/jokebox/jokebox/shared/smapi"
)

// releaseCommand is `jokebox release` and its subcommands, the actions.
func releaseCommand() *command {
	cmd := releaseActionCommand("release", "publish the skill function and move its live/next aliases",
		"jokebox release --dry-run promote")
	cmd.subs = []*command{
		releaseActionCommand("promote", "move live to the version next points at", "jokebox release promote --dry-run"),
		releaseActionCommand("rollback", "move live back to the version it had before", "jokebox release rollback"),
		releaseActionCommand("hotfix", "code-only fix: publish, move live and next, no certification", "jokebox release hotfix --dry-run"),
	}
	return cmd
}

// releaseOptions are the flags of a release action.
type releaseOptions struct {
	action            string // release, promote, rollback or hotfix
	dryRun            *bool
	function, skillID *string
	submit, manual    *bool
	dir               *string
}

// releaseActionCommand is `jokebox release`'s node for action.
func releaseActionCommand(action, summary, example string) *command {
	cmd := &command{name: action, summary: summary, example: example,
		env: []config.Var{config.EnvSkillFunction, config.EnvSkillID, config.EnvEndpoint, config.EnvRegion, config.EnvDebug}}
	if action == "release" { // only a release reaches SMAPI
		cmd.env = append(cmd.env, smapiEnv()...)
	}
	o := &releaseOptions{action: action, submit: new(bool), manual: new(bool), dir: new(string)}
	o.dryRun = dryRunFlag(&cmd.flags)
	o.function = functionFlag(&cmd.flags)
	o.skillID = skillIDFlag(&cmd.flags)
	if action == "release" { // certification follows a release only
		o.submit = cmd.flags.Bool("submit", false, "also validate the skill and submit it for certification")
		o.manual = cmd.flags.Bool("manual-publishing", false, "with --submit: publish by hand after certification instead of automatically")
		o.dir = dirFlag(&cmd.flags, "skill package `DIR`, for the locales to validate (with --submit)")
	}
	cmd.run = func(ctx context.Context, c *cli, cmd *command, _ []string) error { return runRelease(ctx, c, cmd, o) }
	return cmd
}

// dryRunFlag defines --dry-run: say every step, call nothing.
func dryRunFlag(fs *flag.FlagSet) *bool {
	return fs.Bool("dry-run", false, "print every step without calling anything")
}

// functionFlag defines --function, the skill's Lambda function; "" means
// the configuration's.
func functionFlag(fs *flag.FlagSet) *string {
	return fs.String("function", "", "skill Lambda `NAME` or ARN (default $"+config.EnvSkillFunction.Name+")")
}

// skillIDFlag defines --skill-id; "" means the configuration's.
func skillIDFlag(fs *flag.FlagSet) *string {
	return fs.String("skill-id", "", "Alexa skill `ID` (default $"+config.EnvSkillID.Name+")")
}

// runRelease publishes the skill function and moves its aliases:
// release, promote, rollback or hotfix.
func runRelease(ctx context.Context, c *cli, cmd *command, o *releaseOptions) error {
	cfg := c.config()
	action, dryRun, function, skillID := o.action, o.dryRun, o.function, o.skillID
	submit, manual, dir := o.submit, o.manual, o.dir
	if *function == "" {
		*function = cfg.SkillFunction
	}
	if *skillID == "" {
		*skillID = cfg.SkillID
	}
	cfg.SkillFunction, cfg.SkillID = *function, *skillID
	needSkill := action == "release"

	err := cfg.Require(config.NeedSkillFunction|config.NeedSkillID,
		map[config.Var]string{config.EnvSkillFunction: "--function", config.EnvSkillID: "--skill-id"})
	var ask smapiConfig
	if needSkill && !*dryRun {
		var credErr error
		ask, credErr = loadSMAPIConfig(c)
		err = withCredentials(err, credErr)
	}
	if err != nil {
		return err
	}

	r := &release.Releaser{
		Function: *function,
		SkillID:  *skillID,
		Out:      c.stdout,
		DryRun:   *dryRun,
		Resume:   resumeCommand(cmd.path, &cmd.flags),
	}
	if !*dryRun {
		awsCfg, err := config.AWS(ctx, cfg)
		if err != nil {
			return err
		}
		r.Lambda = lambda.NewFromConfig(awsCfg)
		if needSkill {
			r.Skill = newSMAPIClient(c, ask)
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
