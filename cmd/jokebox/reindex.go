package main

import (
	"context"
	"fmt"

	"github.com/jokebox/jokebox/shared/config"
	"github.com/jokebox/jokebox/shared/index"
)

// runReindex reconciles the manifest with a full listing, keeping order.
func runReindex(ctx context.Context, c *cli, args []string) error {
	fs := newFlags(c, "reindex")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("reindex: unexpected argument %q", fs.Arg(0))
	}
	return reconcile(ctx, c, false)
}

// runRotate reconciles and reshuffles, like the scheduled rotator, and
// warms the skill function when JOKEBOX_SKILL_FUNCTION is set.
func runRotate(ctx context.Context, c *cli, args []string) error {
	fs := newFlags(c, "rotate")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("rotate: unexpected argument %q", fs.Arg(0))
	}
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
