package transcode

import (
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// ffmpeg returns the ffmpeg on PATH; without one the test fails, as the
// Makefile installs it, except under -short, where it is skipped.
func ffmpeg(t *testing.T) *FFmpeg {
	t.Helper()
	if testing.Short() {
		t.Skip("runs ffmpeg; skipped with -short")
	}
	f, err := Find("")
	if err != nil {
		t.Fatalf("%v: %s", err, Install)
	}
	return f
}

func fixture(name string) string { return filepath.Join("..", "..", "testdata", "audio", name) }

func TestFind(t *testing.T) {
	if _, err := Find("/nonexistent/ffmpeg"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Find(/nonexistent/ffmpeg) = %v; want ErrNotFound", err)
	}
	if _, err := Find(t.TempDir()); !errors.Is(err, ErrNotFound) {
		t.Errorf("Find(a directory) = %v; want ErrNotFound", err)
	}
	if p, err := exec.LookPath("ffmpeg"); err == nil {
		if f, err := Find(p); err != nil || f.Path != p {
			t.Errorf("Find(%s) = %v, %v", p, f, err)
		}
	}
}

// open opens a file for the test.
func open(t *testing.T, p string) *os.File {
	t.Helper()
	fh, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fh.Close() })
	return fh
}

func TestMeasure(t *testing.T) {
	f := ffmpeg(t)
	tests := []struct {
		file, title string
		min, max    float64 // integrated loudness
	}{
		{"loud.mp3", "Loud Joke", -12.5, -11},
		{"quiet.mp3", "Quiet Joke", -24.5, -23},
		{"voice.opus", "Título Opus", -40, -10},
		{"voice.wav", "Wave Title", -40, -10},
	}
	for _, tt := range tests {
		m, err := f.Measure(t.Context(), open(t, fixture(tt.file)))
		if err != nil {
			t.Fatalf("Measure(%s): %v", tt.file, err)
		}
		if m.Title != tt.title || m.Integrated < tt.min || m.Integrated > tt.max || math.IsInf(m.TruePeak, 0) {
			t.Errorf("Measure(%s) = %+v; want title %q, loudness in [%v, %v]", tt.file, m, tt.title, tt.min, tt.max)
		}
	}
	for _, bad := range []string{"text.mp3", "empty.mp3"} {
		if _, err := f.Measure(t.Context(), open(t, fixture(bad))); !errors.Is(err, ErrUndecodable) {
			t.Errorf("Measure(%s) = %v; want ErrUndecodable", bad, err)
		}
	}
}

// TestConvertNormalize brings two clips 12 dB apart to −14 LUFS with true
// peaks under −3 dBTP, and checks the result with a fresh measurement.
func TestConvertNormalize(t *testing.T) {
	f := ffmpeg(t)
	for _, name := range []string{"loud.mp3", "quiet.mp3", "voice.opus"} {
		in := open(t, fixture(name))
		src, err := f.Measure(t.Context(), in)
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(t.TempDir(), "out.mp3")
		res, err := f.Convert(t.Context(), in, out, src, Options{Title: "T", Normalize: true, Target: -14, PeakLimit: -3})
		if err != nil {
			t.Fatalf("Convert(%s): %v", name, err)
		}
		got, err := f.Measure(t.Context(), open(t, out))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %v → %v in %d passes", name, src.Loudness, got.Loudness, res.Passes)
		if !res.Reached || !got.Within(-14, 1, -3) || got.Title != "T" {
			t.Errorf("Convert(%s) gave %v, title %q (reached %v); want −14±1 LUFS, true peak ≤ −3 dBTP, title T", name, got.Loudness, got.Title, res.Reached)
		}
	}
}

func TestConvertBitrate(t *testing.T) {
	f := ffmpeg(t)
	if _, err := f.Convert(t.Context(), open(t, fixture("voice.wav")), filepath.Join(t.TempDir(), "x.mp3"), Measurement{}, Options{Bitrate: 8000}); err == nil {
		t.Error("Convert at 8 kbit/s succeeded; want an error")
	}
}
