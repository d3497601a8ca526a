package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jokebox/jokebox/internal/syncbuf"
	"github.com/jokebox/jokebox/shared/manifest"
)

// startDev runs `jokebox dev args...` until the test ends and returns the
// simulator's base URL and the terminal output.
func startDev(t *testing.T, env map[string]string, args ...string) (string, *syncbuf.Buffer) {
	t.Helper()
	out := &syncbuf.Buffer{}
	c := &cli{stdin: strings.NewReader(""), stdout: out, stderr: io.Discard, getenv: func(k string) string { return env[k] }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, c, append([]string{"dev", "--addr", "127.0.0.1:0"}, args...)) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("jokebox dev: %v", err)
		}
	})
	open := regexp.MustCompile(`open +(http://\S+)/`)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if m := open.FindStringSubmatch(out.String()); m != nil {
			return m[1], out
		}
		select {
		case err := <-done:
			done <- err
			t.Fatalf("jokebox dev stopped: %v\n%s", err, out)
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("jokebox dev did not start within 30 s:\n%s", out)
	return "", nil
}

func getInfo(t *testing.T, base string) map[string]any {
	t.Helper()
	resp, err := http.Get(base + "/api/info")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var info map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil {
		t.Fatal(err)
	}
	return info
}

// TestDevServesSampleAnywhere is `cd "$(mktemp -d)" && jokebox dev`: no
// ./media, no --media, no JOKEBOX_SKILL_ID. It serves the sample library
// built into the binary, says so, and answers a request from events/,
// whose skill ID is not the simulator's.
func TestDevServesSampleAnywhere(t *testing.T) {
	launch, err := os.ReadFile("../../events/skill/launch.es-ES.json")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	base, out := startDev(t, nil)
	for _, want := range []string{"the sample library built into jokebox", "13 files uploaded", "manifest v1: 13 files in 3 playlists (animales 3, chistes 5, jokes 5)", "skill ID  any: JOKEBOX_SKILL_ID is not set"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("terminal does not say %q:\n%s", want, out)
		}
	}
	info := getInfo(t, base)
	if info["entries"] != float64(13) {
		t.Errorf("/api/info entries = %v; want the 13 sample files", info["entries"])
	}
	resp, err := http.Post(base+"/alexa", "application/json", bytes.NewReader(launch))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"AudioPlayer.Play"`) {
		t.Errorf("events/skill/launch.es-ES.json: %s %s; want 200 and a Play directive", resp.Status, body)
	}
}

// TestDevSkillIDWhenSet: with JOKEBOX_SKILL_ID, dev answers that skill only
// and says so. It serves the repository's media/ as `make dev` does, which
// uploads every file there: all 13 are audio, and all are indexed.
func TestDevSkillIDWhenSet(t *testing.T) {
	t.Parallel()
	const id = "amzn1.ask.skill.11111111-2222-3333-4444-555555555555"
	launch, err := os.ReadFile("../../events/skill/launch.es-ES.json")
	if err != nil {
		t.Fatal(err)
	}
	base, out := startDev(t, map[string]string{"JOKEBOX_SKILL_ID": id}, "--media", "../../media")
	if !strings.Contains(out.String(), "skill ID  "+id+" only") {
		t.Errorf("terminal does not name the skill ID:\n%s", out)
	}
	if !strings.Contains(out.String(), ": 13 files uploaded") || !strings.Contains(out.String(), "manifest v1: 13 files in 3 playlists") {
		t.Errorf("want media/'s 13 files uploaded and indexed, nothing else:\n%s", out)
	}
	if info := getInfo(t, base); info["skillId"] != id {
		t.Errorf("/api/info skillId = %v; want %s", info["skillId"], id)
	}
	resp, err := http.Post(base+"/alexa", "application/json", bytes.NewReader(launch))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a request for another skill: %s; want 400", resp.Status)
	}
}

// TestDevPortInUse: a port in use is reported before anything is uploaded,
// with a hint to use --addr.
func TestDevPortInUse(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	out := &syncbuf.Buffer{}
	c := &cli{stdin: strings.NewReader(""), stdout: out, stderr: io.Discard, getenv: func(string) string { return "" }}
	err = run(context.Background(), c, []string{"dev", "--media", "../../media", "--addr", ln.Addr().String()})
	if err == nil || !strings.Contains(err.Error(), "--addr") || !strings.Contains(err.Error(), "address already in use") {
		t.Errorf("dev on a port in use: %v; want the listen error and a hint to use --addr", err)
	}
	if out.String() != "" {
		t.Errorf("dev printed before failing (uploaded first?):\n%s", out)
	}
}

// TestDevPrintsEachPublishedVersion: a file dropped into the media folder
// publishes a new manifest version, and the terminal says so.
func TestDevPrintsEachPublishedVersion(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	short, err := os.ReadFile("../../testdata/audio/short.mp3")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "cuentos"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cuentos", "uno.mp3"), short, 0o644); err != nil {
		t.Fatal(err)
	}
	_, out := startDev(t, nil, "--media", dir)
	if !strings.Contains(out.String(), "indexed   manifest v1: 1 files in 1 playlists (cuentos 1)") {
		t.Errorf("start:\n%s", out)
	}
	if err := os.WriteFile(filepath.Join(dir, "cuentos", "dos.mp3"), short, 0o644); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(out.String(), "published manifest v2: 2 files in 1 playlists (cuentos 2)") {
		if time.Now().After(deadline) {
			t.Fatalf("no new version printed within 20 s:\n%s", out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestPrintIndexedRejected(t *testing.T) {
	t.Parallel()
	m := &manifest.Manifest{Version: 3, Playlists: []manifest.Playlist{{}}}
	for _, k := range []string{"a.mp3", "b.mp3"} {
		m.Rejected = append(m.Rejected, manifest.Rejection{Key: k, Reason: "not audio"})
	}
	var out bytes.Buffer
	printIndexed(&out, "indexed", m)
	if want := "  rejected  2: a.mp3 (not audio); b.mp3 (not audio)\n"; !strings.HasSuffix(out.String(), want) {
		t.Errorf("printIndexed wrote\n%q\nwant it to end with\n%q", out.String(), want)
	}
}

// TestDevKeyClash: voice.wav and voice.opus both convert to voice.mp3.
// Dev uploads one, says which file it refused and why in add's words, and
// keeps serving; the refused file is not uploaded over the other.
func TestDevKeyClash(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("converts with ffmpeg; skipped with -short")
	}
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "voces"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"voice.wav", "voice.opus"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "audio", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "voces", name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, out := startDev(t, nil, "--media", dir)
	clash := regexp.MustCompile(`refused +voces/voice\.(wav|opus): same key "voces/voice\.mp3" as voces/voice\.(wav|opus)\n`)
	m := clash.FindStringSubmatch(out.String())
	if m == nil || m[1] == m[2] {
		t.Errorf("no clash reported:\n%s", out)
	}
	if !strings.Contains(out.String(), "1 files uploaded") || !strings.Contains(out.String(), "manifest v1: 1 files in 1 playlists (voces 1)") {
		t.Errorf("want one upload and one file indexed:\n%s", out)
	}
}

// TestPrintIndexedPeopleOrder: the terminal lists playlists as people sort
// them, not in byte order (which put "Zorros" and "Árboles" around "animales").
func TestPrintIndexedPeopleOrder(t *testing.T) {
	t.Parallel()
	m := &manifest.Manifest{Version: 1, Entries: make([]manifest.Entry, 4), Playlists: []manifest.Playlist{
		{Order: []uint32{0, 1, 2, 3}}, {Name: "Zorros", Order: []uint32{0}}, {Name: "animales", Order: []uint32{1}}, {Name: "chistes", Order: []uint32{2}}, {Name: "Árboles", Order: []uint32{3}},
	}}
	var out bytes.Buffer
	printIndexed(&out, "indexed", m)
	if want := "(animales 1, Árboles 1, chistes 1, Zorros 1)"; !strings.Contains(out.String(), want) {
		t.Errorf("printIndexed wrote\n%q\nwant %q", out.String(), want)
	}
}

// TestDevListsSkipped: `jokebox dev` without conversion (--convert=false)
// and with a link out of the media folder and a note in it uploads only the
// MP3, and lists the others with their reasons in the terminal and in the
// page's info, beside the indexer's rejections.
func TestDevListsSkipped(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	dir := filepath.Join(root, "media")
	for name, fixture := range map[string]string{"chistes/bien.mp3": "short.mp3", "chistes/voz.wav": "voice.wav", "secreto.mp3": "short.mp3"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "audio", fixture))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if name == "secreto.mp3" {
			p = filepath.Join(root, name) // outside the media folder
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "chistes", "LEEME.txt"), []byte("hola"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../secreto.mp3", filepath.Join(dir, "chistes", "enlace.mp3")); err != nil {
		t.Fatal(err)
	}
	base, out := startDev(t, nil, "--convert=false", "--media", dir)
	for _, want := range []string{
		"1 files uploaded",
		"skipped   chistes/LEEME.txt: not an audio file (.txt)",
		"skipped   chistes/enlace.mp3: a link out of the folder (to ../../secreto.mp3)",
		"skipped   chistes/voz.wav: WAV is not a format Alexa plays; conversion is off",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("terminal lacks %q:\n%s", want, out)
		}
	}
	rejected := map[string]string{}
	for _, r := range getInfo(t, base)["rejected"].([]any) {
		m := r.(map[string]any)
		rejected[m["key"].(string)], _ = m["reason"].(string)
	}
	for _, key := range []string{"chistes/LEEME.txt", "chistes/enlace.mp3", "chistes/voz.wav"} {
		if rejected[key] == "" {
			t.Errorf("/api/info rejected lacks %s: %v", key, rejected)
		}
	}
}
