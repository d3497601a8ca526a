package faults

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/jokebox/jokebox/shared/manifest"
	"github.com/jokebox/jokebox/shared/store"
)

// pausingS3 is a store's S3 client that stops before writing the pointer
// until told to go on.
type pausingS3 struct {
	*s3.Client
	reached, resume chan struct{}
}

func (p *pausingS3) PutObject(ctx context.Context, in *s3.PutObjectInput, o ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	if aws.ToString(in.Key) == store.PointerKey && p.reached != nil {
		close(p.reached)
		<-p.resume
		p.reached = nil
	}
	return p.Client.PutObject(ctx, in, o...)
}

// TestPointerNeverRegresses makes the race that the pointer's
// compare-and-set exists for happen every time: writer A publishes v2's
// object and stalls before moving the pointer; writer B loses v2, builds
// v3 on it and moves the pointer to v3; then A resumes. The pointer (and
// its SSM copy) must end at v3, not go back to v2.
func TestPointerNeverRegresses(t *testing.T) {
	e := newEnv(t)
	b := store.New(e.s3, e.ssm, bucket, param, nil)
	add := func(key string) func(context.Context, *manifest.Manifest) (bool, error) {
		return func(_ context.Context, m *manifest.Manifest) (bool, error) {
			m.Apply([]manifest.Change{manifest.Upsert(manifest.Entry{Key: key, ETag: "e", Size: 1})}, rand.New(rand.NewPCG(1, 2)))
			return true, nil
		}
	}
	if _, err := b.Update(t.Context(), add("a.mp3")); err != nil {
		t.Fatal(err)
	}
	ps := &pausingS3{Client: e.s3, reached: make(chan struct{}), resume: make(chan struct{})}
	a := store.New(ps, e.ssm, bucket, param, nil)
	done := make(chan error, 1)
	go func() {
		_, err := a.Update(t.Context(), add("b.mp3"))
		done <- err
	}()
	<-ps.reached
	m3, err := b.Update(t.Context(), add("c.mp3"))
	if err != nil {
		t.Fatal(err)
	}
	close(ps.resume)
	if err := <-done; err != nil && !strings.Contains(err.Error(), "pointer") {
		t.Fatalf("writer A: %v", err)
	}
	for name, st := range map[string]*store.Store{"bucket": store.New(e.s3, nil, bucket, "", nil), "SSM": b} {
		p, err := st.Pointer(t.Context())
		if err != nil || p.Version != m3.Version {
			t.Errorf("%s pointer at v%d (%v) after both writers; want v%d", name, p.Version, err, m3.Version)
		}
	}
	if got := e.load(); len(got.Entries) != 3 {
		t.Errorf("manifest v%d has %d entries; want a, b and c", got.Version, len(got.Entries))
	}
}
