// Command skill is the Alexa skill's Lambda function: Alexa Skills Kit
// requests in, AudioPlayer directives out. The logic is in shared/skill.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/jokebox/jokebox/shared/app"
	"github.com/jokebox/jokebox/shared/config"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	cfg, err := config.Load(os.Getenv, config.NeedBucket)
	if err != nil {
		log.Error("start", "err", err)
		os.Exit(1)
	}
	a, err := app.New(context.Background(), cfg, log)
	if err != nil {
		log.Error("start", "err", err)
		os.Exit(1)
	}
	h, err := a.Skill()
	if err != nil {
		log.Error("start", "err", err)
		os.Exit(1)
	}
	lambda.Start(h) // h is a lambda.Handler: raw bytes in and out (h.Invoke), the same path as jokebox serve
}
