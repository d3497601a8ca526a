package main

import (
	"context"
	"fmt"

	"github.com/jokebox/jokebox/shared/config"
	"github.com/jokebox/jokebox/shared/index"
)

// reindexCommand is `jokebox reindex`: it reconciles the manifest with a
// full listing, keeping the order.
func reindexCommand() *command {
	return &command{name: "reindex",
		summary: "reconcile the manifest with a full bucket listing, keeping the order",
		example: "JOKEBOX_BUCKET=my-audio jokebox reindex",
		env:     storeEnv(),
		run: func(ctx context.Context, c *cli, _ *command, _ []string) error {
			return reconcile(ctx, c, false)
		}}
}

// rotateCommand is `jokebox rotate`.
func rotateCommand() *command {
	return &command{name: "rotate",
		summary: "reconcile, reshuffle every playlist and publish a new version",
		example: "JOKEBOX_BUCKET=my-audio jokebox rotate",
		env:     storeEnv(config.EnvSkillFunction),
		run:     runRotate}
}

// runRotate reconciles and reshuffles, like the scheduled rotator, and
// warms the skill function when JOKEBOX_SKILL_FUNCTION is set.
func runRotate(ctx context.Context, c *cli, _ *command, _ []string) error {
	a, err := newApp(ctx, c, config.NeedBucket)
	if err != nil {
		return err
	}
	res, err := a.Rotator().Handle(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "rotated: manifest v%d, %d entries in %d playlists, %d rejected (added %d, removed %d), skill warmed: %v\n",
		res.Version, res.Entries, res.Folders, res.Rejected, res.Added, res.Removed, res.Warmed)
	return nil
}

func reconcile(ctx context.Context, c *cli, shuffle bool) error {
	a, err := newApp(ctx, c, config.NeedBucket)
	if err != nil {
		return err
	}
	m, sum, err := a.Indexer().Reconcile(ctx, index.ReconcileOptions{
		Shuffle: shuffle,
		Progress: func(stage string, done, total int) {
			if total > 0 {
				fmt.Fprintf(c.stderr, "%s %d/%d\n", stage, done, total)
			} else {
				fmt.Fprintf(c.stderr, "%s %d objects\n", stage, done)
			}
		},
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "manifest v%d: %d entries in %d playlists, %d rejected (added %d, updated %d, removed %d)\n",
		m.Version, len(m.Entries), len(m.Folders()), len(m.Rejected), sum.Added, sum.Updated, sum.Removed)
	return nil
}
