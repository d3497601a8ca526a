package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
)

// progress shows an upload's progress: on a terminal, one line redrawn in
// place (files, bytes, rate, time left); elsewhere, a plain line per file.
// It listens to the transfer manager's byte counts.
type progress struct {
	w        io.Writer
	terminal bool
	files    int
	total    int64

	mu      sync.Mutex
	started time.Time
	count   int   // files finished
	base    int64 // bytes of finished files
	current int64 // bytes of the file in flight
	key     string
	drawn   time.Time
}

func newProgress(w io.Writer, files int, total int64) *progress {
	return &progress{w: w, terminal: isTerminal(w), files: files, total: total, started: time.Now()}
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// Start marks the beginning of a file's upload.
func (p *progress) Start(key string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.key, p.current = key, 0
	p.draw(true)
}

// OnObjectBytesTransferred implements transfermanager.ObjectBytesTransferredListener.
func (p *progress) OnObjectBytesTransferred(_ context.Context, e *transfermanager.ObjectBytesTransferredEvent) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.current = e.BytesTransferred
	p.draw(false)
}

// Done marks the end of a file's upload of size bytes, successful or not.
func (p *progress) Done(key string, size int64, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.count++
	p.base += size
	p.current = 0
	if !p.terminal {
		if err != nil {
			fmt.Fprintf(p.w, "upload failed %s: %v\n", key, err)
		} else {
			fmt.Fprintf(p.w, "uploaded %s (%d/%d files, %s of %s)\n", key, p.count, p.files, bytesText(p.base), bytesText(p.total))
		}
		return
	}
	p.draw(true)
}

// Finish ends the progress line.
func (p *progress) Finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.terminal {
		p.draw(true)
		fmt.Fprintln(p.w)
	}
}

// draw redraws the terminal line, at most ten times a second unless forced.
func (p *progress) draw(force bool) {
	if !p.terminal || !force && time.Since(p.drawn) < 100*time.Millisecond {
		return
	}
	p.drawn = time.Now()
	sent := p.base + p.current
	elapsed := time.Since(p.started).Seconds()
	rate := 0.0
	if elapsed > 0 {
		rate = float64(sent) / elapsed
	}
	left := "?"
	if rate > 0 {
		left = (time.Duration(float64(p.total-sent)/rate) * time.Second).Round(time.Second).String()
	}
	const width = 24
	fill := width
	if p.total > 0 {
		fill = int(int64(width) * sent / p.total)
	}
	key := p.key
	if len(key) > 30 {
		key = "…" + key[len(key)-29:]
	}
	fmt.Fprintf(p.w, "\r[%s%s] %d/%d files  %s/%s  %s/s  %s left  %-30s",
		strings.Repeat("=", fill), strings.Repeat(" ", width-fill), p.count, p.files,
		bytesText(sent), bytesText(p.total), bytesText(int64(rate)), left, key)
}

// bytesText formats n bytes as "512 B", "4.1 KB", "3.2 MB".
func bytesText(n int64) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d B", n)
	case n < 1000_000:
		return fmt.Sprintf("%.1f KB", float64(n)/1e3)
	case n < 1000_000_000:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	}
	return fmt.Sprintf("%.1f GB", float64(n)/1e9)
}
