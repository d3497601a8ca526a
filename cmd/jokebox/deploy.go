package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/jokebox/jokebox/shared/app"
	"github.com/jokebox/jokebox/shared/config"
	"github.com/jokebox/jokebox/shared/deploy"
	"github.com/jokebox/jokebox/shared/manifest"
	"github.com/jokebox/jokebox/shared/release"
	"github.com/jokebox/jokebox/shared/skillpkg"
	"github.com/jokebox/jokebox/shared/smapi"
)

// skillPackageDir is the skill package, relative to serverless.yml.
const skillPackageDir = "skill-package"

// stageFlags are deploy's and destroy's shared flags.
type stageFlags struct {
	stage, region *string
	dryRun        *bool
}

// addStageFlags defines --stage, --region and --dry-run.
func addStageFlags(fs *flag.FlagSet) stageFlags {
	return stageFlags{
		stage:  fs.String("stage", "dev", "the stack's `STAGE`"),
		region: fs.String("region", "", "AWS `REGION`, one of "+strings.Join(deploy.AlexaRegions, ", ")+" (default $AWS_REGION, else the AWS config's, else us-east-1)"),
		dryRun: dryRunFlag(fs),
	}
}

// deployEnv are the variables deploy and destroy read.
func deployEnv() []config.Var {
	return append([]config.Var{config.EnvSkillID, config.EnvRegion, config.EnvEndpoint, config.EnvDebug, config.EnvVendorID}, smapiEnv()...)
}

// stageEnv is what deploy and destroy build for a stage.
type stageEnv struct {
	root, region string
	aws          aws.Config
	stack        *deploy.OSLS
	record       *deploy.SSMRecord
	cfg          config.Config
}

// newStageEnv finds serverless.yml, resolves the region, checks the AWS
// credentials (unless dryRun) and builds the stack and the record.
func newStageEnv(ctx context.Context, c *cli, stage, regionFlag string, dryRun bool) (*stageEnv, error) {
	root, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(root, "serverless.yml")); err != nil {
		return nil, fmt.Errorf("no serverless.yml in %s: run jokebox deploy and destroy in the jokebox repository", root)
	}
	region, err := deploy.Region(ctx, regionFlag, c.getenv)
	if err != nil {
		return nil, err
	}
	cfg := c.config()
	if err := cfg.Require(0, nil); err != nil {
		return nil, err
	}
	cfg.Region = region
	awsCfg, err := config.AWS(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if !dryRun {
		if _, err := awsCfg.Credentials.Retrieve(ctx); err != nil {
			return nil, fmt.Errorf("no AWS credentials (%v): set AWS_PROFILE, or run aws configure, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; docs/deploy.md lists the permissions (deploy/iam-policy.json)", err)
		}
	}
	env := append(os.Environ(), "AWS_REGION="+region)
	st := &deploy.OSLS{
		Bin:    filepath.Join(root, "node_modules", ".bin", "serverless"),
		Dir:    root,
		Stage:  stage,
		Region: region,
		Env:    env,
		Lambda: lambda.NewFromConfig(awsCfg),
		Out:    c.stdout,
	}
	// JOKEBOX_BUILD_DIR (read by serverless.yml) names zips built
	// elsewhere; without it, deploy.mk builds them and installs osls.
	if c.getenv("JOKEBOX_BUILD_DIR") == "" {
		st.Build = []string{"make", "--no-print-directory", "build", "node_modules/.package-lock.json"}
	}
	return &stageEnv{
		root: root, region: region, aws: awsCfg, stack: st, cfg: cfg,
		record: &deploy.SSMRecord{SSM: ssm.NewFromConfig(awsCfg), Name: deploy.RecordName(stage)},
	}, nil
}

// smapiFromEnv builds the SMAPI client, with the credentials and vendor
// of the environment or the login file.
func smapiFromEnv(c *cli) (*smapi.Client, string, error) {
	s, err := loadSMAPIConfig(c)
	if err != nil {
		return nil, "", err
	}
	return newSMAPIClient(c, s), s.vendorID, nil
}

