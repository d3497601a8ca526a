package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/google/go-cmp/cmp"

	"github.com/jokebox/jokebox/internal/motoserver"
	"github.com/jokebox/jokebox/shared/manifest"
)

// bucketFile is one object of the test bucket and what the manifest should
// make of it.
type bucketFile struct {
	key  string
	body []byte
	kind string // "audio", "rejected" (looks like audio, is not) or "ignored"
}

// bucketFiles returns n files: playable copies of the test audio under
// awkward keys (spaces, '+', unicode, nested folders, upper-case
// extensions, URL metacharacters), text and zero-byte files named .mp3,
// and other files.
func bucketFiles(t *testing.T, n int) []bucketFile {
	t.Helper()
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("../../testdata/audio", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	audio := [][]byte{read("short.mp3"), read("notitle.mp3"), read("vbr.mp3"), read("short.mp3"), read("notitle.mp3"), read("long.mp3")}
	text, empty := read("text.mp3"), read("empty.mp3")
	folders := []string{"", "Animales/", "Cuentos Cortos/sub folder/", "Ñandú/canción/", "a+b/", "deep/er/est/", "UPPER/", "q?&=/", "100%/"}
	files := make([]bucketFile, n)
	for i := range files {
		dir := folders[i%len(folders)]
		switch i % 10 {
		case 0, 1, 2, 3, 4, 5:
			ext := ".mp3"
			if i%4 == 0 {
				ext = ".MP3"
			}
			files[i] = bucketFile{fmt.Sprintf("%schiste %04d+ñ%s", dir, i, ext), audio[i%len(audio)], "audio"}
		case 6:
			files[i] = bucketFile{fmt.Sprintf("%stexto-%04d.mp3", dir, i), text, "rejected"}
		case 7:
			files[i] = bucketFile{fmt.Sprintf("%svacío-%04d.mp3", dir, i), empty, "rejected"}
		case 8:
			files[i] = bucketFile{fmt.Sprintf("%snotas-%04d.txt", dir, i), []byte("not audio"), "ignored"}
		default:
			files[i] = bucketFile{fmt.Sprintf("%sfoto-%04d.jpg", dir, i), []byte("\xff\xd8\xff\xe0 jpeg"), "ignored"}
		}
	}
	return files
}

// parallel runs fn on each item, 16 at a time, and fails on the first error.
func parallel[T any](t *testing.T, items []T, fn func(T) error) {
	t.Helper()
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for _, it := range items {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := fn(it); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d failed, the first: %v", len(errs), errs[0])
	}
}

// jokebox runs the CLI in-process with the process environment and
// returns what it wrote to stdout.
func jokebox(t *testing.T, args ...string) string {
	t.Helper()
	out, _ := jokeboxLog(t, args...)
	return out
}

// jokeboxLog is jokebox, returning stderr too.
func jokeboxLog(t *testing.T, args ...string) (stdout, stderr string) {
	t.Helper()
	var out, log bytes.Buffer
	c := &cli{stdin: strings.NewReader(""), stdout: &out, stderr: &log, getenv: os.Getenv}
	if err := run(context.Background(), c, args); err != nil {
		t.Fatalf("jokebox %s: %v\nstderr:\n%s", strings.Join(args, " "), err, tail(log.String(), 2000))
	}
	return out.String(), log.String()
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// manifestKeys runs `jokebox manifest --json` and returns the library's
// keys and the rejected keys, sorted.
func manifestKeys(t *testing.T) (m ManifestJSON, playable, rejected []string) {
	t.Helper()
	out := jokebox(t, "manifest", "--json")
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("manifest --json: %v\n%s", err, tail(out, 500))
	}
	if len(m.Playlists) == 0 || !m.Playlists[0].Library {
		t.Fatalf("manifest --json has no library playlist first")
	}
	for _, e := range m.Playlists[0].Entries {
		playable = append(playable, e.Key)
	}
	for _, r := range m.Rejected {
		rejected = append(rejected, r.Key)
	}
	slices.Sort(playable)
	slices.Sort(rejected)
	return m, playable, rejected
}

func expected(files []bucketFile, skip map[string]bool) (playable, rejected []string) {
	for _, f := range files {
		switch {
		case skip[f.key]:
		case f.kind == "audio":
			playable = append(playable, f.key)
		case f.kind == "rejected":
			rejected = append(rejected, f.key)
		}
	}
	slices.Sort(playable)
	slices.Sort(rejected)
	return playable, rejected
}

// copySource is a key escaped for x-amz-copy-source: everything but
// unreserved characters and '/'.
func copySource(bucket, key string) string {
	var b strings.Builder
	b.WriteString(bucket + "/")
	for i := 0; i < len(key); i++ {
		c := key[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-_.~/", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// TestMotoIndexReindex is issue 2's "done when": 2,500 files uploaded to a
// bucket that notifies a queue, indexed by `jokebox index --once`, listed by
// `jokebox manifest --json`; 100 deleted and drained again; the bucket
// copied without notifications and `jokebox reindex`ed to the same keys.
// testFiles is how many files the test uploads.
var testFiles = 2500

func TestMotoIndexReindex(t *testing.T) {
	endpoint := motoserver.Start(t)
	cfg := motoserver.Config(endpoint)
	for k, v := range motoserver.Env(endpoint) {
		t.Setenv(k, v)
	}
	const bucket, copyBucket, param = "jokes", "jokes-copy", "/jokebox/test/manifest"
	t.Setenv("JOKEBOX_BUCKET", bucket)
	t.Setenv("JOKEBOX_MANIFEST_PARAM", param)
	t.Setenv("JOKEBOX_S3_PATH_STYLE", "true")
	t.Setenv("JOKEBOX_QUEUE_URL", "")
	t.Setenv("JOKEBOX_DEBUG", "")

	ctx := context.Background()
	queueURL := motoserver.NotifyingBucket(t, cfg, bucket, "jokes-index")
	s3c := motoserver.S3(cfg)
	ssmc := ssm.NewFromConfig(cfg)
	if _, err := ssmc.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(param), Value: aws.String("-"), Type: "String"}); err != nil {
		t.Fatal(err)
	}

	// The files go up in chunks of 250, each drained by `index --once`
	// before the next: moto's SQS spends time in proportion to the
	// queue's length on every send and receive (2,500 queued
	// notifications take it about five minutes to hand out), so the queue
	// is kept short, as a Lambda consumer keeps it on AWS.
	files := bucketFiles(t, testFiles)
	var uploadTime, drainTime time.Duration
	const chunk = 250
	for lo := 0; lo < len(files); lo += chunk {
		start := time.Now()
		parallel(t, files[lo:min(lo+chunk, len(files))], func(f bucketFile) error {
			_, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(f.key), Body: bytes.NewReader(f.body)})
			return err
		})
		uploadTime += time.Since(start)
		start = time.Now()
		out, log := jokeboxLog(t, "index", "--queue-url", queueURL, "--once")
		drainTime += time.Since(start)
		if !strings.Contains(out, "queue drained") || !strings.Contains(out, " 0 failed") {
			t.Errorf("index --once said %q; log:\n%s", out, tail(log, 3000))
		}
	}
	waitDrained(t, sqs.NewFromConfig(cfg), queueURL)

	m, playable, rejected := manifestKeys(t)
	wantPlayable, wantRejected := expected(files, nil)
	if diff := cmp.Diff(wantPlayable, playable); diff != "" {
		t.Errorf("playable keys after indexing (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantRejected, rejected); diff != "" {
		t.Errorf("rejected keys after indexing (-want +got):\n%s", diff)
	}
	indexed := fmt.Sprintf("%d playable, %d rejected", len(wantPlayable), len(wantRejected))
	if m.Entries != len(wantPlayable) {
		t.Errorf("manifest says %d entries; want %d", m.Entries, len(wantPlayable))
	}
	for _, p := range m.Playlists[1:] {
		for _, e := range p.Entries {
			if manifest.Folder(e.Key) != p.Name {
				t.Errorf("playlist %q holds %q", p.Name, e.Key)
			}
		}
	}
	// The skill's SSM parameter follows the bucket's pointer.
	got, err := ssmc.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(param)})
	if err != nil {
		t.Fatal(err)
	}
	if p, err := manifest.DecodePointer([]byte(aws.ToString(got.Parameter.Value))); err != nil || p.Version != m.Version {
		t.Errorf("SSM pointer %s (%v); want v%d", aws.ToString(got.Parameter.Value), err, m.Version)
	}

	// Delete 100 files of every kind.
	deleted := map[string]bool{}
	var del []string
	for i := 0; i < len(files); i += 25 {
		deleted[files[i].key] = true
		del = append(del, files[i].key)
	}
	parallel(t, del, func(key string) error {
		_, err := s3c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		return err
	})
	start := time.Now()
	out, log := jokeboxLog(t, "index", "--queue-url", queueURL, "--once")
	deleteDrainTime := time.Since(start)
	if !strings.Contains(out, " 0 failed") {
		t.Errorf("index --once after deleting said %q; log:\n%s", out, tail(log, 3000))
	}
	_, playable, rejected = manifestKeys(t)
	wantPlayable, wantRejected = expected(files, deleted)
	if diff := cmp.Diff(wantPlayable, playable); diff != "" {
		t.Errorf("playable keys after deleting 100 (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantRejected, rejected); diff != "" {
		t.Errorf("rejected keys after deleting 100 (-want +got):\n%s", diff)
	}

	// Copy what is left to a bucket without notifications and reindex it.
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(copyBucket)}); err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, f := range files {
		if !deleted[f.key] {
			left = append(left, f.key)
		}
	}
	start = time.Now()
	parallel(t, left, func(key string) error {
		_, err := s3c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(copyBucket), Key: aws.String(key), CopySource: aws.String(copySource(bucket, key))})
		if err != nil {
			return fmt.Errorf("copy %q: %w", key, err)
		}
		return nil
	})
	copyTime := time.Since(start)
	t.Setenv("JOKEBOX_BUCKET", copyBucket)
	t.Setenv("JOKEBOX_MANIFEST_PARAM", "")
	start = time.Now()
	out = jokebox(t, "reindex")
	reindexTime := time.Since(start)
	if !strings.Contains(out, fmt.Sprintf("%d entries", len(wantPlayable))) {
		t.Errorf("reindex said %q", out)
	}
	_, copied, copiedRejected := manifestKeys(t)
	if diff := cmp.Diff(playable, copied); diff != "" {
		t.Errorf("reindexed copy's playable keys (-original +copy):\n%s", diff)
	}
	if diff := cmp.Diff(rejected, copiedRejected); diff != "" {
		t.Errorf("reindexed copy's rejected keys (-original +copy):\n%s", diff)
	}
	// A second reindex finds nothing to change.
	if out := jokebox(t, "reindex"); !strings.Contains(out, "added 0, updated 0, removed 0") {
		t.Errorf("second reindex said %q", out)
	}

	// invoke prints the skill's answer with its presigned URL as it is, so
	// it can be pasted into curl: '&', not the JSON escape \u0026.
	if out := jokebox(t, "invoke", "skill", "../../events/skill/launch.es-ES.json"); !strings.Contains(out, "&X-Amz-") || strings.Contains(out, `\u0026`) {
		t.Errorf("invoke skill printed the URL escaped or without its query:\n%s", tail(out, 2000))
	}

	t.Logf("%d files (%s): upload %v, drain %v (in chunks of 250); delete 100 and drain %v; copy %v, reindex %v",
		len(files), indexed,
		uploadTime.Round(time.Millisecond), drainTime.Round(time.Millisecond), deleteDrainTime.Round(time.Millisecond),
		copyTime.Round(time.Millisecond), reindexTime.Round(time.Millisecond))
}

// waitDrained waits until the queue holds no message, visible or in
// flight, for a few consecutive looks.
func waitDrained(t *testing.T, sqsc *sqs.Client, queueURL string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Minute)
	for quiet := 0; quiet < 3; {
		out, err := sqsc.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
			QueueUrl: aws.String(queueURL), AttributeNames: []sqstypes.QueueAttributeName{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"},
		})
		if err != nil {
			t.Fatal(err)
		}
		if out.Attributes["ApproximateNumberOfMessages"] == "0" && out.Attributes["ApproximateNumberOfMessagesNotVisible"] == "0" {
			quiet++
		} else {
			quiet = 0
		}
		if time.Now().After(deadline) {
			t.Fatalf("queue not drained after 5 minutes: %v", out.Attributes)
		}
		time.Sleep(300 * time.Millisecond)
	}
}
