package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jokebox/jokebox/shared/app"
	"github.com/jokebox/jokebox/shared/config"
	"github.com/jokebox/jokebox/shared/ingest"
	"github.com/jokebox/jokebox/shared/manifest"
)

// addOptions are the flags and arguments of `jokebox add`.
type addOptions struct {
	ingest.Options
	playlist string
	dryRun   bool
	wait     time.Duration
	paths    []string
}

// addCommand is `jokebox add`.
func addCommand() *command {
	cmd := &command{name: "add", args: "PATH...", minArgs: 1, maxArgs: unlimited, fileArgs: true,
		summary: "check, convert, normalize and upload audio files or folders to the bucket (flags first; -- before file names: a file named like a flag is refused)",
		example: "jokebox add --playlist chistes --normalize -- ~/Downloads/*.opus",
		env:     storeEnv(config.EnvQueueURL, config.EnvFFmpeg)}
	o := addOptions{Options: ingest.Defaults()}
	var bitrate string
	cmd.flags.StringVar(&o.playlist, "playlist", "", "put the files in this playlist `NAME` (top-level folder of the bucket)")
	cmd.flags.BoolVar(&o.Normalize, "normalize", false, "bring every file to the --loudness target with true peaks ≤ -3 dBTP, as MP3 (needs ffmpeg)")
	cmd.flags.Float64Var(&o.Loudness, "loudness", o.Loudness, "loudness target of --normalize, `LUFS`")
	cmd.flags.BoolVar(&o.dryRun, "dry-run", false, "check the files and say what would happen; upload nothing")
	cmd.flags.StringVar(&bitrate, "bitrate", "128k", "MP3 bit `RATE` of converted files (32k–320k)")
	cmd.flags.DurationVar(&o.wait, "wait", time.Minute, "`DURATION` to wait for the indexer to publish the files, when one can answer (0: do not wait)")
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
	var errs []error
	b, err := parseBitrate(bitrate)
	if err != nil {
		errs = append(errs, err)
	}
	o.Bitrate = b
	if o.Loudness < -40 || o.Loudness > -5 {
		errs = append(errs, fmt.Errorf("--loudness %v: want -40 to -5 LUFS", o.Loudness))
	}
	if o.playlist != "" {
		if r := manifest.KeyProblem(o.playlist + "/x"); r != "" || strings.Contains(o.playlist, "/") {
			errs = append(errs, fmt.Errorf("--playlist %q: not a folder name (%s)", o.playlist, orElse(r, "contains /")))
		}
	}
	return errors.Join(errs...)
}

