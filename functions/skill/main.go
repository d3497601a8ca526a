// Command skill is the Alexa skill's Lambda function: Alexa Skills Kit
// requests in, AudioPlayer directives out. The logic is in shared/skill.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/jokebox/jokebox/shared/app"
	"github.com/jokebox/jokebox/shared/config"
	"github.com/jokebox/jokebox/shared/skill"
)

func main() {
	log := lambdacontext.NewLogger() // requestId on every line; honours AWS_LAMBDA_LOG_FORMAT and _LEVEL
	a, err := app.FromEnv(context.Background(), os.Getenv, config.NeedBucket, log)
	if err != nil {
		log.Error("start", "err", err)
		os.Exit(1)
	}
	// Lambda freezes the environment between invocations: a manifest
	// refresh must finish within the request that starts it.
	h, err := a.Skill(func(c *skill.Config) { c.WaitForRefresh = true })
	if err != nil {
		log.Error("start", "err", err)
		os.Exit(1)
	}
	lambda.Start(h) // h is a lambda.Handler: raw bytes in and out (h.Invoke), the same path as jokebox serve
}
