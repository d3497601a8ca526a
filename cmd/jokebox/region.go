package main

import (
	"context"
	"fmt"

	"github.com/jokebox/jokebox/shared/config"
	"github.com/jokebox/jokebox/shared/deploy"
)

// regionCommand is `jokebox region`: the region a deploy uses, from the
// one rule (deploy.Region), which deploy.mk asks for too.
func regionCommand() *command {
	cmd := &command{name: "region",
		summary: "print the AWS region a deploy uses (--region, AWS_REGION, the AWS config), if Alexa calls it",
		example: "AWS_REGION=eu-west-1 jokebox region",
		env:     []config.Var{config.EnvRegion}}
	region := cmd.flags.String("region", "", "`REGION` to check instead of AWS_REGION and the AWS config's")
	cmd.run = func(ctx context.Context, c *cli, _ *command, _ []string) error {
		r, err := deploy.Region(ctx, *region, c.getenv)
		if err != nil {
			return err
		}
		fmt.Fprintln(c.stdout, r)
		return nil
	}
	return cmd
}
