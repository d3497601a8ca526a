package faults

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/jokebox/jokebox/shared/index"
	"github.com/jokebox/jokebox/shared/store"
)

// duration is how long the concurrency test uploads and deletes.
var duration = flag.Duration("faults.duration", 30*time.Second, "how long TestConcurrentWriters changes the bucket")

// TestConcurrentWriters runs four indexer workers on one queue and a
// rotator reconciling and reshuffling in a loop, while two drivers upload
// and delete at random. The rotator stops at 80% of the run so that the
// last changes reach the manifest through events only. Then the queue is
// drained. No version may be published twice, the pointer may only move
// forward, and the final manifest must equal the bucket.
func TestConcurrentWriters(t *testing.T) {
	start := time.Now()
	e := newEnv(t)
	fx := loadFixtures(t)
	q, _ := e.queue("concurrent", 2, 0)
	e.notify(q, false)
	contents := [][]byte{fx.short, fx.notitle, fx.vbr, fx.text, nil}
	key := func(i int) string { return fmt.Sprintf("c%d/chiste-%02d.mp3", i%4, i) }
	const keys = 40

	ctx, cancelAll := context.WithCancel(t.Context())
	defer cancelAll()

	// Pointer pollers: the bucket's pointer and the SSM cache, each only
	// ever moving forward.
	var polled, polledSSM []int64
	pollCtx, stopPoll := context.WithCancel(ctx)
	var pollers sync.WaitGroup
	direct := store.New(e.s3, nil, bucket, "", nil)
	viaSSM := store.New(e.s3, e.ssm, bucket, param, nil)
	for _, p := range []struct {
		st  *store.Store
		out *[]int64
	}{{direct, &polled}, {viaSSM, &polledSSM}} {
		pollers.Go(func() {
			for pollCtx.Err() == nil {
				if ptr, err := p.st.Pointer(pollCtx); err == nil {
					if n := len(*p.out); n == 0 || (*p.out)[n-1] != ptr.Version {
						*p.out = append(*p.out, ptr.Version)
					}
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}

	// Indexer workers.
	var applied, failedMsgs atomic.Int64
	workCtx, stopWork := context.WithCancel(ctx)
	var workers sync.WaitGroup
	const nWorkers = 4
	for range nWorkers {
		workers.Go(func() {
			err := e.ix.Work(workCtx, e.psqs, q, index.WorkerOptions{BatchSize: 20, Progress: func(a, f int) {
				applied.Add(int64(a))
				failedMsgs.Add(int64(f))
			}})
			if err != nil {
				t.Errorf("Work: %v", err)
			}
		})
	}

	// Rotator.
	rotCtx, stopRot := context.WithCancel(ctx)
	var rotations, rotErrs atomic.Int64
	var rotator sync.WaitGroup
	rotator.Go(func() {
		for rotCtx.Err() == nil {
			_, _, err := e.ix.Reconcile(rotCtx, index.ReconcileOptions{Shuffle: true})
			switch {
			case err == nil:
				rotations.Add(1)
			case rotCtx.Err() == nil:
				rotErrs.Add(1)
				t.Errorf("Reconcile: %v", err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	})

	// Drivers.
	var ops atomic.Int64
	driveCtx, stopDrive := context.WithTimeout(ctx, *duration)
	defer stopDrive()
	var drivers sync.WaitGroup
	for d := range 2 {
		drivers.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(d), 77))
			for driveCtx.Err() == nil {
				k := key(rng.IntN(keys))
				var err error
				if rng.IntN(3) == 0 {
					_, err = e.s3.DeleteObject(driveCtx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: &k})
				} else {
					_, err = e.s3.PutObject(driveCtx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: &k, Body: bytes.NewReader(contents[rng.IntN(len(contents))])})
				}
				if err != nil && driveCtx.Err() == nil {
					t.Errorf("driver: %v", err)
				}
				ops.Add(1)
				time.Sleep(time.Duration(10+rng.IntN(40)) * time.Millisecond)
			}
		})
	}
	time.Sleep(*duration * 8 / 10)
	stopRot()
	rotator.Wait()
	drivers.Wait()
	driven := time.Since(start)

	// Drain: wait until the workers have emptied the queue.
	deadline := time.Now().Add(2 * time.Minute)
	for e.pending(q) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("queue not drained: %d messages left", e.pending(q))
		}
		time.Sleep(200 * time.Millisecond)
	}
	stopWork()
	workers.Wait()
	time.Sleep(50 * time.Millisecond)
	stopPoll()
	pollers.Wait()

	m := e.checkMatches()
	published := e.rec.versions()
	sorted := slices.Clone(published)
	slices.Sort(sorted)
	for i := 1; i < len(sorted); i++ {
		if sorted[i] == sorted[i-1] {
			t.Errorf("version %d published twice: an update was lost", sorted[i])
		}
	}
	if n := len(sorted); n == 0 || sorted[n-1] != m.Version || sorted[0] != 1 || int64(n) != m.Version {
		t.Errorf("published versions %d..%d (%d of them), final manifest v%d: want every version from 1 published exactly once", sorted[0], sorted[len(sorted)-1], len(sorted), m.Version)
	}
	checkIncreasing(t, "pointer in the bucket", polled)
	checkIncreasing(t, "pointer in SSM", polledSSM)
	if got, err := viaSSM.Pointer(t.Context()); err != nil || got.Version != m.Version {
		t.Errorf("SSM pointer v%d (%v) after the run; want v%d", got.Version, err, m.Version)
	}
	t.Logf("ran %v (driven %v): %d uploads and deletes by 2 drivers, %d workers applied %d messages (%d failed and retried), %d rotations (%d errors), %d versions published, %d and %d pointer versions polled (S3, SSM), final v%d with %d entries and %d rejected, 0 lost",
		time.Since(start).Round(time.Millisecond), driven.Round(time.Millisecond), ops.Load(), nWorkers, applied.Load(), failedMsgs.Load(), rotations.Load(), rotErrs.Load(), len(published), len(polled), len(polledSSM), m.Version, len(m.Entries), len(m.Rejected))
}
