package devstack

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// watchBudget is how soon a change in the media folder must reach the
// indexer.
const watchBudget = 2 * time.Second

func TestWatcher(t *testing.T) {
	t.Parallel()
	const bucket = "media"
	_, client := startTestS3(t, bucket)
	dir := t.TempDir()
	writeFile(t, dir, "animales/perro.mp3", "guau")
	writeFile(t, dir, "viejos/uno.mp3", "1")
	writeFile(t, dir, "viejos/sub/dos.mp3", "2")
	rec := newRecorder()
	s := NewSyncer(SyncConfig{Dir: dir, Bucket: bucket, S3: client, Indexer: rec, Logger: discard})
	w, err := s.Watch()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SyncAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	rec.take()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})

	steps := []struct {
		name   string
		do     func(t *testing.T)
		events []string
		keys   []string
	}{
		{
			name:   "add a file",
			do:     func(t *testing.T) { writeFile(t, dir, "animales/el pato.mp3", "cuac") },
			events: []string{"ObjectCreated:Put animales/el pato.mp3"},
			keys:   []string{"animales/el pato.mp3", "animales/perro.mp3", "viejos/sub/dos.mp3", "viejos/uno.mp3"},
		},
		{
			name:   "change a file",
			do:     func(t *testing.T) { writeFile(t, dir, "animales/perro.mp3", "guau guau") },
			events: []string{"ObjectCreated:Put animales/perro.mp3"},
			keys:   []string{"animales/el pato.mp3", "animales/perro.mp3", "viejos/sub/dos.mp3", "viejos/uno.mp3"},
		},
		{
			name: "add a folder with files",
			do: func(t *testing.T) {
				// Built aside and moved in, as a file manager does.
				tmp := t.TempDir()
				writeFile(t, tmp, "nuevos/a+b.mp3", "ab")
				writeFile(t, tmp, "nuevos/ñ/canción.mp3", "la")
				if err := os.Rename(filepath.Join(tmp, "nuevos"), filepath.Join(dir, "nuevos")); err != nil {
					t.Fatal(err)
				}
			},
			events: []string{"ObjectCreated:Put nuevos/a+b.mp3", "ObjectCreated:Put nuevos/ñ/canción.mp3"},
			keys:   []string{"animales/el pato.mp3", "animales/perro.mp3", "nuevos/a+b.mp3", "nuevos/ñ/canción.mp3", "viejos/sub/dos.mp3", "viejos/uno.mp3"},
		},
		{
			name:   "add a file in the new folder",
			do:     func(t *testing.T) { writeFile(t, dir, "nuevos/ñ/otra.mp3", "x") },
			events: []string{"ObjectCreated:Put nuevos/ñ/otra.mp3"},
			keys:   []string{"animales/el pato.mp3", "animales/perro.mp3", "nuevos/a+b.mp3", "nuevos/ñ/canción.mp3", "nuevos/ñ/otra.mp3", "viejos/sub/dos.mp3", "viejos/uno.mp3"},
		},
		{
			name: "make a folder, then a file in it",
			do: func(t *testing.T) {
				if err := os.Mkdir(filepath.Join(dir, "vacía"), 0o755); err != nil {
					t.Fatal(err)
				}
				time.Sleep(20 * time.Millisecond)
				writeFile(t, dir, "vacía/uno.mp3", "1")
			},
			events: []string{"ObjectCreated:Put vacía/uno.mp3"},
			keys:   []string{"animales/el pato.mp3", "animales/perro.mp3", "nuevos/a+b.mp3", "nuevos/ñ/canción.mp3", "nuevos/ñ/otra.mp3", "vacía/uno.mp3", "viejos/sub/dos.mp3", "viejos/uno.mp3"},
		},
		{
			name: "remove a file and ignore an editor's temp file",
			do: func(t *testing.T) {
				writeFile(t, dir, "animales/.perro.mp3.swp", "tmp")
				writeFile(t, dir, "animales/perro.mp3~", "tmp")
				if err := os.Remove(filepath.Join(dir, "animales", "perro.mp3")); err != nil {
					t.Fatal(err)
				}
			},
			events: []string{"ObjectRemoved:Delete animales/perro.mp3"},
			keys:   []string{"animales/el pato.mp3", "nuevos/a+b.mp3", "nuevos/ñ/canción.mp3", "nuevos/ñ/otra.mp3", "vacía/uno.mp3", "viejos/sub/dos.mp3", "viejos/uno.mp3"},
		},
		{
			name: "remove a folder",
			do: func(t *testing.T) {
				if err := os.RemoveAll(filepath.Join(dir, "viejos")); err != nil {
					t.Fatal(err)
				}
			},
			events: []string{"ObjectRemoved:Delete viejos/sub/dos.mp3", "ObjectRemoved:Delete viejos/uno.mp3"},
			keys:   []string{"animales/el pato.mp3", "nuevos/a+b.mp3", "nuevos/ñ/canción.mp3", "nuevos/ñ/otra.mp3", "vacía/uno.mp3"},
		},
		{
			name: "rename a file",
			do: func(t *testing.T) {
				if err := os.Rename(filepath.Join(dir, "animales", "el pato.mp3"), filepath.Join(dir, "animales", "el ganso.mp3")); err != nil {
					t.Fatal(err)
				}
			},
			events: []string{"ObjectCreated:Put animales/el ganso.mp3", "ObjectRemoved:Delete animales/el pato.mp3"},
			keys:   []string{"animales/el ganso.mp3", "nuevos/a+b.mp3", "nuevos/ñ/canción.mp3", "nuevos/ñ/otra.mp3", "vacía/uno.mp3"},
		},
	}
	for _, st := range steps {
		// Not parallel: each step builds on the last.
		t.Run(st.name, func(t *testing.T) {
			start := time.Now()
			st.do(t)
			var got []string
			deadline := time.After(watchBudget)
		wait:
			for len(got) < len(st.events) {
				select {
				case <-rec.changed:
					got = append(got, rec.take()...)
				case <-deadline:
					break wait
				}
			}
			took := time.Since(start)
			// Anything else arriving shortly after is a stray event.
			time.Sleep(watchQuiet + 100*time.Millisecond)
			got = append(got, rec.take()...)
			slices.Sort(got)
			if diff := cmp.Diff(st.events, got); diff != "" {
				t.Fatalf("events within %v (-want +got):\n%s", watchBudget, diff)
			}
			t.Logf("%s: indexer told in %v", st.name, took.Round(time.Millisecond))
			if diff := cmp.Diff(st.keys, listKeys(t, client, bucket)); diff != "" {
				t.Errorf("bucket keys (-want +got):\n%s", diff)
			}
		})
	}
}
