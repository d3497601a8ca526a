package ingest

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// tempPrefix names the pipeline's temp folders: jokebox-ingest-PID-….
const tempPrefix = "jokebox-ingest-"

// TempDir makes a private folder for conversions, named after this
// process. It first removes the folders of earlier runs whose process is
// gone (a killed jokebox cannot clean up after itself). The caller removes
// the folder when done.
func TempDir() (string, error) {
	base := os.TempDir()
	if entries, err := os.ReadDir(base); err == nil {
		for _, e := range entries {
			rest, ok := strings.CutPrefix(e.Name(), tempPrefix)
			if !ok || !e.IsDir() {
				continue
			}
			pid, _, _ := strings.Cut(rest, "-")
			if n, err := strconv.Atoi(pid); err == nil && n != os.Getpid() && !alive(n) {
				os.RemoveAll(filepath.Join(base, e.Name()))
			}
		}
	}
	return os.MkdirTemp(base, tempPrefix+strconv.Itoa(os.Getpid())+"-")
}
