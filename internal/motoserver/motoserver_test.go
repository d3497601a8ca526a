package motoserver

import (
	"context"
	"net/http"
	"syscall"
	"testing"
)

// TestLaunchAndClose starts a real moto_server, uses it, and checks that
// Close leaves no process behind.
func TestLaunchAndClose(t *testing.T) {
	if testing.Short() {
		t.Skip("needs moto_server; skipped with -short")
	}
	s, err := Launch(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	pid := s.cmd.Process.Pid
	if err := Reset(t.Context(), s.URL); err != nil {
		t.Fatalf("Reset: %v", err)
	}
	s.Close()
	select {
	case <-s.exited:
	default:
		t.Fatal("Close returned before moto_server exited")
	}
	if err := syscall.Kill(-pid, 0); err == nil {
		t.Errorf("process group %d still has members after Close", pid)
	}
	if resp, err := http.Get(s.URL + "/moto-api/"); err == nil {
		resp.Body.Close()
		t.Errorf("moto_server still answers at %s after Close", s.URL)
	}
}

func TestLaunchCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if s, err := Launch(ctx, nil); err == nil {
		s.Close()
		t.Fatal("Launch with an ended context succeeded")
	}
}
