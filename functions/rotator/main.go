// Command rotator is the scheduled Lambda function that reconciles the
// manifest with the bucket, reshuffles it and warms the skill. The logic is
// in shared/index.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/jokebox/jokebox/shared/app"
	"github.com/jokebox/jokebox/shared/config"
)

func main() {
	log := lambdacontext.NewLogger() // requestId on every line; honours AWS_LAMBDA_LOG_FORMAT and _LEVEL
	a, err := app.FromEnv(context.Background(), os.Getenv, config.NeedBucket|config.NeedSkillFunction, log)
	if err != nil {
		log.Error("start", "err", err)
		os.Exit(1)
	}
	lambda.Start(a.Rotator().Handle)
}
