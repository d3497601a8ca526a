package devstack

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Debounce timings of the watcher: changes are applied once the folder has
// been quiet for watchQuiet, and at least every watchMaxWait while it keeps
// changing (a long copy).
const (
	watchQuiet   = 200 * time.Millisecond
	watchMaxWait = time.Second
)

// Watcher applies changes in the media folder to the bucket as they happen.
type Watcher struct {
	s  *Syncer
	fw *fsnotify.Watcher
	// OnApply, when set, is called after each applied batch of changes.
	OnApply func(changes []Change, err error)
}

// Watch starts watching the media folder and all its subfolders; new
// subfolders are watched as they appear. Changes made after Watch returns
// are seen; call Run to apply them.
func (s *Syncer) Watch() (*Watcher, error) {
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("watch media folder: %w", err)
	}
	w := &Watcher{s: s, fw: fw}
	if err := w.addTree(s.cfg.Dir); err != nil {
		fw.Close()
		return nil, err
	}
	return w, nil
}

// addTree watches dir and every folder under it that is not skipped.
func (w *Watcher) addTree(dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == dir {
				return fmt.Errorf("watch %s: %w", p, err)
			}
			return nil // vanished meanwhile
		}
		if !d.IsDir() {
			return nil
		}
		if key, ok := w.s.rel(p); ok && skipName(key) != "" {
			return filepath.SkipDir
		}
		if err := w.fw.Add(p); err != nil {
			if p == dir {
				return fmt.Errorf("watch %s: %w", p, err)
			}
			w.s.log.Warn("cannot watch folder", "path", p, "err", err)
		}
		return nil
	})
}

// Run applies changes until ctx is done, then stops watching. Errors
// applying a change are logged (and given to OnApply), not returned.
func (w *Watcher) Run(ctx context.Context) error {
	defer w.fw.Close()
	pending := make(map[string]bool)
	var (
		quiet, deadline <-chan time.Time
		timer           *time.Timer
	)
	flush := func() {
		paths := sortedKeys(pending)
		clear(pending)
		quiet, deadline = nil, nil
		changes, err := w.s.Apply(ctx, paths)
		if err != nil && ctx.Err() == nil {
			w.s.log.ErrorContext(ctx, "sync change", "err", err)
		}
		for _, c := range changes {
			if c.Removed {
				w.s.log.InfoContext(ctx, "media removed", "key", c.Key)
			} else {
				w.s.log.InfoContext(ctx, "media uploaded", "key", c.Key, "size", c.Size)
			}
		}
		if w.OnApply != nil {
			w.OnApply(changes, err)
		}
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.fw.Events:
			if !ok {
				return nil
			}
			if ev.Has(fsnotify.Create) {
				// A new folder: watch it (and anything already inside) at once.
				if err := w.addTree(ev.Name); err != nil && !errors.Is(err, fs.ErrNotExist) {
					w.s.log.DebugContext(ctx, "watch new path", "path", ev.Name, "err", err)
				}
			}
			if ev.Op == fsnotify.Chmod {
				continue
			}
			pending[ev.Name] = true
			if timer != nil {
				timer.Stop()
			}
			timer = time.NewTimer(watchQuiet)
			quiet = timer.C
			if deadline == nil {
				deadline = time.After(watchMaxWait)
			}
		case err, ok := <-w.fw.Errors:
			if !ok {
				return nil
			}
			w.s.log.WarnContext(ctx, "watch media folder", "err", err)
		case <-quiet:
			flush()
		case <-deadline:
			flush()
		}
	}
}

// Close stops watching without running.
func (w *Watcher) Close() error { return w.fw.Close() }
