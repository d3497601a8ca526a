package faults

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/google/go-cmp/cmp"

	"github.com/jokebox/jokebox/internal/faultproxy"
	"github.com/jokebox/jokebox/internal/motoserver"
	"github.com/jokebox/jokebox/internal/syncbuf"
	"github.com/jokebox/jokebox/shared/audio"
	"github.com/jokebox/jokebox/shared/index"
	"github.com/jokebox/jokebox/shared/manifest"
	"github.com/jokebox/jokebox/shared/store"
)

const (
	bucket = "jokebox-faults"
	param  = "/jokebox/faults/manifest"
)

// env is one moto_server with a bucket, a fault proxy in front of it, and
// jokebox's parts wired through the proxy. The test's own checks use direct
// clients, which no fault reaches.
type env struct {
	t        testing.TB
	endpoint string
	proxy    *faultproxy.Proxy
	log      *logBuffer

	s3  *s3.Client  // direct, for the test's driver and checks
	sqs *sqs.Client // direct
	ssm *ssm.Client // direct

	ps3  *s3.Client  // through the proxy, for the code under test
	psqs *sqs.Client // through the proxy

	store *store.Store // through the proxy, pointer cached in SSM
	rec   *recorder    // wraps store, records published versions
	ix    *index.Indexer
}

// newEnv starts moto_server and the proxy and creates the bucket.
func newEnv(t testing.TB) *env {
	t.Helper()
	endpoint := motoserver.Start(t)
	proxy, err := faultproxy.Start(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Close)
	e := &env{t: t, endpoint: endpoint, proxy: proxy, log: &logBuffer{}}
	direct, via := awsConfig(endpoint), awsConfig(proxy.URL)
	s3opt := func(o *s3.Options) { o.UsePathStyle = true; o.DisableLogOutputChecksumValidationSkipped = true }
	e.s3, e.sqs, e.ssm = s3.NewFromConfig(direct, s3opt), sqs.NewFromConfig(direct), ssm.NewFromConfig(direct)
	e.ps3, e.psqs = s3.NewFromConfig(via, s3opt), sqs.NewFromConfig(via)
	logger := e.log.logger()
	e.store = store.New(e.ps3, ssm.NewFromConfig(via), bucket, param, logger)
	e.rec = &recorder{st: e.store}
	e.ix = index.New(e.ps3, e.rec, bucket, logger)
	if _, err := e.s3.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	return e
}

// awsConfig is motoserver.Config with the SDK's standard retryer made fast:
// the same attempts and exponential backoff with jitter as production, with
// a 100 ms ceiling instead of 20 s and no client-side retry quota, so that
// a test of minutes of faults stays a test of seconds.
func awsConfig(endpoint string) aws.Config {
	cfg := motoserver.Config(endpoint)
	cfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 3
			o.MaxBackoff = 100 * time.Millisecond
			o.RateLimiter = ratelimit.None
		})
	}
	return cfg
}

// queue creates a queue with the given visibility timeout and, when
// maxReceive > 0, a dead-letter queue after maxReceive receives. It returns
// the queue's URL and the DLQ's ("" without one).
func (e *env) queue(name string, visibility, maxReceive int) (url, dlq string) {
	e.t.Helper()
	ctx := e.t.Context()
	attrs := map[string]string{"VisibilityTimeout": strconv.Itoa(visibility)}
	if maxReceive > 0 {
		d, err := e.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name + "-dlq")})
		if err != nil {
			e.t.Fatal(err)
		}
		dlq = aws.ToString(d.QueueUrl)
		policy, _ := json.Marshal(map[string]any{"deadLetterTargetArn": e.queueARN(dlq), "maxReceiveCount": maxReceive})
		attrs["RedrivePolicy"] = string(policy)
	}
	q, err := e.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		e.t.Fatal(err)
	}
	return aws.ToString(q.QueueUrl), dlq
}

func (e *env) queueARN(url string) string {
	e.t.Helper()
	out, err := e.sqs.GetQueueAttributes(e.t.Context(), &sqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []sqstypes.QueueAttributeName{"QueueArn"}})
	if err != nil {
		e.t.Fatal(err)
	}
	return out.Attributes["QueueArn"]
}

