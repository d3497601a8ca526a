package devstack

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/go-cmp/cmp"
)

// sqsFunc is an SQSHandler made of a function, for unit tests.
type sqsFunc func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error)

func (f sqsFunc) HandleSQS(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	return f(ctx, ev)
}

var discard = slog.New(slog.DiscardHandler)

func TestEncodeKey(t *testing.T) {
	t.Parallel()
	tests := []struct{ key, want string }{
		{"a.mp3", "a.mp3"},
		{"animales/el pato.mp3", "animales/el+pato.mp3"},
		{"sub folder/otro+chiste.mp3", "sub+folder/otro%2Bchiste.mp3"},
		{"ñandú/canción.mp3", "%C3%B1and%C3%BA/canci%C3%B3n.mp3"},
		{"a%20b&c=d?.mp3", "a%2520b%26c%3Dd%3F.mp3"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			if got := EncodeKey(tt.key); got != tt.want {
				t.Errorf("EncodeKey(%q) = %q; want %q", tt.key, got, tt.want)
			}
			if got, err := url.QueryUnescape(EncodeKey(tt.key)); err != nil || got != tt.key {
				t.Errorf("QueryUnescape(EncodeKey(%q)) = %q, %v", tt.key, got, err)
			}
		})
	}
}

func FuzzEncodeKey(f *testing.F) {
	for _, s := range []string{"a.mp3", "animales/el pato.mp3", "x+y/ñ%.mp3", "a//b", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		got, err := url.QueryUnescape(EncodeKey(key))
		if err != nil || got != key {
			t.Errorf("QueryUnescape(EncodeKey(%q)) = %q, %v", key, got, err)
		}
	})
}

// decodeBodies decodes every message of the batches as aws-lambda-go does
// in the indexer function, and checks the SQS envelope.
func decodeBodies(t *testing.T, batches []events.SQSEvent) []events.S3EventRecord {
	t.Helper()
	var recs []events.S3EventRecord
	for _, b := range batches {
		for _, m := range b.Records {
			if m.EventSource != "aws:sqs" || m.MessageId == "" || m.AWSRegion != Region {
				t.Errorf("message envelope = %+v; want aws:sqs with an ID", m)
			}
			var ev events.S3Event
			if err := json.Unmarshal([]byte(m.Body), &ev); err != nil {
				t.Fatalf("body %s does not decode as an S3 event: %v", m.Body, err)
			}
			recs = append(recs, ev.Records...)
		}
	}
	return recs
}

func TestNotifyBuildsS3Events(t *testing.T) {
	t.Parallel()
	var got []events.SQSEvent
	n := newNotifier(sqsFunc(func(_ context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		got = append(got, ev)
		return events.SQSEventResponse{}, nil
	}), "media-bucket", discard)
	now := time.Date(2026, 3, 1, 12, 30, 45, 123e6, time.UTC)
	n.now = func() time.Time { return now }
	changes := []Change{
		{Key: "animales/el pato.mp3", Size: 1234, ETag: `"0123abcd"`},
		{Key: "a+b.mp3", Size: 5, ETag: `"ff"`},
		{Key: "canciones/ñandú.mp3", Removed: true},
	}
	if err := n.notify(context.Background(), changes); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || len(got[0].Records) != 1 {
		t.Fatalf("got %d calls; want 1 call with 1 message", len(got))
	}
	body := got[0].Records[0].Body
	var raw struct {
		Records []map[string]any
	}
	if err := json.Unmarshal([]byte(body), &raw); err != nil {
		t.Fatal(err)
	}
	if tm := raw.Records[0]["eventTime"]; tm != "2026-03-01T12:30:45.123Z" {
		t.Errorf("eventTime = %v; want 2026-03-01T12:30:45.123Z", tm)
	}
	recs := decodeBodies(t, got)
	type rec struct {
		Name, Key, Decoded, ETag, Bucket, ARN string
		Size                                  int64
	}
	var simple []rec
	var seqs []string
	for _, r := range recs {
		if r.EventVersion != "2.1" || r.EventSource != "aws:s3" || r.AWSRegion != Region || !r.EventTime.Equal(now) {
			t.Errorf("record header = %+v", r)
		}
		simple = append(simple, rec{r.EventName, r.S3.Object.Key, r.S3.Object.URLDecodedKey, r.S3.Object.ETag, r.S3.Bucket.Name, r.S3.Bucket.Arn, r.S3.Object.Size})
		seqs = append(seqs, r.S3.Object.Sequencer)
	}
	want := []rec{
		{"ObjectCreated:Put", "animales/el+pato.mp3", "animales/el pato.mp3", "0123abcd", "media-bucket", "arn:aws:s3:::media-bucket", 1234},
		{"ObjectCreated:Put", "a%2Bb.mp3", "a+b.mp3", "ff", "media-bucket", "arn:aws:s3:::media-bucket", 5},
		{"ObjectRemoved:Delete", "canciones/%C3%B1and%C3%BA.mp3", "canciones/ñandú.mp3", "", "media-bucket", "arn:aws:s3:::media-bucket", 0},
	}
	if diff := cmp.Diff(want, simple); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	for i := 1; i < len(seqs); i++ {
		if len(seqs[i]) != len(seqs[i-1]) || seqs[i] <= seqs[i-1] {
			t.Errorf("sequencers %q then %q; want increasing, same length", seqs[i-1], seqs[i])
		}
	}
}

