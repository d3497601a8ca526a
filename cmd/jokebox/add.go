package main

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/jokebox/jokebox/internal/retry"
	"github.com/jokebox/jokebox/shared/app"
	"github.com/jokebox/jokebox/shared/audio"
	"github.com/jokebox/jokebox/shared/config"
	"github.com/jokebox/jokebox/shared/devstack"
	"github.com/jokebox/jokebox/shared/manifest"
	"github.com/jokebox/jokebox/shared/transcode"
)

// addOptions are the flags and arguments of `jokebox add`.
type addOptions struct {
	playlist  string
	normalize bool
	loudness  float64
	peak      float64
	dryRun    bool
	bitrate   int
	wait      time.Duration
	paths     []string
}

// addCommand is `jokebox add`.
func addCommand() *command {
	cmd := &command{name: "add", args: "PATH...", minArgs: 1, maxArgs: unlimited,
		summary: "check, convert, normalize and upload audio files or folders to the bucket",
		example: "jokebox add --playlist chistes --normalize ~/Downloads/*.opus",
		env:     storeEnv()}
	var o addOptions
	var bitrate string
	cmd.flags.StringVar(&o.playlist, "playlist", "", "put the files in this playlist `NAME` (top-level folder of the bucket)")
	cmd.flags.BoolVar(&o.normalize, "normalize", false, "bring every file to the --loudness target with true peaks ≤ -3 dBTP (needs ffmpeg)")
	cmd.flags.Float64Var(&o.loudness, "loudness", -14, "loudness target of --normalize, `LUFS`")
	cmd.flags.BoolVar(&o.dryRun, "dry-run", false, "check the files and say what would happen; upload nothing")
	cmd.flags.StringVar(&bitrate, "bitrate", "128k", "MP3 bit `RATE` of converted files (32k–320k)")
	cmd.flags.DurationVar(&o.wait, "wait", time.Minute, "`DURATION` to wait for the indexer to publish the files (0: do not wait)")
	cmd.run = func(ctx context.Context, c *cli, _ *command, paths []string) error {
		o.paths = paths
		if err := checkAddOptions(&o, bitrate); err != nil {
			return err
		}
		return runAdd(ctx, c, o)
	}
	return cmd
}

