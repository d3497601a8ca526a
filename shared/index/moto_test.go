package index

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/google/go-cmp/cmp"

	"github.com/jokebox/jokebox/internal/motoserver"
	"github.com/jokebox/jokebox/shared/store"
)

// TestMotoTwoWorkersLoseNothing uploads N files and drains their
// notifications with two workers on one queue at once, each with its own
// store, in small batches so that their publishes collide: the final
// manifest must hold every file.
func TestMotoTwoWorkersLoseNothing(t *testing.T) {
	t.Parallel()
	cfg := motoserver.Config(motoserver.Start(t))
	const bucket, n = "jokes", 300
	queueURL := motoserver.NotifyingBucket(t, cfg, bucket, "index")
	s3c, sqsc := motoserver.S3(cfg), sqs.NewFromConfig(cfg)
	ctx := context.Background()

	audio, err := os.ReadFile("../../testdata/audio/short.mp3")
	if err != nil {
		t.Fatal(err)
	}
	want := make([]string, n)
	for i := range want {
		want[i] = fmt.Sprintf("folder-%d/joke %03d.mp3", i%7, i)
	}
	upload(t, s3c, bucket, want, audio)

	start := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, 2)
	versions := make([]int, 2)
	for w := range 2 {
		wg.Go(func() {
			ix := New(s3c, store.New(s3c, nil, bucket, "", nil), bucket, nil)
			errs[w] = ix.Work(ctx, sqsc, queueURL, WorkerOptions{Once: true, BatchSize: 10, Progress: func(int, int) { versions[w]++ }})
		})
	}
	wg.Wait()
	t.Logf("two workers drained %d notifications in %v (%d and %d batches)", n, time.Since(start).Round(time.Millisecond), versions[0], versions[1])
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	m, err := store.New(s3c, nil, bucket, "", nil).Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range m.Entries {
		got = append(got, e.Key)
	}
	if diff := cmp.Diff(slices.Sorted(slices.Values(want)), got); diff != "" {
		t.Errorf("manifest v%d keys (-want +got):\n%s", m.Version, diff)
	}
	if versions[0] == 0 || versions[1] == 0 {
		t.Logf("one worker got no batch (%v): the run did not exercise concurrency", versions)
	}
}

// upload puts body under every key, 16 at a time.
func upload(t *testing.T, s3c *s3.Client, bucket string, keys []string, body []byte) {
	t.Helper()
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for _, key := range keys {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			_, err := s3c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)})
			if err != nil {
				mu.Lock()
				if first == nil {
					first = fmt.Errorf("put %q: %w", key, err)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if first != nil {
		t.Fatal(first)
	}
}