func TestNotifyBatches(t *testing.T) {
	t.Parallel()
	tests := []struct {
		changes   int
		wantCalls []int // messages per call
		wantLast  int   // records in the last message
	}{
		{1, []int{1}, 1},
		{10, []int{1}, 10},
		{25, []int{3}, 5},
		{100, []int{10}, 10},
		{150, []int{10, 5}, 10},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.changes), func(t *testing.T) {
			var calls []events.SQSEvent
			n := newNotifier(sqsFunc(func(_ context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
				calls = append(calls, ev)
				return events.SQSEventResponse{}, nil
			}), "b", discard)
			var changes []Change
			for i := range tt.changes {
				changes = append(changes, Change{Key: "k" + strconv.Itoa(i) + ".mp3", Size: 1})
			}
			if err := n.notify(context.Background(), changes); err != nil {
				t.Fatal(err)
			}
			var perCall []int
			for _, c := range calls {
				perCall = append(perCall, len(c.Records))
			}
			if diff := cmp.Diff(tt.wantCalls, perCall); diff != "" {
				t.Errorf("messages per call (-want +got):\n%s", diff)
			}
			recs := decodeBodies(t, calls)
			if len(recs) != tt.changes {
				t.Errorf("%d records; want %d", len(recs), tt.changes)
			}
			last := calls[len(calls)-1].Records
			var ev events.S3Event
			_ = json.Unmarshal([]byte(last[len(last)-1].Body), &ev)
			if len(ev.Records) != tt.wantLast {
				t.Errorf("last message has %d records; want %d", len(ev.Records), tt.wantLast)
			}
		})
	}
}

func TestNotifyRetriesFailedMessages(t *testing.T) {
	t.Parallel()
	changes := make([]Change, 30) // three messages
	for i := range changes {
		changes[i] = Change{Key: "k" + strconv.Itoa(i) + ".mp3", Size: 1}
	}
	t.Run("item failure then success", func(t *testing.T) {
		var calls [][]events.SQSMessage
		n := newNotifier(sqsFunc(func(_ context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
			calls = append(calls, ev.Records)
			if len(calls) == 1 {
				return events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{{ItemIdentifier: ev.Records[1].MessageId}}}, nil
			}
			return events.SQSEventResponse{}, nil
		}), "b", discard)
		n.sleep = func(context.Context, time.Duration) error { return nil }
		if err := n.notify(context.Background(), changes); err != nil {
			t.Fatal(err)
		}
		if len(calls) != 2 || len(calls[1]) != 1 || calls[1][0].MessageId != calls[0][1].MessageId {
			t.Fatalf("calls = %d; want the second message redelivered alone", len(calls))
		}
		if got := calls[1][0].Attributes["ApproximateReceiveCount"]; got != "2" {
			t.Errorf("ApproximateReceiveCount = %q; want 2", got)
		}
		if got := calls[0][1].Attributes["ApproximateReceiveCount"]; got != "1" {
			t.Errorf("first delivery's ApproximateReceiveCount changed to %q", got)
		}
	})
	t.Run("handler error every time", func(t *testing.T) {
		calls := 0
		var slept []time.Duration
		n := newNotifier(sqsFunc(func(_ context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
			calls++
			return events.SQSEventResponse{}, errors.New("boom")
		}), "b", discard)
		n.sleep = func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil }
		err := n.notify(context.Background(), changes)
		if err == nil {
			t.Fatal("notify succeeded; want an error")
		}
		if calls != redeliveries+1 {
			t.Errorf("%d calls; want %d", calls, redeliveries+1)
		}
		if len(slept) != redeliveries {
			t.Fatalf("%d pauses; want %d", len(slept), redeliveries)
		}
		for i, d := range slept {
			if c := redelivery.Ceiling(i + 1); d < c/2 || d > c {
				t.Errorf("pause %d = %v; want in [%v, %v]", i+1, d, c/2, c)
			}
		}
	})
	t.Run("no indexer", func(t *testing.T) {
		n := newNotifier(nil, "b", slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err := n.notify(context.Background(), changes); err != nil {
			t.Fatal(err)
		}
	})
}