// checkAddOptions checks add's flags and reads the bit rate.
func checkAddOptions(o *addOptions, bitrate string) error {
	o.peak = -3
	var errs []error
	b, err := parseBitrate(bitrate)
	if err != nil {
		errs = append(errs, err)
	}
	o.bitrate = b
	if o.loudness < -40 || o.loudness > -5 {
		errs = append(errs, fmt.Errorf("--loudness %v: want -40 to -5 LUFS", o.loudness))
	}
	if o.playlist != "" {
		if r := keyProblem(o.playlist + "/x"); r != "" || strings.Contains(o.playlist, "/") {
			errs = append(errs, fmt.Errorf("--playlist %q: not a folder name (%s)", o.playlist, cmpOr(r, "contains /")))
		}
	}
	return errors.Join(errs...)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// parseBitrate reads "128k", "128000" or "128kbps" as bits a second, 32–320 kbit/s.
func parseBitrate(s string) (int, error) {
	t := strings.TrimSuffix(strings.TrimSuffix(strings.ToLower(s), "bps"), "b")
	mult := 1
	if strings.HasSuffix(t, "k") {
		t, mult = strings.TrimSuffix(t, "k"), 1000
	}
	n, err := strconv.Atoi(t)
	if err != nil || n*mult < 32000 || n*mult > 320000 {
		return 0, fmt.Errorf("--bitrate %q: want 32k to 320k", s)
	}
	return n * mult, nil
}

// addFile is one file given to `jokebox add` and what becomes of it.
type addFile struct {
	path string // on disk
	key  string // in the bucket
	size int64

	convert  bool   // re-encode to MP3
	noFFmpeg bool   // needs converting, and there is no ffmpeg
	why      string // why it is converted, or why it cannot be used
	failed   bool
	skipped  bool // already in the bucket
	upload   string
	hash     string
	etag     string
	measured *transcode.Measurement
	result   transcode.Result
}

// The verdicts printed per file.
const (
	verdictAsIs    = "plays as is"
	verdictConvert = "will be converted"
	verdictRefused = "cannot be used"
)

// metaHash is the object metadata key holding the content hash of the
// source file and the processing that made the object.
const metaHash = "jokebox-sha256"

// runAdd is `jokebox add`.
func runAdd(ctx context.Context, c *cli, o addOptions) error {
	ff, ffErr := transcode.Find(c.getenv)
	if o.normalize && ffErr != nil {
		return fmt.Errorf("--normalize needs ffmpeg: %w; %s", ffErr, transcode.Install)
	}
	files, err := collectFiles(o)
	if err != nil {
		return err
	}
	var a *app.App
	if !o.dryRun {
		if a, err = newApp(ctx, c, config.NeedBucket); err != nil {
			return err
		}
	}
	tmp, err := os.MkdirTemp("", "jokebox-add-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	// 1. Check every file locally, with the indexer's rules.
	var needFFmpeg []string
	keys := map[string]string{}
	for _, f := range files {
		checkFile(ctx, f, ff, o)
		if !f.failed {
			if prev, dup := keys[f.key]; dup {
				f.failed, f.why = true, devstack.SameKey(f.key, prev)
			}
			keys[f.key] = f.path
		}
		if f.noFFmpeg {
			needFFmpeg = append(needFFmpeg, shown(f.path))
		}
		printVerdict(c.stdout, f)
	}
	if len(needFFmpeg) > 0 {
		fmt.Fprintf(c.stdout, "\n%d file(s) need ffmpeg to be converted: %s\n%s; the others go ahead.\n", len(needFFmpeg), strings.Join(needFFmpeg, ", "), transcode.Install)
	}
	if o.dryRun {
		return summarize(ctx, c, nil, files, o)
	}

	// 2. Skip what the bucket already holds; convert the rest.
	for i, f := range files {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if f.failed {
			continue
		}
		f.hash, err = contentHash(f.path, recipe(f, o))
		if err != nil {
			f.failed, f.why = true, "cannot read: "+pathErr(err)
			continue
		}
		head, err := a.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(a.Config.Bucket), Key: aws.String(f.key)})
		var nf *s3types.NotFound
		switch {
		case err == nil && (head.Metadata[metaHash] == f.hash || !f.convert && sameMD5(f.path, aws.ToString(head.ETag))):
			f.skipped, f.etag = true, strings.Trim(aws.ToString(head.ETag), `"`)
			continue
		case err != nil && !errors.As(err, &nf):
			f.failed, f.why = true, "check the bucket: "+err.Error()
			continue
		}
		if err := convertFile(ctx, ff, f, o, filepath.Join(tmp, strconv.Itoa(i)+".mp3")); err != nil {
			f.failed, f.why = true, err.Error()
			continue
		}
		if o.normalize && f.convert && !f.result.Reached {
			fmt.Fprintf(c.stdout, "note: %s reached %v, not %.0f LUFS\n", f.key, f.result.Loudness, o.loudness)
		}
	}

	// 3. Upload.
	if err := uploadFiles(ctx, c, a, files); err != nil {
		return err
	}
	return summarize(ctx, c, a, files, o)
}

