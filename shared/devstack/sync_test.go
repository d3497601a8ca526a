package devstack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-cmp/cmp"
)

var _ ObjectWriter = (*s3.Client)(nil)

// startTestS3 makes an embedded S3 for a test; its clients reach it in
// process, so no server is needed.
func startTestS3(t *testing.T, bucket string) (endpoint string, client *s3.Client) {
	t.Helper()
	objects, err := NewS3(bucket)
	if err != nil {
		t.Fatal(err)
	}
	endpoint = Endpoint("http://127.0.0.1:1")
	return endpoint, objects.Client(endpoint)
}

// recorder is an SQSHandler that records the events it is given.
type recorder struct {
	mu      sync.Mutex
	records []events.S3EventRecord
	changed chan struct{}
}

func newRecorder() *recorder { return &recorder{changed: make(chan struct{}, 1000)} }

func (r *recorder) HandleSQS(_ context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, m := range ev.Records {
		var s3ev events.S3Event
		if err := json.Unmarshal([]byte(m.Body), &s3ev); err != nil {
			return events.SQSEventResponse{}, fmt.Errorf("message %s: %w", m.MessageId, err)
		}
		r.records = append(r.records, s3ev.Records...)
	}
	r.changed <- struct{}{}
	return events.SQSEventResponse{}, nil
}

// take returns and forgets the recorded events as "Name key" strings, sorted.
func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, rec := range r.records {
		out = append(out, rec.EventName+" "+rec.S3.Object.URLDecodedKey)
	}
	r.records = nil
	slices.Sort(out)
	return out
}

func writeFile(t *testing.T, dir, rel, content string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func listKeys(t *testing.T, c *s3.Client, bucket string) []string {
	t.Helper()
	out, err := c.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	slices.Sort(keys)
	return keys
}

func TestSkipName(t *testing.T) {
	t.Parallel()
	tests := []struct{ key, want string }{
		{"a.mp3", ""},
		{"animales/el pato.mp3", ""},
		{"cover.jpg", ""},
		{".DS_Store", "hidden"},
		{"animales/.hidden.mp3", "hidden"},
		{".git/x.mp3", "hidden"},
		{"a.mp3~", "temporary file"},
		{"#a.mp3#", "temporary file"},
		{"animales/.a.mp3.swp", "hidden"},
		{"a.mp3.part", "temporary file"},
		{"a.crdownload", "temporary file"},
		{"4913", "temporary file"},
		{"~$doc.docx", "temporary file"},
		{"_jokebox/manifest.json", "reserved prefix"},
		{"_jokebox", "reserved prefix"}, // the folder itself
		{"x/_jokebox/a.mp3", ""},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			if got := skipName(tt.key); got != tt.want {
				t.Errorf("skipName(%q) = %q; want %q", tt.key, got, tt.want)
			}
		})
	}
}

func TestSyncAll(t *testing.T) {
	t.Parallel()
	const bucket = "media"
	_, client := startTestS3(t, bucket)
	dir := t.TempDir()
	for _, f := range []string{"animales/el pato.mp3", "a+b.mp3", "ñandú/canción.mp3", "root.mp3", ".DS_Store", "animales/x.mp3~", ".hidden/a.mp3", "_jokebox/pointer.json"} {
		writeFile(t, dir, f, "audio of "+f)
	}
	rec := newRecorder()
	var progress bytes.Buffer
	s := NewSyncer(SyncConfig{Dir: dir, Bucket: bucket, S3: client, Indexer: rec, Progress: &progress, Logger: discard})
	res, err := s.SyncAll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	wantKeys := []string{"a+b.mp3", "animales/el pato.mp3", "root.mp3", "ñandú/canción.mp3"}
	if diff := cmp.Diff(wantKeys, listKeys(t, client, bucket)); diff != "" {
		t.Errorf("bucket keys (-want +got):\n%s", diff)
	}
	if res.Files != 4 || res.Skipped != 4 {
		t.Errorf("SyncAll = %+v; want 4 files, 4 skipped", res)
	}
	var wantEvents []string
	for _, k := range wantKeys {
		wantEvents = append(wantEvents, "ObjectCreated:Put "+k)
	}
	if diff := cmp.Diff(wantEvents, rec.take()); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if progress.Len() != 0 {
		t.Errorf("progress for 4 files: %q; want none", progress.String())
	}

	// A second sync uploads nothing: every file is known and unchanged.
	res, err = s.SyncAll(context.Background())
	if err != nil || res.Files != 0 {
		t.Errorf("second SyncAll = %+v, %v; want no uploads", res, err)
	}
	if got := rec.take(); len(got) != 0 {
		t.Errorf("second sync sent %v", got)
	}
}