// notify sends every create and delete event of the bucket to the queue,
// by API as a deployment does, and drops the s3:TestEvent that moto sends
// first unless keepTest.
func (e *env) notify(url string, keepTest bool) {
	e.t.Helper()
	ctx := e.t.Context()
	_, err := e.s3.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{
		Bucket: aws.String(bucket),
		NotificationConfiguration: &s3types.NotificationConfiguration{QueueConfigurations: []s3types.QueueConfiguration{{
			QueueArn: aws.String(e.queueARN(url)),
			Events:   []s3types.Event{"s3:ObjectCreated:*", "s3:ObjectRemoved:*"},
		}}},
	})
	if err != nil {
		e.t.Fatal(err)
	}
	if !keepTest {
		msgs := e.receiveAll(url)
		for _, m := range msgs {
			if !strings.Contains(aws.ToString(m.Body), "s3:TestEvent") {
				e.t.Fatalf("first message is not s3:TestEvent: %s", aws.ToString(m.Body))
			}
		}
	}
}

// receiveAll takes every message now in the queue and deletes it.
func (e *env) receiveAll(url string) []sqstypes.Message {
	e.t.Helper()
	ctx := e.t.Context()
	var all []sqstypes.Message
	for {
		out, err := e.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 60})
		if err != nil {
			e.t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			return all
		}
		for _, m := range out.Messages {
			if _, err := e.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: m.ReceiptHandle}); err != nil {
				e.t.Fatal(err)
			}
		}
		all = append(all, out.Messages...)
	}
}

// send puts message bodies on the queue.
func (e *env) send(url string, bodies ...string) {
	e.t.Helper()
	for _, b := range bodies {
		if _, err := e.sqs.SendMessage(e.t.Context(), &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String(b)}); err != nil {
			e.t.Fatal(err)
		}
	}
}

// pending is how many messages the queue holds, visible or in flight.
func (e *env) pending(url string) int {
	e.t.Helper()
	out, err := e.sqs.GetQueueAttributes(e.t.Context(), &sqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []sqstypes.QueueAttributeName{
		sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
	}})
	if err != nil {
		e.t.Fatal(err)
	}
	a, _ := strconv.Atoi(out.Attributes["ApproximateNumberOfMessages"])
	b, _ := strconv.Atoi(out.Attributes["ApproximateNumberOfMessagesNotVisible"])
	return a + b
}

// drain runs the indexer's worker until the queue is empty.
func (e *env) drain(url string, opt index.WorkerOptions) {
	e.t.Helper()
	opt.Once = true
	ctx, cancel := context.WithTimeout(e.t.Context(), 60*time.Second)
	defer cancel()
	for e.pending(url) > 0 {
		// Work returns once a receive comes back empty, which a message
		// that keeps failing prevents: the deadline bounds it.
		if err := e.ix.Work(ctx, e.psqs, url, opt); err != nil && ctx.Err() == nil {
			e.t.Fatalf("Work: %v", err)
		}
		if ctx.Err() != nil {
			e.t.Fatalf("queue not drained after 60s: %d messages left", e.pending(url))
		}
		time.Sleep(200 * time.Millisecond) // let failed messages become visible again
	}
}

// put uploads an object with the direct client.
func (e *env) put(key string, body []byte) {
	e.t.Helper()
	if _, err := e.s3.PutObject(e.t.Context(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
		e.t.Fatalf("put %q: %v", key, err)
	}
}

// del deletes an object with the direct client.
func (e *env) del(key string) {
	e.t.Helper()
	if _, err := e.s3.DeleteObject(e.t.Context(), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}); err != nil {
		e.t.Fatalf("delete %q: %v", key, err)
	}
}

// truth lists the bucket and classifies every indexable object by reading
// its head, independently of the indexer: the keys a correct manifest holds
// as entries and as rejections.
func (e *env) truth(ctx context.Context) (playable, rejected []string) {
	e.t.Helper()
	p := s3.NewListObjectsV2Paginator(e.s3, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			e.t.Fatal(err)
		}
		for _, o := range page.Contents {
			key := aws.ToString(o.Key)
			if strings.HasPrefix(key, manifest.Prefix) || !audio.Playable(key) {
				continue
			}
			var head []byte
			if size := aws.ToInt64(o.Size); size > 0 {
				out, err := e.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: &key, Range: aws.String(fmt.Sprintf("bytes=0-%d", audio.HeadSize-1))})
				if err != nil {
					e.t.Fatalf("get %q: %v", key, err)
				}
				head, err = io.ReadAll(out.Body)
				out.Body.Close()
				if err != nil {
					e.t.Fatal(err)
				}
			}
			if _, err := audio.Probe(key, head, aws.ToInt64(o.Size)); err != nil {
				rejected = append(rejected, key)
			} else {
				playable = append(playable, key)
			}
		}
	}
	slices.Sort(playable)
	slices.Sort(rejected)
	return playable, rejected
}

