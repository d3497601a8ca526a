package devstack

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSyncLinksStayInside is issue 22's dev finding: a link in the media
// folder to a file outside it (a recording elsewhere, /etc/passwd) is not
// uploaded, and is listed with its reason; a link inside is uploaded. Files
// that are not audio are listed as skipped too, by full sync and by Apply.
// An absolute link into the folder (which os.Root alone refuses) is read.
func TestSyncLinksStayInside(t *testing.T) {
	t.Parallel()
	const bucket = "media"
	_, client := startTestS3(t, bucket)
	root := t.TempDir()
	dir := filepath.Join(root, "media")
	writeFile(t, root, "private/secret.mp3", "the owner's private recording")
	writeFile(t, dir, "real.mp3", "audio")
	writeFile(t, dir, "LEEME.txt", "hola")
	for link, target := range map[string]string{
		"in.mp3":       "real.mp3",
		"abs.mp3":      filepath.Join(dir, "real.mp3"),
		"out.mp3":      "../private/secret.mp3",
		"passwd.mp3":   "/etc/passwd",
		"sub/back.mp3": "../../private/secret.mp3",
	} {
		p := filepath.Join(dir, link)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
	s := NewSyncer(SyncConfig{Dir: dir, Bucket: bucket, S3: client, Indexer: newRecorder(), Logger: discard})
	res, err := s.SyncAll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"abs.mp3", "in.mp3", "real.mp3"}, listKeys(t, client, bucket)); diff != "" {
		t.Errorf("bucket keys (-want +got):\n%s", diff)
	}
	got := map[string]string{}
	for _, r := range res.Refused {
		got[r.Key] = r.Reason
	}
	for key, want := range map[string]string{
		"out.mp3":      "a link out of the folder",
		"passwd.mp3":   "a link out of the folder",
		"sub/back.mp3": "a link out of the folder",
		"LEEME.txt":    "not an audio file (.txt)",
	} {
		if !strings.HasPrefix(got[key], want) {
			t.Errorf("%s: listed as %q; want %q", key, got[key], want)
		}
	}
	// A link made while dev runs, as the watcher hands it over.
	if err := os.Symlink("../private/secret.mp3", filepath.Join(dir, "new.mp3")); err != nil {
		t.Fatal(err)
	}
	if changes, err := s.Apply(context.Background(), []string{"new.mp3"}); err != nil || len(changes) != 0 {
		t.Errorf("Apply(new link out) = %v, %v; want nothing uploaded", changes, err)
	}
	if diff := cmp.Diff([]string{"abs.mp3", "in.mp3", "real.mp3"}, listKeys(t, client, bucket)); diff != "" {
		t.Errorf("bucket keys after Apply (-want +got):\n%s", diff)
	}
	if sk := s.Skipped(); len(sk) != 5 {
		t.Errorf("Skipped() = %v; want the four links out and LEEME.txt", sk)
	}
}
