package index

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-cmp/cmp"

	"github.com/jokebox/jokebox/internal/motoserver"
	"github.com/jokebox/jokebox/shared/audio"
	"github.com/jokebox/jokebox/shared/store"
)

// corpusDecisions is what the indexer must decide for each file of
// testdata/corpus and the two large files TestMotoCorpus adds: "" for a
// file it offers, else the rejection's reason. Playlists (.pls, .m3u) are
// not audio by name, so the indexer never looks at them: neither offered
// nor listed.
var corpusDecisions = map[string]string{
	"aac.m4a": "", "video-aac.mp4": "", "aac-moov-end.m4a": "", "aac-frag.mp4": "", "aac-20k.m4a": "",
	"quicktime.m4a": "", "adts.aac": "", "adts-named.mp3": "", "vbr-no-xing.mp3": "", "zeros.mp3": "",
	"id3v23-spa.mp3": "", "id3v24-fra.mp3": "", "id3v1.mp3": "", "lang-xx1.mp3": "", "lang-es.mp3": "",
	"alac.m4a":            "ALAC: Alexa plays AAC in MP4",
	"opus.mp4":            "Opus: Alexa plays AAC in MP4",
	"flac.mp4":            "FLAC: Alexa plays AAC in MP4",
	"ac3.mp4":             "AC-3: Alexa plays AAC in MP4",
	"eac3.mp4":            "E-AC-3: Alexa plays AAC in MP4",
	"mp3.m4a":             "MP3: Alexa plays AAC in MP4",
	"mp2.mp4":             "MP2: Alexa plays AAC in MP4",
	"video.mp4":           "video with no audio track: Alexa plays AAC in MP4",
	"aac-8k-moov-end.m4a": "14 kbps: Alexa plays 16–384 kbps",
	"aac-8k-frag.mp4":     "14 kbps: Alexa plays 16–384 kbps",
	"aac-392k-5.1.m4a":    "417 kbps: Alexa plays 16–384 kbps",
	"aac-32khz.m4a":       "32 kHz AAC: Alexa plays AAC at 22.05, 44.1 or 48 kHz",
	"adts-8k.aac":         "14 kbps: Alexa plays 16–384 kbps",
	"adts-392k-5.1.aac":   "411 kbps: Alexa plays 16–384 kbps",
	"freeformat.mp3":      "free-format MP3: Alexa plays MP3 at 16–384 kbps",
	"riff.mp3":            "MP3 inside a WAV (RIFF) file: Alexa plays plain MP3 files",
	// Added by the test: an 8 kbps MP3 behind a 1 MB cover, and a
	// two-minute M4A whose moov follows 360 KB of mdat.
	"cover-8k.mp3":      "8 kbps: Alexa plays 16–384 kbps",
	"long-moov-end.m4a": "",
}

// corpusLanguages and corpusTitles are the tags the manifest must carry.
var (
	corpusLanguages = map[string]string{"id3v23-spa.mp3": "es", "id3v24-fra.mp3": "fr", "lang-es.mp3": "es"}
	corpusTitles    = map[string]string{"aac.m4a": "AAC in MP4", "aac-moov-end.m4a": "Moov at the end", "aac-frag.mp4": "Fragmented",
		"quicktime.m4a": "QuickTime AAC", "id3v23-spa.mp3": "Tres", "id3v24-fra.mp3": "Cuatro", "id3v1.mp3": "Solo uno",
		"lang-xx1.mp3": "Garbage", "lang-es.mp3": "Dos letras", "long-moov-end.m4a": "Long, moov at the end"}
)

// rangeCounter is the S3 client, counting each key's ranged GETs.
type rangeCounter struct {
	*s3.Client
	mu     sync.Mutex
	ranges map[string][]string
}

func (c *rangeCounter) GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	c.mu.Lock()
	c.ranges[aws.ToString(in.Key)] = append(c.ranges[aws.ToString(in.Key)], aws.ToString(in.Range))
	c.mu.Unlock()
	return c.Client.GetObject(ctx, in, opts...)
}

