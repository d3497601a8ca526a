// Command indexer is the Lambda function that keeps the manifest current:
// S3 event notifications arrive through SQS and each batch becomes at most
// one new manifest version. The logic is in shared/index.
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
	a, err := app.FromEnv(context.Background(), os.Getenv, config.NeedBucket, log)
	if err != nil {
		log.Error("start", "err", err)
		os.Exit(1)
	}
	lambda.Start(a.Indexer().HandleSQS) // returns SQSEventResponse for ReportBatchItemFailures
}
