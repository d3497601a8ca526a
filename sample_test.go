package jokebox

import (
	"io/fs"
	"os"
	"path"
	"slices"
	"testing"
)

// files lists the files of fsys.
func files(t *testing.T, fsys fs.FS) []string {
	t.Helper()
	var files []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(files)
	return files
}

// TestSampleIsTheFolder: the embedded library holds exactly the files of
// media/, so a new sample folder cannot be left out of the binary.
func TestSampleIsTheFolder(t *testing.T) {
	sample, err := Sample()
	if err != nil {
		t.Fatal(err)
	}
	disk, embedded := files(t, os.DirFS("media")), files(t, sample)
	if len(embedded) < 10 || !slices.Equal(disk, embedded) {
		t.Errorf("embedded sample %q; want the folder's files %q", embedded, disk)
	}
}

// TestMediaHoldsOnlyAudio: media/ is uploaded as it is (`jokebox dev`,
// `aws s3 cp --recursive media`), so anything but audio there would be
// uploaded and then rejected by the indexer.
func TestMediaHoldsOnlyAudio(t *testing.T) {
	for _, f := range files(t, os.DirFS("media")) {
		if ext := path.Ext(f); ext != ".mp3" && ext != ".m4a" {
			t.Errorf("media/%s is not audio: it belongs outside media/", f)
		}
	}
}
