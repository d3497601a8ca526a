package transcode

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestOneLocalFile is issue 22's high finding: a text file named .wav that
// is an HLS playlist or an ffconcat script pointing at a file outside its
// folder. ffmpeg detects both under any extension and would decode the
// outside file; with the format whitelist it refuses them. The outside file
// is real audio that Measure would otherwise read.
func TestOneLocalFile(t *testing.T) {
	f := ffmpeg(t)
	root := t.TempDir()
	secret := filepath.Join(root, "private", "secret.mp3")
	if err := os.MkdirAll(filepath.Dir(secret), 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(fixture("loud.mp3"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(secret, b, 0o644); err != nil {
		t.Fatal(err)
	}
	pack := filepath.Join(root, "pack")
	if err := os.MkdirAll(pack, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{
		"innocent-joke.wav": "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\n../private/secret.mp3\n#EXT-X-ENDLIST\n",
		"concat-joke.wav":   "ffconcat version 1.0\nfile ../private/secret.mp3\n",
		"absolute-joke.wav": "ffconcat version 1.0\nfile " + secret + "\n",
		"absolute-hls.wav":  "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\n" + secret + "\n#EXT-X-ENDLIST\n",
		"url-hls.wav":       "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nfile:" + secret + "\n#EXT-X-ENDLIST\n",
	} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(pack, name)
			if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			in := open(t, p)
			m, err := f.Measure(t.Context(), in)
			if !errors.Is(err, ErrUndecodable) {
				t.Fatalf("Measure(%s) = %+v, %v; want ErrUndecodable (it read %s)", name, m, err, secret)
			}
			out := filepath.Join(t.TempDir(), "out.mp3")
			if _, err := f.Convert(t.Context(), in, out, Measurement{}, Options{}); err == nil {
				t.Errorf("Convert(%s) succeeded; want it refused", name)
			}
			if st, err := os.Stat(out); err == nil && st.Size() > 0 {
				t.Errorf("Convert(%s) wrote %d bytes", name, st.Size())
			}
		})
	}
}

// TestEnvironment: ffmpeg gets PATH and a locale, never the AWS or ASK
// credentials of the environment. The "ffmpeg" here is a shell script that
// records the environment it was given, so what is checked is what the
// process received.
func TestEnvironment(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a process; skipped with -short")
	}
	dir := t.TempDir()
	record := filepath.Join(dir, "env")
	script := filepath.Join(dir, "ffmpeg")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nenv > "+record+"\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret-aws")
	t.Setenv("ASK_REFRESH_TOKEN", "secret-ask")
	t.Setenv("GITHUB_TOKEN", "secret-gh")
	f, err := Find(script)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.Measure(t.Context(), open(t, fixture("loud.mp3")))
	got, err := os.ReadFile(record)
	if err != nil {
		t.Fatal(err)
	}
	var names []string // only the names: the values are not for logs
	for _, l := range strings.Split(string(got), "\n") {
		if name, _, ok := strings.Cut(l, "="); ok {
			names = append(names, name)
		}
	}
	if strings.Contains(string(got), "secret") || len(names) > 3 {
		t.Errorf("ffmpeg's environment holds %q; want only PATH, LC_ALL (and the shell's PWD)", names)
	}
	if !slices.Contains(names, "PATH") {
		t.Errorf("ffmpeg's environment lacks PATH: %q", names)
	}
}

// TestLanguageSurvives: Convert writes the title and the language given,
// and Measure reads both back, from an MP3 (file-level ID3 TLAN, which
// ffmpeg's dump hides) and an Opus file (stream-level tag).
func TestLanguageSurvives(t *testing.T) {
	f := ffmpeg(t)
	out := filepath.Join(t.TempDir(), "es.mp3")
	if _, err := f.Convert(t.Context(), open(t, fixture("voice.opus")), out, Measurement{}, Options{Title: "El ajo", Language: "spa"}); err != nil {
		t.Fatal(err)
	}
	m, err := f.Measure(t.Context(), open(t, out))
	if err != nil {
		t.Fatal(err)
	}
	if m.Title != "El ajo" || m.Language != "spa" {
		t.Errorf("Measure(converted) = title %q, language %q; want El ajo, spa", m.Title, m.Language)
	}
}

func TestParseFFMetadata(t *testing.T) {
	got := parseFFMetadata(";FFMETADATA1\ntitle=Uno \\= dos\\\\\nLanguage=spa\nencoder=Lavf\n[STREAM]\ntitle=not this\n")
	if got["title"] != "Uno = dos\\" || got["language"] != "spa" || len(got) != 3 {
		t.Errorf("parseFFMetadata = %q", got)
	}
}
