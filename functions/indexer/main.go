// Command indexer is the Lambda function that keeps the manifest current:
// S3 event notifications arrive through SQS and each batch becomes at most
// one new manifest version. The logic is in shared/index.
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
	lambda.Start(a.Indexer().HandleSQS) // returns SQSEventResponse for ReportBatchItemFailures
}
