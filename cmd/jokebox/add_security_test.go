package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The probes of issue 22 against `jokebox add`, run through the CLI with
// --dry-run (no bucket needed: the check, and ffmpeg's measurement of what
// must be converted, run as in a real add).

// writeFixture copies a testdata/audio fixture to p.
func writeFixture(t *testing.T, p, fixture string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("../../testdata/audio", fixture))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestAddLinksStayInside: a link in the folder to a recording outside it is
// refused with its reason, whether the folder or the link itself is named;
// a link to a file inside the folder is read.
func TestAddLinksStayInside(t *testing.T) {
	root := t.TempDir()
	writeFixture(t, filepath.Join(root, "private", "secret.mp3"), "short.mp3")
	pack := filepath.Join(root, "pack")
	writeFixture(t, filepath.Join(pack, "real.mp3"), "short.mp3")
	for link, target := range map[string]string{
		"out.mp3":      "../private/secret.mp3",
		"absout.mp3":   filepath.Join(root, "private", "secret.mp3"),
		"in.mp3":       "real.mp3",
		"absin.mp3":    filepath.Join(pack, "real.mp3"),
		"gone.mp3":     "nothing.mp3",
		"outdir":       "../private",
		"sub/back.mp3": "../../private/secret.mp3",
	} {
		p := filepath.Join(pack, link)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
	out, err := jokeboxErr(t, "add", "--dry-run", pack, filepath.Join(pack, "out.mp3"))
	t.Logf("%s", out)
	for _, want := range []string{
		"cannot be used     " + filepath.Join(pack, "out.mp3") + ": a link out of the folder (to ../private/secret.mp3)",
		"cannot be used     " + filepath.Join(pack, "absout.mp3") + ": a link out of the folder",
		"cannot be used     " + filepath.Join(pack, "sub", "back.mp3") + ": a link out of the folder",
		"cannot be used     " + filepath.Join(pack, "gone.mp3") + ": a link to nothing",
		"plays as is        " + filepath.Join(pack, "in.mp3") + " → in.mp3",
		"plays as is        " + filepath.Join(pack, "absin.mp3") + " → absin.mp3",
		"plays as is        " + filepath.Join(pack, "real.mp3") + " → real.mp3",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	// The link named on its own: refused too.
	if n := strings.Count(out, filepath.Join(pack, "out.mp3")+": a link out of the folder"); n != 4 { // the folder's and the argument's, each listed and in failed:
		t.Errorf("out.mp3 refused %d times; want the folder's and the argument's (and their failed: lines)", n)
	}
	if strings.Contains(out, "secret") && strings.Contains(out, "plays as is        "+filepath.Join(pack, "outdir")) {
		t.Errorf("the linked folder outside was read")
	}
	if err == nil {
		t.Error("add succeeded; want the refused links to fail it")
	}
}

// TestAddURLName: a file named like a URL (http:127.0.0.1:PORT?x.wav),
// reached as a bare name (`add .`), is read from disk; the server it names
// is never contacted.
func TestAddURLName(t *testing.T) {
	needFFmpeg(t)
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.ServeFile(w, r, "../../testdata/audio/loud.mp3")
	}))
	defer srv.Close()
	dir := t.TempDir()
	name := "http:" + strings.TrimPrefix(srv.URL, "http://") + "?joke.wav"
	writeFixture(t, filepath.Join(dir, name), "voice.wav")
	t.Chdir(dir)
	out, err := jokeboxErr(t, "add", "--dry-run", ".")
	t.Logf("%s", out)
	if hits.Load() != 0 {
		t.Errorf("the server was contacted %d times", hits.Load())
	}
	if err != nil || !strings.Contains(out, "will be converted") || !strings.Contains(out, "WAV is not a format Alexa plays") {
		t.Errorf("add: %v; want the local WAV to be converted", err)
	}
}

