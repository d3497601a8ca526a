package main

import (
	"context"
	"log/slog"

	"github.com/jokebox/jokebox/shared/app"
	"github.com/jokebox/jokebox/shared/config"
	"github.com/jokebox/jokebox/shared/server"
)

// newApp builds the production parts on the run's configuration, which
// must have what need names. Logs go to the run's logger.
func newApp(ctx context.Context, c *cli, need config.Requirement) (*app.App, error) {
	cfg := c.config()
	if err := cfg.Require(need, nil); err != nil {
		return nil, err
	}
	return app.New(ctx, cfg, c.logger())
}

// load reads the configuration from the environment and makes the logger,
// once per run: the first call does it, over the defaults that defaults
// changes (nil: config.Defaults); later calls change nothing. exec calls it
// with the command's defaults before the command runs.
func (c *cli) load(defaults func(*config.Config)) {
	if c.loaded {
		return
	}
	c.loaded = true
	base := config.Defaults()
	if defaults != nil {
		defaults(&base)
	}
	// A malformed variable is kept in the configuration: Require reports
	// it, with the missing ones, when the command checks what it needs.
	c.cfg, _ = config.LoadOver(base, c.getenv, 0)
	level := slog.LevelInfo
	if c.cfg.Debug {
		level = slog.LevelDebug
	}
	c.log = slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: level}))
}

// config returns the run's configuration, a copy the command may change
// (with its flags) before it checks it with Require.
func (c *cli) config() config.Config {
	c.load(nil)
	return c.cfg
}

// logger logs to stderr as text, at debug level with JOKEBOX_DEBUG=true (a
// malformed JOKEBOX_DEBUG means info; Require reports it).
func (c *cli) logger() *slog.Logger {
	c.load(nil)
	return c.log
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
