package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
)

// TestAddBadInput: zero-byte files, missing files and names that cannot be
// S3 keys are each refused with a reason, without ffmpeg the files that
// need it are named with how to install it, the rest still go through, and
// the exit status is an error.
func TestAddBadInput(t *testing.T) {
	t.Setenv("JOKEBOX_FFMPEG", filepath.Join(t.TempDir(), "no-ffmpeg"))
	dir := addFixtures(t, map[string]string{
		"vacío.mp3":   "empty.mp3",
		"bien.mp3":    "short.mp3",
		"grabado.wav": "voice.wav",
	})
	for _, name := range []string{"bad\xff.mp3", "ctrl\x01.mp3"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(dir, "gone.mp3"), filepath.Join(dir, "enlace roto.mp3")); err != nil {
		t.Fatal(err)
	}
	out, err := jokeboxErr(t, "add", "--dry-run", dir, filepath.Join(dir, "missing.mp3"))
	t.Logf("%s", out)
	if err == nil || !strings.Contains(err.Error(), "6 of 7") {
		t.Errorf("add returned %v; want 6 of 7 failed", err)
	}
	for _, want := range []string{
		"vacío.mp3: zero-byte file",
		"missing.mp3: cannot read: no such file or directory",
		"enlace roto.mp3: a link to nothing (" + filepath.Join(dir, "gone.mp3") + ")",
		`bad\xff.mp3": name cannot be a key: not valid UTF-8`,
		`ctrl\x01.mp3": name cannot be a key: contains control characters`,
		"grabado.wav: WAV is not a format Alexa plays; needs ffmpeg to convert",
		"1 file(s) need ffmpeg to be converted: " + filepath.Join(dir, "grabado.wav"),
		"apt-get install -y ffmpeg",
		"plays as is        " + filepath.Join(dir, "bien.mp3") + " → bien.mp3",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if _, err := jokeboxErr(t, "add", "--normalize", dir); err == nil || !strings.Contains(err.Error(), "--normalize needs ffmpeg") {
		t.Errorf("add --normalize without ffmpeg: %v; want an error naming ffmpeg", err)
	}
}

func TestParseBitrate(t *testing.T) {
	for in, want := range map[string]int{"128k": 128000, "320K": 320000, "64000": 64000, "96kbps": 96000, "8k": 0, "400k": 0, "abc": 0} {
		got, err := parseBitrate(in)
		if got != want || (err != nil) != (want == 0) {
			t.Errorf("parseBitrate(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
}

// TestProgress draws the terminal bar and the plain lines.
func TestProgress(t *testing.T) {
	var term bytes.Buffer
	p := newProgress(&term, 2, 3000)
	p.terminal = true
	p.Start("chistes/uno.mp3")
	p.OnObjectBytesTransferred(t.Context(), &transfermanager.ObjectBytesTransferredEvent{BytesTransferred: 1000, TotalBytes: 1000})
	p.Done("chistes/uno.mp3", 1000, nil)
	p.Start("chistes/dos.mp3")
	p.Done("chistes/dos.mp3", 2000, nil)
	p.Finish()
	last := term.String()[strings.LastIndex(term.String(), "\r")+1:]
	for _, want := range []string{"[========================]", "2/2 files", "3.0 KB/3.0 KB", "/s", "0s left"} {
		if !strings.Contains(last, want) {
			t.Errorf("last terminal line %q lacks %q", last, want)
		}
	}
	var plain bytes.Buffer
	p = newProgress(&plain, 1, 1000)
	p.Start("a.mp3")
	p.Done("a.mp3", 1000, nil)
	p.Finish()
	if got, want := plain.String(), "uploaded a.mp3 (1/1 files, 1.0 KB of 1.0 KB)\n"; got != want {
		t.Errorf("plain progress %q; want %q", got, want)
	}
}
