package index

import (
	"context"
	"os"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/jokebox/jokebox/internal/motoserver"
	"github.com/jokebox/jokebox/shared/manifest"
	"github.com/jokebox/jokebox/shared/store"
)

// stallingUpdater runs the update function, then waits on stall before the
// first commit: a writer that observed the bucket and is slow to publish.
type stallingUpdater struct {
	*store.Store
	observed, stall chan struct{}
	once            sync.Once
}

func (u *stallingUpdater) Update(ctx context.Context, fn store.UpdateFunc, opt store.UpdateOptions) (*manifest.Manifest, error) {
	return u.Store.Update(ctx, func(ctx context.Context, m *manifest.Manifest) error {
		err := fn(ctx, m)
		u.once.Do(func() {
			close(u.observed)
			<-u.stall
		})
		return err
	}, opt)
}

// TestMotoDeleteDuringSlowPublish is the lost-delete race, made
// deterministic: writer A observes a new file and stalls before publishing;
// the file is deleted and writer B, handling the delete event, finds
// nothing to change in the manifest it reads (the file was never in it);
// then A publishes. The manifest must not keep the deleted file.
func TestMotoDeleteDuringSlowPublish(t *testing.T) {
	t.Parallel()
	cfg := motoserver.Config(motoserver.Start(t))
	s3c := motoserver.S3(cfg)
	ctx := context.Background()
	const bucket, key = "jokes", "chistes/fugaz.mp3"
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	audio, err := os.ReadFile("../../testdata/audio/short.mp3")
	if err != nil {
		t.Fatal(err)
	}
	upload(t, s3c, bucket, []string{"chistes/queda.mp3", key}, audio)
	if _, _, err := New(s3c, store.New(s3c, nil, bucket, "", nil), bucket, nil).Apply(ctx, []string{"chistes/queda.mp3"}); err != nil {
		t.Fatal(err)
	}

	slow := &stallingUpdater{Store: store.New(s3c, nil, bucket, "", nil), observed: make(chan struct{}), stall: make(chan struct{})}
	done := make(chan error, 1)
	go func() {
		_, _, err := New(s3c, slow, bucket, nil).Apply(ctx, []string{key}) // the create event
		done <- err
	}()
	<-slow.observed
	if _, err := s3c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := New(s3c, store.New(s3c, nil, bucket, "", nil), bucket, nil).Apply(ctx, []string{key}); err != nil { // the delete event
		t.Fatal(err)
	}
	close(slow.stall)
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	m, err := store.New(s3c, nil, bucket, "", nil).Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := m.Lookup(key); ok {
		t.Fatalf("manifest v%d still offers %s, deleted before the slow writer published", m.Version, key)
	}
	if _, ok := m.Lookup("chistes/queda.mp3"); !ok {
		t.Fatalf("manifest v%d lost chistes/queda.mp3", m.Version)
	}
}
