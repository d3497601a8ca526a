package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-cmp/cmp"

	"github.com/jokebox/jokebox/shared/audio"
	"github.com/jokebox/jokebox/shared/devstack"
	"github.com/jokebox/jokebox/shared/ingest"
)

// needFFmpeg fails the test when ffmpeg is missing (the Makefile installs
// it); under -short the test is skipped.
func needFFmpeg(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs ffmpeg and moto_server; skipped with -short")
	}
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Fatal("ffmpeg not found on PATH: apt-get install -y ffmpeg")
	}
}

// addFixtures copies fixtures from testdata/audio into a new folder under
// the names given (name in folder → fixture).
func addFixtures(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, fixture := range files {
		b, err := os.ReadFile(filepath.Join("../../testdata/audio", fixture))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// jokeboxErr runs the CLI in-process and returns stdout and its error.
func jokeboxErr(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, log bytes.Buffer
	c := &cli{stdin: strings.NewReader(""), stdout: &out, stderr: &log, getenv: os.Getenv}
	err := run(context.Background(), c, args)
	return out.String(), err
}

// TestMotoAdd is issue 16's "done when": a WAV, an Opus in Ogg, an 8 kbit/s
// MP3, a 128 kbit/s MP3 and a text file named .mp3 → three converted, one as
// is, the text refused; after the indexer runs the manifest holds exactly
// the four; a second run uploads nothing.
func TestMotoAdd(t *testing.T) {
	needFFmpeg(t)
	s3c := motoBucket(t, "add")
	dir := addFixtures(t, map[string]string{
		"chistes/voz grabada.wav": "voice.wav",
		"chistes/mensaje.opus":    "voice.opus",
		"chistes/viejo 8k.mp3":    "rate8.mp3",
		"chistes/Canción año.mp3": "rate128.mp3",
		"chistes/notas.mp3":       "text.mp3",
	})
	out, err := jokeboxErr(t, "add", "--wait", "1s", filepath.Join(dir, "chistes"))
	t.Logf("first run:\n%s", out)
	if err == nil || !strings.Contains(err.Error(), "1 of 5") {
		t.Errorf("add returned %v; want 1 of 5 failed", err)
	}
	for _, want := range []string{
		"will be converted  " + filepath.Join(dir, "chistes", "voz grabada.wav") + " → voz grabada.mp3 (WAV is not a format Alexa plays)",
		"will be converted  " + filepath.Join(dir, "chistes", "mensaje.opus") + " → mensaje.mp3 (OPUS is not a format Alexa plays)",
		"will be converted  " + filepath.Join(dir, "chistes", "viejo 8k.mp3") + " → viejo 8k.mp3 (8 kbps: Alexa plays 16–384 kbps)",
		"plays as is        " + filepath.Join(dir, "chistes", "Canción año.mp3") + " → Canción año.mp3",
		"cannot be used     " + filepath.Join(dir, "chistes", "notas.mp3") + ": not an MP3 stream; ffmpeg cannot decode it",
		"added 4, converted 3, normalized 0, already there 0, skipped 0 (not audio), failed 1",
		// No notifications here: add does not wait for an indexer that
		// cannot answer, and says how to publish.
		"no indexer answers for add (no bucket notifications, no JOKEBOX_QUEUE_URL): run `jokebox reindex` to publish the 4 file(s)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("add output lacks %q", want)
		}
	}
	// Converted objects are MP3s with the source's title, typed, hashed.
	head, err := s3c.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String("add"), Key: aws.String("mensaje.mp3")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(head.ContentType) != "audio/mpeg" || len(head.Metadata[ingest.MetaHash]) != 64 {
		t.Errorf("mensaje.mp3: Content-Type %q, metadata %v", aws.ToString(head.ContentType), head.Metadata)
	}

	jokebox(t, "reindex")
	m, playable, rejected := manifestKeys(t)
	if diff := cmp.Diff([]string{"Canción año.mp3", "mensaje.mp3", "viejo 8k.mp3", "voz grabada.mp3"}, playable); diff != "" {
		t.Errorf("manifest keys (-want +got):\n%s", diff)
	}
	if len(rejected) != 0 {
		t.Errorf("rejected %v; want none", rejected)
	}
	titles := map[string]string{}
	for _, e := range m.Playlists[0].Entries {
		titles[e.Key] = e.Title
	}
	if titles["mensaje.mp3"] != "Título Opus" || titles["voz grabada.mp3"] != "Wave Title" || titles["viejo 8k.mp3"] != "Eight Kilobits" {
		t.Errorf("titles %v; want the sources' tags", titles)
	}

	// Content uploaded by plain `aws s3 cp` (no jokebox metadata) is
	// recognized by its MD5 ETag.
	plain, err := os.ReadFile(filepath.Join(dir, "chistes", "Canción año.mp3"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s3c.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String("add"), Key: aws.String("Canción año.mp3"), Body: bytes.NewReader(plain)}); err != nil {
		t.Fatal(err)
	}

	// Second run: everything is there; the indexer has published it.
	out, _ = jokeboxErr(t, "add", "--wait", "10s", filepath.Join(dir, "chistes"))
	t.Logf("second run:\n%s", out)
	if !strings.Contains(out, "added 0, converted 0, normalized 0, already there 4, skipped 0 (not audio), failed 1") {
		t.Errorf("second run did not skip the four files")
	}
	if want := "manifest v" + strconv.FormatInt(m.Version, 10) + " includes all 4 file(s)"; !strings.Contains(out, want) {
		t.Errorf("second run does not say %q", want)
	}
}

var (
	reI    = regexp.MustCompile(`I:\s+(-?[0-9.]+) LUFS`)
	rePeak = regexp.MustCompile(`Peak:\s+(-?[0-9.]+|-inf) dBFS`)
)

// ebur128 measures a file with ffmpeg's ebur128 filter, independently of
// shared/transcode: integrated loudness and true peak.
func ebur128(t *testing.T, path string) (lufs, peak float64) {
	t.Helper()
	out, err := exec.Command("ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-i", path, "-af", "ebur128=peak=true", "-f", "null", "-").CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg ebur128 %s: %v\n%s", path, err, out)
	}
	s := string(out)
	i, p := reI.FindAllStringSubmatch(s, -1), rePeak.FindAllStringSubmatch(s, -1)
	if len(i) == 0 || len(p) == 0 {
		t.Fatalf("no summary in ffmpeg's output:\n%s", s)
	}
	lufs, _ = strconv.ParseFloat(i[len(i)-1][1], 64)
	peak, _ = strconv.ParseFloat(p[len(p)-1][1], 64)
	return lufs, peak
}

