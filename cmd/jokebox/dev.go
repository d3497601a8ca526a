package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	samplemedia "github.com/jokebox/jokebox"
	"github.com/jokebox/jokebox/shared/app"
	"github.com/jokebox/jokebox/shared/config"
	"github.com/jokebox/jokebox/shared/devstack"
	"github.com/jokebox/jokebox/shared/index"
	"github.com/jokebox/jokebox/shared/ingest"
	"github.com/jokebox/jokebox/shared/listeners"
	"github.com/jokebox/jokebox/shared/manifest"
	"github.com/jokebox/jokebox/shared/store"
)

// devSkillID is the skill ID the simulator sends unless JOKEBOX_SKILL_ID
// names another. Without JOKEBOX_SKILL_ID dev answers every skill ID.
const devSkillID = "amzn1.ask.skill.dev-simulator"

// devBucket is the embedded S3's bucket.
const devBucket = "jokebox-dev"

// devCommand is `jokebox dev`.
func devCommand() *command {
	cmd := &command{name: "dev",
		summary: "run the whole skill on this machine with a browser simulator",
		example: "jokebox dev --media ~/my-jokes --addr 127.0.0.1:9090",
		env:     devEnv(), defaults: devDefaults}
	o := &devOptions{}
	cmd.flags.StringVar(&o.media, "media", "media", "`DIR` of audio files to serve, watched for changes; without it and without ./media, the sample library built into jokebox")
	cmd.flags.StringVar(&o.addr, "addr", "127.0.0.1:8080", "`HOST:PORT` to serve the simulator and /alexa on")
	cmd.flags.StringVar(&o.bucket, "bucket", "", "use this `BUCKET` (AWS environment variables) instead of the embedded S3")
	cmd.flags.BoolVar(&o.convert, "convert", true, "convert media files Alexa cannot play to MP3 with ffmpeg, as jokebox add does, when ffmpeg is found")
	cmd.flags.BoolVar(&o.normalize, "normalize", false, "also normalize their loudness, as jokebox add --normalize does")
	cmd.run = func(ctx context.Context, c *cli, cmd *command, _ []string) error { return runDev(ctx, c, cmd, o) }
	return cmd
}

// devOptions are dev's flags.
type devOptions struct {
	media, addr, bucket string
	convert, normalize  bool
}

// devEnv is what dev reads: what the skill reads, but the bucket is
// --bucket's.
func devEnv() []config.Var {
	// dev keeps listeners in memory: no table.
	return append(slices.DeleteFunc(skillEnv(), func(v config.Var) bool { return v == config.EnvBucket || v == config.EnvListenersTable }), config.EnvFFmpeg)
}

