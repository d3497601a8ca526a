package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/jokebox/jokebox/shared/config"
	"github.com/jokebox/jokebox/shared/devstack"
	"github.com/jokebox/jokebox/shared/ingest"
	"github.com/jokebox/jokebox/shared/transcode"
)

// mediaPreparer is `jokebox dev`'s hook on its media folder: each file gets
// `jokebox add`'s check (ingest.Check, with ingest.Defaults) and, when it
// needs it, the same conversion (and normalization), so the simulator
// plays what the device will. A file that cannot be used (no ffmpeg,
// --convert=false, undecodable) is listed as refused with its reason.
// --normalize without ffmpeg is an error. The caller removes tmp.
func mediaPreparer(c *cli, w io.Writer, convert, normalize bool, tmp string) (func(ctx context.Context, key string, src *os.File) (devstack.Prepared, error), error) {
	ff, noFF := findFFmpeg(c)
	if noFF != nil {
		if normalize {
			return nil, fmt.Errorf("dev: --normalize needs ffmpeg: %w", noFF)
		}
		if convert {
			fmt.Fprintf(w, "  convert   off: %v\n", noFF)
		}
	}
	o := ingest.Defaults()
	o.Convert, o.Normalize = convert, normalize
	p := &ingest.Pipeline{FFmpeg: ff, NoFFmpeg: noFF, Options: o, TempDir: tmp}
	log := c.logger()
	return func(ctx context.Context, key string, src *os.File) (devstack.Prepared, error) {
		f, err := ingest.Opened(key, key, src)
		if err != nil {
			return devstack.Prepared{}, err
		}
		defer f.Close()
		ingest.Check(ctx, f, p.FFmpeg, p.NoFFmpeg, p.Options)
		switch f.Outcome {
		case ingest.AsIs:
			return devstack.Prepared{Key: key}, nil
		case ingest.Refuse, ingest.Skip:
			return devstack.Prepared{Key: key, Refused: f.Reason}, nil
		}
		if err := p.Convert(ctx, f); err != nil {
			return devstack.Prepared{Key: key, Refused: err.Error()}, nil
		}
		out := f.Output()
		log.InfoContext(ctx, "converted", "file", key, "key", f.Key, "why", f.Reason)
		return devstack.Prepared{Key: f.Key, Path: out, Done: func() { os.Remove(out) }}, nil
	}, nil
}

// findFFmpeg is the configured ffmpeg, or nil and why there is none.
func findFFmpeg(c *cli) (*transcode.FFmpeg, error) {
	ff, err := transcode.Find(c.config().FFmpeg)
	if err != nil {
		return nil, fmt.Errorf("%w; %s, or set %s to its path", err, transcode.Install, config.EnvFFmpeg.Name)
	}
	return ff, nil
}
