// Package motoserver starts moto_server, the AWS emulator, for tests that
// need real S3, SQS and SSM behaviour (conditional writes, notifications,
// long polls). Tests call Start; with -short it skips them.
package motoserver

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// Region is the region the returned configurations use.
const Region = "us-east-1"

// Start runs moto_server on a free local port until the test ends and
// returns its endpoint URL ("http://127.0.0.1:PORT"). It skips the test
// under -short and fails it when moto_server cannot start.
func Start(tb testing.TB) string {
	tb.Helper()
	if testing.Short() {
		tb.Skip("needs moto_server; skipped with -short")
	}
	path, err := exec.LookPath("moto_server")
	if err != nil {
		tb.Fatalf("moto_server not found (pip install 'moto[server]'): %v", err)
	}
	var lastErr error
	for range 3 { // the port may be taken between choosing and binding it
		endpoint, err := start(tb, path)
		if err == nil {
			return endpoint
		}
		lastErr = err
	}
	tb.Fatalf("start moto_server: %v", lastErr)
	return ""
}

func start(tb testing.TB, path string) (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command(path, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	if err := cmd.Start(); err != nil {
		return "", err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		cmd.Process.Kill()
		<-exited
	}
	endpoint := fmt.Sprintf("http://127.0.0.1:%d", port)
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case err := <-exited:
			exited <- err
			return "", fmt.Errorf("moto_server exited: %v", err)
		default:
		}
		resp, err := client.Get(endpoint + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				tb.Cleanup(stop)
				return endpoint, nil
			}
		}
		if time.Now().After(deadline) {
			stop()
			return "", fmt.Errorf("not ready on %s after 30s: %v", endpoint, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Config returns an AWS configuration for the emulator at endpoint with
// static test credentials, without reading the environment.
func Config(endpoint string) aws.Config {
	return aws.Config{
		Region:           Region,
		Credentials:      credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint:     aws.String(endpoint),
		RetryMaxAttempts: 5,
	}
}

// Env is the environment for a program that reads its AWS configuration
// the standard way (config.LoadDefaultConfig): pass each pair to t.Setenv.
func Env(endpoint string) map[string]string {
	return map[string]string{
		"AWS_ACCESS_KEY_ID":           "test",
		"AWS_SECRET_ACCESS_KEY":       "test",
		"AWS_SESSION_TOKEN":           "",
		"AWS_REGION":                  Region,
		"AWS_ENDPOINT_URL":            endpoint,
		"AWS_PROFILE":                 "",
		"AWS_CONFIG_FILE":             "/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
	}
}

// Reset wipes all of the emulator's state.
func Reset(ctx context.Context, endpoint string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint+"/moto-api/reset", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("reset: %s", resp.Status)
	}
	return nil
}

// S3 returns a path-style S3 client for the emulator.
func S3(cfg aws.Config) *s3.Client {
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.UsePathStyle = true
		o.DisableLogOutputChecksumValidationSkipped = true
	})
}

// NotifyingBucket creates bucket and queue and configures the bucket to
// notify the queue of every object created and removed, by API (moto
// ignores notifications declared in CloudFormation). It returns the
// queue's URL. The first message on the queue is an s3:TestEvent.
func NotifyingBucket(tb testing.TB, cfg aws.Config, bucket, queue string) string {
	tb.Helper()
	ctx := context.Background()
	s3c, sqsc := S3(cfg), sqs.NewFromConfig(cfg)
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
		tb.Fatalf("create bucket: %v", err)
	}
	q, err := sqsc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: &queue})
	if err != nil {
		tb.Fatalf("create queue: %v", err)
	}
	attrs, err := sqsc.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		tb.Fatalf("queue attributes: %v", err)
	}
	_, err = s3c.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{
		Bucket: &bucket,
		NotificationConfiguration: &s3types.NotificationConfiguration{QueueConfigurations: []s3types.QueueConfiguration{{
			QueueArn: aws.String(attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]),
			Events:   []s3types.Event{"s3:ObjectCreated:*", "s3:ObjectRemoved:*"},
		}}},
	})
	if err != nil {
		tb.Fatalf("bucket notification: %v", err)
	}
	return *q.QueueUrl
}
