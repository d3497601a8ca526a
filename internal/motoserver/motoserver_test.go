package motoserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
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

// TestAtomicWrites races 8 writers creating the same key with
// If-None-Match: * through Config's client, round after round, on a
// moto_server whose Python switches threads every microsecond (instead of
// every 5 ms), which opens the window between its check and its write:
// S3 lets exactly one writer win each round, and so must the emulator as
// the tests use it.
func TestAtomicWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("needs moto_server; skipped with -short")
	}
	t.Parallel()
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found")
	}
	script := "import sys; sys.setswitchinterval(1e-6); from moto.server import main; main()"
	s, err := launch(t.Context(), python, []string{"-c", script}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := t.Context()
	c := S3(Config(s.URL))
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("jokes")}); err != nil {
		t.Fatal(err)
	}
	const writers, rounds = 8, 300
	bad := 0
	for round := range rounds {
		key := fmt.Sprintf("k%d", round)
		var won atomic.Int32
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("jokes"), Key: &key, IfNoneMatch: aws.String("*"), Body: strings.NewReader(strings.Repeat(fmt.Sprintf("writer %d ", w), 200))})
				if err == nil {
					won.Add(1)
				} else if re := (*awshttp.ResponseError)(nil); !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusPreconditionFailed {
					t.Errorf("round %d, writer %d: %v; want success or 412", round, w, err)
				}
			})
		}
		wg.Wait()
		if won.Load() != 1 {
			bad++
			t.Errorf("round %d: %d writers created %s; want exactly 1", round, won.Load(), key)
		}
	}
	t.Logf("%d rounds of %d writers, %d without exactly one winner", rounds, writers, bad)
}