// collectFiles lists the files named by o.paths with their keys: a file
// goes to [playlist/]name, a folder's files to [playlist/]relative/path, so
// that its subfolders become playlists. Hidden files in folders are left out.
func collectFiles(o addOptions) ([]*addFile, error) {
	var files []*addFile
	prefix := ""
	if o.playlist != "" {
		prefix = o.playlist + "/"
	}
	// file adds the file at p (following symlinks) under key.
	file := func(p, key string) {
		f := &addFile{path: p, key: key}
		st, err := os.Stat(p)
		switch {
		case err != nil:
			f.failed, f.why = true, "cannot read: "+pathErr(err)
		case !st.Mode().IsRegular():
			f.failed, f.why = true, "not a regular file"
		default:
			f.size = st.Size()
		}
		files = append(files, f)
	}
	for _, p := range o.paths {
		if st, err := os.Stat(p); err != nil || !st.IsDir() {
			file(p, prefix+filepath.Base(p))
			continue
		}
		err := filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
			if err != nil {
				files = append(files, &addFile{path: q, key: prefix + filepath.Base(q), failed: true, why: "cannot read: " + pathErr(err)})
				return nil
			}
			if strings.HasPrefix(d.Name(), ".") && q != p {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.IsDir() {
				return nil
			}
			rel, err := filepath.Rel(p, q)
			if err != nil {
				return err
			}
			file(q, prefix+filepath.ToSlash(rel))
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return files, nil
}

// pathErr is the reason of a file-system error without the path, which the
// caller prints already.
func pathErr(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// checkFile decides what becomes of f: audio.Probe, the indexer's own
// check, says whether it plays as is; otherwise ffmpeg must decode it for
// it to be converted. With --normalize, files that play are measured too.
func checkFile(ctx context.Context, f *addFile, ff *transcode.FFmpeg, o addOptions) {
	if f.failed {
		return
	}
	fail := func(why string) { f.failed, f.why = true, why }
	if f.size == 0 {
		fail("zero-byte file")
		return
	}
	head, err := readHead(f.path)
	if err != nil {
		fail("cannot read: " + pathErr(err))
		return
	}
	_, probeErr := audio.Probe(f.key, head, f.size)
	if probeErr != nil && !errors.Is(probeErr, audio.ErrNotPlayable) {
		fail(probeErr.Error())
		return
	}
	if probeErr != nil {
		f.convert = true
		f.why = audio.Reason(probeErr)
		if !audio.Playable(f.key) {
			ext := strings.TrimPrefix(strings.ToLower(path.Ext(f.key)), ".")
			f.why = cmpOr(strings.ToUpper(ext), "a file without an extension") + " is not a format Alexa plays"
		}
		f.key = strings.TrimSuffix(f.key, path.Ext(f.key)) + ".mp3"
	}
	if r := keyProblem(f.key); r != "" {
		fail("name cannot be an S3 key: " + r)
		return
	}
	if !f.convert && !o.normalize {
		return
	}
	if ff == nil {
		f.noFFmpeg = true
		fail(f.why + "; needs ffmpeg to convert")
		return
	}
	m, err := ff.Measure(ctx, f.path)
	if err != nil {
		why := err.Error()
		if f.why != "" {
			why = f.why + "; " + why
		}
		fail(why)
		return
	}
	f.measured = &m
	if !f.convert && m.Integrated > transcode.Silent && !m.Within(o.loudness, 1, o.peak) {
		f.convert = true
		f.why = "normalize " + m.Loudness.String()
	}
}

// convertFile sets f.upload: f's own path when it plays as is, else out,
// where it writes the MP3 that checkFile decided on.
func convertFile(ctx context.Context, ff *transcode.FFmpeg, f *addFile, o addOptions, out string) error {
	f.upload = f.path
	if !f.convert {
		return nil
	}
	res, err := ff.Convert(ctx, f.path, out, *f.measured, transcode.Options{
		Bitrate: o.bitrate, Title: titleOf(f), Normalize: o.normalize, Target: o.loudness, PeakLimit: o.peak,
	})
	if err != nil {
		return fmt.Errorf("conversion failed: %w", err)
	}
	f.result, f.upload = res, out
	return nil
}

// readHead reads the first audio.HeadSize bytes of a file.
func readHead(p string) ([]byte, error) {
	fh, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	return io.ReadAll(io.LimitReader(fh, audio.HeadSize))
}

// keyProblem says why key cannot be an object key the indexer plays, or "".
func keyProblem(key string) string {
	switch {
	case !utf8.ValidString(key):
		return "not valid UTF-8"
	case len(key) > 1024:
		return "longer than 1,024 bytes"
	case strings.HasPrefix(key, manifest.Prefix):
		return "under " + manifest.Prefix + ", which jokebox reserves"
	case strings.IndexFunc(key, unicode.IsControl) >= 0:
		return "contains control characters"
	}
	for _, part := range strings.Split(key, "/") {
		if part == "" || part == "." || part == ".." {
			return "empty, . or .. path element"
		}
	}
	return ""
}

// printVerdict prints one line per file: plays as is / will be converted
// (why) / cannot be used (why).
func printVerdict(w io.Writer, f *addFile) {
	switch {
	case f.failed:
		fmt.Fprintf(w, "%-18s %s: %s\n", verdictRefused, shown(f.path), f.why)
	case f.convert:
		fmt.Fprintf(w, "%-18s %s → %s (%s)\n", verdictConvert, shown(f.path), f.key, f.why)
	default:
		fmt.Fprintf(w, "%-18s %s → %s\n", verdictAsIs, shown(f.path), f.key)
	}
}

// shown is a file name fit for a terminal: quoted when it holds invalid
// UTF-8 or control characters.
func shown(p string) string {
	if utf8.ValidString(p) && strings.IndexFunc(p, unicode.IsControl) < 0 {
		return p
	}
	return strconv.Quote(p)
}

// recipe names the processing that makes an object from its source file,
// so that the same file processed differently is uploaded again.
func recipe(f *addFile, o addOptions) string {
	r := "as-is"
	if f.convert {
		r = fmt.Sprintf("mp3 %d", o.bitrate)
	}
	if o.normalize {
		r += fmt.Sprintf(" normalize %.1f %.1f", o.loudness, o.peak)
	}
	return r
}

// contentHash is the SHA-256 of the recipe and the file's bytes.
func contentHash(p, recipe string) (string, error) {
	fh, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer fh.Close()
	h := sha256.New()
	io.WriteString(h, recipe+"\n")
	if _, err := io.Copy(h, fh); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// sameMD5 reports whether etag is the MD5 of the file at p: the ETag S3
// gives an object uploaded in one part without KMS, as by `aws s3 cp` of a
// small file, which carries no jokebox-sha256.
func sameMD5(p, etag string) bool {
	etag = strings.Trim(etag, `"`)
	if len(etag) != 32 {
		return false // multipart ("…-3") or not an MD5
	}
	fh, err := os.Open(p)
	if err != nil {
		return false
	}
	defer fh.Close()
	h := md5.New()
	if _, err := io.Copy(h, fh); err != nil {
		return false
	}
	return hex.EncodeToString(h.Sum(nil)) == etag
}

// titleOf is a converted file's title: its tag, else its file name.
func titleOf(f *addFile) string {
	if f.measured != nil && f.measured.Title != "" {
		return f.measured.Title
	}
	base := filepath.Base(f.path)
	return strings.TrimSuffix(base, filepath.Ext(base))
}

// contentType is the Content-Type of an object by its key's extension.
func contentType(key string) string {
	switch strings.ToLower(path.Ext(key)) {
	case ".m4a", ".mp4":
		return "audio/mp4"
	case ".aac":
		return "audio/aac"
	}
	return "audio/mpeg"
}

// uploadFiles uploads every file that has something to upload with the SDK's
// transfer manager (multipart above its threshold), showing progress.
func uploadFiles(ctx context.Context, c *cli, a *app.App, files []*addFile) error {
	var todo []*addFile
	var total int64
	for _, f := range files {
		if f.failed || f.skipped {
			continue
		}
		st, err := os.Stat(f.upload)
		if err != nil {
			f.failed, f.why = true, "cannot read: "+pathErr(err)
			continue
		}
		f.size = st.Size()
		total += f.size
		todo = append(todo, f)
	}
	if len(todo) == 0 {
		return nil
	}
	bar := newProgress(c.stdout, len(todo), total)
	tm := transfermanager.New(a.S3, func(o *transfermanager.Options) {
		o.ObjectProgressListeners.Register(bar)
	})
	for _, f := range todo {
		fh, err := os.Open(f.upload)
		if err != nil {
			f.failed, f.why = true, "cannot read: "+pathErr(err)
			continue
		}
		bar.start(f.key)
		out, err := tm.UploadObject(ctx, &transfermanager.UploadObjectInput{
			Bucket:        aws.String(a.Config.Bucket),
			Key:           aws.String(f.key),
			Body:          fh,
			ContentLength: aws.Int64(f.size),
			ContentType:   aws.String(contentType(f.key)),
			Metadata:      map[string]string{metaHash: f.hash},
		})
		fh.Close()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			f.failed, f.why = true, "upload failed: "+err.Error()
			bar.done(f.key, f.size, err)
			continue
		}
		f.etag = strings.Trim(aws.ToString(out.ETag), `"`)
		bar.done(f.key, f.size, nil)
	}
	bar.finish()
	return nil
}

// summarize prints the counts, waits for the indexer to publish the files,
// and fails when any file failed.
func summarize(ctx context.Context, c *cli, a *app.App, files []*addFile, o addOptions) error {
	var added, converted, normalized, skipped, failed int
	for _, f := range files {
		switch {
		case f.failed:
			failed++
		case f.skipped:
			skipped++
		case o.dryRun:
		default:
			added++
			if f.convert {
				converted++
			}
			if o.normalize && f.convert && f.measured != nil && f.measured.Integrated > transcode.Silent {
				normalized++
			}
		}
	}
	w := c.stdout
	if o.dryRun {
		fmt.Fprintf(w, "\ndry run: %d file(s) checked, %d cannot be used; nothing uploaded\n", len(files), failed)
	} else {
		fmt.Fprintf(w, "\nadded %d, converted %d, normalized %d, skipped %d (already there), failed %d\n", added, converted, normalized, skipped, failed)
		if err := awaitIndexer(ctx, w, a, files, o.wait); err != nil {
			return err
		}
	}
	if failed > 0 {
		for _, f := range files {
			if f.failed {
				fmt.Fprintf(w, "failed: %s: %s\n", shown(f.path), f.why)
			}
		}
		return fmt.Errorf("%d of %d file(s) failed", failed, len(files))
	}
	return nil
}

// awaitIndexer polls the published manifest until it holds every uploaded
// or skipped file at its current ETag, or wait runs out.
func awaitIndexer(ctx context.Context, w io.Writer, a *app.App, files []*addFile, wait time.Duration) error {
	want := map[string]string{}
	for _, f := range files {
		if !f.failed && f.etag != "" {
			want[f.key] = f.etag
		}
	}
	if len(want) == 0 {
		return nil
	}
	if wait <= 0 {
		fmt.Fprintf(w, "not waiting for the indexer (--wait 0); `jokebox manifest` shows when it has published them\n")
		return nil
	}
	deadline := time.Now().Add(wait)
	missing := len(want)
	var version int64
	for {
		m, err := a.Store.Load(ctx)
		if err == nil {
			version, missing = m.Version, len(want)
			for _, e := range m.Entries {
				if want[e.Key] == e.ETag {
					missing--
				}
			}
			var rejected []string
			for _, r := range m.Rejected {
				if want[r.Key] == r.ETag {
					missing--
					rejected = append(rejected, fmt.Sprintf("%s (%s)", r.Key, r.Reason))
				}
			}
			if missing == 0 {
				fmt.Fprintf(w, "manifest v%d includes all %d file(s)\n", m.Version, len(want))
				if len(rejected) > 0 {
					fmt.Fprintf(w, "the indexer rejected: %s\n", strings.Join(rejected, ", "))
				}
				return nil
			}
		}
		if time.Now().After(deadline) {
			break
		}
		if err := retry.Sleep(ctx, min(time.Second, time.Until(deadline)+time.Millisecond)); err != nil {
			return err
		}
	}
	latest := "no manifest published yet"
	if version > 0 {
		latest = fmt.Sprintf("latest manifest v%d", version)
	}
	fmt.Fprintf(w, "the indexer has not published %d of %d file(s) after %v (%s): check that the bucket notifies the indexer's queue, the indexer's logs and its dead-letter queue; `jokebox reindex` indexes the whole bucket now\n",
		missing, len(want), wait, latest)
	return nil
}

// mediaPreparer is `jokebox dev`'s hook on its media folder: each file gets
// `jokebox add`'s check and, when it needs it, the same conversion (and
// normalization), so the simulator plays what the device will. Files that
// cannot be used go up as they are, for the indexer to reject with its
// reason. It returns nil, after saying so on w, when there is no ffmpeg;
// --normalize without ffmpeg is an error.
func mediaPreparer(c *cli, w io.Writer, normalize bool) (func(ctx context.Context, key, path string) (devstack.Prepared, error), error) {
	ff, err := transcode.Find(c.getenv)
	if err != nil {
		if normalize {
			return nil, fmt.Errorf("dev: --normalize needs ffmpeg: %w; %s", err, transcode.Install)
		}
		fmt.Fprintf(w, "  convert   off: %v (%s)\n", err, transcode.Install)
		return nil, nil
	}
	o := addOptions{normalize: normalize, loudness: -14, peak: -3, bitrate: 128000}
	log := c.logger()
	return func(ctx context.Context, key, p string) (devstack.Prepared, error) {
		same := devstack.Prepared{Key: key, Path: p}
		st, err := os.Stat(p)
		if err != nil {
			return same, nil
		}
		f := &addFile{path: p, key: key, size: st.Size()}
		checkFile(ctx, f, ff, o)
		if f.failed || !f.convert {
			return same, nil
		}
		tmp, err := os.CreateTemp("", "jokebox-dev-*.mp3")
		if err != nil {
			return same, err
		}
		tmp.Close()
		done := func() { os.Remove(tmp.Name()) }
		if err := convertFile(ctx, ff, f, o, tmp.Name()); err != nil {
			done()
			return same, err
		}
		log.InfoContext(ctx, "converted", "file", key, "key", f.key, "why", f.why)
		return devstack.Prepared{Key: f.key, Path: tmp.Name(), Done: done}, nil
	}, nil
}
