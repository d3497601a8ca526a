package audio

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tcolgate/mp3"
)

// TestDurationAgainstFrameDecoder checks Probe's MP3 durations, which come
// from one frame header (CBR estimate or Xing/VBRI count), against the sum
// over every frame decoded by github.com/tcolgate/mp3, an independent
// implementation used here as the reference.
func TestDurationAgainstFrameDecoder(t *testing.T) {
	t.Parallel()
	var files []string
	for _, pattern := range []string{"../../media/*/*.mp3", "../../testdata/audio/*.mp3"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	checked := 0
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		info, err := Probe(p, headOf(b), int64(len(b)))
		if err != nil {
			continue // rejected fixtures have nothing to compare
		}
		audio := b
		if len(b) >= 10 && string(b[:3]) == "ID3" {
			audio = b[10+synchsafe(b[6:10]):]
		}
		var (
			d     = mp3.NewDecoder(bytes.NewReader(audio))
			f     mp3.Frame
			skip  int
			total time.Duration
			n     int
		)
		for {
			if err := d.Decode(&f, &skip); err != nil {
				if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Fatalf("%s: frame %d: %v", p, n, err)
				}
				break
			}
			total += f.Duration()
			n++
		}
		// Slack: one frame, because a Xing frame counts the frames after
		// it; and the 128 bytes of an ID3v1 tag at the end of the file,
		// which the head does not show and the CBR estimate counts as
		// audio (32 ms at 32 kbit/s, a little more than a frame).
		frame := total / time.Duration(max(n, 1))
		if diff := (info.Duration - total).Abs(); diff > 2*frame+time.Millisecond {
			t.Errorf("%s: Probe duration %v; the %d decoded frames last %v", filepath.Base(p), info.Duration, n, total)
		}
		checked++
	}
	if checked < 10 {
		t.Errorf("compared %d files; want the sample library and fixtures", checked)
	}
}
