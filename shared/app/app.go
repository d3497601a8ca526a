// Package app assembles jokebox's production parts from configuration: the
// same store, indexer and skill for the Lambda functions, `jokebox serve`,
// `jokebox dev` and the CLI.
package app

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/jokebox/jokebox/shared/config"
	"github.com/jokebox/jokebox/shared/index"
	"github.com/jokebox/jokebox/shared/listeners"
	"github.com/jokebox/jokebox/shared/skill"
	"github.com/jokebox/jokebox/shared/spoken"
	"github.com/jokebox/jokebox/shared/store"
	skillpackage "github.com/jokebox/jokebox/skill-package"
)

// App holds the AWS clients and the parts built on them.
type App struct {
	Config config.Config
	AWS    aws.Config
	S3     *s3.Client
	Store  *store.Store
	Log    *slog.Logger
	// Listeners is where the skill remembers listeners: the
	// JOKEBOX_LISTENERS_TABLE table, or nil (none). jokebox dev sets
	// memory.
	Listeners skill.Listeners
}

// FromEnv reads the configuration with getenv, failing with one error that
// names every missing or malformed variable, and builds the parts.
func FromEnv(ctx context.Context, getenv func(string) string, need config.Requirement, log *slog.Logger) (*App, error) {
	cfg, err := config.Load(getenv, need)
	if err != nil {
		return nil, err
	}
	return New(ctx, cfg, log)
}

// New builds the clients and the store.
func New(ctx context.Context, cfg config.Config, log *slog.Logger) (*App, error) {
	awsCfg, err := config.AWS(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return FromAWS(cfg, awsCfg, log), nil
}

// FromAWS builds the parts on an existing AWS configuration.
func FromAWS(cfg config.Config, awsCfg aws.Config, log *slog.Logger) *App {
	s3c := s3.NewFromConfig(awsCfg, cfg.S3Options)
	var ssmc store.SSM
	if cfg.ManifestParam != "" {
		ssmc = ssm.NewFromConfig(awsCfg)
	}
	a := &App{Config: cfg, AWS: awsCfg, S3: s3c, Store: store.New(s3c, ssmc, cfg.Bucket, cfg.ManifestParam, log), Log: log}
	if cfg.ListenersTable != "" {
		a.Listeners = listeners.NewTable(dynamodb.NewFromConfig(awsCfg), cfg.ListenersTable)
	}
	return a
}

// Indexer returns the indexer.
func (a *App) Indexer() *index.Indexer {
	return index.New(a.S3, a.Store, a.Config.Bucket, a.Log)
}

// Skill returns the skill handler, signing URLs with the configured
// lifetime. Options adjust the skill's configuration for one program (the
// Lambda function sets skill.Config.WaitForRefresh).
func (a *App) Skill(opts ...func(*skill.Config)) (*skill.Handler, error) {
	signer, err := store.NewPresigner(a.S3, a.Config.Bucket, a.Config.URLTTL)
	if err != nil {
		return nil, fmt.Errorf("url signer: %w", err)
	}
	playlists, err := spoken.ParseOverrides(skillpackage.Overrides())
	if err != nil {
		return nil, fmt.Errorf("skill-package/%s: %w", spoken.OverridesFile, err)
	}
	cfg := skill.Config{
		SkillID: a.Config.SkillID, Continuous: a.Config.Continuous, ManifestTTL: a.Config.ManifestTTL, Welcome: a.Config.Welcome,
		Playlists: playlists, Listeners: a.Listeners,
	}
	if a.Listeners == nil {
		a.Log.Info("listeners are not remembered (JOKEBOX_LISTENERS_TABLE is not set): a device continues its playlist only while jokebox played last on it")
	}
	for _, o := range opts {
		o(&cfg)
	}
	return skill.New(a.Store, signer, cfg, a.Log)
}

// Rotator returns the rotator, warming the configured skill function.
func (a *App) Rotator() *index.Rotator {
	return index.NewRotator(a.Indexer(), lambda.NewFromConfig(a.AWS), a.Config.SkillFunction, a.Log)
}
