package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/jokebox/jokebox/shared/config"
	"github.com/jokebox/jokebox/shared/deploy"
	"github.com/jokebox/jokebox/shared/skill"
	"github.com/jokebox/jokebox/shared/skillpkg"
	"github.com/jokebox/jokebox/shared/smapi"
)

// handledIntents are the intents functions/skill handles.
var handledIntents = skill.Intents()

// modelBuildTimeout bounds the wait for interaction model builds.
const modelBuildTimeout = 15 * time.Minute

// skillCommand is `jokebox skill` and its subcommands.
func skillCommand() *command {
	return &command{name: "skill",
		summary: "check the skill package, or update its interaction models",
		example: "jokebox skill validate --dir skill-package",
		subs:    []*command{skillValidateCommand(), skillBuildCommand(), skillDeployModelCommand()}}
}

// dirFlag defines the --dir flag of the skill package's directory.
func dirFlag(fs *flag.FlagSet, usage string) *string {
	return fs.String("dir", "skill-package", usage)
}

// skillValidateCommand is `jokebox skill validate`.
func skillValidateCommand() *command {
	cmd := &command{name: "validate",
		summary: "check the skill package offline",
		example: "jokebox skill validate --dir skill-package",
		env:     storeEnv()}
	dir := dirFlag(&cmd.flags, "skill package `DIR`")
	cmd.run = func(ctx context.Context, c *cli, _ *command, _ []string) error { return runSkillValidate(ctx, c, *dir) }
	return cmd
}

// runSkillValidate checks the skill package offline, and its folders
// against the bucket's when the bucket is configured.
func runSkillValidate(ctx context.Context, c *cli, dir string) error {
	pkg, err := checkedPackage(c, dir)
	if err != nil {
		return err
	}
	warnMissingFolders(ctx, c, pkg)
	fmt.Fprintf(c.stdout, "%s: ok (%d locales: %s; %d intents)\n", dir, len(pkg.Locales()), strings.Join(pkg.Locales(), ", "), len(handledIntents))
	return nil
}

// checkedPackage loads and validates the package, printing every problem.
func checkedPackage(c *cli, dir string) (*skillpkg.Package, error) {
	pkg, err := skillpkg.Load(dir)
	if err != nil {
		return nil, err
	}
	if ps := skillpkg.Validate(pkg, handledIntents); len(ps) > 0 {
		for _, p := range ps {
			fmt.Fprintln(c.stdout, p)
		}
		return nil, fmt.Errorf("skill package %s: %d problems", dir, len(ps))
	}
	return pkg, nil
}

// skillDeployModelCommand is `jokebox skill deploy-model`.
func skillDeployModelCommand() *command {
	cmd := &command{name: "deploy-model",
		summary: "build the interaction models from the bucket's folders, upload them and wait for their builds",
		example: "jokebox skill deploy-model --locale es-ES",
		env:     storeEnv(append([]config.Var{config.EnvSkillID}, smapiEnv()...)...)}
	dir := dirFlag(&cmd.flags, "skill package `DIR`")
	stage := cmd.flags.String("stage", smapi.StageDevelopment, "skill `STAGE`")
	locale := cmd.flags.String("locale", "", "deploy only this `LOCALE` (default: every locale of skill.json)")
	cmd.run = func(ctx context.Context, c *cli, _ *command, _ []string) error {
		return runSkillDeployModel(ctx, c, *dir, *stage, *locale)
	}
	return cmd
}

// runSkillDeployModel uploads the interaction models and waits for their builds.
func runSkillDeployModel(ctx context.Context, c *cli, dir, stage, locale string) error {
	cfg := c.config()
	skillID := cfg.SkillID
	ask, credErr := loadSMAPIConfig(c)
	// The playlist values come from the bucket's manifest.
	if err := withCredentials(cfg.Require(config.NeedBucket|config.NeedSkillID, nil), credErr); err != nil {
		return err
	}
	pkg, _, err := buildFromManifest(ctx, c, dir)
	if err != nil {
		return err
	}
	locales := pkg.Locales()
	if locale != "" {
		if _, ok := pkg.Models[locale]; !ok {
			return fmt.Errorf("skill deploy-model: no model for locale %q (have %s)", locale, strings.Join(locales, ", "))
		}
		locales = []string{locale}
	}
	bodies, err := deploy.ModelBodies(pkg, locales)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, modelBuildTimeout)
	defer cancel()
	_, note, err := deploy.UploadModels(ctx, newSMAPIClient(c, ask), skillID, stage, bodies, c.stdout)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "interaction models: %s\n", note)
	return nil
}
