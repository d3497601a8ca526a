package index

import (
	"context"
	"strings"
	"testing"
)

// TestReconcileRejectsSpoofedNames: the indexer applies manifest.KeyProblem,
// the rules `jokebox add` checks names with, to keys uploaded some other
// way: a right-to-left override is rejected with the reason, a plain name
// beside it plays.
func TestReconcileRejectsSpoofedNames(t *testing.T) {
	t.Parallel()
	short := readAudio(t, "short.mp3")
	e := newMemEnv(t, map[string][]byte{
		"chistes/evil\u202eb.mp3": short,
		"chistes/bien.mp3":        short,
	})
	if _, _, err := e.ix.Reconcile(context.Background(), ReconcileOptions{}); err != nil {
		t.Fatal(err)
	}
	m, _, _ := e.load(t)
	if len(m.Entries) != 1 || m.Entries[0].Key != "chistes/bien.mp3" {
		t.Errorf("entries %v; want chistes/bien.mp3 only", m.Entries)
	}
	if len(m.Rejected) != 1 || !strings.Contains(m.Rejected[0].Reason, "U+202E") {
		t.Errorf("rejected %v; want the override's key with its reason", m.Rejected)
	}
}
