package main

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/jokebox/jokebox/shared/app"
	"github.com/jokebox/jokebox/shared/config"
	"github.com/jokebox/jokebox/shared/index"
)

// indexCommand is `jokebox index`.
func indexCommand() *command {
	cmd := &command{name: "index",
		summary: "run the indexer as a long-poll SQS worker",
		example: "jokebox index --once --queue-url \"$JOKEBOX_QUEUE_URL\"",
		env:     storeEnv(config.EnvQueueURL)}
	queueURL := cmd.flags.String("queue-url", "", "SQS queue `URL` receiving the bucket's notifications (default $"+config.EnvQueueURL.Name+")")
	once := cmd.flags.Bool("once", false, "drain the queue, then exit")
	batch := cmd.flags.Int("batch", 100, "`N` messages applied as one manifest version")
	cmd.run = func(ctx context.Context, c *cli, _ *command, _ []string) error {
		return runIndex(ctx, c, *queueURL, *once, *batch)
	}
	return cmd
}

// runIndex runs the indexer as a long-poll SQS worker.
func runIndex(ctx context.Context, c *cli, queueURL string, once bool, batch int) error {
	cfg := c.config()
	if queueURL != "" {
		cfg.QueueURL = queueURL
	}
	if err := cfg.Require(config.NeedBucket|config.NeedQueueURL, map[config.Var]string{config.EnvQueueURL: "--queue-url"}); err != nil {
		return err
	}
	a, err := app.New(ctx, cfg, c.logger())
	if err != nil {
		return err
	}
	total, failed := 0, 0
	err = a.Indexer().Work(ctx, sqs.NewFromConfig(a.AWS), cfg.QueueURL, index.WorkerOptions{
		Once: once, BatchSize: batch,
		Progress: func(ok, bad int) {
			total += ok
			failed += bad
			fmt.Fprintf(c.stderr, "indexed %d messages (%d failed, left for redelivery)\n", total, failed)
		},
	})
	if err != nil {
		return err
	}
	if once {
		fmt.Fprintf(c.stdout, "queue drained: %d messages applied, %d failed\n", total, failed)
		if failed > 0 {
			return fmt.Errorf("index: %d messages failed and were left in the queue for redelivery", failed)
		}
	}
	return nil
}