// runDev runs the whole skill on this machine: an embedded S3 holding the
// media folder, the indexer fed with the S3 events the cloud would send, the
// skill at /alexa and a browser simulator at /.
//
// With --bucket the audio is in that bucket (AWS, or an emulator through
// AWS_ENDPOINT_URL and JOKEBOX_S3_PATH_STYLE) instead: the bucket is
// reindexed at start, and the media folder is uploaded and watched only when
// --media is given explicitly. Local deletions then delete from the bucket,
// but files only in the bucket are never deleted.
//
// Without --media and without a ./media folder it serves the sample library
// built into the binary, so an installed jokebox can demo anywhere.
func runDev(ctx context.Context, c *cli, cmd *command, o *devOptions) error {
	media, addr, bucket, convert, normalize := &o.media, &o.addr, &o.bucket, &o.convert, &o.normalize
	mediaSet := false
	cmd.flags.Visit(func(f *flag.Flag) { mediaSet = mediaSet || f.Name == "media" })
	syncMedia := *bucket == "" || mediaSet
	sample := false
	if syncMedia {
		if fi, err := os.Stat(*media); err != nil || !fi.IsDir() {
			if mediaSet {
				return fmt.Errorf("dev: media folder %s not found: create it and drop audio files in, or pass another --media DIR", *media)
			}
			sample = true
		}
	}

	// Take the port first: a port in use is reported before any upload.
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("dev: %w: is another jokebox dev running? Choose another address with --addr, e.g. --addr 127.0.0.1:8081", err)
	}
	defer ln.Close()

	cfg := c.config()
	if err := cfg.Require(0, nil); err != nil {
		return err
	}
	// A local tool: without JOKEBOX_SKILL_ID, requests for every skill are
	// answered (events/ and other tools send their own IDs), and the
	// simulator sends devSkillID.
	pageSkillID := cfg.SkillID
	if pageSkillID == "" {
		pageSkillID = devSkillID
	}
	appLog := c.logger()
	if !cfg.Debug {
		// The indexer and the skill log every batch and playback event.
		appLog = slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}

	cfg.ListenersTable = "" // dev keeps listeners in memory (below), whatever the environment says
	// The page's URL; the embedded S3 is behind it (devstack.ObjectsPath).
	base := "http://" + loopbackAddr(ln.Addr())
	var (
		a       *app.App
		objects *devstack.S3
	)
	if *bucket == "" {
		if objects, err = devstack.NewS3(devBucket); err != nil {
			return err
		}
		endpoint := devstack.Endpoint(base)
		cfg.Bucket, cfg.PathStyle, cfg.ManifestParam, cfg.Endpoint = devBucket, true, "", endpoint
		a = app.FromAWS(cfg, objects.Config(endpoint), appLog)
	} else {
		cfg.Bucket = *bucket
		if a, err = app.New(ctx, cfg, appLog); err != nil {
			return err
		}
	}
	a.Listeners = listeners.NewMemory() // what "another skill played" continues from
	sk, err := a.Skill()
	if err != nil {
		return err
	}
	ix := a.Indexer()

	out := c.stdout
	fmt.Fprintln(out, "jokebox dev")
	var (
		watcher *devstack.Watcher
		sy      *devstack.Syncer
	)
	if syncMedia {
		mediaName := *media
		if sample {
			dir, err := os.MkdirTemp("", "jokebox-sample-")
			if err != nil {
				return fmt.Errorf("dev: sample library: %w", err)
			}
			defer os.RemoveAll(dir)
			lib, err := samplemedia.Sample()
			if err != nil {
				return fmt.Errorf("dev: sample library: %w", err)
			}
			if err := os.CopyFS(dir, lib); err != nil {
				return fmt.Errorf("dev: sample library: %w", err)
			}
			*media, mediaName = dir, "the sample library built into jokebox (no ./media here; --media DIR serves your own)"
		}
		sc := devstack.SyncConfig{Dir: *media, Bucket: cfg.Bucket, S3: a.S3, Indexer: ix, Progress: out, Logger: c.logger()}
		tmp, err := ingest.TempDir()
		if err != nil {
			return fmt.Errorf("dev: %w", err)
		}
		defer os.RemoveAll(tmp)
		if sc.Prepare, err = mediaPreparer(c, out, *convert, *normalize, tmp); err != nil {
			return err
		}
		sy = devstack.NewSyncer(sc)
		if !sample {
			if watcher, err = sy.Watch(); err != nil {
				return err
			}
			defer watcher.Close()
		}
		res, err := sy.SyncAll(ctx)
		if err != nil {
			return fmt.Errorf("dev: sync %s: %w", *media, err)
		}
		fmt.Fprintf(out, "  media     %s: %d files uploaded (%s) in %v", mediaName, res.Files, sizeString(res.Bytes), res.Took.Round(time.Millisecond))
		if res.Skipped > 0 {
			fmt.Fprintf(out, ", %d hidden or temporary skipped", res.Skipped)
		}
		fmt.Fprintln(out)
		for _, e := range res.Clashes {
			fmt.Fprintf(out, "  refused   %v\n", e)
		}
		for _, r := range res.Refused {
			fmt.Fprintf(out, "  skipped   %s: %s\n", ingest.Shown(r.Key), ingest.Shown(r.Reason))
		}
	}
	if *bucket != "" {
		if _, _, err := ix.Reconcile(ctx, index.ReconcileOptions{}); err != nil {
			return fmt.Errorf("dev: reindex %s: %w", cfg.Bucket, err)
		}
	}
	m, err := a.Store.Load(ctx)
	if err != nil {
		m = nil // nothing published yet
	}
	printIndexed(out, "indexed", m)

	info := func(ctx context.Context) devstack.Info {
		m, err := a.Store.Load(ctx)
		i := devstack.InfoFromManifest(pageSkillID, cfg.Bucket, m)
		if err != nil {
			i = devstack.InfoFromManifest(pageSkillID, cfg.Bucket, nil)
			i.Error = "no manifest yet"
		}
		if sy != nil {
			// Files the syncer left out, with their reasons, beside the
			// indexer's rejections.
			for _, r := range sy.Skipped() {
				i.Rejected = append(i.Rejected, devstack.Rejected(r))
			}
		}
		return i
	}
	h, err := devstack.Handler(sk, info, c.logger(), devstack.Options{Objects: objects, MediaOrigins: mediaOrigins(ctx, a)})
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	fmt.Fprintf(out, "  bucket    %s\n", cfg.Bucket)
	if cfg.SkillID == "" {
		fmt.Fprintf(out, "  skill ID  any: JOKEBOX_SKILL_ID is not set, so requests for every skill are answered (events/ works; request verification is off in dev)\n")
	} else {
		fmt.Fprintf(out, "  skill ID  %s only (JOKEBOX_SKILL_ID; request verification is off in dev)\n", cfg.SkillID)
	}
	fmt.Fprintf(out, "\n  open      %s/\n\n", base)
	if watcher != nil {
		fmt.Fprintf(out, "Watching %s for changes. Ctrl-C to stop.\n", *media)
	} else {
		fmt.Fprintln(out, "Ctrl-C to stop.")
	}

	watched := make(chan error, 1)
	if watcher != nil {
		// Say each manifest version the changes publish.
		var last int64
		if m != nil {
			last = m.Version
		}
		watcher.OnApply = func([]devstack.Change, error) {
			m, err := a.Store.Load(ctx)
			if err != nil || m.Version == last {
				return
			}
			last = m.Version
			printIndexed(out, "published", m)
		}
		go func() { watched <- watcher.Run(ctx) }()
	}
	select {
	case <-ctx.Done():
	case err := <-served:
		return fmt.Errorf("dev: serve: %w", err)
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdown)
	if watcher != nil {
		<-watched
	}
	fmt.Fprintln(out, "stopped")
	return nil
}

