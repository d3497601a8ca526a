package index

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/google/go-cmp/cmp"

	"github.com/jokebox/jokebox/internal/awsmem"
	"github.com/jokebox/jokebox/shared/manifest"
	"github.com/jokebox/jokebox/shared/store"
)

// The tests in this file run the indexer on the real store over the
// in-memory S3 (internal/awsmem, checked against moto_server there), so
// they run under -short. Its hooks inject faults and races.

const memBucket = "jokes"

// memEnv is a bucket with the given objects, and an indexer on it.
type memEnv struct {
	mem *awsmem.S3
	st  *store.Store
	ix  *Indexer
}

func newMemEnv(t *testing.T, objects map[string][]byte) *memEnv {
	t.Helper()
	mem := awsmem.NewS3(memBucket)
	for key, body := range objects {
		put(t, mem, key, body)
	}
	st := store.New(mem, nil, memBucket, "", nil)
	return &memEnv{mem: mem, st: st, ix: New(mem, st, memBucket, nil)}
}

func put(t *testing.T, mem *awsmem.S3, key string, body []byte) {
	t.Helper()
	if _, err := mem.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(memBucket), Key: aws.String(key), Body: strings.NewReader(string(body))}); err != nil {
		t.Fatal(err)
	}
}

func del(t *testing.T, mem *awsmem.S3, key string) {
	t.Helper()
	if _, err := mem.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String(memBucket), Key: aws.String(key)}); err != nil {
		t.Fatal(err)
	}
}

