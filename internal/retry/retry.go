// Package retry is jokebox's one way to try an operation again: a bounded
// number of attempts, exponential backoff with full jitter, waits that end
// when the context does, and a classifier that says which errors are worth
// another attempt.
//
// Loops whose state changes between attempts (a writer that reloads what it
// lost a race to) use Backoff.Delay and Sleep directly; the rest call
// Policy.Do.
package retry

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// Backoff is exponential backoff with jitter: the wait before retry n is
// uniformly random in [c/2, c], where c = min(Base·2^(n-1), Max). Half the
// ceiling is random, enough to spread out callers that collided; the other
// half is a floor, so that a caller that just collided never comes
// straight back into the same collision.
type Backoff struct {
	// Base is the ceiling of the first retry's wait; 0 means 100ms.
	Base time.Duration
	// Max caps every ceiling; 0 means no cap beyond Base·2^20.
	Max time.Duration
}

// Ceiling is the longest wait before retry n (n ≥ 1).
func (b Backoff) Ceiling(n int) time.Duration {
	base := b.Base
	if base <= 0 {
		base = 100 * time.Millisecond
	}
	c := base << min(max(n-1, 0), 20)
	if c <= 0 || (b.Max > 0 && c > b.Max) {
		c = b.Max
	}
	return c
}

// Delay is the wait before retry n (n ≥ 1): random in [Ceiling(n)/2,
// Ceiling(n)].
func (b Backoff) Delay(n int) time.Duration {
	c := b.Ceiling(n)
	if c <= 0 {
		return 0
	}
	return c - time.Duration(rand.Int64N(int64(c/2)+1))
}

// Sleep waits for d, or until ctx ends and then returns ctx.Err().
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Policy says how often and how patiently Do tries.
type Policy struct {
	// Attempts bounds the tries, the first included; 0 or less means no
	// bound other than the context.
	Attempts int
	// Backoff spaces the tries.
	Backoff Backoff
	// Retryable classifies an error: true means another attempt may
	// succeed. nil means every error is retryable.
	Retryable func(error) bool
	// OnRetry, when not nil, hears about each retry before its wait (for
	// logging).
	OnRetry func(ctx context.Context, attempt int, wait time.Duration, err error)
	// Sleep waits between tries; nil means the package's Sleep. Tests
	// replace it to record the waits without taking them.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Do calls fn until it returns nil, an error the classifier refuses, or
// an error after the last attempt; it returns that error unchanged. attempt
// counts from 1. When ctx ends during a wait, Do returns an error that
// wraps both ctx.Err() and fn's last error. An error made with After waits
// the duration it names instead of the backoff (a server's Retry-After).
func (p Policy) Do(ctx context.Context, fn func(ctx context.Context, attempt int) error) error {
	sleep := p.Sleep
	if sleep == nil {
		sleep = Sleep
	}
	for attempt := 1; ; attempt++ {
		err := fn(ctx, attempt)
		if err == nil {
			return nil
		}
		if (p.Retryable != nil && !p.Retryable(err)) || (p.Attempts > 0 && attempt >= p.Attempts) {
			return err
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%w (last attempt: %w)", ctx.Err(), err)
		}
		wait := p.Backoff.Delay(attempt)
		var a *afterError
		if errors.As(err, &a) {
			wait = a.wait
		}
		if p.OnRetry != nil {
			p.OnRetry(ctx, attempt, wait, err)
		}
		if serr := sleep(ctx, wait); serr != nil {
			return fmt.Errorf("%w (last attempt: %w)", serr, err)
		}
	}
}

// After wraps err so that Do waits d before the next attempt instead of
// its backoff; errors.Is and errors.As see through it.
func After(err error, d time.Duration) error {
	if err == nil {
		return nil
	}
	return &afterError{err: err, wait: d}
}

type afterError struct {
	err  error
	wait time.Duration
}

func (e *afterError) Error() string { return e.err.Error() }
func (e *afterError) Unwrap() error { return e.err }
