package ingest

import (
	"bytes"
	"context"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/jokebox/jokebox/shared/audio"
	"github.com/jokebox/jokebox/shared/transcode"
)

// fakeS3 is gofakes3 (an S3 that keeps objects in memory) with bucket.
func fakeS3(t *testing.T, bucket string) *s3.Client {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket(bucket); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(backend, gofakes3.WithoutVersioning()).Server())
	t.Cleanup(srv.Close)
	return s3.New(s3.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("k", "s", ""),
	})
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "audio", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// bar is a Progress that shows nothing.
type bar struct{}

func (bar) OnObjectBytesTransferred(context.Context, *transfermanager.ObjectBytesTransferredEvent) {}
func (bar) Start(string)                                                                           {}
func (bar) Done(string, int64, error)                                                              {}
func (bar) Finish()                                                                                {}

// TestSwapBetweenCheckAndUpload is issue 22's low finding: a file that
// plays as is is checked, then its name is made to point at other bytes
// (renamed over, as by an attacker racing the upload), or it is rewritten
// in place. The upload refuses it and the bucket never holds the other
// bytes.
func TestSwapBetweenCheckAndUpload(t *testing.T) {
	for _, how := range []string{"rename", "rewrite"} {
		t.Run(how, func(t *testing.T) {
			dir := t.TempDir()
			good := fixture(t, "short.mp3")
			p := filepath.Join(dir, "joke.mp3")
			if err := os.WriteFile(p, good, 0o644); err != nil {
				t.Fatal(err)
			}
			c := fakeS3(t, "b")
			files := Walk([]string{dir}, "")
			pl := &Pipeline{NoFFmpeg: transcode.ErrNotFound, Options: Defaults(), TempDir: t.TempDir()}
			pl.CheckAll(t.Context(), files)
			if files[0].Outcome != AsIs {
				t.Fatalf("checked: %+v; want plays as is", files[0].Decision)
			}
			if err := pl.Prepare(t.Context(), c, "b", files); err != nil {
				t.Fatal(err)
			}
			passwd := bytes.Repeat([]byte("root:x:0:0:root:/root:/bin/bash\n"), len(good)/32+1)[:len(good)]
			pl.beforeUpload = func(*File) {
				switch how {
				case "rename":
					other := filepath.Join(dir, ".swap")
					if err := os.WriteFile(other, passwd, 0o644); err != nil {
						t.Fatal(err)
					}
					if err := os.Rename(other, p); err != nil {
						t.Fatal(err)
					}
				case "rewrite":
					if err := os.WriteFile(p, passwd, 0o644); err != nil {
						t.Fatal(err)
					}
					later := time.Now().Add(time.Second)
					os.Chtimes(p, later, later)
				}
			}
			if err := pl.Upload(t.Context(), c, "b", files, func(int, int64) Progress { return bar{} }); err != nil {
				t.Fatal(err)
			}
			if f := files[0]; f.Outcome != Refuse || !strings.Contains(f.Reason, "while jokebox ran") {
				t.Errorf("after the swap: %+v; want refused, changed while jokebox ran", f.Decision)
			}
			if _, err := c.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String("b"), Key: aws.String("joke.mp3")}); err == nil {
				t.Error("the bucket holds joke.mp3")
			}
		})
	}
}

// TestUploadReadsTheCheckedFile: what goes up is what was checked, the
// converted file under its .mp3 key with the title and language of its
// source (probed back from the bucket).
func TestUploadReadsTheCheckedFile(t *testing.T) {
	if testing.Short() {
		t.Skip("runs ffmpeg; skipped with -short")
	}
	ff, err := transcode.Find("")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	tmp := t.TempDir()
	// An Opus file tagged Spanish, and an M4A-named MP3 to normalize.
	opus := filepath.Join(dir, "el_espejo.opus")
	if b, err := exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=d=2:f=300", "-metadata:s:a:0", "LANGUAGE=spa", "-c:a", "libopus", opus).CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	c := fakeS3(t, "b")
	files := Walk([]string{dir}, "chistes")
	pl := &Pipeline{FFmpeg: ff, Options: Defaults(), TempDir: tmp}
	pl.CheckAll(t.Context(), files)
	if err := pl.Prepare(t.Context(), c, "b", files); err != nil {
		t.Fatal(err)
	}
	if err := pl.Upload(t.Context(), c, "b", files, func(int, int64) Progress { return bar{} }); err != nil {
		t.Fatal(err)
	}
	f := files[0]
	if f.Key != "chistes/el_espejo.mp3" || !f.Uploaded {
		t.Fatalf("file %+v; want chistes/el_espejo.mp3 uploaded", f.Decision)
	}
	obj, err := c.GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String("b"), Key: aws.String(f.Key)})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(obj.Body)
	obj.Body.Close()
	info, err := audio.Probe(f.Key, b[:min(len(b), audio.HeadSize)], int64(len(b)))
	if err != nil || info.Title != "El espejo" || info.Language != "es" {
		t.Errorf("uploaded %s: %+v, %v; want an MP3 titled El espejo (the tidied name), language es", f.Key, info, err)
	}
}

// TestTempDirSweepsDeadRuns: a temp folder left by a killed run (a process
// that no longer exists) is removed by the next run; a live one's is kept.
func TestTempDirSweepsDeadRuns(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip("no true(1)")
	}
	dead := filepath.Join(os.TempDir(), tempPrefix+strconv.Itoa(cmd.Process.Pid)+"-1")
	live := filepath.Join(os.TempDir(), tempPrefix+strconv.Itoa(os.Getppid())+"-1")
	for _, d := range []string{dead, live} {
		if err := os.MkdirAll(filepath.Join(d, "x"), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	mine, err := TempDir()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dead); err == nil {
		t.Errorf("%s (its process is gone) is still there", dead)
	}
	if _, err := os.Stat(live); err != nil {
		t.Errorf("%s (a live process's) was removed", live)
	}
	if st, err := os.Stat(mine); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("TempDir = %s, %v; want a private folder", mine, err)
	}
}
