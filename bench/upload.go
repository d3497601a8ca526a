package bench

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Credentials and region every process of the comparison uses with moto.
const (
	accessKey = "test"
	secretKey = "test"
	region    = "us-east-1"
)

// newS3 returns a path-style S3 client for endpoint with moto's test
// credentials, keeping up to conns connections open.
func newS3(endpoint string, conns int) *s3.Client {
	httpClient := awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
		t.MaxIdleConns = conns
		t.MaxIdleConnsPerHost = conns
	})
	cfg := aws.Config{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider(accessKey, secretKey, ""),
		BaseEndpoint: aws.String(endpoint),
		HTTPClient:   httpClient,
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.UsePathStyle = true
		o.DisableLogOutputChecksumValidationSkipped = true
	})
}

// folders are the top-level folders the objects are spread over; jokebox
// makes a playlist of each.
var folders = []string{"animales", "familia", "oficina", "trabalenguas"}

// Key is the key of the i-th object of the bucket.
func Key(i int) string {
	return fmt.Sprintf("%s/chiste-%05d.mp3", folders[i%len(folders)], i)
}

// objectPutter is what Upload needs of an S3 client.
type objectPutter interface {
	PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

// Upload puts body under Key(i) for every i in [from, to), concurrency at a
// time, calling progress (if not nil) now and then and at the end.
func Upload(ctx context.Context, c objectPutter, bucket string, body []byte, from, to, concurrency int, progress func(done, total int)) error {
	total := to - from
	next := atomic.Int64{}
	next.Store(int64(from))
	var done atomic.Int64
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	for range max(concurrency, 1) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= to {
					return
				}
				_, err := c.PutObject(ctx, &s3.PutObjectInput{
					Bucket: aws.String(bucket), Key: aws.String(Key(i)),
					Body: bytes.NewReader(body), ContentType: aws.String("audio/mpeg"),
				})
				if err != nil {
					cancel(fmt.Errorf("put %s: %w", Key(i), err))
					return
				}
				if n := int(done.Add(1)); progress != nil && (n%500 == 0 || n == total) {
					progress(n, total)
				}
			}
		})
	}
	wg.Wait()
	return context.Cause(ctx)
}