// load reads the published manifest with the direct client.
func (e *env) load() *manifest.Manifest {
	e.t.Helper()
	m, err := store.New(e.s3, nil, bucket, "", nil).Load(e.t.Context())
	if err != nil {
		e.t.Fatalf("load manifest: %v", err)
	}
	return m
}

// checkMatches fails the test unless the published manifest's entries and
// rejections are exactly the bucket's playable and unplayable audio, and
// returns the manifest.
func (e *env) checkMatches() *manifest.Manifest {
	e.t.Helper()
	m := e.load()
	playable, rejected := e.truth(e.t.Context())
	var gotP, gotR []string
	for _, en := range m.Entries {
		gotP = append(gotP, en.Key)
	}
	for _, r := range m.Rejected {
		gotR = append(gotR, r.Key)
	}
	if d := cmp.Diff(playable, gotP); d != "" {
		e.t.Errorf("manifest v%d entries differ from the bucket (-bucket +manifest):\n%s", m.Version, d)
	}
	if d := cmp.Diff(rejected, gotR); d != "" {
		e.t.Errorf("manifest v%d rejections differ from the bucket (-bucket +manifest):\n%s", m.Version, d)
	}
	return m
}

// recorder is the indexer's index.Manifests: the real store, recording every
// version that an update published, to prove no two writers ever publish
// the same version.
type recorder struct {
	st *store.Store

	mu        sync.Mutex
	published []int64
}

func (r *recorder) Update(ctx context.Context, edit func(context.Context, *manifest.Manifest) (bool, error)) (*manifest.Manifest, error) {
	return r.record(ctx, r.st.Update, edit)
}

func (r *recorder) Rebuild(ctx context.Context, edit func(context.Context, *manifest.Manifest) (bool, error)) (*manifest.Manifest, error) {
	return r.record(ctx, r.st.Rebuild, edit)
}

type editFunc = func(context.Context, *manifest.Manifest) (bool, error)

func (r *recorder) record(ctx context.Context, update func(context.Context, editFunc) (*manifest.Manifest, error), edit editFunc) (*manifest.Manifest, error) {
	var changed bool
	var base int64
	m, err := update(ctx, func(ctx context.Context, m *manifest.Manifest) (bool, error) {
		base = m.Version
		var err error
		changed, err = edit(ctx, m)
		return changed, err
	})
	if err == nil && (changed || base == 0) {
		r.mu.Lock()
		r.published = append(r.published, m.Version)
		r.mu.Unlock()
	}
	return m, err
}

// versions returns the published versions in the order they were reported.
func (r *recorder) versions() []int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.published)
}

// logBuffer collects JSON log lines.
type logBuffer struct{ syncbuf.Buffer }

func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// count is how many records have this message.
func (l *logBuffer) count(msg string) int {
	n := 0
	for line := range strings.SplitSeq(l.String(), "\n") {
		var rec struct {
			Msg string `json:"msg"`
		}
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == msg {
			n++
		}
	}
	return n
}

// fixtures are the repository's test audio files.
type fixtures struct {
	short, notitle, vbr, long, text []byte
}

func loadFixtures(t testing.TB) fixtures {
	t.Helper()
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "audio", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	return fixtures{short: read("short.mp3"), notitle: read("notitle.mp3"), vbr: read("vbr.mp3"), long: read("long.mp3"), text: read("text.mp3")}
}

// checkIncreasing fails unless vs strictly increases.
func checkIncreasing(t testing.TB, what string, vs []int64) {
	t.Helper()
	for i := 1; i < len(vs); i++ {
		if vs[i] <= vs[i-1] {
			t.Errorf("%s: version %d after %d at #%d", what, vs[i], vs[i-1], i)
			return
		}
	}
}