// deployCommand is `jokebox deploy`.
func deployCommand() *command {
	cmd := &command{name: "deploy",
		summary: "create or update the skill, its stack, manifest and models, and enable it for testing",
		example: "jokebox deploy --region eu-west-1",
		env:     deployEnv()}
	f := addStageFlags(&cmd.flags)
	cmd.run = func(ctx context.Context, c *cli, cmd *command, _ []string) error { return runDeploy(ctx, c, cmd, f) }
	return cmd
}

// runDeploy takes a stage from nothing to a skill enabled for testing
// (package deploy).
func runDeploy(ctx context.Context, c *cli, cmd *command, f stageFlags) error {
	env, err := newStageEnv(ctx, c, *f.stage, *f.region, *f.dryRun)
	if err != nil {
		return err
	}
	src, err := skillpkg.Load(filepath.Join(env.root, skillPackageDir))
	if err != nil {
		return err
	}
	d := &deploy.Deployer{
		Stack:   env.stack,
		Record:  env.record,
		Release: &release.Releaser{Lambda: lambda.NewFromConfig(env.aws)},
		Source:  src,
		SkillID: env.cfg.SkillID,
		Region:  env.region,
		Out:     c.stdout,
		DryRun:  *f.dryRun,
		Resume:  withRegion(resumeCommand(cmd.path, &cmd.flags), *f.region, env.region),
		Package: func(ctx context.Context, st deploy.StackInfo) (*skillpkg.Package, error) {
			return deployPackage(ctx, c, env, st)
		},
	}
	if !*f.dryRun {
		if d.Skill, d.VendorID, err = smapiFromEnv(c); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "stage %s in %s\n", *f.stage, env.region)
	}
	_, err = d.Deploy(ctx)
	return err
}

// deployPackage builds the skill package for the stack's bucket: its
// folders, or none while it has no manifest yet.
func deployPackage(ctx context.Context, c *cli, env *stageEnv, st deploy.StackInfo) (*skillpkg.Package, error) {
	cfg := env.cfg
	cfg.Bucket, cfg.ManifestParam = st.Bucket, st.ManifestParam
	a := app.FromAWS(cfg, env.aws, c.logger())
	folders, err := storeFolders(ctx, a)
	if errors.Is(err, manifest.ErrEmpty) {
		fmt.Fprintf(c.stdout, "    bucket %s has no audio yet: the models have no playlist names until jokebox add and a deploy\n", st.Bucket)
		folders, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	return buildPackage(c, filepath.Join(env.root, skillPackageDir), folders)
}

// destroyCommand is `jokebox destroy`.
func destroyCommand() *command {
	cmd := &command{name: "destroy",
		summary: "remove the stack (the audio bucket is kept), and with --skill the skill",
		example: "jokebox destroy --stage dev --skill",
		env:     deployEnv()}
	f := addStageFlags(&cmd.flags)
	withSkill := cmd.flags.Bool("skill", false, "also delete the Alexa skill")
	cmd.run = func(ctx context.Context, c *cli, cmd *command, _ []string) error {
		return runDestroy(ctx, c, cmd, f, *withSkill)
	}
	return cmd
}

// runDestroy removes the stack, and with --skill the skill.
func runDestroy(ctx context.Context, c *cli, cmd *command, f stageFlags, withSkill bool) error {
	env, err := newStageEnv(ctx, c, *f.stage, *f.region, *f.dryRun)
	if err != nil {
		return err
	}
	env.stack.Build = nil
	d := &deploy.Destroyer{
		Stack:       env.stack,
		Record:      env.record,
		SkillID:     env.cfg.SkillID,
		DeleteSkill: withSkill,
		Out:         c.stdout,
		DryRun:      *f.dryRun,
		Resume:      withRegion(resumeCommand(cmd.path, &cmd.flags), *f.region, env.region),
	}
	if withSkill && !*f.dryRun {
		if d.Skill, _, err = smapiFromEnv(c); err != nil {
			return err
		}
	}
	return deploy.Explain(d.Destroy(ctx))
}

// withRegion adds --region to a resume command that lacks it, so that it
// resumes in the same region from any shell.
func withRegion(cmd, flag, region string) string {
	if flag != "" {
		return cmd
	}
	return cmd + " --region " + region
}
