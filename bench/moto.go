package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Moto is a moto_server process that this package started.
type Moto struct {
	// URL is its base URL, http://127.0.0.1:PORT.
	URL     string
	cmd     *exec.Cmd
	exited  chan struct{} // closed when the process has exited
	waitErr error         // its exit status, once exited is closed
}

// StartMoto starts `moto_server -H 127.0.0.1 -p PORT` on a free loopback
// port, in its own process group, and waits until GET /moto-api/ answers.
// Its output goes to logw. Close stops it; so does the end of ctx.
func StartMoto(ctx context.Context, logw io.Writer) (*Moto, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, "moto_server", "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.Stdout, cmd.Stderr = logw, logw
	// Its own process group, so that stopping it also stops anything the
	// pyenv shim or Python started, and nothing else.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return killGroup(cmd) }
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start moto_server (it comes with the machine image): %w", err)
	}
	m := &Moto{URL: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd, exited: make(chan struct{})}
	go func() {
		m.waitErr = cmd.Wait()
		close(m.exited)
	}()
	if err := waitReady(ctx, m.URL+"/moto-api/", 30*time.Second, m.exited); err != nil {
		m.Close()
		return nil, fmt.Errorf("moto_server: %w", err)
	}
	return m, nil
}

// Close stops moto_server and waits for it to exit.
func (m *Moto) Close() {
	if m == nil || m.cmd.Process == nil {
		return
	}
	_ = killGroup(m.cmd)
	select {
	case <-m.exited:
	case <-time.After(10 * time.Second):
	}
}

// killGroup kills the process group led by the process cmd started.
func killGroup(cmd *exec.Cmd) error {
	if cmd.Process == nil {
		return nil
	}
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil {
		return cmd.Process.Kill()
	}
	return nil
}

// freePort asks the kernel for a free loopback TCP port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitReady polls url until it answers 200, the process behind it exits
// (exited is closed), ctx ends or timeout passes.
func waitReady(ctx context.Context, url string, timeout time.Duration, exited <-chan struct{}) error {
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(timeout)
	var last error
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("GET %s: %s", url, resp.Status)
		}
		last = err
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after %s: %w", timeout, last)
		}
		select {
		case <-exited:
			return errors.New("exited before it was ready")
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// motoVersion asks the Python that runs moto_server for moto's version;
// "unknown" when it cannot.
func motoVersion(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "python3", "-c", "import moto; print(moto.__version__)").Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}