// TestMotoCorpus uploads the probe corpus with `aws s3 cp --recursive` (the
// AWS CLI's content types: audio/mpeg for the ADTS file named .mp3), then
// reindexes: exactly the playable files are offered, with their titles and
// languages, each other one is rejected with its reason, and no object is
// read with more than audio.MaxRanges GETs.
func TestMotoCorpus(t *testing.T) {
	t.Parallel()
	endpoint := motoserver.Start(t)
	if _, err := exec.LookPath("aws"); err != nil {
		t.Fatalf("the AWS CLI is not installed (scripts/setup.sh): %v", err)
	}
	cfg := motoserver.Config(endpoint)
	s3c := motoserver.S3(cfg)
	const bucket = "corpus"
	ctx := t.Context()
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	files, err := filepath.Glob("../../testdata/corpus/*")
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus (%v)", err)
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(p)), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	writeLargeFiles(t, dir)

	cp := exec.CommandContext(ctx, "aws", "s3", "cp", "--recursive", "--only-show-errors", dir, "s3://"+bucket+"/corpus/")
	// The emulator's environment; the variables it empties are unset (the
	// AWS CLI looks an empty AWS_PROFILE up as a profile named "").
	env := motoserver.Env(endpoint)
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); !hasKey(env, k) {
			cp.Env = append(cp.Env, kv)
		}
	}
	for k, v := range env {
		if v != "" {
			cp.Env = append(cp.Env, k+"="+v)
		}
	}
	if out, err := cp.CombinedOutput(); err != nil {
		t.Fatalf("aws s3 cp: %v\n%s", err, out)
	}
	head, err := s3c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("corpus/adts-named.mp3")})
	if err != nil || aws.ToString(head.ContentType) != "audio/mpeg" {
		t.Errorf("aws s3 cp gave adts-named.mp3 the type %q (%v); want audio/mpeg", aws.ToString(head.ContentType), err)
	}

	counter := &rangeCounter{Client: s3c, ranges: map[string][]string{}}
	ix := New(counter, store.New(s3c, nil, bucket, "", nil), bucket, nil)
	m, _, err := ix.Reconcile(ctx, ReconcileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	titles, langs := map[string]string{}, map[string]string{}
	for _, e := range m.Entries {
		name := strings.TrimPrefix(e.Key, "corpus/")
		got[name] = ""
		if e.Title != "" {
			titles[name] = e.Title
		}
		if l := m.Languages[e.Key]; l != "" {
			langs[name] = l
		}
	}
	for _, r := range m.Rejected {
		got[strings.TrimPrefix(r.Key, "corpus/")] = r.Reason
	}
	if diff := cmp.Diff(corpusDecisions, got); diff != "" {
		t.Errorf("offered (\"\") and rejected files (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(corpusTitles, titles); diff != "" {
		t.Errorf("titles (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(corpusLanguages, langs); diff != "" {
		t.Errorf("languages (-want +got):\n%s", diff)
	}
	most := 0
	for key, r := range counter.ranges {
		if len(r) > audio.MaxRanges {
			t.Errorf("%s read with %d GETs %q; want at most %d", key, len(r), r, audio.MaxRanges)
		}
		most = max(most, len(r))
	}
	for _, key := range []string{"corpus/cover-8k.mp3", "corpus/long-moov-end.m4a"} {
		if r := counter.ranges[key]; len(r) != 2 {
			t.Errorf("%s read with GETs %q; want 2: the head, then the frames behind the tag or the moov", key, r)
		}
	}
	t.Logf("%d objects probed, at most %d GETs each; cover-8k.mp3: %q, long-moov-end.m4a: %q", len(counter.ranges), most,
		counter.ranges["corpus/cover-8k.mp3"], counter.ranges["corpus/long-moov-end.m4a"])
}

func hasKey(m map[string]string, k string) bool { _, ok := m[k]; return ok }

// writeLargeFiles adds to dir an 8 kbps MP3 behind a 1 MB cover picture and
// a two-minute 24 kbps M4A with its moov after the mdat (ffmpeg's default).
func writeLargeFiles(t *testing.T, dir string) {
	t.Helper()
	cover := make([]byte, 1<<20)
	rand.Read(cover)
	apic := append([]byte("APIC"), binary.BigEndian.AppendUint32(nil, uint32(len(cover)+14))...)
	apic = append(apic, 0, 0)
	apic = append(apic, "\x00image/jpeg\x00\x03\x00"...)
	apic = append(apic, cover...)
	n := len(apic)
	tag := append([]byte("ID3\x03\x00\x00"), byte(n>>21)&0x7F, byte(n>>14)&0x7F, byte(n>>7)&0x7F, byte(n)&0x7F)
	low, err := os.ReadFile("../../testdata/audio/rate8.mp3")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cover-8k.mp3"), bytes.Join([][]byte{tag, apic, low}, nil), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "anoisesrc=r=22050:a=0.1:c=pink", "-t", "120",
		"-ac", "1", "-c:a", "aac", "-b:a", "24k", "-metadata", "title=Long, moov at the end", filepath.Join(dir, "long-moov-end.m4a")).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
}
