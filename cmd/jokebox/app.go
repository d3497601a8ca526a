package main

import (
	"context"
	"log/slog"

	"github.com/jokebox/jokebox/shared/app"
	"github.com/jokebox/jokebox/shared/config"
	"github.com/jokebox/jokebox/shared/server"
)

// newApp loads the configuration from the environment and builds the
// production parts. Logs go to stderr as text.
func newApp(ctx context.Context, c *cli, need config.Requirement) (*app.App, error) {
	return app.FromEnv(ctx, c.getenv, need, c.logger())
}

func (c *cli) logger() *slog.Logger {
	level := slog.LevelInfo
	if c.getenv("JOKEBOX_DEBUG") != "" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: level}))
}

// newSkillInvoker builds the production skill from the environment.
func newSkillInvoker(ctx context.Context, c *cli) (server.Invoker, error) {
	a, err := newApp(ctx, c, config.NeedBucket)
	if err != nil {
		return nil, err
	}
	return a.Skill()
}