// TestMotoAddNormalize uploads two clips 12 dB apart with --normalize and
// measures what the bucket holds: −14 ± 1 LUFS, true peak ≤ −3 dBTP.
func TestMotoAddNormalize(t *testing.T) {
	needFFmpeg(t)
	s3c := motoBucket(t, "norm")
	dir := addFixtures(t, map[string]string{"loud.mp3": "loud.mp3", "quiet.mp3": "quiet.mp3"})
	l0, _ := ebur128(t, filepath.Join(dir, "loud.mp3"))
	q0, _ := ebur128(t, filepath.Join(dir, "quiet.mp3"))
	if d := l0 - q0; d < 11 || d > 13 {
		t.Fatalf("fixtures are %.1f dB apart; want 12", d)
	}
	out, err := jokeboxErr(t, "add", "--wait", "0", "--normalize", "--playlist", "normal", filepath.Join(dir, "loud.mp3"), filepath.Join(dir, "quiet.mp3"))
	t.Logf("%s", out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "added 2, converted 0, normalized 2") {
		t.Errorf("add did not normalize both")
	}
	done := t.TempDir()
	for _, key := range []string{"normal/loud.mp3", "normal/quiet.mp3"} {
		obj, err := s3c.GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String("norm"), Key: aws.String(key)})
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(done, path.Base(key))
		f, _ := os.Create(p)
		_, err = f.ReadFrom(obj.Body)
		obj.Body.Close()
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		lufs, peak := ebur128(t, p)
		t.Logf("%s: %.1f LUFS, true peak %.1f dBTP", key, lufs, peak)
		if lufs < -15 || lufs > -13 || peak > -3 {
			t.Errorf("%s: %.1f LUFS, true peak %.1f dBTP; want -14 ± 1 LUFS and ≤ -3 dBTP", key, lufs, peak)
		}
	}
	// Files already normalized are measured and left as they are.
	out, err = jokeboxErr(t, "add", "--dry-run", "--normalize", done)
	if err != nil || strings.Count(out, "plays as is") != 2 {
		t.Errorf("add --dry-run --normalize of normalized files (%v):\n%s\nwant both to play as is", err, out)
	}
}

