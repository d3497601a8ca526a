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

// logger logs to stderr as text, at debug level with JOKEBOX_DEBUG=true.
// A malformed JOKEBOX_DEBUG means info here; the command reports it when it
// loads its configuration.
func (c *cli) logger() *slog.Logger {
	level := slog.LevelInfo
	if cfg, _ := config.Load(c.getenv, 0); cfg.Debug {
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

// storeEnv is what reaching the bucket and its manifest reads, and more.
func storeEnv(more ...config.Var) []config.Var {
	return append([]config.Var{config.EnvBucket, config.EnvManifestParam, config.EnvS3PathStyle,
		config.EnvEndpoint, config.EnvRegion, config.EnvDebug}, more...)
}

// skillEnv is what the skill reads, on top of storeEnv, and more.
func skillEnv(more ...config.Var) []config.Var {
	return storeEnv(append([]config.Var{config.EnvSkillID, config.EnvURLTTL, config.EnvContinuous,
		config.EnvManifestTTL, config.EnvWelcome, config.EnvListenersTable}, more...)...)
}
