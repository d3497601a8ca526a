package index

import (
	"context"

	"github.com/aws/aws-lambda-go/events"
)

// HandleSQS applies a batch of SQS messages holding S3 event notifications
// and reports the messages it did not apply, for ReportBatchItemFailures: a
// malformed message fails alone, a key whose state could not be read fails
// the messages that named it, and a failure to publish fails every message
// that named a key. The Lambda function and `jokebox index` both call it.
func (ix *Indexer) HandleSQS(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	fail := func(id string) {
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: id})
	}
	var keys []string
	named := map[string][]string{} // key → IDs of the messages that named it
	for _, msg := range ev.Records {
		touches, err := ParseNotification([]byte(msg.Body))
		if err != nil {
			ix.log.ErrorContext(ctx, "bad message", "messageId", msg.MessageId, "err", err)
			fail(msg.MessageId)
			continue
		}
		for _, t := range touches {
			if t.Bucket != ix.bucket || !Indexable(t.Key) {
				continue
			}
			if _, ok := named[t.Key]; !ok {
				keys = append(keys, t.Key)
			}
			named[t.Key] = append(named[t.Key], msg.MessageId)
		}
	}
	if len(keys) == 0 {
		return resp, nil
	}
	failed, m, err := ix.Apply(ctx, keys)
	failedMsgs := map[string]bool{}
	if err != nil {
		ix.log.ErrorContext(ctx, "batch not applied", "keys", len(keys), "err", err)
		for _, ids := range named {
			for _, id := range ids {
				failedMsgs[id] = true
			}
		}
	}
	for key, kerr := range failed {
		ix.log.WarnContext(ctx, "key not observed", "key", key, "err", kerr)
		for _, id := range named[key] {
			failedMsgs[id] = true
		}
	}
	for _, msg := range ev.Records {
		if failedMsgs[msg.MessageId] {
			fail(msg.MessageId)
		}
	}
	if m != nil {
		ix.log.InfoContext(ctx, "batch applied", "messages", len(ev.Records), "keys", len(keys), "failed", len(resp.BatchItemFailures), "version", m.Version, "entries", len(m.Entries))
	}
	return resp, nil
}