// mediaOrigins is the origin the skill's audio URLs name, for the page's
// Content-Security-Policy: the dev server's own for the embedded S3 (the
// page may be opened as localhost), the bucket's endpoint with --bucket.
func mediaOrigins(ctx context.Context, a *app.App) []string {
	p, err := store.NewPresigner(a.S3, a.Config.Bucket, time.Minute)
	if err != nil {
		return nil
	}
	signed, err := p.Sign(ctx, "origin.mp3")
	if err != nil {
		return nil
	}
	u, err := url.Parse(signed)
	if err != nil {
		return nil
	}
	return []string{u.Scheme + "://" + u.Host}
}

// loopbackAddr is the address to open the page at: a, or 127.0.0.1 with
// a's port when a is an unspecified address (0.0.0.0, [::]); the page
// answers only loopback names.
func loopbackAddr(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() || !ip.IsLoopback() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// devDefaults are dev's defaults: continuous play, and no manifest cache
// so that every change shows at once. The variables still override them.
func devDefaults(base *config.Config) {
	base.Continuous, base.ManifestTTL = true, 0
}

// printIndexed says what the indexer published: verb ("indexed" at start,
// "published" for later versions), files, playlists as the simulator page
// counts them (the folders) and rejected files.
func printIndexed(w io.Writer, verb string, m *manifest.Manifest) {
	if m == nil || len(m.Entries) == 0 {
		fmt.Fprintf(w, "  %-9s nothing playable yet: drop .mp3 or .m4a files into the media folder\n", verb)
		if m == nil {
			return
		}
	} else {
		sorted := slices.Clone(m.Folders())
		slices.SortStableFunc(sorted, func(a, b manifest.Playlist) int { return devstack.ComparePlaylists(a.Name, b.Name) })
		var folders []string
		for _, p := range sorted {
			folders = append(folders, fmt.Sprintf("%s %d", p.Name, len(p.Order)))
		}
		fmt.Fprintf(w, "  %-9s manifest v%d: %d files in %d playlists", verb, m.Version, len(m.Entries), len(folders))
		if len(folders) > 0 {
			fmt.Fprintf(w, " (%s)", strings.Join(folders, ", "))
		}
		fmt.Fprintln(w)
	}
	if n := len(m.Rejected); n > 0 {
		var files []string
		for i, r := range m.Rejected {
			if i == 5 {
				files = append(files, "…")
				break
			}
			files = append(files, fmt.Sprintf("%s (%s)", r.Key, r.Reason))
		}
		fmt.Fprintf(w, "  rejected  %d: %s\n", n, strings.Join(files, "; "))
	}
}

func sizeString(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