// TestDevMediaPreparer: `jokebox dev`'s media hook converts what Alexa
// cannot play, as `jokebox add` does, and leaves the rest alone.
func TestDevMediaPreparer(t *testing.T) {
	needFFmpeg(t)
	t.Setenv("JOKEBOX_FFMPEG", "")
	dir := addFixtures(t, map[string]string{"voz.wav": "voice.wav", "bien.mp3": "short.mp3", "notas.mp3": "text.mp3"})
	c := &cli{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard, getenv: os.Getenv}
	hook := func(t *testing.T, out io.Writer, convert bool) func(string) devstack.Prepared {
		prepare, err := mediaPreparer(c, out, convert, false, t.TempDir())
		if err != nil || prepare == nil {
			t.Fatalf("mediaPreparer = %v; want a hook", err)
		}
		return func(key string) devstack.Prepared {
			src, err := os.Open(filepath.Join(dir, key))
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			p, err := prepare(t.Context(), key, src)
			if err != nil {
				t.Fatalf("prepare %s: %v", key, err)
			}
			return p
		}
	}
	prepare := hook(t, io.Discard, true)
	for _, tt := range []struct{ key, want, refused string }{
		{"voz.wav", "voz.mp3", ""},
		{"bien.mp3", "bien.mp3", ""},
		{"notas.mp3", "notas.mp3", "not an MP3 stream; ffmpeg cannot decode it"},
	} {
		p := prepare(tt.key)
		if p.Key != tt.want || !strings.HasPrefix(p.Refused, tt.refused) || (p.Refused == "") != (tt.refused == "") || (p.Path == "") != (tt.key == tt.want) {
			t.Errorf("prepare %s = %+v; want key %s, refused %q", tt.key, p, tt.want, tt.refused)
		}
		if p.Path != "" {
			b, err := os.ReadFile(p.Path)
			if err != nil {
				t.Fatal(err)
			}
			if info, err := audio.Probe(p.Key, b[:min(len(b), audio.HeadSize)], int64(len(b))); err != nil || info.Title != "Wave Title" {
				t.Errorf("converted %s: %+v, %v; want a playable MP3 titled Wave Title", tt.key, info, err)
			}
			p.Done()
			if _, err := os.Stat(p.Path); err == nil {
				t.Errorf("Done left %s behind", p.Path)
			}
		}
	}
	// Unconvertible files are refused with the reason, not uploaded to vanish.
	if p := hook(t, io.Discard, false)("voz.wav"); !strings.Contains(p.Refused, "WAV is not a format Alexa plays; conversion is off") {
		t.Errorf("--convert=false: %+v; want refused, conversion is off", p)
	}
	t.Setenv("JOKEBOX_FFMPEG", filepath.Join(dir, "none"))
	c = &cli{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard, getenv: os.Getenv} // a run reads its configuration once
	var out bytes.Buffer
	if p := hook(t, &out, true)("voz.wav"); !strings.Contains(p.Refused, "needs ffmpeg") || !strings.Contains(out.String(), "convert   off") {
		t.Errorf("without ffmpeg: %+v, said %q; want refused (needs ffmpeg), and a line saying so", p, out.String())
	}
}

