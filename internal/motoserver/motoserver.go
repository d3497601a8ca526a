// Package motoserver starts moto_server, the AWS emulator, for tests that
// need real S3, SQS and SSM behaviour (conditional writes, notifications,
// long polls) and for the benchmark. Tests call Start, which skips them
// with -short; other programs call Launch.
package motoserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/jokebox/jokebox/internal/proc"
)

// Region is the region the returned configurations use.
const Region = "us-east-1"

// Server is a moto_server process started by Launch.
type Server struct {
	// URL is its endpoint, http://127.0.0.1:PORT (https with LaunchTLS).
	URL     string
	cmd     *exec.Cmd
	exited  chan struct{} // closed when the process has exited
	waitErr error         // its exit status, once exited is closed
}

// Launch starts `moto_server -H 127.0.0.1 -p PORT` on a free loopback port,
// in its own process group, and waits until GET /moto-api/ answers. Its
// output goes to logw (nil discards it). Close stops it; so does the end of
// ctx.
func Launch(ctx context.Context, logw io.Writer) (*Server, error) {
	return launchRetry(ctx, logw, nil)
}

// TLS is what LaunchTLS serves HTTPS with.
type TLS struct {
	CertFile, KeyFile string       // PEM certificate (for 127.0.0.1) and its key
	Client            *http.Client // trusts the certificate; checks readiness
}

// LaunchTLS is Launch serving HTTPS with the given certificate
// (moto_server --ssl-cert --ssl-key): URL is https://127.0.0.1:PORT. For
// tests whose clients refuse plain HTTP, such as virtual-alexa, which
// refuses http:// stream URLs.
func LaunchTLS(ctx context.Context, logw io.Writer, t TLS) (*Server, error) {
	return launchRetry(ctx, logw, &t)
}

func launchRetry(ctx context.Context, logw io.Writer, t *TLS) (*Server, error) {
	path, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, fmt.Errorf("moto_server not found (pip install 'moto[server]'): %w", err)
	}
	var lastErr error
	for range 3 { // the port may be taken between choosing and binding it
		s, err := launch(ctx, path, nil, logw, t)
		if err == nil {
			return s, nil
		}
		lastErr = err
		if ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("start moto_server: %w", lastErr)
}

// launch runs path with the arguments pre, then moto_server's own.
func launch(ctx context.Context, path string, pre []string, logw io.Writer, t *TLS) (*Server, error) {
	port, err := proc.FreePort()
	if err != nil {
		return nil, err
	}
	args, scheme, client := append(pre, "-H", "127.0.0.1", "-p", strconv.Itoa(port)), "http", &http.Client{Timeout: 2 * time.Second}
	if t != nil {
		args, scheme, client = append(args, "--ssl-cert", t.CertFile, "--ssl-key", t.KeyFile), "https", t.Client
	}
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Stdout, cmd.Stderr = logw, logw
	// Its own process group, so that stopping it also stops anything the
	// pyenv shim or Python started, and nothing else.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return killGroup(cmd) }
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &Server{URL: fmt.Sprintf("%s://127.0.0.1:%d", scheme, port), cmd: cmd, exited: make(chan struct{})}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
	if err := proc.WaitReadyWith(ctx, client, s.URL+"/moto-api/", 30*time.Second, s.exited); err != nil {
		s.Close()
		if errors.Is(err, proc.ErrExited) {
			err = fmt.Errorf("%w: %v", err, s.waitErr)
		}
		return nil, err
	}
	return s, nil
}

// Close stops moto_server and waits (up to 10 s) for it to exit.
func (s *Server) Close() {
	if s == nil || s.cmd.Process == nil {
		return
	}
	_ = killGroup(s.cmd)
	t := time.NewTimer(10 * time.Second)
	defer t.Stop()
	select {
	case <-s.exited:
	case <-t.C:
	}
}

