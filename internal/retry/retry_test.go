package retry

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var errBusy = errors.New("busy")

func TestCeiling(t *testing.T) {
	b := Backoff{Base: 10 * time.Millisecond, Max: 50 * time.Millisecond}
	var got []time.Duration
	for n := 1; n <= 5; n++ {
		got = append(got, b.Ceiling(n))
	}
	want := []time.Duration{10 * time.Millisecond, 20 * time.Millisecond, 40 * time.Millisecond, 50 * time.Millisecond, 50 * time.Millisecond}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ceilings (-want +got):\n%s", diff)
	}
	if c := (Backoff{Base: time.Hour}).Ceiling(1000); c <= 0 {
		t.Errorf("Ceiling(1000) = %v; want no overflow", c)
	}
	if c := (Backoff{}).Ceiling(1); c != 100*time.Millisecond {
		t.Errorf("zero Backoff's Ceiling(1) = %v; want 100ms", c)
	}
}

func TestDelayJitter(t *testing.T) {
	b := Backoff{Base: time.Millisecond, Max: 8 * time.Millisecond}
	seen := map[time.Duration]bool{}
	for range 200 {
		for n := 1; n <= 6; n++ {
			d := b.Delay(n)
			if c := b.Ceiling(n); d < c/2 || d > c {
				t.Fatalf("Delay(%d) = %v; want in [%v, %v]", n, d, c/2, c)
			}
			seen[d] = true
		}
	}
	if len(seen) < 10 {
		t.Errorf("%d distinct delays in 1200 draws; want jitter", len(seen))
	}
}

// recorder returns a Sleep that records waits without taking them.
func recorder(waits *[]time.Duration) func(context.Context, time.Duration) error {
	return func(_ context.Context, d time.Duration) error {
		*waits = append(*waits, d)
		return nil
	}
}

func TestDo(t *testing.T) {
	permanent := errors.New("permanent")
	tests := []struct {
		name      string
		attempts  int
		results   []error // fn's answer per call; nil after the end
		wantCalls int
		wantErr   error
	}{
		{"first try", 3, nil, 1, nil},
		{"second try", 3, []error{errBusy}, 2, nil},
		{"exhausted", 3, []error{errBusy, errBusy, errBusy, errBusy}, 3, errBusy},
		{"not retryable", 3, []error{errBusy, permanent, errBusy}, 2, permanent},
		{"unbounded", 0, []error{errBusy, errBusy, errBusy, errBusy, errBusy}, 6, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var waits []time.Duration
			calls := 0
			p := Policy{
				Attempts:  tt.attempts,
				Backoff:   Backoff{Base: time.Second},
				Retryable: func(err error) bool { return errors.Is(err, errBusy) },
				Sleep:     recorder(&waits),
			}
			err := p.Do(context.Background(), func(_ context.Context, attempt int) error {
				calls++
				if attempt != calls {
					t.Errorf("attempt = %d on call %d", attempt, calls)
				}
				if calls <= len(tt.results) {
					return tt.results[calls-1]
				}
				return nil
			})
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Errorf("Do() = %v; want %v", err, tt.wantErr)
			}
			if calls != tt.wantCalls {
				t.Errorf("%d calls; want %d", calls, tt.wantCalls)
			}
			if len(waits) != calls-1 {
				t.Errorf("%d waits for %d calls", len(waits), calls)
			}
			for i, w := range waits {
				if c := p.Backoff.Ceiling(i + 1); w < c/2 || w > c {
					t.Errorf("wait %d = %v; want in [%v, %v]", i+1, w, c/2, c)
				}
			}
		})
	}
}

func TestDoAfter(t *testing.T) {
	var waits []time.Duration
	var retried []int
	p := Policy{
		Attempts: 3, Backoff: Backoff{Base: time.Millisecond}, Sleep: recorder(&waits),
		OnRetry: func(_ context.Context, attempt int, wait time.Duration, err error) {
			retried = append(retried, attempt)
		},
	}
	err := p.Do(context.Background(), func(_ context.Context, attempt int) error {
		return After(errBusy, 7*time.Second)
	})
	if !errors.Is(err, errBusy) {
		t.Errorf("Do() = %v; want errBusy through After", err)
	}
	if diff := cmp.Diff([]time.Duration{7 * time.Second, 7 * time.Second}, waits); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{1, 2}, retried); diff != "" {
		t.Errorf("OnRetry attempts (-want +got):\n%s", diff)
	}
	if After(nil, time.Second) != nil {
		t.Error("After(nil) != nil")
	}
}

func TestDoContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	start := time.Now()
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	err := Policy{Backoff: Backoff{Base: time.Hour}}.Do(ctx, func(context.Context, int) error {
		calls++
		return errBusy
	})
	if !errors.Is(err, context.Canceled) || !errors.Is(err, errBusy) {
		t.Errorf("Do() = %v; want context.Canceled wrapping the last error", err)
	}
	if calls != 1 {
		t.Errorf("%d calls; want 1", calls)
	}
	if time.Since(start) > time.Minute {
		t.Error("the wait did not end with the context")
	}

	// A context already over stops before any wait.
	waits := 0
	err = Policy{Sleep: func(context.Context, time.Duration) error { waits++; return nil }}.Do(ctx, func(context.Context, int) error { return errBusy })
	if !errors.Is(err, context.Canceled) || waits != 0 {
		t.Errorf("Do() on an ended context = %v after %d waits; want context.Canceled, no wait", err, waits)
	}
}

func TestSleep(t *testing.T) {
	if err := Sleep(context.Background(), time.Millisecond); err != nil {
		t.Errorf("Sleep = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep on a cancelled context = %v; want context.Canceled", err)
	}
	if err := Sleep(ctx, 0); !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep(0) on a cancelled context = %v; want context.Canceled", err)
	}
}