// TestAddFlagLikeName: `jokebox add *` in a folder holding a file named
// --playlist=x (which sorts first) must not put the files in playlist x.
func TestAddFlagLikeName(t *testing.T) {
	dir := t.TempDir()
	writeFixture(t, filepath.Join(dir, "a.mp3"), "short.mp3")
	writeFixture(t, filepath.Join(dir, "--playlist=x"), "short.mp3")
	t.Chdir(dir)
	out, err := jokeboxErr(t, "add", "--dry-run", "--playlist=x", "a.mp3") // what the shell makes of `add --dry-run *`
	if strings.Contains(out, "x/a.mp3") || err == nil || !strings.Contains(err.Error(), "put -- before file names") {
		t.Errorf("add *: %v\n%s\nwant it refused, saying to put -- before file names", err, out)
	}
	out, err = jokeboxErr(t, "add", "--dry-run", "--", "--playlist=x", "a.mp3")
	if err != nil || strings.Contains(out, "x/a.mp3") || !strings.Contains(out, "→ a.mp3") {
		t.Errorf("add -- *: %v\n%s\nwant both files as files", err, out)
	}
}

// TestAddNames: NFC and NFD forms of one name are one key (the second file
// is refused as a duplicate); a right-to-left override is refused.
func TestAddNames(t *testing.T) {
	dir := t.TempDir()
	writeFixture(t, filepath.Join(dir, "Cancio\u0301n.mp3"), "short.mp3") // NFD, as macOS writes it
	writeFixture(t, filepath.Join(dir, "Canci\u00f3n.mp3"), "short.mp3")  // NFC
	writeFixture(t, filepath.Join(dir, "evil\u202e3pm.mp3"), "short.mp3")
	out, err := jokeboxErr(t, "add", "--dry-run", dir)
	t.Logf("%s", out)
	if strings.Contains(out, "→ Cancio\u0301n.mp3") || !strings.Contains(out, "→ Canci\u00f3n.mp3") || !strings.Contains(out, "same key \"Canci\u00f3n.mp3\"") {
		t.Errorf("want one NFC key and the other form refused as the same key")
	}
	if !strings.Contains(out, `evil\u202e3pm.mp3": name cannot be a key: contains the invisible character U+202E`) {
		t.Errorf("want the override refused, its name shown escaped")
	}
	if err == nil {
		t.Error("add succeeded")
	}
}

// TestAddNotAudioSkipped: a LEEME.txt beside the audio is skipped, not
// failed.
func TestAddNotAudioSkipped(t *testing.T) {
	dir := t.TempDir()
	writeFixture(t, filepath.Join(dir, "a.mp3"), "short.mp3")
	if err := os.WriteFile(filepath.Join(dir, "LEEME.txt"), []byte("hola"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := jokeboxErr(t, "add", "--dry-run", dir)
	if err != nil || !strings.Contains(out, "skipped            "+filepath.Join(dir, "LEEME.txt")+": not an audio file (.txt)") {
		t.Errorf("add: %v\n%s\nwant LEEME.txt skipped and no failure", err, out)
	}
}

// TestAddKilledLeavesNoFFmpeg: a jokebox add killed by SIGKILL while ffmpeg
// measures a long file leaves no ffmpeg running.
func TestAddKilledLeavesNoFFmpeg(t *testing.T) {
	needFFmpeg(t)
	dir := t.TempDir()
	long := filepath.Join(dir, "long.wav")
	// 40 minutes of 8 kHz noise: ffmpeg takes seconds to measure it.
	if b, err := exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "anoisesrc=d=2400:r=8000", "-c:a", "pcm_u8", long).CombinedOutput(); err != nil {
		t.Fatalf("make %s: %v\n%s", long, err, b)
	}
	cmd := exec.Command(os.Args[0], "add", "--dry-run", long)
	cmd.Env = append(os.Environ(), "JOKEBOX_TEST_RUN_MAIN=1")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var ff int
	for deadline := time.Now().Add(10 * time.Second); ff == 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		ff = childNamed(cmd.Process.Pid, "ffmpeg")
	}
	if ff == 0 {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatal("ffmpeg never started")
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if !running(ff) {
			return
		}
	}
	syscall.Kill(ff, syscall.SIGKILL)
	t.Errorf("ffmpeg (pid %d) still runs 2 s after its jokebox was killed", ff)
}

// childNamed is the pid of a child of parent whose command is name, or 0
// (Linux's /proc).
func childNamed(parent int, name string) int {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		// pid (comm) state ppid …
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 || !strings.Contains(s[:i], "("+name) {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) > 1 && f[1] == strconv.Itoa(parent) {
			return pid
		}
	}
	return 0
}

// running reports whether pid is a live process (not a zombie).
func running(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && !strings.HasPrefix(strings.TrimSpace(s[i+1:]), "Z")
}
