// Command report runs the end-to-end comparison of jokebox against a
// list-per-request skill (`make bench`), prints the table and writes it to
// bench/results.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jokebox/jokebox/bench"
	"github.com/jokebox/jokebox/shared/config"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run() error {
	sizes := flag.String("sizes", "1500,10000", "bucket sizes in objects, comma-separated")
	clients := flag.Int("clients", 16, "concurrent clients")
	duration := flag.Duration("duration", 10*time.Second, "measured load per phase")
	warmup := flag.Duration("warmup", 2*time.Second, "unmeasured warm-up per phase")
	timeout := flag.Duration("timeout", 30*time.Second, "per-request timeout")
	uploads := flag.Int("upload-concurrency", 24, "objects uploaded at once")
	ttl := flag.Duration("manifest-ttl", config.DefaultManifestTTL, "JOKEBOX_MANIFEST_TTL of the skill process")
	out := flag.String("out", "bench/results.md", "markdown file to write, relative to the module (\"\" for none)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	mod, err := bench.ModuleDir(wd)
	if err != nil {
		return err
	}
	o := bench.Options{
		Clients: *clients, Duration: *duration, Warmup: *warmup, Timeout: *timeout,
		UploadConcurrency: *uploads, ManifestTTL: *ttl,
		ModuleDir: mod, Audio: filepath.Join(mod, "testdata", "audio", "short.mp3"),
		Progress: os.Stderr,
	}
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			return fmt.Errorf("-sizes: %q is not a positive number", s)
		}
		o.Sizes = append(o.Sizes, n)
	}
	rep, err := bench.Run(ctx, o)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted: %w", err)
		}
		return err
	}
	md := bench.Render(rep)
	fmt.Print(md)
	if *out != "" {
		path := filepath.Join(mod, *out)
		if err := os.WriteFile(path, []byte(md), 0o644); err != nil {
			return err
		}
		fmt.Fprintln(os.Stderr, "wrote", path)
	}
	for _, b := range bench.Budgets(rep) {
		if !b.OK {
			return fmt.Errorf("budget missed: %s: want %s, got %s", b.Name, b.Want, b.Got)
		}
	}
	return nil
}