// killGroup kills the process group led by the process cmd started.
func killGroup(cmd *exec.Cmd) error {
	if cmd.Process == nil {
		return nil
	}
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil {
		return cmd.Process.Kill()
	}
	return nil
}

// Version asks the Python that runs moto_server for moto's version;
// "unknown" when it cannot.
func Version(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "python3", "-c", "import moto; print(moto.__version__)").Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}

// Start runs moto_server (Launch) until the test ends and returns its
// endpoint URL ("http://127.0.0.1:PORT"). It skips the test under -short
// and fails it when moto_server cannot start.
func Start(tb testing.TB) string {
	tb.Helper()
	if testing.Short() {
		tb.Skip("needs moto_server; skipped with -short")
	}
	s, err := Launch(context.Background(), nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Close)
	return s.URL
}

// Config returns an AWS configuration for the emulator at endpoint with
// static test credentials, without reading the environment. Its HTTP
// client makes conditional writes atomic, as on S3 (AtomicWrites).
func Config(endpoint string) aws.Config {
	return aws.Config{
		Region:           Region,
		Credentials:      credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint:     aws.String(endpoint),
		RetryMaxAttempts: 5,
		HTTPClient:       AtomicWrites(awshttp.NewBuildableClient()),
	}
}

// conditionalWrites is held over each conditional PUT this process sends
// to any emulator.
var conditionalWrites sync.Mutex

// AtomicWrites wraps an HTTP client so that the conditional PUTs (with
// If-None-Match or If-Match) it sends go one at a time. moto_server does
// not make them atomic, as S3 does: moto 5.2.1's S3Response.put_object
// (moto/s3/responses.py lines 2249-2259) checks If-Match and
// If-None-Match with backend.get_object, then stores the object
// (S3Backend.put_object, moto/s3/models.py line 2352,
// bucket.keys.setlist) with no lock held in between, on a threaded
// server (moto/server.py line 83, threaded=True). Two concurrent PUTs of
// one key can both pass the check and both answer 200, where S3 lets
// exactly one win. Tests of jokebox's compare-and-set protocol rely on S3's
// guarantee, not moto's; one lock over each conditional PUT gives it back
// while the writers' reads, waits and decisions still interleave freely.
func AtomicWrites(c aws.HTTPClient) aws.HTTPClient { return atomicWrites{c} }

type atomicWrites struct{ next aws.HTTPClient }

// DynamoDB's conditional PutItem is atomic per item; moto's is not either:
// Table.put_item (moto/dynamodb/models/table.py lines 668-692) reads the
// current item, evaluates the condition and stores the new item with no
// lock, so every PutItem goes one at a time too.
func (a atomicWrites) Do(r *http.Request) (*http.Response, error) {
	if (r.Method == http.MethodPut && (r.Header.Get("If-None-Match") != "" || r.Header.Get("If-Match") != "")) ||
		r.Header.Get("X-Amz-Target") == "DynamoDB_20120810.PutItem" {
		conditionalWrites.Lock()
		defer conditionalWrites.Unlock()
	}
	return a.next.Do(r)
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

// DynamoDB returns a DynamoDB client for the emulator.
func DynamoDB(cfg aws.Config) *dynamodb.Client { return dynamodb.NewFromConfig(cfg) }

// ListenersTable creates the listeners table as serverless.yml declares it
// (partition key "listener", a string; on demand) and returns its name.
func ListenersTable(tb testing.TB, db *dynamodb.Client, name string) string {
	tb.Helper()
	_, err := db.CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		BillingMode:          dbtypes.BillingModePayPerRequest,
		AttributeDefinitions: []dbtypes.AttributeDefinition{{AttributeName: aws.String("listener"), AttributeType: dbtypes.ScalarAttributeTypeS}},
		KeySchema:            []dbtypes.KeySchemaElement{{AttributeName: aws.String("listener"), KeyType: dbtypes.KeyTypeHash}},
	})
	if err != nil {
		tb.Fatalf("create table %s: %v", name, err)
	}
	return name
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
