package devstack

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// Region is the region the embedded S3 pretends to be in.
const Region = "us-east-1"

// StartS3 serves an in-memory S3 on addr (a loopback address such as
// "127.0.0.1:0" for a free port) with bucket created. It returns the
// endpoint URL for path-style clients and a function that stops the server.
//
// The server does not check signatures or expiry, so presigned GET URLs
// work from a browser; it honours Range requests (206 with Content-Range),
// which audio seeking needs.
func StartS3(addr, bucket string) (endpoint string, stop func() error, err error) {
	backend := s3mem.New()
	if err := backend.CreateBucket(bucket); err != nil {
		return "", nil, fmt.Errorf("create bucket %s: %w", bucket, err)
	}
	faker := gofakes3.New(backend, gofakes3.WithoutVersioning())
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("listen for s3: %w", err)
	}
	srv := &http.Server{Handler: faker.Server(), ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	stop = func() error {
		// Clients may hold connections they never sent a request on, which
		// Shutdown waits for; close whatever is left after a moment.
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			_ = srv.Close()
		}
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
	return "http://" + ln.Addr().String(), stop, nil
}

// NewS3Client returns an S3 client for the embedded S3 at endpoint:
// path-style addressing, static credentials, region Region.
func NewS3Client(endpoint string) *s3.Client {
	return s3.New(s3.Options{
		Region:       Region,
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("jokebox-dev", "jokebox-dev", ""),
		UsePathStyle: true,
		// gofakes3 returns no checksums; don't log that once per GetObject.
		DisableLogOutputChecksumValidationSkipped: true,
	})
}

// AWSConfig is an aws.Config for the embedded S3 at endpoint, for code that
// builds its own clients from a config. S3 clients built from it still need
// o.UsePathStyle = true.
func AWSConfig(endpoint string) aws.Config {
	return aws.Config{
		Region:       Region,
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("jokebox-dev", "jokebox-dev", ""),
	}
}
