package index

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// failingQueue fails the first failures receives, then hands out nothing.
type failingQueue struct {
	failures int
	receives int
}

func (q *failingQueue) ReceiveMessage(context.Context, *sqs.ReceiveMessageInput, ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	q.receives++
	if q.receives <= q.failures {
		return nil, errors.New("connection refused")
	}
	return &sqs.ReceiveMessageOutput{}, nil
}

func (q *failingQueue) DeleteMessageBatch(context.Context, *sqs.DeleteMessageBatchInput, ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error) {
	return &sqs.DeleteMessageBatchOutput{}, nil
}

func TestWorkReceiveBackoff(t *testing.T) {
	tests := []struct {
		name         string
		failures     int
		wantReceives int
		wantErr      bool
	}{
		{"recovers", 3, 4, false},
		{"gives up when draining", 100, onceReceiveAttempts, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := &failingQueue{failures: tt.failures}
			var waits []time.Duration
			opt := WorkerOptions{Once: true, sleep: func(_ context.Context, d time.Duration) error {
				waits = append(waits, d)
				return nil
			}}
			err := New(nil, nil, "b", nil).Work(context.Background(), q, "q", opt)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Work() = %v; want error %v", err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), "connection refused") {
				t.Errorf("Work() = %v; want the receive error", err)
			}
			if q.receives != tt.wantReceives {
				t.Errorf("%d receives; want %d", q.receives, tt.wantReceives)
			}
			if want := min(tt.failures, onceReceiveAttempts-1); len(waits) != want {
				t.Fatalf("%d waits; want %d", len(waits), want)
			}
			for i, d := range waits {
				if c := receiveBackoff.Ceiling(i + 1); d < c/2 || d > c {
					t.Errorf("wait %d = %v; want in [%v, %v]", i+1, d, c/2, c)
				}
			}
		})
	}
}
