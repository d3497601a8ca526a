package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jokebox/jokebox/shared/config"
	"github.com/jokebox/jokebox/shared/skill"
	"github.com/jokebox/jokebox/shared/skillpkg"
	"github.com/jokebox/jokebox/shared/smapi"
)

// handledIntents are the intents functions/skill handles.
var handledIntents = skill.Intents()

// modelBuildTimeout bounds the wait for interaction model builds.
const modelBuildTimeout = 15 * time.Minute

// runSkillValidate checks the skill package offline.
func runSkillValidate(ctx context.Context, c *cli, args []string) error {
	fs := newFlags(c, "skill validate")
	dir := fs.String("dir", "skill-package", "skill package directory")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("skill validate: unexpected argument %q", fs.Arg(0))
	}
	pkg, err := checkedPackage(c, *dir)
	if err != nil {
		return err
	}
	warnMissingFolders(ctx, c, pkg)
	fmt.Fprintf(c.stdout, "%s: ok (%d locales: %s; %d intents)\n", *dir, len(pkg.Locales()), strings.Join(pkg.Locales(), ", "), len(handledIntents))
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

// runSkillDeployModel uploads the interaction models and waits for their builds.
func runSkillDeployModel(ctx context.Context, c *cli, args []string) error {
	fs := newFlags(c, "skill deploy-model")
	dir := fs.String("dir", "skill-package", "skill package directory")
	stage := fs.String("stage", smapi.StageDevelopment, "skill stage")
	locale := fs.String("locale", "", "deploy only this locale (default: every locale of skill.json)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("skill deploy-model: unexpected argument %q", fs.Arg(0))
	}
	cfg, err := config.Load(c.getenv, 0)
	if err != nil {
		return err
	}
	skillID := cfg.SkillID
	creds, credErr := smapi.CredentialsFromEnv(c.getenv)
	var missing []string
	if skillID == "" {
		missing = append(missing, "JOKEBOX_SKILL_ID")
	}
	if cfg.Bucket == "" {
		missing = append(missing, "JOKEBOX_BUCKET") // the playlist values come from its manifest
	}
	if err := configError(missing, credErr); err != nil {
		return err
	}
	pkg, _, err := buildFromManifest(ctx, c, *dir)
	if err != nil {
		return err
	}
	locales := pkg.Locales()
	if *locale != "" {
		if _, ok := pkg.Models[*locale]; !ok {
			return fmt.Errorf("skill deploy-model: no model for locale %q (have %s)", *locale, strings.Join(locales, ", "))
		}
		locales = []string{*locale}
	}
	bodies, err := modelBodies(pkg, locales)
	if err != nil {
		return err
	}
	client := newSMAPIClient(c, creds)
	for _, l := range locales {
		b := bodies[l]
		fmt.Fprintf(c.stdout, "%s: uploading interaction model to %s\n", l, *stage)
		if err := client.PutInteractionModel(ctx, skillID, *stage, l, b); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithTimeout(ctx, modelBuildTimeout)
	defer cancel()
	err = client.WaitModelBuild(ctx, skillID, locales, func(l, status string) {
		fmt.Fprintf(c.stdout, "%s: %s\n", l, status)
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "interaction models built: %s\n", strings.Join(locales, ", "))
	return nil
}

// newSMAPIClient builds an SMAPI client logging to the command's stderr.
func newSMAPIClient(c *cli, creds smapi.Credentials) *smapi.Client {
	log := c.logger()
	return &smapi.Client{
		Tokens: &smapi.TokenSource{Credentials: creds, Logger: log},
		Logger: log,
	}
}

// configError names every missing variable in one error: names, plus those
// credErr (from smapi.CredentialsFromEnv) lists. It returns credErr itself
// if that is another kind of error, and nil if nothing is missing.
func configError(names []string, credErr error) error {
	var me *smapi.MissingEnvError
	switch {
	case errors.As(credErr, &me):
		names = append(names, me.Names...)
	case credErr != nil:
		return credErr
	}
	if len(names) == 0 {
		return nil
	}
	return errors.New("configuration: missing " + strings.Join(names, ", "))
}
