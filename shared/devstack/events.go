package devstack

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/jokebox/jokebox/internal/retry"
)

// SQSHandler is the indexer's entry point for SQS batches of S3 event
// notifications, as the indexer function receives them in the cloud.
type SQSHandler interface {
	HandleSQS(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error)
}

// Event names S3 uses in notifications.
const (
	EventObjectCreatedPut    = "ObjectCreated:Put"
	EventObjectRemovedDelete = "ObjectRemoved:Delete"
)

// Change is one object written to or deleted from the bucket.
type Change struct {
	Key     string // object key, not encoded
	Removed bool   // true for a delete
	Size    int64  // bytes; writes only
	ETag    string // as PutObject returned it, quotes allowed; writes only
}

// Batching as an S3 → SQS → Lambda pipeline would deliver: records per
// message body, messages per handler call.
const (
	recordsPerMessage = 10
	messagesPerCall   = 10
)

// redelivery spaces the redeliveries of messages the indexer reported as
// failed, up to redeliveries of them; the last failure is logged and
// returned.
var redelivery = retry.Backoff{Base: 100 * time.Millisecond, Max: 2 * time.Second}

const redeliveries = 3

// EncodeKey encodes an object key as S3 does in event notifications: like
// a query string value (space as '+', UTF-8 bytes as %XX) with '/' kept.
// url.QueryUnescape decodes it.
func EncodeKey(key string) string {
	return strings.ReplaceAll(url.QueryEscape(key), "%2F", "/")
}

// notifier turns changes into S3 event notifications and delivers them to
// the indexer in SQS batches, redelivering the messages it reports failed.
type notifier struct {
	handler SQSHandler
	bucket  string
	log     *slog.Logger
	now     func() time.Time
	sleep   func(context.Context, time.Duration) error
	seq     atomic.Uint64 // S3 sequencer; increasing
}

func newNotifier(h SQSHandler, bucket string, log *slog.Logger) *notifier {
	n := &notifier{handler: h, bucket: bucket, log: log, now: time.Now, sleep: retry.Sleep}
	n.seq.Store(uint64(time.Now().UnixNano()))
	return n
}

// record builds the event record S3 would send for c, in aws-lambda-go's
// types. Marshalled, it differs from S3's own JSON only where those types
// do: eventTime drops trailing zeros of its milliseconds, the object also
// carries urlDecodedKey and an empty versionId, and an empty object's size
// is left out. The indexer reads none of these.
func (n *notifier) record(c Change) events.S3EventRecord {
	obj := events.S3Object{Key: EncodeKey(c.Key), URLDecodedKey: c.Key, Sequencer: fmt.Sprintf("%018X", n.seq.Add(1))}
	name := EventObjectRemovedDelete
	if !c.Removed {
		name = EventObjectCreatedPut
		obj.Size = c.Size
		obj.ETag = strings.Trim(c.ETag, `"`)
	}
	return events.S3EventRecord{
		EventVersion:      "2.1",
		EventSource:       "aws:s3",
		AWSRegion:         Region,
		EventTime:         n.now().UTC().Truncate(time.Millisecond),
		EventName:         name,
		PrincipalID:       events.S3UserIdentity{PrincipalID: "AWS:JOKEBOXDEV"},
		RequestParameters: events.S3RequestParameters{SourceIPAddress: "127.0.0.1"},
		ResponseElements:  map[string]string{"x-amz-request-id": randomHex(8), "x-amz-id-2": randomHex(32)},
		S3: events.S3Entity{
			SchemaVersion:   "1.0",
			ConfigurationID: "jokebox-dev",
			Bucket:          events.S3Bucket{Name: n.bucket, OwnerIdentity: events.S3UserIdentity{PrincipalID: "JOKEBOXDEV"}, Arn: "arn:aws:s3:::" + n.bucket},
			Object:          obj,
		},
	}
}