func orElse(a, b string) string {
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

// runAdd is `jokebox add`.
func runAdd(ctx context.Context, c *cli, o addOptions) error {
	var err error
	ff, noFF := findFFmpeg(c)
	if o.Normalize && noFF != nil {
		return fmt.Errorf("--normalize needs ffmpeg: %w", noFF)
	}
	var a *app.App
	if !o.dryRun {
		if a, err = newApp(ctx, c, config.NeedBucket); err != nil {
			return err
		}
	}
	tmp, err := ingest.TempDir()
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	files := ingest.Walk(o.paths, o.playlist)
	defer ingest.CloseAll(files)
	p := &ingest.Pipeline{FFmpeg: ff, NoFFmpeg: noFF, Options: o.Options, TempDir: tmp}
	p.CheckAll(ctx, files)
	var needFF []string
	for _, f := range files {
		printVerdict(c.stdout, f)
		if f.Outcome == ingest.Refuse && strings.HasSuffix(f.Reason, ingest.NeedsFFmpeg) {
			needFF = append(needFF, ingest.Shown(f.Name))
		}
	}
	if len(needFF) > 0 {
		fmt.Fprintf(c.stdout, "\n%d file(s) need ffmpeg to be converted: %s\n%v; the others go ahead.\n", len(needFF), strings.Join(needFF, ", "), noFF)
	}
	if o.dryRun {
		s := ingest.Summarize(files, o.Options)
		fmt.Fprintf(c.stdout, "\ndry run: %d file(s) checked, %d cannot be used, %d skipped; nothing uploaded\n", len(files), s.Failed, s.Skipped)
		return failed(c.stdout, files, s)
	}
	if err := p.Prepare(ctx, a.S3, a.Config.Bucket, files); err != nil {
		return err
	}
	for _, f := range files {
		if o.Normalize && f.Output() != "" && !f.Result.Reached {
			fmt.Fprintf(c.stdout, "note: %s reached %v, not %.0f LUFS\n", f.Key, f.Result.Loudness, o.Loudness)
		}
	}
	if err := p.Upload(ctx, a.S3, a.Config.Bucket, files, func(n int, total int64) ingest.Progress { return newProgress(c.stdout, n, total) }); err != nil {
		return err
	}
	s := ingest.Summarize(files, o.Options)
	fmt.Fprintf(c.stdout, "\nadded %d, converted %d, normalized %d, already there %d, skipped %d (not audio), failed %d\n", s.Added, s.Converted, s.Normalized, s.Existing, s.Skipped, s.Failed)
	answers := ingest.IndexerAnswers(ctx, a.S3, a.Config.Bucket, a.Config.QueueURL)
	if err := awaitIndexer(ctx, c.stdout, a.Store, answers, a.Config.Bucket, files, o.wait); err != nil {
		return err
	}
	return failed(c.stdout, files, s)
}

// failed lists the refused files and fails when there are any.
func failed(w io.Writer, files []*ingest.File, s ingest.Summary) error {
	if s.Failed == 0 {
		return nil
	}
	for _, f := range files {
		if f.Outcome == ingest.Refuse {
			fmt.Fprintf(w, "failed: %s: %s\n", ingest.Shown(f.Name), ingest.Shown(f.Reason))
		}
	}
	return fmt.Errorf("%d of %d file(s) failed", s.Failed, len(files)-s.Skipped)
}

// printVerdict prints one line per file: its outcome, its key, and why.
func printVerdict(w io.Writer, f *ingest.File) {
	switch f.Outcome {
	case ingest.Refuse, ingest.Skip:
		fmt.Fprintf(w, "%-18s %s: %s\n", f.Outcome, ingest.Shown(f.Name), ingest.Shown(f.Reason))
	case ingest.AsIs:
		fmt.Fprintf(w, "%-18s %s → %s\n", f.Outcome, ingest.Shown(f.Name), ingest.Shown(f.Key))
	default:
		fmt.Fprintf(w, "%-18s %s → %s (%s)\n", f.Outcome, ingest.Shown(f.Name), ingest.Shown(f.Key), f.Reason)
	}
}

// awaitIndexer reads the indexer's verdict on the files from the published
// manifest: it waits for it only when an indexer can answer (a queue that
// `jokebox index` polls, or bucket notifications of a deployed stack), and
// fails when the indexer rejected a file that went up.
func awaitIndexer(ctx context.Context, w io.Writer, l ingest.ManifestLoader, answers bool, bucket string, files []*ingest.File, wait time.Duration) error {
	if ingest.Read(nil, files).Want == 0 {
		return nil
	}
	if !answers || wait <= 0 {
		wait = 0
	}
	v, err := ingest.Await(ctx, l, files, wait)
	if err != nil {
		return err
	}
	switch {
	case v.Missing() == 0:
		fmt.Fprintf(w, "manifest v%d includes all %d file(s)\n", v.Version, v.Want)
	case !answers:
		fmt.Fprintf(w, "no indexer answers for %s (no bucket notifications, no JOKEBOX_QUEUE_URL): run `jokebox reindex` to publish the %d file(s)\n", bucket, v.Missing())
	case wait == 0:
		fmt.Fprintf(w, "not waiting for the indexer (--wait 0); `jokebox manifest` shows when it has published them\n")
	default:
		latest := "no manifest published yet"
		if v.Version > 0 {
			latest = fmt.Sprintf("latest manifest v%d", v.Version)
		}
		fmt.Fprintf(w, "the indexer has not published %d of %d file(s) after %v (%s): check the indexer's logs and its dead-letter queue; `jokebox reindex` indexes the whole bucket now\n", v.Missing(), v.Want, wait, latest)
	}
	if len(v.Rejected) > 0 {
		var r []string
		for _, x := range v.Rejected {
			r = append(r, fmt.Sprintf("%s (%s)", ingest.Shown(x.Key), x.Reason))
		}
		return fmt.Errorf("the indexer rejected %d uploaded file(s), which will not be offered: %s", len(r), strings.Join(r, ", "))
	}
	return nil
}