func TestSyncAllEventsMatchObjects(t *testing.T) {
	t.Parallel()
	const bucket = "media"
	_, client := startTestS3(t, bucket)
	dir := t.TempDir()
	writeFile(t, dir, "chistes/uno dos.mp3", "0123456789")
	var got []events.S3EventRecord
	h := sqsFunc(func(_ context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		for _, m := range ev.Records {
			var e events.S3Event
			if err := json.Unmarshal([]byte(m.Body), &e); err != nil {
				t.Error(err)
			}
			got = append(got, e.Records...)
		}
		return events.SQSEventResponse{}, nil
	})
	s := NewSyncer(SyncConfig{Dir: dir, Bucket: bucket, S3: client, Indexer: h, Logger: discard})
	if _, err := s.SyncAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	head, err := client.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("chistes/uno dos.mp3")})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("%d records; want 1", len(got))
	}
	o := got[0].S3.Object
	if want := strings.Trim(aws.ToString(head.ETag), `"`); o.ETag != want || o.Size != 10 || o.Key != "chistes/uno+dos.mp3" {
		t.Errorf("object = %+v; want key chistes/uno+dos.mp3, size 10, eTag %s", o, want)
	}
	if ct := aws.ToString(head.ContentType); ct != "audio/mpeg" {
		t.Errorf("Content-Type = %q; want audio/mpeg", ct)
	}
}

func TestSyncAllProgress(t *testing.T) {
	t.Parallel()
	const bucket = "media"
	_, client := startTestS3(t, bucket)
	dir := t.TempDir()
	for i := range 45 {
		writeFile(t, dir, fmt.Sprintf("f%02d/%02d.mp3", i%3, i), "x")
	}
	rec := newRecorder()
	var progress bytes.Buffer
	s := NewSyncer(SyncConfig{Dir: dir, Bucket: bucket, S3: client, Indexer: rec, Progress: &progress, Logger: discard})
	if _, err := s.SyncAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(progress.String()), "\n")
	if len(lines) < 5 || lines[len(lines)-1] != "  uploaded 45/45 files (100%)" {
		t.Errorf("progress:\n%s\nwant about ten lines ending with 45/45", progress.String())
	}
	if got := len(rec.take()); got != 45 {
		t.Errorf("%d events; want 45", got)
	}
}