// TestMotoAddMultipart uploads a 17 MB MP3 (above the transfer manager's
// 16 MiB threshold) in parts, which the indexer accepts, and skips it on
// the second run.
func TestMotoAddMultipart(t *testing.T) {
	if testing.Short() {
		t.Skip("needs moto_server; skipped with -short")
	}
	s3c := motoBucket(t, "big")
	one, err := os.ReadFile("../../testdata/audio/rate320.mp3")
	if err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat(one, 17<<20/len(one)+1) // MP3 files concatenated are an MP3 stream
	p := filepath.Join(t.TempDir(), "largo.mp3")
	if err := os.WriteFile(p, big, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("JOKEBOX_FFMPEG", filepath.Join(t.TempDir(), "none")) // plays as is: no ffmpeg needed
	out, err := jokeboxErr(t, "add", "--wait", "0", p)
	if err != nil || !strings.Contains(out, "added 1,") {
		t.Fatalf("add: %v\n%s", err, out)
	}
	head, err := s3c.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String("big"), Key: aws.String("largo.mp3")})
	if err != nil {
		t.Fatal(err)
	}
	if etag := aws.ToString(head.ETag); !regexp.MustCompile(`-[0-9]+"?$`).MatchString(etag) || aws.ToInt64(head.ContentLength) != int64(len(big)) {
		t.Errorf("largo.mp3: ETag %s, %d bytes; want a multipart ETag and %d bytes", etag, aws.ToInt64(head.ContentLength), len(big))
	}
	jokebox(t, "reindex")
	if _, playable, _ := manifestKeys(t); !slices.Equal(playable, []string{"largo.mp3"}) {
		t.Errorf("manifest holds %v; want largo.mp3", playable)
	}
	out, err = jokeboxErr(t, "add", "--wait", "5s", p)
	if err != nil || !strings.Contains(out, "added 0, converted 0, normalized 0, already there 1") || !strings.Contains(out, "includes all 1 file(s)") {
		t.Errorf("second add: %v\n%s", err, out)
	}
}

// TestMotoAddNormalizeM4A is issue 21's `add --normalize` on M4A: the
// normalized file is MP3 under name.mp3 (never MP3 bytes under .m4a), with
// the source's title, and the indexer offers it.
func TestMotoAddNormalizeM4A(t *testing.T) {
	needFFmpeg(t)
	s3c := motoBucket(t, "normm4a")
	dir := addFixtures(t, map[string]string{"voz.m4a": "rate24.m4a"})
	out, err := jokeboxErr(t, "add", "--wait", "0", "--normalize", filepath.Join(dir, "voz.m4a"))
	t.Logf("%s", out)
	if err != nil || !strings.Contains(out, "→ voz.mp3 (normalize") {
		t.Fatalf("add --normalize voz.m4a: %v; want it normalized to voz.mp3", err)
	}
	if _, err := s3c.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String("normm4a"), Key: aws.String("voz.m4a")}); err == nil {
		t.Error("the bucket holds voz.m4a")
	}
	head, err := s3c.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String("normm4a"), Key: aws.String("voz.mp3")})
	if err != nil || aws.ToString(head.ContentType) != "audio/mpeg" {
		t.Fatalf("voz.mp3: %v, %v; want an audio/mpeg object", head, err)
	}
	jokebox(t, "reindex")
	m, playable, rejected := manifestKeys(t)
	if !slices.Equal(playable, []string{"voz.mp3"}) || len(rejected) != 0 {
		t.Errorf("manifest: playable %v, rejected %v; want voz.mp3 offered", playable, rejected)
	}
	if len(m.Playlists) > 0 && len(m.Playlists[0].Entries) > 0 && m.Playlists[0].Entries[0].Title != "AAC Voice" {
		t.Errorf("title %q; want the source's, AAC Voice", m.Playlists[0].Entries[0].Title)
	}
}
