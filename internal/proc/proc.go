// Package proc helps start local servers as child processes (moto_server,
// `jokebox serve` under the benchmark): a free loopback port to give them,
// and a wait until they answer.
package proc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// ErrExited reports a process that exited before it answered.
var ErrExited = errors.New("exited before it was ready")

// FreePort asks the kernel for a free loopback TCP port. Another process
// may take it before the caller binds it; callers that start a server on it
// retry on failure.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// WaitReady polls url with GET until it answers 200, the process behind it
// exits (exited is closed; ErrExited), ctx ends or timeout passes.
func WaitReady(ctx context.Context, url string, timeout time.Duration, exited <-chan struct{}) error {
	return WaitReadyWith(ctx, &http.Client{Timeout: 2 * time.Second}, url, timeout, exited)
}

// WaitReadyWith is WaitReady with a client of the caller's, for a server
// whose certificate only that client trusts.
func WaitReadyWith(ctx context.Context, client *http.Client, url string, timeout time.Duration, exited <-chan struct{}) error {
	deadline := time.Now().Add(timeout)
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
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after %s: %w", timeout, err)
		}
		t := time.NewTimer(50 * time.Millisecond)
		select {
		case <-exited:
			t.Stop()
			return ErrExited
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}
