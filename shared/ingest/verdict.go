package ingest

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/jokebox/jokebox/internal/retry"
	"github.com/jokebox/jokebox/shared/manifest"
)

// Verdict is what the published manifest says of the files that went up
// (uploaded now, or there already).
type Verdict struct {
	Version  int64                // of the manifest read; 0 for none
	Want     int                  // files asked about
	Offered  int                  // in the manifest as playable, at their ETag
	Rejected []manifest.Rejection // rejected by the indexer, at their ETag
}

// Missing is how many files the manifest does not know yet.
func (v Verdict) Missing() int { return v.Want - v.Offered - len(v.Rejected) }

// Read is the verdict of m (nil for none yet) on files.
func Read(m *manifest.Manifest, files []*File) Verdict {
	want := map[string]string{}
	for _, f := range files {
		if f.goesAhead() && f.ETag != "" {
			want[f.Key] = f.ETag
		}
	}
	v := Verdict{Want: len(want)}
	if m == nil {
		return v
	}
	v.Version = m.Version
	for _, e := range m.Entries {
		if etag, ok := want[e.Key]; ok && etag == e.ETag {
			v.Offered++
		}
	}
	for _, r := range m.Rejected {
		if etag, ok := want[r.Key]; ok && etag == r.ETag {
			v.Rejected = append(v.Rejected, r)
		}
	}
	return v
}

// ManifestLoader loads the published manifest.
type ManifestLoader interface {
	Load(ctx context.Context) (*manifest.Manifest, error)
}

// Await reads the verdict until the manifest knows every file or wait is
// over; with wait 0 it reads once.
func Await(ctx context.Context, l ManifestLoader, files []*File, wait time.Duration) (Verdict, error) {
	deadline := time.Now().Add(wait)
	for {
		m, err := l.Load(ctx)
		if err != nil {
			m = nil // none published yet, or unreadable: not known
		}
		v := Read(m, files)
		if v.Missing() == 0 || !time.Now().Before(deadline) {
			return v, nil
		}
		if err := retry.Sleep(ctx, min(time.Second, time.Until(deadline)+time.Millisecond)); err != nil {
			return v, err
		}
	}
}

// NotificationReader reads a bucket's event notifications.
type NotificationReader interface {
	GetBucketNotificationConfiguration(context.Context, *s3.GetBucketNotificationConfigurationInput, ...func(*s3.Options)) (*s3.GetBucketNotificationConfigurationOutput, error)
}

// IndexerAnswers reports whether an indexer will publish what is uploaded
// to bucket: `jokebox index` polls queueURL, or the bucket notifies a
// queue, a function, a topic or EventBridge (a deployed stack). When the
// configuration cannot be read it answers true: wait, as before.
func IndexerAnswers(ctx context.Context, c NotificationReader, bucket, queueURL string) bool {
	if queueURL != "" {
		return true
	}
	n, err := c.GetBucketNotificationConfiguration(ctx, &s3.GetBucketNotificationConfigurationInput{Bucket: aws.String(bucket)})
	if err != nil {
		return true
	}
	return len(n.QueueConfigurations) > 0 || len(n.LambdaFunctionConfigurations) > 0 || len(n.TopicConfigurations) > 0 || n.EventBridgeConfiguration != nil
}
