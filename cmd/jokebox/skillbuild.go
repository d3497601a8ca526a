package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jokebox/jokebox/shared/app"
	"github.com/jokebox/jokebox/shared/config"
	"github.com/jokebox/jokebox/shared/manifest"
	"github.com/jokebox/jokebox/shared/skillpkg"
	"github.com/jokebox/jokebox/shared/spoken"
)

// skillBuildCommand is `jokebox skill build`.
func skillBuildCommand() *command {
	cmd := &command{name: "build",
		summary: "fill every locale's playlist values from the bucket's folders",
		example: "jokebox skill build --out /tmp/skill-package",
		env:     storeEnv()}
	dir := dirFlag(&cmd.flags, "skill package `DIR` to start from")
	out := cmd.flags.String("out", "", "`DIR` to write the built package to")
	inPlace := cmd.flags.Bool("in-place", false, "overwrite the package in --dir instead (its models are tracked files)")
	cmd.run = func(ctx context.Context, c *cli, _ *command, _ []string) error {
		to, err := buildTarget(*dir, *out, *inPlace)
		if err != nil {
			return err
		}
		return runSkillBuild(ctx, c, *dir, to)
	}
	return cmd
}

// buildTarget is where `skill build` writes: --out, or --dir itself only
// when --in-place says so, since the package in the repository is tracked.
func buildTarget(dir, out string, inPlace bool) (string, error) {
	switch {
	case out != "" && inPlace:
		return "", fmt.Errorf("skill build: --out %s and --in-place contradict each other: give one", out)
	case inPlace:
		return dir, nil
	case out == "":
		return "", fmt.Errorf("skill build: say where to write: --out DIR, or --in-place to overwrite %s", dir)
	}
	return out, nil
}

// runSkillBuild writes the skill package with every locale's playlist
// values generated from the current manifest's folders.
func runSkillBuild(ctx context.Context, c *cli, dir, out string) error {
	pkg, folders, err := buildFromManifest(ctx, c, dir)
	if err != nil {
		return err
	}
	if err := pkg.Write(out); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "%s: %d locales, %d folders: %s\n", out, len(pkg.Models), len(folders), strings.Join(folders, ", "))
	printForms(c, pkg, folders)
	return nil
}

// printForms shows how each folder is said in each locale, its value and
// synonyms, so that the owner can see them and change them in the
// overrides file.
func printForms(c *cli, pkg *skillpkg.Package, folders []string) {
	fmt.Fprintf(c.stdout, "how each folder is said (value (synonyms)); change them in %s:\n", spoken.OverridesFile)
	for _, f := range folders {
		fmt.Fprintf(c.stdout, "  %s\n", f)
		for _, l := range pkg.Locales() {
			for _, v := range pkg.PlaylistValues(l) {
				if v.ID == f {
					fmt.Fprintf(c.stdout, "    %-5s  %s (%s)\n", l, v.Name.Value, strings.Join(v.Name.Synonyms, ", "))
				}
			}
		}
	}
}

// buildFromManifest loads the package in dir, reads the current manifest's
// folder playlists from the configured bucket and builds the package's
// playlist values from them (skillpkg.Build), printing every folder it had
// to leave out. The built package is validated. `skill build` writes it
// and `skill deploy-model` uploads it: one code path.
func buildFromManifest(ctx context.Context, c *cli, dir string) (*skillpkg.Package, []string, error) {
	folders, err := manifestFolders(ctx, c)
	if err != nil {
		return nil, nil, err
	}
	built, err := buildPackage(c, dir, folders)
	return built, folders, err
}

// buildPackage builds the package in dir for folders and validates it,
// printing the folders it left out and every problem. `skill build`,
// `skill deploy-model` and `deploy` all build with it.
func buildPackage(c *cli, dir string, folders []string) (*skillpkg.Package, error) {
	pkg, err := skillpkg.Load(dir)
	if err != nil {
		return nil, err
	}
	over, err := pkg.ParseOverrides()
	if err != nil {
		return nil, fmt.Errorf("skill package %s: %w", dir, err)
	}
	built, skipped := skillpkg.Build(pkg, folders, over)
	for _, s := range skipped {
		fmt.Fprintln(c.stdout, "warning:", s)
	}
	if ps := skillpkg.Validate(built, handledIntents); len(ps) > 0 {
		for _, p := range ps {
			fmt.Fprintln(c.stdout, p)
		}
		return nil, fmt.Errorf("built skill package: %d problems", len(ps))
	}
	return built, nil
}

// manifestFolders reads the folder playlists of the current manifest.
func manifestFolders(ctx context.Context, c *cli) ([]string, error) {
	a, err := newApp(ctx, c, config.NeedBucket)
	if err != nil {
		return nil, err
	}
	return storeFolders(ctx, a)
}

// storeFolders reads the folder playlists of a's current manifest.
func storeFolders(ctx context.Context, a *app.App) ([]string, error) {
	m, err := a.Store.Load(ctx)
	if errors.Is(err, manifest.ErrEmpty) {
		return nil, fmt.Errorf("no manifest in %s yet: upload audio and run jokebox reindex first: %w", a.Config.Bucket, err)
	}
	if err != nil {
		return nil, fmt.Errorf("read the manifest: %w", err)
	}
	var folders []string
	for _, p := range m.Playlists[1:] {
		folders = append(folders, p.Name)
	}
	return folders, nil
}

// warnMissingFolders prints a warning for each model that lacks folders of
// the current manifest, when the bucket is configured and readable.
func warnMissingFolders(ctx context.Context, c *cli, pkg *skillpkg.Package) {
	if c.config().Bucket == "" {
		return // a malformed variable is reported by manifestFolders
	}
	folders, err := manifestFolders(ctx, c)
	if err != nil {
		fmt.Fprintf(c.stdout, "note: folders not checked against the bucket: %v\n", err)
		return
	}
	for _, p := range skillpkg.MissingFolders(pkg, folders) {
		fmt.Fprintln(c.stdout, "warning:", p)
	}
}