// messages packs changes into SQS messages of up to recordsPerMessage
// records each.
func (n *notifier) messages(changes []Change) ([]events.SQSMessage, error) {
	var msgs []events.SQSMessage
	for start := 0; start < len(changes); start += recordsPerMessage {
		end := min(start+recordsPerMessage, len(changes))
		var body events.S3Event
		for _, c := range changes[start:end] {
			body.Records = append(body.Records, n.record(c))
		}
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("encode s3 event: %w", err)
		}
		sum := md5.Sum(b)
		sent := strconv.FormatInt(n.now().UnixMilli(), 10)
		msgs = append(msgs, events.SQSMessage{
			MessageId:     uuid(),
			ReceiptHandle: randomHex(32),
			Body:          string(b),
			Md5OfBody:     hex.EncodeToString(sum[:]),
			Attributes: map[string]string{
				"ApproximateReceiveCount":          "1",
				"SentTimestamp":                    sent,
				"ApproximateFirstReceiveTimestamp": sent,
				"SenderId":                         "AIDAJOKEBOXDEV",
			},
			EventSource:    "aws:sqs",
			EventSourceARN: "arn:aws:sqs:" + Region + ":000000000000:jokebox-dev-events",
			AWSRegion:      Region,
		})
	}
	return msgs, nil
}

// notify delivers changes to the indexer. Messages it reports as failed (or
// whole batches, when it returns an error) are redelivered after a pause; an
// error names the messages that still failed after the last retry.
func (n *notifier) notify(ctx context.Context, changes []Change) error {
	if n.handler == nil || len(changes) == 0 {
		return nil
	}
	msgs, err := n.messages(changes)
	if err != nil {
		return err
	}
	var errs []error
	for start := 0; start < len(msgs); start += messagesPerCall {
		end := min(start+messagesPerCall, len(msgs))
		if err := n.deliver(ctx, msgs[start:end]); err != nil {
			if ctx.Err() != nil {
				return err
			}
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// deliver sends one batch of messages, retrying failed ones.
func (n *notifier) deliver(ctx context.Context, batch []events.SQSMessage) error {
	pending := batch
	for attempt := 0; ; attempt++ {
		failed, cause := n.call(ctx, pending)
		if len(failed) == 0 {
			return nil
		}
		if attempt == redeliveries {
			for _, m := range failed {
				n.log.ErrorContext(ctx, "indexer failed s3 event message", "messageId", m.MessageId, "attempts", attempt+1, "err", cause)
			}
			return fmt.Errorf("indexer failed %d of %d messages after %d attempts: %v", len(failed), len(batch), attempt+1, cause)
		}
		for _, m := range failed {
			n.log.WarnContext(ctx, "indexer failed s3 event message, retrying", "messageId", m.MessageId, "attempt", attempt+1, "err", cause)
		}
		if err := n.sleep(ctx, redelivery.Delay(attempt+1)); err != nil {
			return err
		}
		pending = make([]events.SQSMessage, len(failed))
		for i, m := range failed {
			m.Attributes = cloneAttrs(m.Attributes)
			m.Attributes["ApproximateReceiveCount"] = strconv.Itoa(attempt + 2)
			pending[i] = m
		}
	}
}

// call invokes the handler once and returns the messages to redeliver.
func (n *notifier) call(ctx context.Context, msgs []events.SQSMessage) ([]events.SQSMessage, error) {
	resp, err := n.handler.HandleSQS(ctx, events.SQSEvent{Records: msgs})
	if err != nil {
		return msgs, err
	}
	if len(resp.BatchItemFailures) == 0 {
		return nil, nil
	}
	bad := make(map[string]bool, len(resp.BatchItemFailures))
	for _, f := range resp.BatchItemFailures {
		bad[f.ItemIdentifier] = true
	}
	var failed []events.SQSMessage
	for _, m := range msgs {
		if bad[m.MessageId] {
			failed = append(failed, m)
		}
	}
	return failed, errors.New("reported as a batch item failure")
}

func cloneAttrs(m map[string]string) map[string]string {
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return strings.ToUpper(hex.EncodeToString(b))
}

func uuid() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
