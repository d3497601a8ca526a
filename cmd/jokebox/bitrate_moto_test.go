package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-cmp/cmp"
)

// TestMotoBitrateRule is issue 13's bit-rate rule end to end: MP3s at 8, 16
// and 320 kbit/s and AAC in MP4 at 8 and 24 uploaded and reindexed; the
// 8 kbit/s ones are rejected with a reason that names the rate, in
// `jokebox manifest` and its JSON.
func TestMotoBitrateRule(t *testing.T) {
	s3c := motoBucket(t, "rates")
	for _, name := range []string{"rate8.mp3", "rate16.mp3", "rate320.mp3", "rate8.m4a", "rate24.m4a"} {
		b, err := os.ReadFile(filepath.Join("../../testdata/audio", name))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s3c.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String("rates"), Key: aws.String("bit rates/" + name), Body: bytes.NewReader(b)}); err != nil {
			t.Fatal(err)
		}
	}
	jokebox(t, "reindex")
	m, playable, rejected := manifestKeys(t)
	if diff := cmp.Diff([]string{"bit rates/rate16.mp3", "bit rates/rate24.m4a", "bit rates/rate320.mp3"}, playable); diff != "" {
		t.Errorf("playable keys (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"bit rates/rate8.m4a", "bit rates/rate8.mp3"}, rejected); diff != "" {
		t.Fatalf("rejected keys (-want +got):\n%s", diff)
	}
	const reason = "8 kbps: Alexa plays 16–384 kbps"
	for i, want := range []string{reason, reason} {
		if m.Rejected[i].Reason != want {
			t.Errorf("manifest --json: %s rejected for %q; want %q", m.Rejected[i].Key, m.Rejected[i].Reason, want)
		}
	}
	if out := jokebox(t, "manifest"); !strings.Contains(out, reason) {
		t.Errorf("jokebox manifest does not say %q:\n%s", reason, out)
	}
}

// TestMotoPlaylistCounts: every command that counts playlists counts the
// folders, the playlists the owner made, never the library with them (the
// simulator page and jokebox dev count the same way).
func TestMotoPlaylistCounts(t *testing.T) {
	s3c := motoBucket(t, "counts")
	b, err := os.ReadFile("../../testdata/audio/rate16.mp3")
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"animales/uno.mp3", "jokes/two.mp3", "at the root.mp3"} {
		if _, err := s3c.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String("counts"), Key: aws.String(key), Body: bytes.NewReader(b)}); err != nil {
			t.Fatal(err)
		}
	}
	const want = "3 entries in 2 playlists"
	if out := jokebox(t, "reindex"); !strings.Contains(out, want) {
		t.Errorf("reindex said %q; want %q", out, want)
	}
	if out := jokebox(t, "manifest"); !strings.Contains(out, want) {
		t.Errorf("manifest said %q; want %q", out, want)
	}
}
