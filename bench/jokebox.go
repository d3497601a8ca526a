package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jokebox/jokebox/internal/proc"
)

// BuildJokebox builds ./cmd/jokebox of the module in moduleDir into dir and
// returns the binary's path.
func BuildJokebox(ctx context.Context, moduleDir, dir string) (string, error) {
	bin := filepath.Join(dir, "jokebox")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/jokebox")
	cmd.Dir = moduleDir
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/jokebox: %w\n%s", err, out)
	}
	return bin, nil
}

// ModuleDir finds the directory of the go.mod above dir.
func ModuleDir(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod above %s", dir)
		}
	}
}

// Jokebox runs the jokebox CLI against the bucket through the proxy.
type Jokebox struct {
	// Bin is the built CLI.
	Bin string
	// Env is the whole environment of every jokebox process (nothing is
	// inherited, so the user's AWS settings cannot leak in).
	Env []string
	// Log receives the processes' standard error.
	Log io.Writer
}

// JokeboxEnv is the environment for the CLI: the bucket, path-style S3,
// moto's test credentials, the proxy as AWS endpoint, the skill ID, and
// extra "NAME=value" settings.
func JokeboxEnv(home, bucket, endpoint, skillID string, extra ...string) []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"JOKEBOX_BUCKET=" + bucket,
		"JOKEBOX_S3_PATH_STYLE=true",
		"JOKEBOX_SKILL_ID=" + skillID,
		"AWS_ACCESS_KEY_ID=" + accessKey,
		"AWS_SECRET_ACCESS_KEY=" + secretKey,
		"AWS_REGION=" + region,
		"AWS_ENDPOINT_URL=" + endpoint,
		"AWS_EC2_METADATA_DISABLED=true",
	}
	return append(env, extra...)
}

// Reindex runs `jokebox reindex` and returns its summary line.
func (j Jokebox) Reindex(ctx context.Context) (string, error) {
	cmd := exec.CommandContext(ctx, j.Bin, "reindex")
	cmd.Env = j.Env
	cmd.Stderr = j.Log
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("jokebox reindex: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// Server is a running `jokebox serve`.
type Server struct {
	// URL is its Alexa endpoint, http://127.0.0.1:PORT/alexa.
	URL string
	// PID is its process ID.
	PID     int
	cmd     *exec.Cmd
	exited  chan struct{}
	waitErr error
}

// Serve starts `jokebox serve --addr 127.0.0.1:PORT --insecure-skip-verify`
// and waits until GET /healthz answers 200.
func (j Jokebox) Serve(ctx context.Context) (*Server, error) {
	port, err := proc.FreePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	cmd := exec.CommandContext(ctx, j.Bin, "serve", "--addr", addr, "--insecure-skip-verify")
	cmd.Env = j.Env
	cmd.Stdout, cmd.Stderr = j.Log, j.Log
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 15 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start jokebox serve: %w", err)
	}
	s := &Server{URL: "http://" + addr + "/alexa", PID: cmd.Process.Pid, cmd: cmd, exited: make(chan struct{})}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
	if err := proc.WaitReady(ctx, "http://"+addr+"/healthz", 30*time.Second, s.exited); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("jokebox serve: %w", err)
	}
	return s, nil
}

// Close stops the server with SIGTERM, as Ctrl-C would, and waits for its
// graceful shutdown; after 15 s it is killed.
func (s *Server) Close() error {
	select {
	case <-s.exited:
		return s.waitErr
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
	var ee *exec.ExitError
	if errors.As(s.waitErr, &ee) && !ee.Exited() {
		return nil // ended by our signal
	}
	return s.waitErr
}

// Memory is a process's resident memory in KiB: now and at its peak.
type Memory struct {
	RSS, Peak int64
}

// ReadMemory reads VmRSS and VmHWM from /proc/PID/status.
func ReadMemory(pid int) (Memory, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return Memory{}, err
	}
	rss, ok1 := StatusKB(b, "VmRSS")
	peak, ok2 := StatusKB(b, "VmHWM")
	if !ok1 || !ok2 {
		return Memory{}, fmt.Errorf("/proc/%d/status has no VmRSS or VmHWM", pid)
	}
	return Memory{RSS: rss, Peak: peak}, nil
}

// StatusKB reads a "Name:   1234 kB" field of a /proc/PID/status file.
func StatusKB(status []byte, name string) (int64, bool) {
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || k != name {
			continue
		}
		f := strings.Fields(v)
		if len(f) != 2 || f[1] != "kB" {
			return 0, false
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		return n, err == nil && n >= 0
	}
	return 0, false
}