// TestSyncPrepare: a Prepare hook's object replaces the file under its own
// key, and deleting the file deletes that object.
func TestSyncPrepare(t *testing.T) {
	t.Parallel()
	const bucket = "media"
	_, client := startTestS3(t, bucket)
	dir, work := t.TempDir(), t.TempDir()
	writeFile(t, dir, "chistes/voz.wav", "wave")
	writeFile(t, dir, "chistes/ok.mp3", "mp3")
	writeFile(t, dir, "chistes/8k.mp3", "low")
	var done []string
	prepare := func(_ context.Context, key string, _ *os.File) (Prepared, error) {
		if key == "chistes/8k.mp3" { // converted under its own key, to a larger file
			out := filepath.Join(work, "8k.mp3")
			return Prepared{Key: key, Path: out}, os.WriteFile(out, []byte("re-encoded at a higher rate"), 0o644)
		}
		if !strings.HasSuffix(key, ".wav") {
			return Prepared{Key: key}, nil
		}
		out := filepath.Join(work, "converted.mp3")
		if err := os.WriteFile(out, []byte("converted from "+key), 0o644); err != nil {
			return Prepared{}, err
		}
		return Prepared{Key: strings.TrimSuffix(key, ".wav") + ".mp3", Path: out, Done: func() { done = append(done, key) }}, nil
	}
	rec := newRecorder()
	s := NewSyncer(SyncConfig{Dir: dir, Bucket: bucket, S3: client, Indexer: rec, Logger: discard, Prepare: prepare})
	if _, err := s.SyncAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"chistes/8k.mp3", "chistes/ok.mp3", "chistes/voz.mp3"}, listKeys(t, client, bucket)); diff != "" {
		t.Errorf("bucket keys (-want +got):\n%s", diff)
	}
	for key, want := range map[string]string{"chistes/8k.mp3": "re-encoded at a higher rate", "chistes/ok.mp3": "mp3"} {
		obj, err := client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(obj.Body)
		obj.Body.Close()
		if string(body) != want {
			t.Errorf("%s holds %q; want %q", key, body, want)
		}
	}
	obj, err := client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("chistes/voz.mp3")})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(obj.Body)
	obj.Body.Close()
	if string(body) != "converted from chistes/voz.wav" || !slices.Equal(done, []string{"chistes/voz.wav"}) {
		t.Errorf("voz.mp3 holds %q, Done called for %v", body, done)
	}
	rec.take()
	if err := os.Remove(filepath.Join(dir, "chistes", "voz.wav")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Apply(context.Background(), []string{"chistes/voz.wav"}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"chistes/8k.mp3", "chistes/ok.mp3"}, listKeys(t, client, bucket)); diff != "" {
		t.Errorf("bucket keys after deleting voz.wav (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"ObjectRemoved:Delete chistes/voz.mp3"}, rec.take()); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

// TestSyncKeyClash: two files whose prepared objects have the same key
// (voz.wav and voz.opus both converted to voz.mp3): one is uploaded, the
// other refused with a *KeyClashError, at start and on a change, and never
// overwrites it; once the first is deleted the other can take the key.
func TestSyncKeyClash(t *testing.T) {
	t.Parallel()
	const bucket = "media"
	_, client := startTestS3(t, bucket)
	dir, work := t.TempDir(), t.TempDir()
	writeFile(t, dir, "a/voz.wav", "wav")
	writeFile(t, dir, "a/voz.opus", "opus")
	prepare := func(_ context.Context, key string, src *os.File) (Prepared, error) {
		b, err := io.ReadAll(src)
		if err != nil {
			return Prepared{}, err
		}
		out := filepath.Join(work, strings.ReplaceAll(key, "/", "_")+".mp3")
		return Prepared{Key: strings.TrimSuffix(key, path.Ext(key)) + ".mp3", Path: out}, os.WriteFile(out, []byte("from "+string(b)), 0o644)
	}
	s := NewSyncer(SyncConfig{Dir: dir, Bucket: bucket, S3: client, Indexer: newRecorder(), Logger: discard, Prepare: prepare})
	res, err := s.SyncAll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Files != 1 || len(res.Clashes) != 1 {
		t.Fatalf("SyncAll: %d files, clashes %v; want 1 and 1", res.Files, res.Clashes)
	}
	refused, kept := res.Clashes[0].File, res.Clashes[0].Other
	want := fmt.Sprintf("%s: same key \"a/voz.mp3\" as %s", refused, kept)
	if got := res.Clashes[0].Error(); got != want || refused == kept {
		t.Errorf("clash %q; want %q", got, want)
	}
	body := func() string {
		t.Helper()
		obj, err := client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("a/voz.mp3")})
		if err != nil {
			t.Fatal(err)
		}
		defer obj.Body.Close()
		b, _ := io.ReadAll(obj.Body)
		return string(b)
	}
	keptBody := "from " + strings.TrimPrefix(path.Ext(kept), ".") // each file holds its extension
	if got := body(); got != keptBody {
		t.Errorf("a/voz.mp3 holds %q; want %q (from %s)", got, keptBody, kept)
	}

	// A change to the refused file is refused again.
	writeFile(t, dir, refused, "changed")
	var clash *KeyClashError
	if _, err := s.Apply(context.Background(), []string{refused}); !errors.As(err, &clash) || clash.File != refused {
		t.Errorf("Apply(%s) = %v; want its clash", refused, err)
	}
	if got := body(); got != keptBody {
		t.Errorf("after a change to %s, a/voz.mp3 holds %q; want %q", refused, got, keptBody)
	}

	// Deleting the kept file frees the key.
	if err := os.Remove(filepath.Join(dir, filepath.FromSlash(kept))); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Apply(context.Background(), []string{kept, refused}); err != nil {
		t.Fatal(err)
	}
	if got := body(); got != "from changed" {
		t.Errorf("after deleting %s, a/voz.mp3 holds %q; want %q", kept, got, "from changed")
	}
}
