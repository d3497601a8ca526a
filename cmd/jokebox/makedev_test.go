//go:build unix

package main

import (
	"bufio"
	"bytes"
	"io"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMakeDevCtrlC runs `make dev` in a process group of its own, as a
// terminal runs it, and sends SIGINT to the whole group, as Ctrl-C does:
// jokebox dev shuts down cleanly and exits 0, so make reports no error
// ("make: *** [dev] Error 1" was go run's status: it exits 1 whenever it is
// interrupted). make itself then ends by the signal it was sent, as GNU make
// always does after a fatal signal reaches it (a shell shows status 130 and
// prints nothing); when its parent ignores SIGINT (a script's background
// job), make exits 0. Also with SIGTERM, which a process manager sends.
func TestMakeDevCtrlC(t *testing.T) {
	if testing.Short() {
		t.Skip("builds jokebox and runs make dev (-short)")
	}
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make on PATH")
	}
	for _, tt := range []struct {
		name   string
		sig    syscall.Signal
		ignore bool // make's parent ignores SIGINT: then make's status must be 0
	}{
		{"Ctrl-C", syscall.SIGINT, false},
		{"SIGTERM", syscall.SIGTERM, false},
		{"Ctrl-C in a script", syscall.SIGINT, true},
	} {
		sig := tt.sig
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command("make", "-C", "../..", "dev", "DEV_FLAGS=--addr 127.0.0.1:0")
			if tt.ignore {
				cmd = exec.Command("sh", "-c", `trap "" INT; exec make -C ../.. dev DEV_FLAGS="--addr 127.0.0.1:0"`)
			}
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			pr, pw := io.Pipe()
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = io.MultiWriter(pw, &out), io.MultiWriter(pw, &out)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			ready := make(chan bool, 1)
			go func() {
				sc := bufio.NewScanner(pr)
				for sc.Scan() {
					if strings.Contains(sc.Text(), "Ctrl-C to stop") {
						ready <- true
					}
				}
			}()
			select {
			case <-ready:
			case <-time.After(5 * time.Minute):
				_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
				t.Fatalf("make dev never became ready:\n%s", out.String())
			}
			if err := syscall.Kill(-cmd.Process.Pid, sig); err != nil {
				t.Fatal(err)
			}
			err := cmd.Wait()
			pw.Close()
			ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
			if code := cmd.ProcessState.ExitCode(); code != 0 && (tt.ignore || !ws.Signaled() || ws.Signal() != sig) {
				t.Errorf("make dev after %v: %v; want status 0 or the signal\n%s", sig, err, out.String())
			}
			if !strings.Contains(out.String(), "stopped") || strings.Contains(out.String(), "Error") {
				t.Errorf("make dev after %v did not stop cleanly:\n%s", sig, out.String())
			}
		})
	}
}