func readAudio(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../../testdata/audio/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// load returns the published manifest's entry and rejected keys.
func (e *memEnv) load(t *testing.T) (m *manifest.Manifest, entries, rejected []string) {
	t.Helper()
	m, err := e.st.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range m.Rejected {
		rejected = append(rejected, r.Key)
	}
	for _, e := range m.Entries {
		entries = append(entries, e.Key)
	}
	slices.Sort(entries)
	slices.Sort(rejected)
	return m, entries, rejected
}

// message is an SQS message whose body is an S3 notification for keys
// (already URL-encoded as S3 sends them).
func message(id, event string, keys ...string) events.SQSMessage {
	recs := make([]string, len(keys))
	for i, k := range keys {
		recs[i] = record(event, k, "2026-11-23T14:49:56.229Z")
	}
	return events.SQSMessage{MessageId: id, Body: `{"Records":[` + strings.Join(recs, ",") + `]}`, EventSource: "aws:sqs"}
}

func failures(resp events.SQSEventResponse) []string {
	var ids []string
	for _, f := range resp.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	slices.Sort(ids)
	return ids
}

func serverError(op string) error {
	return awsmem.Err("S3", op, http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.")
}

// TestHandleSQSMapsFailures checks which messages HandleSQS reports as
// failed: a malformed message alone, the messages that named a key whose
// state could not be read, and every message with a key when the publish
// fails; the rest are applied.
func TestHandleSQSMapsFailures(t *testing.T) {
	t.Parallel()
	short, text := readAudio(t, "short.mp3"), readAudio(t, "text.mp3")
	objects := map[string][]byte{"a/uno.mp3": short, "a/dos.mp3": short, "b/tres.mp3": short, "b/texto.mp3": text, "vacío.mp3": nil}

	tests := []struct {
		name         string
		hook         awsmem.Hook
		wantFailed   []string
		wantEntries  []string
		wantRejected []string
	}{
		{
			name:         "all well",
			wantFailed:   []string{"m-bad"},
			wantEntries:  []string{"a/dos.mp3", "a/uno.mp3", "b/tres.mp3"},
			wantRejected: []string{"b/texto.mp3", "vacío.mp3"},
		},
		{
			name: "one key unreadable",
			hook: func(_ context.Context, op, key string) error {
				if op == "HeadObject" && key == "a/dos.mp3" {
					return serverError(op)
				}
				return nil
			},
			wantFailed:   []string{"m-bad", "m2", "m3"}, // both messages that named a/dos.mp3
			wantEntries:  []string{"a/uno.mp3", "b/tres.mp3"},
			wantRejected: []string{"b/texto.mp3", "vacío.mp3"},
		},
		{
			name: "replaced while read",
			hook: func(ctx context.Context, op, key string) error {
				if op == "GetObject" && key == "b/tres.mp3" {
					return awsmem.Err("S3", op, http.StatusPreconditionFailed, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold")
				}
				return nil
			},
			wantFailed:   []string{"m-bad", "m4"},
			wantEntries:  []string{"a/dos.mp3", "a/uno.mp3"},
			wantRejected: []string{"b/texto.mp3", "vacío.mp3"},
		},
		{
			name: "publish fails",
			hook: func(_ context.Context, op, key string) error {
				if op == "PutObject" && strings.HasPrefix(key, manifest.Prefix) {
					return serverError(op)
				}
				return nil
			},
			wantFailed: []string{"m-bad", "m-other", "m1", "m2", "m3", "m4", "m5"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newMemEnv(t, objects)
			e.mem.Hook = tt.hook
			ev := events.SQSEvent{Records: []events.SQSMessage{
				message("m1", "ObjectCreated:Put", "a%2Funo.mp3"),
				message("m2", "ObjectCreated:Put", "a/dos.mp3"),
				message("m3", "ObjectCreated:Copy", "a/dos.mp3", "vac%C3%ADo.mp3"),
				message("m4", "ObjectCreated:Put", "b/tres.mp3"),
				message("m5", "ObjectCreated:Put", "b/texto.mp3"),
				message("m-other", "ObjectCreated:Put", "notes.txt", manifest.Prefix+"v9.json"), // not indexable: ignored
				{MessageId: "m-bad", Body: "{not json"},
				{MessageId: "m-test", Body: `{"Service":"Amazon S3","Event":"s3:TestEvent","Bucket":"jokes"}`},
			}}
			resp, err := e.ix.HandleSQS(context.Background(), ev)
			if err != nil {
				t.Fatal(err)
			}
			if tt.name == "publish fails" {
				// m-other named no indexable key: it is not failed.
				tt.wantFailed = slices.DeleteFunc(tt.wantFailed, func(s string) bool { return s == "m-other" })
			}
			if diff := cmp.Diff(tt.wantFailed, failures(resp)); diff != "" {
				t.Errorf("failed messages (-want +got):\n%s", diff)
			}
			if tt.wantEntries == nil {
				if _, err := e.st.Load(context.Background()); !errors.Is(err, store.ErrNoManifest) {
					t.Errorf("after a failed publish: %v; want no manifest", err)
				}
				return
			}
			e.mem.Hook = nil
			_, entries, rejected := e.load(t)
			if diff := cmp.Diff(tt.wantEntries, entries); diff != "" {
				t.Errorf("entries (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantRejected, rejected); diff != "" {
				t.Errorf("rejected (-want +got):\n%s", diff)
			}
		})
	}
}

// TestApplyDeletesAndUnchanged checks a removal, and that an event for a
// key the manifest already holds as it is publishes nothing.
func TestApplyDeletesAndUnchanged(t *testing.T) {
	t.Parallel()
	short := readAudio(t, "short.mp3")
	e := newMemEnv(t, map[string][]byte{"a.mp3": short, "b.mp3": short})
	ctx := context.Background()
	if _, m, err := e.ix.Apply(ctx, []string{"a.mp3", "b.mp3"}); err != nil || m.Version != 1 {
		t.Fatalf("first Apply = v%d, %v; want v1", m.Version, err)
	}
	if _, m, err := e.ix.Apply(ctx, []string{"a.mp3"}); err != nil || m.Version != 1 {
		t.Fatalf("Apply of an unchanged key = v%d, %v; want v1 still", m.Version, err)
	}
	del(t, e.mem, "a.mp3")
	if _, m, err := e.ix.Apply(ctx, []string{"a.mp3"}); err != nil || m.Version != 2 || !slices.Equal(m.Keys(), []string{"b.mp3"}) {
		t.Fatalf("Apply after a delete = v%d with %v, %v; want v2 with b.mp3", m.Version, m.Keys(), err)
	}
}

// stallingManifests runs the edit, then waits on stall before the first
// commit: a writer that observed the bucket and is slow to publish.
type stallingManifests struct {
	*store.Store
	observed, stall chan struct{}
	once            sync.Once
}

func (u *stallingManifests) Update(ctx context.Context, edit func(context.Context, *manifest.Manifest) (bool, error)) (*manifest.Manifest, error) {
	return u.Store.Update(ctx, func(ctx context.Context, m *manifest.Manifest) (bool, error) {
		changed, err := edit(ctx, m)
		u.once.Do(func() {
			close(u.observed)
			<-u.stall
		})
		return changed, err
	})
}

// TestDeleteDuringSlowPublish is the lost-delete race, made deterministic:
// writer A observes a new file and stalls before publishing; the file is
// deleted and writer B, handling the delete event, finds nothing to change
// in the manifest it reads (the file was never in it); then A publishes.
// The manifest must not keep the deleted file. It runs on the in-memory S3
// here and on moto_server in TestMotoDeleteDuringSlowPublish.
func TestDeleteDuringSlowPublish(t *testing.T) {
	t.Parallel()
	mem := awsmem.NewS3(memBucket)
	deleteDuringSlowPublish(t, mem, func(key string) { del(t, mem, key) })
}

func deleteDuringSlowPublish(t *testing.T, objects interface {
	Objects
	store.S3
}, deleteKey func(key string)) {
	t.Helper()
	ctx := context.Background()
	const key = "chistes/fugaz.mp3"
	audio := readAudio(t, "short.mp3")
	for _, k := range []string{"chistes/queda.mp3", key} {
		if _, err := objects.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(memBucket), Key: aws.String(k), Body: strings.NewReader(string(audio))}); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := New(objects, store.New(objects, nil, memBucket, "", nil), memBucket, nil).Apply(ctx, []string{"chistes/queda.mp3"}); err != nil {
		t.Fatal(err)
	}

	slow := &stallingManifests{Store: store.New(objects, nil, memBucket, "", nil), observed: make(chan struct{}), stall: make(chan struct{})}
	done := make(chan error, 1)
	go func() {
		_, _, err := New(objects, slow, memBucket, nil).Apply(ctx, []string{key}) // the create event
		done <- err
	}()
	<-slow.observed
	deleteKey(key)
	if _, _, err := New(objects, store.New(objects, nil, memBucket, "", nil), memBucket, nil).Apply(ctx, []string{key}); err != nil { // the delete event
		t.Fatal(err)
	}
	close(slow.stall)
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	m, err := store.New(objects, nil, memBucket, "", nil).Load(ctx)
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

// invokerFunc is a Lambda client in one function.
type invokerFunc func(context.Context, *lambda.InvokeInput, ...func(*lambda.Options)) (*lambda.InvokeOutput, error)

func (f invokerFunc) Invoke(ctx context.Context, in *lambda.InvokeInput, opts ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	return f(ctx, in, opts...)
}

// TestReconcileAndRotate checks that a rotation catches what events
// missed (a new file, a deleted one, a replaced one), pages through the
// listing, rebuilds a corrupt manifest, and warms the skill.
func TestReconcileAndRotate(t *testing.T) {
	t.Parallel()
	short, long := readAudio(t, "short.mp3"), readAudio(t, "long.mp3")
	objects := map[string][]byte{"keep.mp3": short, "gone.mp3": short, "swap.mp3": short}
	for i := range 1005 { // more than one listing page
		objects[fmt.Sprintf("many/%04d.mp3", i)] = nil
	}
	e := newMemEnv(t, objects)
	ctx := context.Background()
	var stages []string
	m, sum, err := e.ix.Reconcile(ctx, ReconcileOptions{Progress: func(stage string, _, _ int) {
		if len(stages) == 0 || stages[len(stages)-1] != stage {
			stages = append(stages, stage)
		}
	}})
	if err != nil || m.Version != 1 || sum.Added != 3 || len(m.Rejected) != 1005 {
		t.Fatalf("first Reconcile = v%d, %+v, %d rejected, %v; want v1 adding 3 and rejecting 1,005", m.Version, sum, len(m.Rejected), err)
	}
	if !slices.Equal(stages, []string{"listed", "probed"}) {
		t.Errorf("progress stages %v; want listed, probed", stages)
	}

	del(t, e.mem, "gone.mp3")
	put(t, e.mem, "swap.mp3", long)
	put(t, e.mem, "new.mp3", short)
	var warmed []string
	r := NewRotator(e.ix, invokerFunc(func(_ context.Context, in *lambda.InvokeInput, _ ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
		warmed = append(warmed, aws.ToString(in.FunctionName))
		return &lambda.InvokeOutput{}, nil
	}), "skill-fn", nil)
	res, err := r.Handle(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := RotateResult{Version: 2, Entries: 3, Folders: 0, Rejected: 1005, Added: 1, Removed: 1, Warmed: true}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("rotation (-want +got):\n%s", diff)
	}
	if !slices.Equal(warmed, []string{"skill-fn"}) {
		t.Errorf("warmed %v; want skill-fn", warmed)
	}
	m, entries, _ := e.load(t)
	if !slices.Equal(entries, []string{"keep.mp3", "new.mp3", "swap.mp3"}) {
		t.Errorf("entries after rotation %v", entries)
	}
	i, _ := m.Lookup("swap.mp3")
	if m.Entries[i].Size != int64(len(long)) {
		t.Errorf("swap.mp3 size %d; want the replacement's %d", m.Entries[i].Size, len(long))
	}

	// A warm-up that fails does not fail the rotation.
	r = NewRotator(e.ix, invokerFunc(func(context.Context, *lambda.InvokeInput, ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
		return nil, errors.New("throttled")
	}), "skill-fn", nil)
	if res, err := r.Handle(ctx); err != nil || res.Warmed || res.Version != 3 {
		t.Errorf("rotation with a failing warm-up = %+v, %v; want v3 published, not warmed", res, err)
	}

	// A corrupt manifest is rebuilt from the listing.
	p, err := e.st.Pointer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	put(t, e.mem, p.Key, []byte("garbage"))
	m, sum, err = e.ix.Reconcile(ctx, ReconcileOptions{})
	if err != nil || m.Version != p.Version+1 || sum.Added != 3 {
		t.Fatalf("Reconcile over a corrupt manifest = v%d, %+v, %v; want v%d adding 3", m.Version, sum, err, p.Version+1)
	}

	// A listing that fails leaves the manifest as it was.
	e.mem.Hook = func(_ context.Context, op, _ string) error {
		if op == "ListObjectsV2" {
			return serverError(op)
		}
		return nil
	}
	if _, err := r.Handle(ctx); err == nil {
		t.Error("rotation with a failing listing succeeded")
	}
	// So does a probe that fails.
	e.mem.Hook = nil
	put(t, e.mem, "later.mp3", short)
	e.mem.Hook = func(_ context.Context, op, key string) error {
		if op == "GetObject" && key == "later.mp3" {
			return serverError(op)
		}
		return nil
	}
	if _, _, err := e.ix.Reconcile(ctx, ReconcileOptions{}); err == nil {
		t.Error("Reconcile with a failing probe succeeded")
	}
	e.mem.Hook = nil
	if got, _, _ := e.load(t); got.Version != m.Version {
		t.Errorf("failed rotations published v%d; want v%d still", got.Version, m.Version)
	}
}

// queue is an SQS queue in memory for the worker's loop: receive hands
// out what is neither deleted nor in flight; a message received and not
// deleted is hidden until the next long poll (a receive that waits) starts,
// as if its visibility timeout ran out between two batches.
type queue struct {
	mu       sync.Mutex
	msgs     []sqstypes.Message
	deleted  map[string]bool
	inFlight map[string]bool
	receives int
	failRecv int // the first failRecv receives fail
}

func newQueue(bodies ...string) *queue {
	q := &queue{deleted: map[string]bool{}, inFlight: map[string]bool{}}
	for i, b := range bodies {
		id := fmt.Sprintf("m%d", i)
		q.msgs = append(q.msgs, sqstypes.Message{MessageId: aws.String(id), ReceiptHandle: aws.String("r-" + id), Body: aws.String(b)})
	}
	return q
}

func (q *queue) ReceiveMessage(_ context.Context, in *sqs.ReceiveMessageInput, _ ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.receives++
	if q.receives <= q.failRecv {
		return nil, errors.New("connection reset")
	}
	if in.WaitTimeSeconds > 0 {
		clear(q.inFlight)
	}
	out := &sqs.ReceiveMessageOutput{}
	for _, m := range q.msgs {
		h := aws.ToString(m.ReceiptHandle)
		if !q.deleted[h] && !q.inFlight[h] && len(out.Messages) < int(in.MaxNumberOfMessages) {
			q.inFlight[h] = true
			out.Messages = append(out.Messages, m)
		}
	}
	return out, nil
}

func (q *queue) DeleteMessageBatch(_ context.Context, in *sqs.DeleteMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(in.Entries) > 10 {
		return nil, errors.New("TooManyEntriesInBatchRequest")
	}
	for _, e := range in.Entries {
		q.deleted[aws.ToString(e.ReceiptHandle)] = true
	}
	return &sqs.DeleteMessageBatchOutput{}, nil
}

// TestWorkOnce drains a queue: applied messages are deleted, a message
// that keeps failing is left for the dead-letter queue and reported.
func TestWorkOnce(t *testing.T) {
	t.Parallel()
	short := readAudio(t, "short.mp3")
	objects := map[string][]byte{}
	var bodies []string
	for i := range 25 {
		key := fmt.Sprintf("k%02d.mp3", i)
		objects[key] = short
		bodies = append(bodies, message("", "ObjectCreated:Put", key).Body)
	}
	e := newMemEnv(t, objects)
	ctx := context.Background()

	q := newQueue(bodies...)
	q.failRecv = 1
	var applied, failed int
	err := e.ix.Work(ctx, q, "queue", WorkerOptions{Once: true, BatchSize: 20, Progress: func(a, f int) { applied += a; failed += f }})
	if err != nil || applied != 25 || failed != 0 || len(q.deleted) != 25 {
		t.Fatalf("Work = %v, applied %d, failed %d, deleted %d; want 25 applied and deleted", err, applied, failed, len(q.deleted))
	}
	if _, entries, _ := e.load(t); len(entries) != 25 {
		t.Errorf("manifest has %d entries; want 25", len(entries))
	}

	q = newQueue("{not json", message("", "ObjectCreated:Put", "k00.mp3").Body)
	err = e.ix.Work(ctx, q, "queue", WorkerOptions{Once: true})
	if err == nil || !strings.Contains(err.Error(), "keep failing") || len(q.deleted) != 1 || q.deleted["r-m0"] {
		t.Fatalf("Work with a poison message = %v, deleted %v; want it left in the queue and reported", err, q.deleted)
	}

	// A worker past its deadline stops with the deadline as its error.
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	q = newQueue()
	if err := e.ix.Work(cctx, q, "queue", WorkerOptions{}); err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Work past its deadline = %v; want the deadline", err)
	}
}
