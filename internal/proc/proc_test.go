package proc

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

func TestWaitReady(t *testing.T) {
	t.Parallel()
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) < 3 {
			http.Error(w, "starting", http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	if err := WaitReady(context.Background(), srv.URL, 10*time.Second, nil); err != nil {
		t.Fatalf("WaitReady = %v", err)
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("%d polls; want 3 (two 503s, then 200)", n)
	}
}

func TestWaitReadyGivesUp(t *testing.T) {
	t.Parallel()
	port, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	url := "http://127.0.0.1:" + strconv.Itoa(port)

	exited := make(chan struct{})
	close(exited)
	if err := WaitReady(context.Background(), url, time.Minute, exited); !errors.Is(err, ErrExited) {
		t.Errorf("WaitReady on an exited process = %v; want ErrExited", err)
	}
	if err := WaitReady(context.Background(), url, 0, nil); err == nil {
		t.Error("WaitReady past its timeout = nil; want an error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := WaitReady(ctx, url, time.Minute, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("WaitReady with an ended context = %v; want context.Canceled", err)
	}
}
