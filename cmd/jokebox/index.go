package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/jokebox/jokebox/shared/config"
	"github.com/jokebox/jokebox/shared/index"
)

// runIndex runs the indexer as a long-poll SQS worker.
func runIndex(ctx context.Context, c *cli, args []string) error {
	cfg, _ := config.Load(c.getenv, 0) // a malformed variable is reported by newApp, after -h
	fs := newFlags(c, "index")
	queueURL := fs.String("queue-url", cfg.QueueURL, "SQS queue `URL` receiving the bucket's notifications (default $JOKEBOX_QUEUE_URL)")
	once := fs.Bool("once", false, "drain the queue, then exit")
	batch := fs.Int("batch", 100, "messages applied as one manifest version")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("index: unexpected argument %q", fs.Arg(0))
	}
	if *queueURL == "" {
		return errors.New("index: --queue-url is required")
	}
	a, err := newApp(ctx, c, config.NeedBucket)
	if err != nil {
		return err
	}
	total, failed := 0, 0
	err = a.Indexer().Work(ctx, sqs.NewFromConfig(a.AWS), *queueURL, index.WorkerOptions{
		Once: *once, BatchSize: *batch,
		Progress: func(ok, bad int) {
			total += ok
			failed += bad
			fmt.Fprintf(c.stderr, "indexed %d messages (%d failed, left for redelivery)\n", total, failed)
		},
	})
	if err != nil {
		return err
	}
	if *once {
		fmt.Fprintf(c.stdout, "queue drained: %d messages applied, %d failed\n", total, failed)
		if failed > 0 {
			return fmt.Errorf("index: %d messages failed and were left in the queue for redelivery", failed)
		}
	}
	return nil
}
