package media

import (
	"io/fs"
	"os"
	"slices"
	"testing"
)

// TestSampleIsTheFolder: the embedded library holds exactly the audio in
// this folder, so a new sample folder cannot be left out of the binary.
func TestSampleIsTheFolder(t *testing.T) {
	list := func(fsys fs.FS) []string {
		var files []string
		err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && p != "sample.go" && p != "sample_test.go" {
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
	disk, embedded := list(os.DirFS(".")), list(Sample)
	if len(embedded) < 10 || !slices.Equal(disk, embedded) {
		t.Errorf("embedded sample %q; want the folder's files %q", embedded, disk)
	}
}
