package index

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/jokebox/jokebox/internal/retry"
)

// Queue is what the worker needs of an SQS client.
type Queue interface {
	ReceiveMessage(context.Context, *sqs.ReceiveMessageInput, ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessageBatch(context.Context, *sqs.DeleteMessageBatchInput, ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error)
}

// receiveBackoff spaces the receives after SQS failed to answer; Once gives
// up after onceReceiveAttempts failures in a row (about 15 s of waiting at
// most), the long-running worker never does.
var receiveBackoff = retry.Backoff{Base: 500 * time.Millisecond, Max: 30 * time.Second}

const onceReceiveAttempts = 5

// WorkerOptions tune Work.
type WorkerOptions struct {
	// Once drains the queue and returns instead of polling forever.
	Once bool
	// BatchSize is how many messages are applied as one manifest version,
	// like the Lambda event source's batch size with a batching window.
	BatchSize int
	// Progress, when not nil, hears after each batch.
	Progress func(applied, failed int)

	// sleep waits between receives; nil means retry.Sleep. Tests record
	// the waits without taking them.
	sleep func(context.Context, time.Duration) error
}

// Work runs the indexer as a long-poll SQS worker: the same HandleSQS the
// Lambda function runs, with the messages it applied deleted and the ones
// it did not left for redelivery (and, after maxReceiveCount, the DLQ).
func (ix *Indexer) Work(ctx context.Context, q Queue, queueURL string, opt WorkerOptions) error {
	if opt.BatchSize <= 0 {
		opt.BatchSize = 100
	}
	if opt.sleep == nil {
		opt.sleep = retry.Sleep
	}
	wait := int32(20)
	if opt.Once {
		wait = 1
	}
	failures := 0                     // receives failed in a row
	failedBefore := map[string]bool{} // Once: messages that failed already
	for ctx.Err() == nil {
		batch, err := ix.receive(ctx, q, queueURL, wait, opt.BatchSize)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			failures++
			if opt.Once && failures >= onceReceiveAttempts {
				return fmt.Errorf("receive from %s: %w", queueURL, err)
			}
			wait := receiveBackoff.Delay(failures)
			ix.log.WarnContext(ctx, "receive failed, backing off", "err", err, "backoff", wait)
			_ = opt.sleep(ctx, wait) // an ended ctx ends the loop
			continue
		}
		failures = 0
		if len(batch) == 0 {
			if opt.Once {
				return nil
			}
			continue
		}
		failed, err := ix.apply(ctx, q, queueURL, batch)
		if err != nil {
			ix.log.ErrorContext(ctx, "delete failed; messages will be redelivered", "err", err)
		}
		if opt.Progress != nil {
			opt.Progress(len(batch)-len(failed), len(failed))
		}
		if len(failed) == 0 {
			continue
		}
		if opt.Once {
			// Draining: a batch of nothing but messages that failed before
			// means what is left keeps failing. Leave it to redelivery and
			// the dead-letter queue rather than spin.
			again := 0
			for _, id := range failed {
				if failedBefore[id] {
					again++
				}
				failedBefore[id] = true
			}
			if again == len(batch) {
				return fmt.Errorf("%d messages keep failing; left in %s for redelivery and the dead-letter queue", len(failedBefore), queueURL)
			}
		}
		_ = opt.sleep(ctx, time.Second) // what failed is likely a backend fault: don't spin
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		return nil
	}
	return ctx.Err()
}

// receive gathers up to size messages: it keeps receiving while the queue
// hands out full pages.
func (ix *Indexer) receive(ctx context.Context, q Queue, queueURL string, wait int32, size int) ([]sqstypes.Message, error) {
	var batch []sqstypes.Message
	for len(batch) < size {
		out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: &queueURL, MaxNumberOfMessages: int32(min(10, size-len(batch))), WaitTimeSeconds: wait,
		})
		if err != nil {
			if len(batch) > 0 {
				return batch, nil
			}
			return nil, err
		}
		batch = append(batch, out.Messages...)
		if len(out.Messages) < 10 {
			break
		}
		wait = 0
	}
	return batch, nil
}

// apply runs HandleSQS on a batch and deletes what it applied. It returns
// the IDs of the messages that failed.
func (ix *Indexer) apply(ctx context.Context, q Queue, queueURL string, batch []sqstypes.Message) ([]string, error) {
	ev := events.SQSEvent{Records: make([]events.SQSMessage, len(batch))}
	for i, m := range batch {
		ev.Records[i] = events.SQSMessage{MessageId: aws.ToString(m.MessageId), ReceiptHandle: aws.ToString(m.ReceiptHandle), Body: aws.ToString(m.Body), EventSource: "aws:sqs"}
	}
	resp, _ := ix.HandleSQS(ctx, ev)
	failed := map[string]bool{}
	ids := make([]string, 0, len(resp.BatchItemFailures))
	for _, f := range resp.BatchItemFailures {
		failed[f.ItemIdentifier] = true
		ids = append(ids, f.ItemIdentifier)
	}
	var del []sqstypes.DeleteMessageBatchRequestEntry
	for i, m := range batch {
		if !failed[aws.ToString(m.MessageId)] {
			del = append(del, sqstypes.DeleteMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), ReceiptHandle: m.ReceiptHandle})
		}
	}
	for len(del) > 0 {
		n := min(10, len(del))
		out, err := q.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: &queueURL, Entries: del[:n]})
		if err != nil {
			return ids, err
		}
		if len(out.Failed) > 0 {
			return ids, fmt.Errorf("%d messages not deleted: %s", len(out.Failed), aws.ToString(out.Failed[0].Message))
		}
		del = del[n:]
	}
	return ids, nil
}
